using Workflows.Journal;
using Workflows.Storage;

namespace Workflows;

/// <summary>
/// The engine's scheduler: claims ready runs (new, woken, recovered after a lapsed claim) up to the engine's concurrency,
/// with one timer for the earliest due run, re-armed whenever it is told of new work; renews the claims of the runs in
/// flight; and polls for the runs that handles here wait for but that end elsewhere.
/// </summary>
internal sealed class RunScheduler
{
    private readonly WorkflowEngine _engine;
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _scheduling = Task.CompletedTask;
    private Task _renewing = Task.CompletedTask;

    internal RunScheduler(WorkflowEngine engine) => _engine = engine;

    internal void Start(CancellationToken stopping)
    {
        _scheduling = Task.Run(() => ScheduleAsync(stopping), CancellationToken.None);
        _renewing = Task.Run(() => RenewAsync(stopping), CancellationToken.None);
    }

    /// <summary>Wakes the scheduler now: there may be new work (a run created, suspended or freed, a slot freed).</summary>
    internal void Signal() => Volatile.Read(ref _wake).TrySetResult();

    // Whether a claim pass under way, or the last one, may have left ready runs unclaimed for want of free slots. Only then
    // is a slot freed by an ending run new work: otherwise every ready run was claimed, and new ones signal on their own.
    private volatile bool _wantsSlots = true;

    /// <summary>
    /// A run ended here and freed its slot: wakes the scheduler when the last pass wanted more slots than it had, or when
    /// the run was on a queue (its end frees room in the queue for runs the queue's limit held back).
    /// </summary>
    internal void SlotFreed(bool queued)
    {
        if (queued || _wantsSlots) Signal();
    }

    internal async Task StopAsync()
    {
        await Task.WhenAll(_scheduling, _renewing).ConfigureAwait(false);
    }

