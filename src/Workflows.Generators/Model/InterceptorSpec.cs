using Workflows.Generators.Common;

namespace Workflows.Generators.Model;

/// <summary>One call site of a step inside its workflow, with the location the compiler needs to intercept it.</summary>
internal sealed record InterceptorSpec(
    string WorkflowFullyQualifiedName,
    string WorkflowHintName,
    string WrapperName,
    string ReturnType,
    EquatableArray<ParameterSpec> Parameters,
    int LocationVersion,
    string LocationData,
    string DisplayLocation);
