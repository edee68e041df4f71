using Workflows.Generators.Common;

namespace Workflows.Generators.Model;

/// <summary>A workflow that the registration file adds: its class (fully qualified, with <c>global::</c>) and journal name.</summary>
internal sealed record RegisteredWorkflow(string FullyQualifiedName, string WorkflowName);

/// <summary>
/// The assembly's <c>AddGeneratedWorkflows()</c>: every workflow the generator emits a <c>Definition</c> for, ordinal
/// order by fully qualified name. Only built when the compilation has <c>Workflows.Hosting.WorkflowsBuilder</c>.
/// </summary>
internal sealed record RegistrationSpec(EquatableArray<RegisteredWorkflow> Workflows);
