using Workflows.Journal;
using Workflows.Serialization;

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

    /// <summary>
    /// The current UTC time, recorded in the journal: a replay sees the time the first execution saw.
    /// Use it instead of <see cref="DateTime.UtcNow"/> in workflow code.
    /// </summary>
    public static DateTime UtcNow
    {
        get
        {
            var context = Context(nameof(UtcNow));
            return context.RecordValue("now", StepKind.Now, () => context.Clock.GetUtcNow().UtcDateTime, JsonCodecs.DateTime);
        }
    }

    /// <summary>The recorded time (see <see cref="UtcNow"/>) in the machine's local time zone.</summary>
    public static DateTime Now => UtcNow.ToLocalTime();

    /// <summary>A new GUID, recorded in the journal: a replay gets the same one. Use it instead of <see cref="Guid.NewGuid"/>.</summary>
    public static Guid NewGuid() =>
        Context(nameof(NewGuid)).RecordValue("guid", StepKind.Guid, static () => Guid.NewGuid(), JsonCodecs.Guid);

    /// <summary>
    /// A durable timer: waits <paramref name="duration"/>, with the wake-up time journaled first, so that a restarted run
    /// waits only for what is left and a timer that fired is not waited for again; it never ends before that time. Use it
    /// instead of Task.Delay. A sleep longer than the engine's <see cref="WorkflowEngineOptions.SuspendThreshold"/> suspends
    /// the run (nothing of it stays in memory; the scheduler wakes it by replay): <paramref name="cancellationToken"/> cannot
    /// outlive that, so end such a sleep early by cancelling the run (<see cref="WorkflowEngine.CancelAsync"/>).
    /// </summary>
    public static Task SleepAsync(TimeSpan duration, CancellationToken cancellationToken = default) =>
        Context(nameof(SleepAsync)).SleepAsync(duration, cancellationToken);

    private static WorkflowContext Context(string member) =>
        WorkflowContext.Current ?? throw new InvalidOperationException($"Workflow.{member} is only available inside a running workflow.");
}
