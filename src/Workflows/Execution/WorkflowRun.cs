using Workflows.Journal;

namespace Workflows;

/// <summary>A run this engine started or resumed; await <see cref="Completion"/> for its end.</summary>
public class WorkflowRun
{
    internal WorkflowRun(Guid runId, string tenantId, string workflow, bool created, Task<RunOutcome> completion)
    {
        RunId = runId;
        TenantId = tenantId;
        Workflow = workflow;
        Created = created;
        Outcome = completion;
    }

    public Guid RunId { get; }
    public string TenantId { get; }
    public string Workflow { get; }

    /// <summary>False when the start found an existing run (same id or idempotency key).</summary>
    public bool Created { get; }

    internal Task<RunOutcome> Outcome { get; }

    /// <summary>Completes when the run ends; faults with the run's error.</summary>
    public Task Completion => Outcome;

    /// <summary>
    /// What this engine's execution of the run did: the step sequences it replayed from the journal and the ones it
    /// ran for real. Empty for a run that had already ended before this engine saw it.
    /// </summary>
    public async Task<ExecutionReport> GetReportAsync() => (await Outcome.ConfigureAwait(false)).Report;
}

/// <summary>A run with a typed result.</summary>
public sealed class WorkflowRun<TOutput> : WorkflowRun
{
    private readonly Func<string, TOutput> _read;

    internal WorkflowRun(WorkflowRun run, Func<string, TOutput> read)
        : base(run.RunId, run.TenantId, run.Workflow, run.Created, run.Outcome) => _read = read;

    /// <summary>Waits for the run to end and returns its output, read back from the journal's JSON.</summary>
    /// <exception cref="WorkflowRunFailedException">The run failed.</exception>
    public async Task<TOutput> GetResultAsync(CancellationToken cancellationToken = default)
    {
        var outcome = await Outcome.WaitAsync(cancellationToken).ConfigureAwait(false);
        return _read(outcome.Output ?? "null");
    }
}

/// <summary>Which steps an execution replayed and which it ran.</summary>
public sealed record ExecutionReport(IReadOnlyList<int> Replayed, IReadOnlyList<int> Executed)
{
    public static readonly ExecutionReport None = new([], []);

    public bool WasReplayed(int sequence) => Replayed.Contains(sequence);
}

internal sealed record RunOutcome(RunRecord Run, string? Output, ExecutionReport Report);

/// <summary>A run and its steps in sequence order, as the journal holds them.</summary>
public sealed record RunTimeline(RunRecord Run, IReadOnlyList<StepRecord> Steps);