    private async Task ScheduleAsync(CancellationToken stopping)
    {
        var options = _engine.Options;
        var clock = _engine.Clock;
        var backoff = StoreRetry.FirstDelay;
        var lastPoll = DateTimeOffset.MinValue;
        while (!stopping.IsCancellationRequested)
        {
            var wait = options.PollInterval;
            try
            {
                var claimedAll = await ClaimReadyAsync(stopping).ConfigureAwait(false);
                var now = clock.GetUtcNow();
                if (now - lastPoll >= options.PollInterval)
                {
                    await PollWaitersAsync(stopping).ConfigureAwait(false);
                    lastPoll = now;
                }
                if (claimedAll)
                {
                    continue; // a full batch: more may be ready
                }
                if (_engine.FreeSlots > 0 && await _engine.Store.GetNextDueAsync(_engine.WorkflowNames, now, _engine.ServedTenants, stopping).ConfigureAwait(false) is { } due)
                {
                    var untilDue = due - clock.GetUtcNow();
                    if (untilDue < wait) wait = untilDue < TimeSpan.Zero ? TimeSpan.Zero : untilDue;
                }
                backoff = StoreRetry.FirstDelay;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // An unavailable store, or a row the scheduler cannot read: report it and try again later; never crash the engine.
                _engine.ReportBackgroundError(e);
                wait = backoff;
                backoff = StoreRetry.Next(backoff);
            }

            // One timer, for the earliest due run or the next poll, cut short by a signal. Timers can fire a little early:
            // a run found not yet due is simply waited for again.
            var wake = Volatile.Read(ref _wake);
            if (wait > TimeSpan.Zero && !wake.Task.IsCompleted)
            {
                using var timer = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                var delay = Task.Delay(wait, clock, timer.Token);
                await Task.WhenAny(wake.Task, delay).ConfigureAwait(false);
                timer.Cancel();
                if (stopping.IsCancellationRequested) return;
            }
            if (wake.Task.IsCompleted)
            {
                Interlocked.CompareExchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), wake);
            }
        }
    }

    /// <summary>Claims ready runs into free slots; true when it claimed as many as it asked for.</summary>
    private async Task<bool> ClaimReadyAsync(CancellationToken stopping)
    {
        var names = _engine.WorkflowNames;
        if (names.Count == 0) return false;
        _wantsSlots = true; // until this pass shows it claimed every ready run it could
        // At most half of the free slots (at least one) per pass: a start on this engine while the claim is under way must
        // still find a slot, or its run is created unclaimed and may go to another engine, its caller waiting on a poll.
        var reserved = _engine.ReserveSlots(Math.Min(Math.Max(1, _engine.FreeSlots / 2), 256));
        if (reserved == 0) return false;
        IReadOnlyList<RunRecord> claimed;
        try
        {
            var now = _engine.Clock.GetUtcNow();
            claimed = await _engine.Store.ClaimReadyRunsAsync(
                new ReadyRunsClaim(_engine.WorkerId, now, now + _engine.Options.LeaseDuration, reserved, names) { Tenants = _engine.ServedTenants, Queues = _engine.QueueLimits },
                stopping).ConfigureAwait(false);
        }
        catch
        {
            _engine.ReleaseSlots(reserved);
            throw;
        }
        _engine.ReleaseSlots(reserved - claimed.Count);
        _wantsSlots = claimed.Count == reserved;
        foreach (var run in claimed)
        {
            _engine.Execute(run);
        }
        return claimed.Count == reserved;
    }

    /// <summary>Completes the handles of runs that ended (or were parked) in another engine.</summary>
    private Task PollWaitersAsync(CancellationToken stopping) => CompleteEndedAsync(_engine.Waiters.DueForPoll(), stopping);

    /// <summary>
    /// A store's word that runs ended elsewhere (<see cref="IRunEndNotifications"/>): the handles waiting for one here (or, for
    /// <see cref="Guid.Empty"/>, for any) complete now, not at their next poll. In the background; a failure only leaves the
    /// handles to their polls.
    /// </summary>
    internal void RunEndedElsewhere(Guid runId, CancellationToken stopping)
    {
        var waiting = runId == Guid.Empty ? _engine.Waiters.All() : _engine.Waiters.TenantOf(runId) is { } tenant ? [(runId, tenant)] : [];
        if (waiting.Count == 0) return;
        _ = Task.Run(async () =>
        {
            try
            {
                await CompleteEndedAsync(waiting, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                _engine.ReportBackgroundError(e);
            }
        }, CancellationToken.None);
    }

    /// <summary>Completes the handles of those of <paramref name="waiting"/> whose runs, not executing here, ended.</summary>
    private async Task CompleteEndedAsync(IReadOnlyList<(Guid RunId, string TenantId)> waiting, CancellationToken stopping)
    {
        var due = waiting.Where(w => !_engine.IsExecuting(w.RunId)).ToList();
        // One query per tenant and thousand runs, for the ended ones only.
        foreach (var tenant in due.GroupBy(w => w.TenantId))
        {
            foreach (var chunk in tenant.Select(w => w.RunId).Chunk(RunQuery.MaxLimit))
            {
                var ended = await _engine.Store.ListRunsAsync(new RunQuery
                {
                    TenantId = tenant.Key,
                    RunIds = chunk,
                    Statuses = EndedStatuses,
                    Limit = RunQuery.MaxLimit,
                }, stopping).ConfigureAwait(false);
                foreach (var run in ended)
                {
                    _engine.Waiters.Complete(run, run.Output, cause: null);
                }
            }
        }
    }

    private static readonly RunStatus[] EndedStatuses = [RunStatus.Succeeded, RunStatus.Failed, RunStatus.Cancelled, RunStatus.Parked];

    /// <summary>Renews the claims of the runs in flight every third of the lease; acts on lost claims and cancel requests.</summary>
    private async Task RenewAsync(CancellationToken stopping)
    {
        var clock = _engine.Clock;
        var period = _engine.Options.LeaseDuration / 3;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(period, clock, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var executions = _engine.Executions();
            if (executions.Count == 0) continue;
            try
            {
                var now = clock.GetUtcNow();
                var states = await _engine.Store.RenewClaimsAsync(
                    new ClaimRenewal(_engine.WorkerId, executions.Select(e => e.RunId).ToList(), now, now + _engine.Options.LeaseDuration), stopping).ConfigureAwait(false);
                var byId = executions.ToDictionary(e => e.RunId);
                foreach (var state in states)
                {
                    if (!byId.TryGetValue(state.RunId, out var execution) || !_engine.IsExecuting(execution)) continue;
                    if (!state.Held)
                    {
                        execution.LoseOwnership(state.CurrentOwner);
                    }
                    else if (state.CancelRequestedAt is not null)
                    {
                        execution.RequestCancel(state.CancelReason ?? "Cancelled.");
                    }
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _engine.ReportBackgroundError(e); // the next renewal tries again; the fence keeps a lapsed claim safe
            }
        }
    }
}
