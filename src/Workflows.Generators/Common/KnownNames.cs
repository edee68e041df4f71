namespace Workflows.Generators.Common;

/// <summary>Metadata names the generator and analyzers look for.</summary>
internal static class KnownNames
{
    public const string WorkflowAttribute = "Workflows.WorkflowAttribute";
    public const string WorkflowRunAttribute = "Workflows.WorkflowRunAttribute";
    public const string StepAttribute = "Workflows.StepAttribute";

    /// <summary>The namespace of emitted interceptors; the package's targets add it to InterceptorsNamespaces.</summary>
    public const string InterceptorsNamespace = "Workflows.Generated";

    public const string Task = "System.Threading.Tasks.Task";
    public const string TaskOfT = "System.Threading.Tasks.Task`1";
    public const string ValueTask = "System.Threading.Tasks.ValueTask";
    public const string ValueTaskOfT = "System.Threading.Tasks.ValueTask`1";
    public const string CancellationToken = "System.Threading.CancellationToken";
}
