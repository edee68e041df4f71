using Workflows.Journal;

namespace Workflows.Storage;

/// <summary>
/// A store that keeps the journal in memory, for tests. It enforces the same state machines, conflicts, claims and fences
/// as the durable stores, so a test against it sees what production would refuse.
/// </summary>
public sealed class InMemoryWorkflowStore : IWorkflowStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, RunRecord> _runs = [];
    private readonly Dictionary<Guid, List<ClaimRecord>> _claims = [];
    private readonly Dictionary<Guid, SortedList<int, StepRecord>> _steps = [];
    private readonly Dictionary<Guid, (Guid RunId, int Sequence)> _stepIds = [];
    private readonly Dictionary<(string, string), SchemaRecord> _schemas = [];
    private readonly Dictionary<Guid, SnapshotRecord> _snapshots = [];
    // Events in the order they were sent, and where each id is in that list.
    private readonly List<EventRecord> _events = [];
    private readonly Dictionary<Guid, int> _eventIndex = [];

    public ValueTask InitializeAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public ValueTask<CreateRunResult> CreateRunAsync(RunRecord run, IReadOnlyList<StepRecord>? steps = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        RequireDefined(JournalWrite.Update(run));
        foreach (var step in steps ?? []) RequireDefined(JournalWrite.Insert(step));
        lock (_gate)
        {
            if (_runs.TryGetValue(run.Id, out var same))
            {
                if (same.TenantId != run.TenantId)
                {
                    throw new JournalConflictException($"Run id {run.Id} is already used by another tenant; tenant '{run.TenantId}' cannot create it. Nothing was written.");
                }
                return ValueTask.FromResult(new CreateRunResult(same, false));
            }
            if (run.IdempotencyKey is not null)
            {
                foreach (var existing in _runs.Values)
                {
                    if (existing.IdempotencyKey == run.IdempotencyKey && existing.TenantId == run.TenantId && existing.Workflow == run.Workflow)
                    {
                        return ValueTask.FromResult(new CreateRunResult(existing, false));
                    }
                }
            }
            var journal = new SortedList<int, StepRecord>();
            foreach (var step in steps ?? [])
            {
                if (step.RunId != run.Id || step.TenantId != run.TenantId)
                {
                    throw new JournalConflictException($"Step {step.Sequence} '{step.Name}' names run {step.RunId}, not the run {run.Id} being created. Nothing was written.");
                }
                if (journal.ContainsKey(step.Sequence) || _stepIds.ContainsKey(step.Id) || journal.Values.Any(s => s.Id == step.Id))
                {
                    throw new JournalConflictException($"Run {run.Id} is created with two steps at sequence {step.Sequence} (or a step id already used). Nothing was written.");
                }
                journal[step.Sequence] = step;
            }
            Put(run);
            _steps[run.Id] = journal;
            foreach (var step in journal.Values)
            {
                _stepIds[step.Id] = (run.Id, step.Sequence);
            }
            return ValueTask.FromResult(new CreateRunResult(run, true));
        }
    }

    public ValueTask<RunRecord?> GetRunAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_runs.TryGetValue(runId, out var run) && run.TenantId == tenantId ? run : null);
        }
    }

    public ValueTask<IReadOnlyList<StepRecord>> GetStepsAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            IReadOnlyList<StepRecord> steps = _runs.TryGetValue(runId, out var run) && run.TenantId == tenantId
                ? [.. _steps[runId].Values]
                : [];
            return ValueTask.FromResult(steps);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StepRecord>> GetReplayStepsAsync(string tenantId, Guid runId, int afterSequence = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        lock (_gate)
        {
            IReadOnlyList<StepRecord> steps = _runs.TryGetValue(runId, out var run) && run.TenantId == tenantId
                ? [.. _steps[runId].Values.Where(s => s.Sequence > afterSequence).Select(ReplaySteps.Of)]
                : [];
            return ValueTask.FromResult(steps);
        }
    }

    /// <inheritdoc />
    public ValueTask PutSnapshotAsync(SnapshotRecord snapshot, string owner, CancellationToken cancellationToken = default)
    {
        RunSnapshots.ValidateForPut(snapshot, owner);
        lock (_gate)
        {
            var run = _runs.TryGetValue(snapshot.RunId, out var found) && found.TenantId == snapshot.TenantId ? found : null;
            if (run is null || run.Owner != owner || !_steps[run.Id].ContainsKey(snapshot.Sequence))
            {
                throw RunSnapshots.PutRefused(snapshot, owner, run is not null, run?.Owner, run is not null && _steps[run.Id].ContainsKey(snapshot.Sequence));
            }
            _snapshots[run.Id] = snapshot;
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<SnapshotRecord?> GetSnapshotAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        lock (_gate)
        {
            return ValueTask.FromResult(_snapshots.TryGetValue(runId, out var snapshot) && snapshot.TenantId == tenantId ? snapshot : null);
        }
    }

    public ValueTask<IReadOnlyList<RunRecord>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.RunIds is { Count: > RunQuery.MaxLimit } tooMany)
        {
            throw new ArgumentException($"RunQuery.RunIds names {tooMany.Count} runs; at most {RunQuery.MaxLimit} may be asked for at once.", nameof(query));
        }
        if (query.TenantIds is { Count: > RunQuery.MaxLimit } tenants)
        {
            throw new ArgumentException($"RunQuery.TenantIds names {tenants.Count} tenants; at most {RunQuery.MaxLimit} may be asked for at once.", nameof(query));
        }
        var limit = Math.Min(query.Limit, RunQuery.MaxLimit);
        lock (_gate)
        {
            var selected = _runs.Values
                .Where(r => query.TenantId is null || r.TenantId == query.TenantId)
                .Where(r => query.TenantIds is not { } tenants || tenants.Contains(r.TenantId))
                .Where(r => query.Workflow is null || r.Workflow == query.Workflow)
                .Where(r => query.Statuses is not { Count: > 0 } || query.Statuses.Contains(r.Status))
                .Where(r => query.CreatedFrom is not { } from || r.CreatedAt >= from)
                .Where(r => query.CreatedBefore is not { } before || r.CreatedAt < before)
                .Where(r => query.AfterId is not { } after || (query.NewestFirst ? r.Id.CompareTo(after) < 0 : r.Id.CompareTo(after) > 0))
                .Where(r => query.RunIds is not { } ids || ids.Contains(r.Id))
                .Where(r => query.ParentRunId is not { } parent || r.ParentRunId == parent);
            IReadOnlyList<RunRecord> runs = limit <= 0 ? []
                : (query.NewestFirst ? selected.OrderByDescending(r => r.Id) : selected.OrderBy(r => r.Id)).Take(limit).ToList();
            return ValueTask.FromResult(runs);
        }
    }

    public ValueTask<IReadOnlyList<Guid>> DeleteEndedRunsAsync(RetentionQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        lock (_gate)
        {
            var doomed = _runs.Values
                .Where(r => StatusTransitions.IsFinal(r.Status) && r.CompletedAt is { } ended && ended < query.EndedBefore)
                .Where(r => query.TenantId is null || r.TenantId == query.TenantId)
                .OrderBy(r => r.Id)
                .Take(query.Limit)
                .Select(r => r.Id)
                .ToList();
            if (doomed.Count == 0) return ValueTask.FromResult<IReadOnlyList<Guid>>([]);
            var gone = doomed.ToHashSet();
            foreach (var id in doomed)
            {
                _runs.Remove(id);
                _claims.Remove(id);
                _snapshots.Remove(id);
                if (_steps.Remove(id, out var steps))
                {
                    foreach (var step in steps.Values) _stepIds.Remove(step.Id);
                }
            }
            _events.RemoveAll(e => gone.Contains(e.RunId));
            _eventIndex.Clear();
            for (var i = 0; i < _events.Count; i++) _eventIndex[_events[i].Id] = i;
            return ValueTask.FromResult<IReadOnlyList<Guid>>(doomed);
        }
    }

    /// <summary>In memory, nothing is on disk: every durability is the same.</summary>
    /// <summary>
    /// Stores a run's new record, and keeps its claim history as the database stores keep theirs: a new owner opens a claim
    /// (ending the previous owner's, taken over), no owner ends the open one (released), a new lease of the same owner is
    /// the open claim's lease. Under the gate.
    /// </summary>
    private void Put(RunRecord run)
    {
        var before = _runs.TryGetValue(run.Id, out var stored) ? stored : null;
        _runs[run.Id] = run;
        if (before?.Owner == run.Owner)
        {
            if (run.Owner is not null && before!.LeaseExpiresAt != run.LeaseExpiresAt && _claims.TryGetValue(run.Id, out var open) && open[^1].EndedAt is null)
            {
                open[^1] = open[^1] with { LeaseExpiresAt = run.LeaseExpiresAt };
            }
            return;
        }
        var now = DateTimeOffset.UtcNow;
        var claims = _claims.TryGetValue(run.Id, out var list) ? list : _claims[run.Id] = [];
        if (before?.Owner is not null && claims.Count > 0 && claims[^1].EndedAt is null)
        {
            claims[^1] = claims[^1] with { EndedAt = now, End = run.Owner is null ? ClaimEnd.Released : ClaimEnd.TakenOver };
        }
        if (run.Owner is { } owner)
        {
            claims.Add(new ClaimRecord
            {
                RunId = run.Id, TenantId = run.TenantId, Number = claims.Count + 1, Owner = owner, ClaimedAt = now, LeaseExpiresAt = run.LeaseExpiresAt,
            });
        }
    }

    public ValueTask<IReadOnlyList<ClaimRecord>> GetClaimsAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        lock (_gate)
        {
            IReadOnlyList<ClaimRecord> claims = _runs.TryGetValue(runId, out var run) && run.TenantId == tenantId && _claims.TryGetValue(runId, out var list)
                ? [.. list]
                : [];
            return ValueTask.FromResult(claims);
        }
    }

    public ValueTask CommitAsync(IReadOnlyList<JournalWrite> writes, CommitDurability durability, CancellationToken cancellationToken = default) =>
        durability is CommitDurability.Flushed or CommitDurability.Buffered
            ? CommitAsync(writes, cancellationToken)
            : throw new ArgumentOutOfRangeException(nameof(durability), durability, "Not a commit durability.");

    /// <summary>A status or kind outside its enum is refused before anything is written, as the SQL stores refuse it (they cannot name it).</summary>
    private static void RequireDefined(JournalWrite write)
    {
        switch (write)
        {
            case InsertStep { Step: var step }:
                Defined(step.Status, nameof(StepRecord.Status));
                Defined(step.Kind, nameof(StepRecord.Kind));
                break;
            case UpdateStep { Step: var step }:
                Defined(step.Status, nameof(StepRecord.Status));
                Defined(step.Kind, nameof(StepRecord.Kind));
                break;
            case UpdateRun { Run: var run }:
                Defined(run.Status, nameof(RunRecord.Status));
                break;
        }
    }

    private static void Defined<TEnum>(TEnum value, string what) where TEnum : struct, Enum
    {
        if (!Enum.IsDefined(value)) throw new ArgumentOutOfRangeException(what, value, $"{value} is not a defined {typeof(TEnum).Name}.");
    }

    public ValueTask CommitAsync(IReadOnlyList<JournalWrite> writes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writes);
        lock (_gate)
        {
            // Validate everything first so that a refused write leaves the journal untouched.
            var pendingRuns = new Dictionary<Guid, RunRecord>();
            var pendingSteps = new Dictionary<(Guid, int), StepRecord>();
            var insertedIds = new HashSet<Guid>();
            var pendingEvents = new Dictionary<Guid, EventRecord>();
            RunRecord? StoredRun(Guid id, string tenant) =>
                pendingRuns.GetValueOrDefault(id) ?? (_runs.TryGetValue(id, out var r) && r.TenantId == tenant ? r : null);
            foreach (var write in writes)
            {
                RequireDefined(write);
            }
            foreach (var write in writes)
            {
                switch (write)
                {
                    case RequireClaim fence:
                        var fenced = StoredRun(fence.RunId, fence.TenantId);
                        if (fenced?.Owner != fence.Owner)
                        {
                            throw new RunOwnershipLostException(fence.RunId, fence.Owner, fenced?.Owner);
                        }
                        break;
                    case ReleaseClaim release:
                        if (StoredRun(release.RunId, release.TenantId) is { } held && held.Owner == release.Owner)
                        {
                            pendingRuns[held.Id] = held with { Owner = null, LeaseExpiresAt = null };
                        }
                        break;
                    case InsertStep { Step: var step }:
                        if (!_runs.TryGetValue(step.RunId, out var owner) || owner.TenantId != step.TenantId)
                        {
                            throw new JournalConflictException($"Step {step.Sequence} '{step.Name}' names run {step.RunId}, which tenant '{step.TenantId}' does not have.");
                        }
                        if (_steps[step.RunId].ContainsKey(step.Sequence) || pendingSteps.ContainsKey((step.RunId, step.Sequence)) || _stepIds.ContainsKey(step.Id) || !insertedIds.Add(step.Id))
                        {
                            throw new JournalConflictException($"Run {step.RunId} already has a step at sequence {step.Sequence}; the recorded step was kept.");
                        }
                        pendingSteps[(step.RunId, step.Sequence)] = step;
                        break;
                    case UpdateStep { Step: var step }:
                        var current = pendingSteps.GetValueOrDefault((step.RunId, step.Sequence)) ?? FindStep(step);
                        if (current is null || current.Id != step.Id)
                        {
                            throw new JournalConflictException($"Run {step.RunId} has no step {step.Id} at sequence {step.Sequence}.");
                        }
                        if (!StatusTransitions.IsAllowed(current.Status, step.Status))
                        {
                            throw IllegalTransitionException.For(step, current.Status);
                        }
                        // What identifies a record, and what it was created as, is never rewritten by an update.
                        pendingSteps[(step.RunId, step.Sequence)] = step with { Name = current.Name, Kind = current.Kind, CreatedAt = current.CreatedAt };
                        break;
                    case UpdateRun { Run: var run }:
                        var stored = StoredRun(run.Id, run.TenantId);
                        if (stored is null)
                        {
                            throw new JournalConflictException($"Tenant '{run.TenantId}' has no run {run.Id}.");
                        }
                        if (!StatusTransitions.IsAllowed(stored.Status, run.Status))
                        {
                            throw IllegalTransitionException.For(run, stored.Status);
                        }
                        pendingRuns[run.Id] = run with
                        {
                            Workflow = stored.Workflow,
                            IdempotencyKey = stored.IdempotencyKey,
                            CreatedAt = stored.CreatedAt,
                            ForkedFromRunId = stored.ForkedFromRunId,
                            TraceParent = stored.TraceParent,
                            Queue = stored.Queue,
                            Priority = stored.Priority,
                            Owner = stored.Owner,
                            LeaseExpiresAt = stored.LeaseExpiresAt,
                            CancelRequestedAt = stored.CancelRequestedAt,
                            CancelReason = stored.CancelReason,
                            WakeRequestedAt = stored.WakeRequestedAt,
                        };
                        break;
                    case ConsumeEvent consume:
                        var ev = pendingEvents.GetValueOrDefault(consume.EventId)
                            ?? (_eventIndex.TryGetValue(consume.EventId, out var index) ? _events[index] : null);
                        if (ev is null || ev.RunId != consume.RunId || ev.TenantId != consume.TenantId)
                        {
                            throw RunEvents.ConsumeRefused(consume, null);
                        }
                        if (ev.ConsumedAt is not null)
                        {
                            throw RunEvents.ConsumeRefused(consume, ev);
                        }
                        pendingEvents[ev.Id] = ev with { ConsumedAt = consume.At, ConsumedBySequence = consume.Sequence };
                        break;
                    case WakeRun wake:
                        if (StoredRun(wake.RunId, wake.TenantId) is { } woken && RunEvents.Accepts(woken.Status))
                        {
                            pendingRuns[woken.Id] = woken with { WakeRequestedAt = wake.At };
                        }
                        break;
                    default:
                        throw new ArgumentException($"Unknown journal write {write?.GetType().Name ?? "null"}.", nameof(writes));
                }
            }
            foreach (var run in pendingRuns.Values)
            {
                Put(run);
            }
            foreach (var step in pendingSteps.Values)
            {
                _steps[step.RunId][step.Sequence] = step;
                _stepIds[step.Id] = (step.RunId, step.Sequence);
            }
            foreach (var ev in pendingEvents.Values)
            {
                _events[_eventIndex[ev.Id]] = ev;
            }
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<RunRecord?> ClaimRunAsync(RunClaim claim, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(claim);
        lock (_gate)
        {
            if (!_runs.TryGetValue(claim.RunId, out var run) || run.TenantId != claim.TenantId || !RunReadiness.IsClaimable(run, claim.Owner, claim.Now))
            {
                return ValueTask.FromResult<RunRecord?>(null);
            }
            var claimed = RunReadiness.Claimed(run, claim.Owner, claim.Now, claim.LeaseExpiresAt);
            Put(claimed);
            return ValueTask.FromResult<RunRecord?>(claimed);
        }
    }

    public ValueTask<IReadOnlyList<RunRecord>> ClaimReadyRunsAsync(ReadyRunsClaim claim, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(claim);
        lock (_gate)
        {
            var candidates = _runs.Values
                .Where(r => claim.Workflows.Contains(r.Workflow) && (claim.Tenants is not { } tenants || tenants.Contains(r.TenantId))
                    && RunReadiness.IsClaimable(r, claim.Owner, claim.Now, includeOwnClaim: false))
                .ToList();
            var ready = candidates.Where(r => r.Queue is null).OrderBy(r => r.Id).Take(Math.Max(0, claim.Limit)).ToList();
            foreach (var queue in claim.Queues)
            {
                var executing = _runs.Values.Where(r => r.Queue == queue.Name && QueueLimit.IsExecuting(r, claim.Now)).ToList();
                var room = Math.Min(claim.Limit - ready.Count, queue.Room(executing.Count, executing.Count(r => r.Owner == claim.Owner)));
                ready.AddRange(candidates.Where(r => r.Queue == queue.Name).OrderBy(r => r.Priority).ThenBy(r => r.CreatedAt.UtcTicks).ThenBy(r => r.Id).Take(Math.Max(0, room)));
            }
            ready.Sort((a, b) => a.Id.CompareTo(b.Id));
            var claimed = new List<RunRecord>(ready.Count);
            foreach (var run in ready)
            {
                var taken = RunReadiness.Claimed(run, claim.Owner, claim.Now, claim.LeaseExpiresAt);
                Put(taken);
                claimed.Add(taken);
            }
            return ValueTask.FromResult<IReadOnlyList<RunRecord>>(claimed);
        }
    }

    public ValueTask<IReadOnlyList<ClaimState>> RenewClaimsAsync(ClaimRenewal renewal, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(renewal);
        lock (_gate)
        {
            var states = new List<ClaimState>(renewal.RunIds.Count);
            foreach (var id in renewal.RunIds)
            {
                if (!_runs.TryGetValue(id, out var run))
                {
                    states.Add(new ClaimState(id, false, null, null, null));
                    continue;
                }
                var held = run.Owner == renewal.Owner;
                if (held)
                {
                    Put(run = run with { LeaseExpiresAt = renewal.LeaseExpiresAt });
                }
                states.Add(new ClaimState(id, held, run.Owner, run.CancelRequestedAt, run.CancelReason));
            }
            return ValueTask.FromResult<IReadOnlyList<ClaimState>>(states);
        }
    }

    public ValueTask<DateTimeOffset?> GetNextDueAsync(IReadOnlyCollection<string> workflows, DateTimeOffset now, IReadOnlyCollection<string>? tenants = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflows);
        lock (_gate)
        {
            DateTimeOffset? next = null;
            foreach (var run in _runs.Values)
            {
                if (workflows.Contains(run.Workflow) && (tenants is null || tenants.Contains(run.TenantId))
                    && RunReadiness.DueAt(run, now) is { } due && (next is null || due < next))
                {
                    next = due;
                }
            }
            return ValueTask.FromResult(next);
        }
    }

    public ValueTask<CancelResult> RequestCancelAsync(CancelRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        lock (_gate)
        {
            if (!_runs.TryGetValue(request.RunId, out var run) || run.TenantId != request.TenantId)
            {
                return ValueTask.FromResult(new CancelResult(CancelOutcome.NotFound, null));
            }
            if (StatusTransitions.IsFinal(run.Status))
            {
                return ValueTask.FromResult(new CancelResult(CancelOutcome.AlreadyEnded, run));
            }
            if (RunCancellation.IsHeld(run, request.Now))
            {
                Put(run = run with { CancelRequestedAt = request.Now, CancelReason = request.Reason });
                return ValueTask.FromResult(new CancelResult(CancelOutcome.Requested, run));
            }
            Put(run = RunCancellation.Cancelled(run, request));
            var steps = _steps[run.Id];
            foreach (var step in steps.Values.Where(s => !StatusTransitions.IsFinal(s.Status)).ToList())
            {
                steps[step.Sequence] = RunCancellation.CutShort(step, request);
            }
            return ValueTask.FromResult(new CancelResult(CancelOutcome.Cancelled, run));
        }
    }

    public ValueTask SaveSchemaAsync(SchemaRecord schema, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(schema);
        lock (_gate)
        {
            _schemas.TryAdd((schema.Workflow, schema.SchemaVersion), schema);
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<SchemaRecord?> GetSchemaAsync(string workflow, string schemaVersion, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_schemas.GetValueOrDefault((workflow, schemaVersion)));
        }
    }

    /// <inheritdoc />
    public ValueTask<SendEventResult> SendEventAsync(EventRecord ev, CancellationToken cancellationToken = default)
    {
        RunEvents.ValidateForSend(ev);
        lock (_gate)
        {
            if (!_runs.TryGetValue(ev.RunId, out var run) || run.TenantId != ev.TenantId)
            {
                return ValueTask.FromResult(new SendEventResult(SendEventOutcome.RunNotFound, null, null));
            }
            if (!RunEvents.Accepts(run.Status))
            {
                return ValueTask.FromResult(new SendEventResult(SendEventOutcome.RunEnded, null, run.Status));
            }
            if (ev.IdempotencyKey is not null
                && _events.FirstOrDefault(e => e.RunId == ev.RunId && e.IdempotencyKey == ev.IdempotencyKey) is { } first)
            {
                return ValueTask.FromResult(new SendEventResult(SendEventOutcome.Duplicate, first, run.Status));
            }
            if (_eventIndex.ContainsKey(ev.Id))
            {
                throw new JournalConflictException($"An event with id {ev.Id} is already stored; event '{ev.Name}' for run {ev.RunId} was not sent.");
            }
            _eventIndex[ev.Id] = _events.Count;
            _events.Add(ev);
            Put(run with { WakeRequestedAt = ev.CreatedAt });
            return ValueTask.FromResult(new SendEventResult(SendEventOutcome.Delivered, ev, run.Status));
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<EventRecord>> GetEventsAsync(EventQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        lock (_gate)
        {
            IReadOnlyList<EventRecord> events = _events
                .Where(e => e.RunId == query.RunId && e.TenantId == query.TenantId)
                .Where(e => query.Name is null || e.Name == query.Name)
                .Where(e => query.IncludeConsumed || e.ConsumedAt is null)
                .Take(query.Limit)
                .ToList();
            return ValueTask.FromResult(events);
        }
    }

    private StepRecord? FindStep(StepRecord step) =>
        _steps.TryGetValue(step.RunId, out var steps) && steps.TryGetValue(step.Sequence, out var found) && found.TenantId == step.TenantId ? found : null;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
