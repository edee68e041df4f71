namespace Workflows;

/// <summary>What workflow code can ask of the run it is executing in.</summary>
public static class Workflow
{
    /// <summary>The id of the running run.</summary>
    /// <exception cref="InvalidOperationException">Called outside a running workflow.</exception>
    public static Guid RunId => Context(nameof(RunId)).RunId;

    /// <summary>The tenant of the running run.</summary>
    public static string TenantId => Context(nameof(TenantId)).TenantId;

    /// <summary>True while the run is re-walking steps that its journal already holds.</summary>
    public static bool IsReplaying => Context(nameof(IsReplaying)).IsReplaying;

    /// <summary>Whether the caller is inside a running workflow.</summary>
    public static bool IsRunning => WorkflowContext.Current is not null;

    /// <summary>The token that is cancelled when the engine stops the run.</summary>
    public static CancellationToken CancellationToken => Context(nameof(CancellationToken)).CancellationToken;

    private static WorkflowContext Context(string member) =>
        WorkflowContext.Current ?? throw new InvalidOperationException($"Workflow.{member} is only available inside a running workflow.");
}
