using System.Runtime.ExceptionServices;
using Workflows.Journal;
using Workflows.Storage;

namespace Workflows;

/// <summary>
/// The fenced commit of a run's journal writes, and what rides with it: the records of durable values, the outcomes of
/// steps waiting for the run's next write (<see cref="WorkflowEngineOptions.StepOutcomeWindow"/>), and the buffered
/// "step started" markers a database may have lost.
/// </summary>
public sealed partial class WorkflowContext
{
    // Records that wait here are committed with the next journal write, ahead of it: durable values (now, guid), which
    // nothing recorded later can be durable without and which cost no round trip of their own; and step outcomes held for
    // the run's next write, so that a step's outcome and the next step's start are one fsync'd commit.
    private List<JournalWrite> _pending = [];

    // Whether _pending holds a step outcome: the window's timer commits it if no write of the run comes first.
    private bool _outcomesHeld;

    // The commit the window's timer sent with what was pending, until it is through: every later commit of the run waits
    // for it, so that nothing written after an outcome (the run's end and release above all) reaches the store first.
    private Task? _flushing;
    private ITimer? _outcomeTimer;

    // The claim every commit of this execution is fenced by (immutable: made once).
    private JournalWrite? _fence;

    /// <summary>How long a step's outcome may wait for the run's next write (<see cref="WorkflowEngineOptions.StepOutcomeWindow"/>).</summary>
    internal TimeSpan StepOutcomeWindow { get; init; }

    /// <summary>How the "step started" markers are committed (<see cref="WorkflowEngineOptions.StepStartDurability"/>).</summary>
    internal CommitDurability StepStartDurability { get; init; } = CommitDurability.Flushed;

    /// <summary>
    /// Commits <paramref name="writes"/> under the run's claim, after any durable values recorded and step outcomes held
    /// since the last commit. The store being unavailable is not an error of the run: the commit is retried with backoff
    /// until it goes through, the execution is cancelled, or the claim turns out to be lost.
    /// </summary>
    internal Task CommitAsync(IReadOnlyList<JournalWrite> writes, CancellationToken cancellationToken,
        CommitDurability durability = CommitDurability.Flushed) =>
        CommitCoreAsync(writes, cancellationToken, durability, CommitRole.Writes);

    private Task CommitAsync(JournalWrite write) => CommitAsync([write], CancellationToken);

    /// <summary>
    /// Commits the marker that an attempt began (its Running record) at <see cref="StepStartDurability"/>, or flushed with
    /// what is pending ahead of it: it keeps the attempt count across crashes, and losing it with the machine costs at most
    /// one count, never an outcome.
    /// </summary>
    private Task CommitStepStartAsync(JournalWrite write) => CommitCoreAsync([write], CancellationToken, StepStartDurability, CommitRole.StepStart);

