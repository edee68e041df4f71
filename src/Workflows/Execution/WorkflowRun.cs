using Workflows.Journal;

namespace Workflows;

/// <summary>
/// A handle on a run. The run itself lives in the journal, not in the handle: it may execute in this engine or another,
/// suspend and wake; <see cref="Completion"/> completes when it ends, wherever that happens.
/// </summary>
public class WorkflowRun
{
    private readonly WorkflowEngine _engine;

    internal WorkflowRun(WorkflowEngine engine, RunRecord run, bool created)
    {
        _engine = engine;
        RunId = run.Id;
        TenantId = run.TenantId;
        Workflow = run.Workflow;
        Created = created;
        Outcome = engine.Waiters.Track(run);
    }

    public Guid RunId { get; }
    public string TenantId { get; }
    public string Workflow { get; }

    /// <summary>False when the start found an existing run (same id or idempotency key).</summary>
    public bool Created { get; }

    internal Task<RunOutcome> Outcome { get; }

    /// <summary>
    /// Completes when the run ends. Faults with <see cref="WorkflowRunFailedException"/> when it failed,
    /// <see cref="WorkflowRunCancelledException"/> when it was cancelled or passed its deadline,
    /// <see cref="WorkflowRunParkedException"/> when it was parked, and <see cref="OperationCanceledException"/> when the
    /// engine stopped before the run ended (the run goes on at the next start).
    /// </summary>
    public Task Completion => Outcome;

    /// <summary>
    /// What this engine's executions of the run did: the step sequences replayed from the journal and the ones run for
    /// real. Empty for a run that had ended before this engine saw it, or that ended in another engine.
    /// </summary>
    public async Task<ExecutionReport> GetReportAsync() => (await Outcome.ConfigureAwait(false)).Report;

    /// <summary>The run's journal record as it is now.</summary>
    public Task<RunRecord> GetRecordAsync(CancellationToken cancellationToken = default) =>
        _engine.GetRunRecordAsync(RunId, TenantId, cancellationToken);

    /// <summary>Cancels the run (see <see cref="WorkflowEngine.CancelAsync"/>).</summary>
    public Task<Storage.CancelOutcome> CancelAsync(string? reason = null, CancellationToken cancellationToken = default) =>
        _engine.CancelAsync(RunId, TenantId, reason, cancellationToken);

    /// <summary>This handle with its result typed as <typeparamref name="TOutput"/>.</summary>
    /// <exception cref="InvalidCastException">The workflow's result is of another type, or the workflow is not registered here.</exception>
    public WorkflowRun<TOutput> As<TOutput>() => this as WorkflowRun<TOutput>
        ?? throw new InvalidCastException($"Run {RunId} of '{Workflow}' does not return {typeof(TOutput).Name}" +
            (GetType() == typeof(WorkflowRun) ? ": its workflow is not registered with this engine." : "."));
}

/// <summary>A run with a typed result.</summary>
public sealed class WorkflowRun<TOutput> : WorkflowRun
{
    private readonly Func<string, TOutput> _read;

    internal WorkflowRun(WorkflowEngine engine, RunRecord run, bool created, Func<string, TOutput> read)
        : base(engine, run, created) => _read = read;

    /// <summary>Waits for the run to end and returns its output, read back from the journal's JSON.</summary>
    /// <exception cref="WorkflowRunFailedException">The run failed.</exception>
    /// <exception cref="WorkflowRunCancelledException">The run was cancelled or passed its deadline.</exception>
    /// <exception cref="WorkflowRunParkedException">The run was parked.</exception>
    public async Task<TOutput> GetResultAsync(CancellationToken cancellationToken = default)
    {
        var outcome = await Outcome.WaitAsync(cancellationToken).ConfigureAwait(false);
        return _read(outcome.Output ?? "null");
    }
}

/// <summary>Which steps an engine's executions of a run replayed and which they ran.</summary>
public sealed record ExecutionReport(IReadOnlyList<int> Replayed, IReadOnlyList<int> Executed)
{
    public static readonly ExecutionReport None = new([], []);

    public bool WasReplayed(int sequence) => Replayed.Contains(sequence);
}

internal sealed record RunOutcome(RunRecord Run, string? Output, ExecutionReport Report);

/// <summary>A run and its steps in sequence order, as the journal holds them.</summary>
public sealed record RunTimeline(RunRecord Run, IReadOnlyList<StepRecord> Steps)
{
    /// <summary>The run's model usage: the sum over its steps of what their bodies reported (<see cref="CurrentStep.ReportUsage"/>).</summary>
    public RunUsage Usage { get; } = RunUsage.Of(Steps);
}

/// <summary>Tokens and cost, summed over steps (a child run's usage is on the child's own timeline).</summary>
public sealed record RunUsage(long InputTokens, long OutputTokens, decimal CostUsd)
{
    public static readonly RunUsage None = new(0, 0, 0m);

    /// <summary>The sum over <paramref name="steps"/>.</summary>
    public static RunUsage Of(IEnumerable<StepRecord> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        long input = 0, output = 0;
        var cost = 0m;
        foreach (var step in steps)
        {
            input += step.InputTokens ?? 0;
            output += step.OutputTokens ?? 0;
            cost += step.CostUsd ?? 0m;
        }
        return new RunUsage(input, output, cost);
    }

    public static RunUsage operator +(RunUsage a, RunUsage b) =>
        new(a.InputTokens + b.InputTokens, a.OutputTokens + b.OutputTokens, a.CostUsd + b.CostUsd);
}

/// <summary>One page of runs; pass <see cref="NextAfterId"/> as <see cref="Storage.RunQuery.AfterId"/> for the next page.</summary>
/// <param name="NextAfterId">Null when the page was not full, so nothing follows it; a full last page is followed by an empty one.</param>
public sealed record RunPage(IReadOnlyList<RunRecord> Runs, Guid? NextAfterId);
