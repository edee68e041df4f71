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

    /// <summary>The static API of workflow code (<c>Workflow.WaitForEventAsync</c>, <c>Workflow.SetEventAsync</c>, ...).</summary>
    public const string WorkflowApi = "Workflows.Workflow";

    /// <summary>The journal codec type; an event overload with a parameter of this type brings its own codec.</summary>
    public const string JsonCodec = "Workflows.Serialization.JsonCodec`1";

    /// <summary>The registry generated module initializers fill with the codecs a workflow emits.</summary>
    public const string JsonCodecRegistry = "Workflows.Serialization.JsonCodecRegistry";

    /// <summary>
    /// The hosting package's builder (<c>services.AddWorkflows(...)</c>); when the compilation has it, the generator emits
    /// the assembly's <c>AddGeneratedWorkflows()</c> extension of it.
    /// </summary>
    public const string WorkflowsBuilder = "Workflows.Hosting.WorkflowsBuilder";

    public const string ModuleInitializerAttribute = "System.Runtime.CompilerServices.ModuleInitializerAttribute";
}
