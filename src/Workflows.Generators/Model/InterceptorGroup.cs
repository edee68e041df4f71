using Workflows.Generators.Common;

namespace Workflows.Generators.Model;

/// <summary>The intercepted calls of one workflow, emitted together into one file.</summary>
internal sealed record InterceptorGroup(string WorkflowHintName, string WorkflowFullyQualifiedName, EquatableArray<InterceptorSpec> Calls);

/// <summary>The wrappers a workflow's generated file declares; only calls of these are intercepted.</summary>
internal sealed record EmittedWrappers(string WorkflowFullyQualifiedName, EquatableArray<string> WrapperNames);