    /// <summary>
    /// Holds a step's outcome for the run's next write, or commits it now when the window is zero. Either way the step is
    /// recorded when it commits: until then a crash runs it again, as a crash during its body would.
    /// </summary>
    private Task CommitOutcomeAsync(JournalWrite outcome)
    {
        if (StepOutcomeWindow <= TimeSpan.Zero)
        {
            return CommitAsync(outcome);
        }
        if (OwnershipLost is { } lost)
        {
            throw lost;
        }
        lock (_gate)
        {
            _pending.Add(outcome);
            if (!_outcomesHeld)
            {
                // Armed by the first outcome held, not pushed back by the next ones: however many steps of a wave finish
                // one after another, none waits longer than the window. Real time, not the engine's clock: the window
                // bounds how long an outcome stays in memory, whatever clock runs the workflow.
                _outcomesHeld = true;
                _outcomeTimer ??= TimeProvider.System.CreateTimer(static state => ((WorkflowContext)state!).OutcomeWindowEnded(), this,
                    Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                _outcomeTimer.Change(StepOutcomeWindow, Timeout.InfiniteTimeSpan);
            }
        }
        return Task.CompletedTask;
    }

    /// <summary>Commits what is pending now (before a child run is started with what it may depend on), if anything is.</summary>
    private Task CommitPendingAsync()
    {
        lock (_gate)
        {
            if (_pending.Count == 0 && _flushing is null) return Task.CompletedTask;
        }
        return CommitCoreAsync([], CancellationToken, CommitDurability.Flushed, CommitRole.Pending);
    }

    /// <summary>The window's timer: no write of the run came to carry the held outcomes, so they are committed on their own.</summary>
    private void OutcomeWindowEnded() => _ = CommitCoreAsync([], CancellationToken, CommitDurability.Flushed, CommitRole.HeldOutcomes);

    private enum CommitRole
    {
        /// <summary>Writes of the run (with what is pending ahead of them).</summary>
        Writes,
        /// <summary>A step's start marker, at <see cref="StepStartDurability"/> unless something pending makes it flushed.</summary>
        StepStart,
        /// <summary>What is pending, and nothing else.</summary>
        Pending,
        /// <summary>The held step outcomes (with what else is pending), sent by the window's timer; never throws.</summary>
        HeldOutcomes,
    }

    private async Task CommitCoreAsync(IReadOnlyList<JournalWrite> writes, CancellationToken cancellationToken, CommitDurability durability, CommitRole role)
    {
        if (OwnershipLost is { } lost)
        {
            if (role == CommitRole.HeldOutcomes) return;
            throw lost;
        }
        if (StoreFault is { } fault)
        {
            if (role == CommitRole.HeldOutcomes) return;
            ExceptionDispatchInfo.Throw(fault); // workflow code caught the first one: still nothing more is written
        }
        List<JournalWrite> batch;
        List<JournalWrite> taken;
        TaskCompletionSource? flushed = null;
        while (true)
        {
            Task? before;
            lock (_gate)
            {
                before = _flushing;
                if (before is null)
                {
                    if (role == CommitRole.HeldOutcomes && !_outcomesHeld) return; // a write of the run carried them
                    if (role is CommitRole.Pending or CommitRole.HeldOutcomes && _pending.Count == 0) return;
                    taken = _pending;
                    _pending = [];
                    _outcomesHeld = false;
                    if (taken.Count > 0)
                    {
                        // A durable value or a step's outcome is an outcome (a step may use a value as an idempotency key): never only buffered.
                        durability = CommitDurability.Flushed;
                    }
                    if (role == CommitRole.HeldOutcomes)
                    {
                        flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                        _flushing = flushed.Task;
                    }
                    break;
                }
            }
            await before.ConfigureAwait(false); // never faults: a failed flush puts its writes back in _pending
        }

        batch = new List<JournalWrite>(taken.Count + writes.Count + 2) { (_fence ??= JournalWrite.RequireClaim(RunId, TenantId, _owner)) };
        batch.AddRange(taken);
        if (role == CommitRole.StepStart && durability == CommitDurability.Buffered)
        {
            RememberBufferedStarts(writes);
        }
        var adopting = AdoptsSchema && Run.SchemaVersion != AdoptSchemaVersion;
        if (adopting)
        {
            // Every write of the run's record carries the adopted version; without one, the version is written on its own.
            var updatesRun = false;
            foreach (var write in writes)
            {
                if (write is UpdateRun { Run.Id: var id } update && id == RunId)
                {
                    batch.Add(JournalWrite.Update(WithAdoptedSchema(update.Run)));
                    updatesRun = true;
                }
                else
                {
                    batch.Add(write);
                }
            }
            if (!updatesRun)
            {
                batch.Insert(1, JournalWrite.Update(Run with { SchemaVersion = AdoptSchemaVersion!, UpdatedAt = _clock.GetUtcNow() }));
            }
        }
        else
        {
            batch.AddRange(writes);
        }
        if (Releasing is { } releasing && batch.Exists(static w => w is ReleaseClaim))
        {
            releasing();
        }
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            try
            {
                await StoreRetry.RunAsync((Store: _store, Batch: batch, Durability: durability, Token: cancellationToken),
                    static c => c.Store.CommitAsync(c.Batch, c.Durability, c.Token), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception refused) when (refused is JournalConflictException or IllegalTransitionException && HasBufferedStarts)
            {
                // A buffered start marker lost with the database (it crashed, or the machine lost power, before the marker was
                // flushed): the step's next record finds it missing. Commit the lost markers again ahead of their records,
                // flushed: only those the journal does not hold (others of the batch may have survived); if that is refused
                // too, or none is missing, the first refusal was not about a lost marker.
                var recorded = await StoreRetry.RunAsync(() => _store.GetReplayStepsAsync(TenantId, RunId, cancellationToken: cancellationToken), cancellationToken).ConfigureAwait(false);
                var repaired = WithStartsAgain(batch, recorded);
                if (repaired is null) ExceptionDispatchInfo.Throw(refused);
                try
                {
                    await StoreRetry.RunAsync(() => _store.CommitAsync(repaired, CommitDurability.Flushed, cancellationToken), cancellationToken).ConfigureAwait(false);
                }
                catch (JournalException)
                {
                    ExceptionDispatchInfo.Throw(refused);
                }
                batch = repaired;
            }
            Diagnostics.WorkflowsTelemetry.CommitDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            ForgetStarts(batch);
        }
        catch (RunOwnershipLostException e)
        {
            OwnershipLost ??= e;
            if (role == CommitRole.HeldOutcomes) return; // the run is another engine's now: its next write here throws
            throw;
        }
        catch (Exception e) when (e is not (JournalException or StoreUnavailableException or OperationCanceledException))
        {
            StoreFault ??= e;
            if (role == CommitRole.HeldOutcomes) return;
            throw;
        }
        catch (Exception) when (role == CommitRole.HeldOutcomes)
        {
            // Cancelled, or refused: the held records go back ahead of whatever is pending, and the run's next write carries
            // them (or meets the same refusal, on the flow that can report it).
            lock (_gate)
            {
                _pending.InsertRange(0, taken);
                _outcomesHeld = true;
            }
            return;
        }
        finally
        {
            if (flushed is not null)
            {
                lock (_gate) _flushing = null;
                flushed.SetResult();
            }
        }
        if (adopting)
        {
            Run = Run with { SchemaVersion = AdoptSchemaVersion! };
        }
        Committed?.Invoke(Run, batch);
    }

    // The buffered start markers of the attempts under way, by sequence, until their next record is committed: what a
    // database that lost them needs again (WithStartsAgain).
    private readonly Dictionary<int, JournalWrite> _bufferedStarts = [];

    private void RememberBufferedStarts(IReadOnlyList<JournalWrite> writes)
    {
        lock (_gate)
        {
            foreach (var write in writes)
            {
                if (write is InsertStep { Step: var inserted }) _bufferedStarts[inserted.Sequence] = write;
                else if (write is UpdateStep { Step: var updated }) _bufferedStarts[updated.Sequence] = write;
            }
        }
    }

    private bool HasBufferedStarts
    {
        get
        {
            lock (_gate) return _bufferedStarts.Count > 0;
        }
    }

    /// <summary>
    /// <paramref name="batch"/> with each buffered start marker it follows up that <paramref name="recorded"/> (the journal
    /// as stored now) lacks put back ahead of its follow-up; null when it follows up none that was lost.
    /// </summary>
    private List<JournalWrite>? WithStartsAgain(List<JournalWrite> batch, IReadOnlyList<StepRecord> recorded)
    {
        var held = new HashSet<int>();
        foreach (var step in recorded) held.Add(step.Sequence);
        lock (_gate)
        {
            if (_bufferedStarts.Count == 0) return null;
            List<JournalWrite>? repaired = null;
            for (var i = 0; i < batch.Count; i++)
            {
                if (batch[i] is UpdateStep { Step: var step } && step.RunId == RunId && !held.Contains(step.Sequence)
                    && _bufferedStarts.TryGetValue(step.Sequence, out var start) && !ReferenceEquals(start, batch[i]))
                {
                    repaired ??= batch[..i];
                    repaired.Add(start);
                }
                repaired?.Add(batch[i]);
            }
            return repaired;
        }
    }

    /// <summary>Forgets the buffered start markers that <paramref name="batch"/> followed up: they are flushed with it.</summary>
    private void ForgetStarts(List<JournalWrite> batch)
    {
        lock (_gate)
        {
            if (_bufferedStarts.Count == 0) return;
            foreach (var write in batch)
            {
                if (write is UpdateStep { Step: var step } && _bufferedStarts.TryGetValue(step.Sequence, out var start) && !ReferenceEquals(start, write))
                {
                    _bufferedStarts.Remove(step.Sequence);
                }
            }
        }
    }
}
