using System.Collections.Concurrent;
using Workflows.Journal;

namespace Workflows;

/// <summary>
/// What handles wait for: one entry per unfinished run that a handle of this engine was made for. An entry collects what
/// this engine's executions replayed and ran, and completes when the run ends here or, seen by polling, elsewhere.
/// It holds no part of the run's execution: a suspended run with a handle is still not in memory.
/// </summary>
internal sealed class RunWaiters
{
    private const int RecentCapacity = 1024;
    private readonly ConcurrentDictionary<Guid, Waiter> _waiters = new();
    // Runs that ended here with no handle waiting: a handle made a moment later (a resume racing the scheduler) still
    // gets the outcome and the report at once. Bounded: the oldest are forgotten (a late handle then reads the journal).
    private readonly ConcurrentDictionary<Guid, Task<RunOutcome>> _recent = new();
    private readonly ConcurrentQueue<Guid> _recentOrder = new();

    private sealed class Waiter(RunRecord run)
    {
        public readonly TaskCompletionSource<RunOutcome> Completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly HashSet<int> Replayed = [];
        public readonly HashSet<int> Executed = [];
        public readonly string TenantId = run.TenantId;
        // Polling a run that has not ended backs off (1, 2, 4 ... 32 poll intervals), so that many handles on long-waiting
        // runs cost little; a run that ends here completes its handle at once whatever the backoff.
        public int PollEvery = 1;
        public int PollsSkipped;

        public ExecutionReport Report()
        {
            lock (this)
            {
                var executed = Executed.Order().ToArray();
                return new ExecutionReport(Replayed.Where(s => !Executed.Contains(s)).Order().ToArray(), executed);
            }
        }
    }

    /// <summary>The outcome task of a run's handle.</summary>
    public Task<RunOutcome> Track(RunRecord run)
    {
        // An outcome of this engine's is the answer unless the record the handle is made from is newer (the run was
        // reopened by a resume since it ended): then it is stale.
        if (_recent.TryGetValue(run.Id, out var ended) && ended.IsCompleted && OutcomeRun(ended) is { } endedRun && endedRun.UpdatedAt >= run.UpdatedAt)
        {
            return ended;
        }
        if (StatusTransitions.HasEnded(run.Status))
        {
            var completion = new TaskCompletionSource<RunOutcome>();
            SetEnded(completion, run, run.Output, ExecutionReport.None, cause: null);
            return completion.Task;
        }
        return _waiters.GetOrAdd(run.Id, static (_, r) => new Waiter(r), run).Completion.Task;
    }

    /// <summary>Adds what one execution replayed and ran to the run's report, if a handle waits for it.</summary>
    public void Report(Guid runId, IReadOnlyCollection<int> replayed, IReadOnlyCollection<int> executed)
    {
        if (_waiters.TryGetValue(runId, out var waiter))
        {
            lock (waiter)
            {
                waiter.Replayed.UnionWith(replayed);
                waiter.Executed.UnionWith(executed);
            }
        }
    }

    /// <summary>
    /// Completes the handles of a run that ended (or was parked), with the cause when this engine saw it and, when no handle
    /// waited, the report of the execution that ended it.
    /// </summary>
    public void Complete(RunRecord run, string? output, Exception? cause, ExecutionReport? lastExecution = null)
    {
        if (!StatusTransitions.HasEnded(run.Status)) return;
        if (_waiters.TryRemove(run.Id, out var waiter))
        {
            SetEnded(waiter.Completion, run, output, waiter.Report(), cause);
            return;
        }
        if (lastExecution is null) return;
        var completion = new TaskCompletionSource<RunOutcome>();
        SetEnded(completion, run, output, lastExecution, cause);
        _ = completion.Task.Exception; // observed: nobody may ever ask for it
        if (_recent.TryAdd(run.Id, completion.Task))
        {
            _recentOrder.Enqueue(run.Id);
            while (_recentOrder.Count > RecentCapacity && _recentOrder.TryDequeue(out var oldest))
            {
                _recent.TryRemove(oldest, out _);
            }
        }
    }

    /// <summary>A run was reopened (resumed after it failed or was parked): an outcome kept for it is stale.</summary>
    public void Forget(Guid runId) => _recent.TryRemove(runId, out _);

    private static RunRecord? OutcomeRun(Task<RunOutcome> outcome) => outcome.Exception?.InnerException switch
    {
        null => outcome.Result.Run,
        WorkflowRunException e => e.EndedRun,
        _ => null,
    };

    /// <summary>The runs that handles wait for and that are due to be polled in this poll round.</summary>
    /// <summary>The tenant of the run a handle here waits for; null when none waits for it.</summary>
    public string? TenantOf(Guid runId) => _waiters.TryGetValue(runId, out var waiter) ? waiter.TenantId : null;

    /// <summary>Every run a handle here waits for.</summary>
    public List<(Guid RunId, string TenantId)> All() => [.. _waiters.Select(w => (w.Key, w.Value.TenantId))];

    public List<(Guid RunId, string TenantId)> DueForPoll()
    {
        var due = new List<(Guid, string)>();
        foreach (var (runId, waiter) in _waiters)
        {
            if (++waiter.PollsSkipped >= waiter.PollEvery)
            {
                waiter.PollsSkipped = 0;
                waiter.PollEvery = Math.Min(waiter.PollEvery * 2, 32);
                due.Add((runId, waiter.TenantId));
            }
        }
        return due;
    }

    /// <summary>The engine stopped: handles still waiting learn that the run did not end here.</summary>
    public void Stop()
    {
        foreach (var runId in _waiters.Keys)
        {
            if (_waiters.TryRemove(runId, out var waiter))
            {
                waiter.Completion.TrySetException(new OperationCanceledException(
                    $"The engine stopped before run {runId} ended; the run stays in the journal and goes on at the next start."));
            }
        }
    }


    private static void SetEnded(TaskCompletionSource<RunOutcome> completion, RunRecord run, string? output, ExecutionReport report, Exception? cause)
    {
        switch (run.Status)
        {
            case RunStatus.Succeeded:
                completion.TrySetResult(new RunOutcome(run, output ?? run.Output, report));
                break;
            case RunStatus.Cancelled:
                completion.TrySetException(new WorkflowRunCancelledException(run.Id, run.Workflow,
                    run.Error ?? new ErrorInfo(ErrorKind.Cancelled, "The run was cancelled.")) { EndedRun = run });
                break;
            case RunStatus.Parked:
                completion.TrySetException(new WorkflowRunParkedException(run.Id, run.Workflow,
                    run.Error ?? new ErrorInfo(ErrorKind.Internal, "The run is parked."), cause) { EndedRun = run });
                break;
            default:
                completion.TrySetException(new WorkflowRunFailedException(run.Id, run.Workflow,
                    run.Error ?? new ErrorInfo(ErrorKind.Internal, $"The run ended {run.Status}."), cause) { EndedRun = run });
                break;
        }
    }
}
