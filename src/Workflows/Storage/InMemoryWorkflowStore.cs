using Workflows.Journal;

namespace Workflows.Storage;

/// <summary>
/// A store that keeps the journal in memory, for tests. It enforces the same state machines and conflicts as the
/// durable stores, so a test against it sees what production would refuse.
/// </summary>
public sealed class InMemoryWorkflowStore : IWorkflowStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, RunRecord> _runs = [];
    private readonly Dictionary<Guid, SortedList<int, StepRecord>> _steps = [];
    private readonly Dictionary<Guid, (Guid RunId, int Sequence)> _stepIds = [];

    public ValueTask InitializeAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public ValueTask<CreateRunResult> CreateRunAsync(RunRecord run, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
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
            _runs[run.Id] = run;
            _steps[run.Id] = [];
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

    public ValueTask<IReadOnlyList<RunRecord>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        lock (_gate)
        {
            IReadOnlyList<RunRecord> runs = _runs.Values
                .Where(r => query.TenantId is null || r.TenantId == query.TenantId)
                .Where(r => query.Workflow is null || r.Workflow == query.Workflow)
                .Where(r => query.Statuses is not { Count: > 0 } || query.Statuses.Contains(r.Status))
                .OrderBy(r => r.Id)
                .Take(query.Limit)
                .ToList();
            return ValueTask.FromResult(runs);
        }
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
            foreach (var write in writes)
            {
                switch (write)
                {
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
                        var stored = pendingRuns.GetValueOrDefault(run.Id) ?? (_runs.TryGetValue(run.Id, out var r) && r.TenantId == run.TenantId ? r : null);
                        if (stored is null)
                        {
                            throw new JournalConflictException($"Tenant '{run.TenantId}' has no run {run.Id}.");
                        }
                        if (!StatusTransitions.IsAllowed(stored.Status, run.Status))
                        {
                            throw IllegalTransitionException.For(run, stored.Status);
                        }
                        pendingRuns[run.Id] = run with { Workflow = stored.Workflow, IdempotencyKey = stored.IdempotencyKey, CreatedAt = stored.CreatedAt };
                        break;
                    default:
                        throw new ArgumentException($"Unknown journal write {write?.GetType().Name ?? "null"}.", nameof(writes));
                }
            }
            foreach (var run in pendingRuns.Values)
            {
                _runs[run.Id] = run;
            }
            foreach (var step in pendingSteps.Values)
            {
                _steps[step.RunId][step.Sequence] = step;
                _stepIds[step.Id] = (step.RunId, step.Sequence);
            }
        }
        return ValueTask.CompletedTask;
    }

    private StepRecord? FindStep(StepRecord step) =>
        _steps.TryGetValue(step.RunId, out var steps) && steps.TryGetValue(step.Sequence, out var found) && found.TenantId == step.TenantId ? found : null;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
