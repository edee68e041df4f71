using Workflows.Journal;
using Workflows.Storage;

namespace Workflows;

public sealed partial class WorkflowEngine
{
    /// <summary>
    /// Resumes now every unfinished run of the registered workflows that is ready (in every tenant), instead of waiting for
    /// the scheduler's next pass, and returns typed handles on them, waiting runs included. Parked runs are not resumed:
    /// see <see cref="ListParkedRunsAsync"/>.
    /// </summary>
    public async Task<IReadOnlyList<WorkflowRun>> ResumeUnfinishedAsync(CancellationToken cancellationToken = default)
    {
        // The handles are made before the scheduler starts (at the first call), so that it cannot end a run unseen first.
        await OpenStoreAsync(cancellationToken).ConfigureAwait(false);
        var runs = new List<RunRecord>();
        var names = WorkflowNames;
        Guid? after = null;
        while (true)
        {
            var page = await _store.ListRunsAsync(RunQuery.Unfinished() with { TenantIds = ServedTenants?.ToList(), AfterId = after, Limit = RunQuery.MaxLimit },
                cancellationToken).ConfigureAwait(false);
            runs.AddRange(page.Where(r => names.Contains(r.Workflow)));
            if (page.Count < RunQuery.MaxLimit) break;
            after = page[^1].Id;
        }
        var handles = runs.Select(run => Handle(run, created: false)).ToList();
        StartScheduler();
        foreach (var run in runs)
        {
            await TryExecuteAsync(run, cancellationToken).ConfigureAwait(false);
        }
        return handles;
    }

    /// <summary>
    /// Resumes one run and returns a handle on it: a parked run after its code or data was fixed, a failed run from its
    /// failed step (that step gets one new attempt; earlier steps replay), or an unfinished run now. A run that is
    /// executing, waiting or ended is left as it is.
    /// </summary>
    /// <param name="acceptSchemaChange">Resume a run recorded under another schema version with the current code.</param>
    /// <exception cref="WorkflowNotFoundException">No such run, or its workflow is not registered with this engine.</exception>
    public async Task<WorkflowRun> ResumeAsync(Guid runId, string? tenantId = null, bool acceptSchemaChange = false, CancellationToken cancellationToken = default)
    {
        await OpenStoreAsync(cancellationToken).ConfigureAwait(false);
        var run = await GetRunRecordAsync(runId, tenantId, cancellationToken).ConfigureAwait(false);
        var definition = DefinitionOf(run);
        if (acceptSchemaChange && run.SchemaVersion != definition.SchemaVersion)
        {
            // Held by this engine, not by the run's record: whichever of its executions claims the run next (this call's, or
            // its scheduler's, started only after this) takes it. The record's version changes only once that execution
            // passed the recorded steps.
            _schemaAcceptances[run.Id] = definition.SchemaVersion;
        }
        StartScheduler();
        if (run.Status is RunStatus.Parked or RunStatus.Failed)
        {
            run = await ReopenAsync(run, cancellationToken).ConfigureAwait(false);
        }
        return await ResumeExistingAsync(run, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The typed form of <see cref="ResumeAsync(Guid, string?, bool, CancellationToken)"/>.</summary>
    public async Task<WorkflowRun<TOutput>> ResumeAsync<TWorkflow, TInput, TOutput>(WorkflowDefinition<TWorkflow, TInput, TOutput> definition, Guid runId,
        string? tenantId = null, bool acceptSchemaChange = false, CancellationToken cancellationToken = default)
        where TWorkflow : class
    {
        ArgumentNullException.ThrowIfNull(definition);
        return (await ResumeAsync(runId, tenantId, acceptSchemaChange, cancellationToken).ConfigureAwait(false)).As<TOutput>();
    }

    /// <summary>A handle on a run: typed when its workflow is registered here (<see cref="WorkflowRun.As{TOutput}"/>).</summary>
    /// <exception cref="WorkflowNotFoundException">The tenant has no run with that id.</exception>
    public async Task<WorkflowRun> GetRunAsync(Guid runId, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        var run = await GetRunRecordAsync(runId, tenantId, cancellationToken).ConfigureAwait(false);
        return Handle(run, created: false);
    }

    /// <summary>A typed handle on a run of <paramref name="definition"/>.</summary>
    public async Task<WorkflowRun<TOutput>> GetRunAsync<TWorkflow, TInput, TOutput>(WorkflowDefinition<TWorkflow, TInput, TOutput> definition, Guid runId,
        string? tenantId = null, CancellationToken cancellationToken = default)
        where TWorkflow : class
    {
        ArgumentNullException.ThrowIfNull(definition);
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        var run = await GetRunRecordAsync(runId, tenantId, cancellationToken).ConfigureAwait(false);
        if (run.Workflow != definition.Name)
        {
            throw new ArgumentException($"Run {runId} belongs to workflow '{run.Workflow}', not '{definition.Name}'.", nameof(definition));
        }
        return (WorkflowRun<TOutput>)definition.CreateHandle(this, run, created: false);
    }

    /// <summary>Reads a run and its steps.</summary>
    /// <exception cref="WorkflowNotFoundException">The tenant has no run with that id.</exception>
    public async Task<RunTimeline> GetTimelineAsync(Guid runId, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        var run = await GetRunRecordAsync(runId, tenantId, cancellationToken).ConfigureAwait(false);
        var steps = await _store.GetStepsAsync(run.TenantId, runId, cancellationToken).ConfigureAwait(false);
        return new RunTimeline(run, steps);
    }

    /// <summary>One page of runs matching <paramref name="query"/>, in id (creation) order.</summary>
    public async Task<RunPage> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Limit is < 1 or > RunQuery.MaxLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(query), query.Limit, $"RunQuery.Limit must be 1 to {RunQuery.MaxLimit}.");
        }
        if (query.TenantId is { } tenant) ValidateTenant(tenant);
        foreach (var each in query.TenantIds ?? []) ValidateTenant(each);
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        var runs = await _store.ListRunsAsync(query, cancellationToken).ConfigureAwait(false);
        return new RunPage(runs, runs.Count == query.Limit ? runs[^1].Id : null);
    }

    /// <summary>One page of parked runs (all tenants when <paramref name="tenantId"/> is null): each one's <see cref="RunRecord.Error"/> says why.</summary>
    public Task<RunPage> ListParkedRunsAsync(string? tenantId = null, Guid? afterId = null, int limit = 100, CancellationToken cancellationToken = default) =>
        ListRunsAsync(new RunQuery { TenantId = tenantId, Statuses = [RunStatus.Parked], AfterId = afterId, Limit = limit }, cancellationToken);

    /// <summary>
    /// Cancels a run that has not ended. A run executing here or in another engine is cancelled cooperatively (its running
    /// step's token fires, no further step starts, it ends <see cref="RunStatus.Cancelled"/>); a pending, waiting or parked
    /// run is cancelled at once without being loaded.
    /// </summary>
    /// <param name="reason">Who asks and why; journaled as the run's error.</param>
    /// <exception cref="WorkflowNotFoundException">The tenant has no run with that id.</exception>
    public async Task<CancelOutcome> CancelAsync(Guid runId, string? tenantId = null, string? reason = null, CancellationToken cancellationToken = default)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        var tenant = tenantId ?? _options.DefaultTenantId;
        ValidateTenant(tenant);
        var why = string.IsNullOrWhiteSpace(reason) ? "Cancelled by request." : reason;
        var result = await _store.RequestCancelAsync(new CancelRequest(tenant, runId, why, Clock.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        switch (result.Outcome)
        {
            case CancelOutcome.NotFound:
                throw new WorkflowNotFoundException($"No run {runId} in tenant '{tenant}'.");
            case CancelOutcome.Cancelled:
                Committed(result.Run!, [JournalWrite.Update(result.Run!)]);
                Waiters.Complete(result.Run!, null, cause: null);
                await WakeParentAsync(result.Run!, cancellationToken).ConfigureAwait(false);
                await CancelChildrenAsync(result.Run!, why, cancellationToken).ConfigureAwait(false);
                break;
            case CancelOutcome.Requested when _executions.TryGetValue(runId, out var execution):
                execution.RequestCancel(why); // ours: act now rather than at the next renewal
                break;
        }
        return result.Outcome;
    }

    /// <summary>
    /// Starts a new run of the same workflow and input whose journal is <paramref name="runId"/>'s steps before
    /// <paramref name="fromSequence"/>: those replay (their bodies do not run), and the rest run for real.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The sequence is not between 1 and one past the run's last step, or a step before it has not ended.</exception>
    /// <exception cref="WorkflowNotFoundException">No such run, or its workflow is not registered with this engine (see <see cref="ForkRunAsync"/>).</exception>
    public async Task<WorkflowRun> ForkAsync(Guid runId, int fromSequence, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        var source = await GetRunRecordAsync(runId, tenantId, cancellationToken).ConfigureAwait(false);
        var definition = DefinitionOf(source);
        var (fork, copied) = await PrepareForkAsync(source, fromSequence, definition.SchemaVersion, cancellationToken).ConfigureAwait(false);
        return await CreateAndExecuteAsync(fork, copied, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The fork's record (Pending) and the source's steps before <paramref name="fromSequence"/>, copied to it.</summary>
    private async Task<(RunRecord Fork, IReadOnlyList<StepRecord> Steps)> PrepareForkAsync(RunRecord source, int fromSequence, string schemaVersion,
        CancellationToken cancellationToken)
    {
        var steps = await _store.GetStepsAsync(source.TenantId, source.Id, cancellationToken).ConfigureAwait(false);
        var last = steps.Count == 0 ? 0 : steps[^1].Sequence;
        if (fromSequence < 1 || fromSequence > last + 1)
        {
            throw new ArgumentOutOfRangeException(nameof(fromSequence), fromSequence, $"Run {source.Id} has steps 1 to {last}: fork from 1 to {last + 1}.");
        }
        var kept = steps.Where(s => s.Sequence < fromSequence).ToList();
        if (kept.FirstOrDefault(s => !StatusTransitions.IsFinal(s.Status)) is { } open)
        {
            throw new ArgumentOutOfRangeException(nameof(fromSequence), fromSequence,
                $"Step {open.Sequence} '{open.Name}' of run {source.Id} is {open.Status}: a fork can only reuse steps that have ended.");
        }
        var now = Clock.GetUtcNow();
        var fork = new RunRecord
        {
            Id = Guid.CreateVersion7(now),
            TenantId = source.TenantId,
            Workflow = source.Workflow,
            SchemaVersion = schemaVersion,
            Status = RunStatus.Pending,
            Input = source.Input,
            ParentRunId = source.ParentRunId,
            ParentStep = source.ParentStep,
            ForkedFromRunId = source.Id,
            DeadlineAt = null,
            CreatedAt = now,
            UpdatedAt = now,
        };
        return (fork, kept.Select(s => s with { Id = Guid.CreateVersion7(now), RunId = fork.Id }).ToList());
    }

    internal async Task<RunRecord> GetRunRecordAsync(Guid runId, string? tenantId, CancellationToken cancellationToken)
    {
        var tenant = tenantId ?? _options.DefaultTenantId;
        ValidateTenant(tenant);
        return await _store.GetRunAsync(tenant, runId, cancellationToken).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException($"No run {runId} in tenant '{tenant}'.");
    }

    /// <summary>A handle on an existing run, claimed and executed here if it is ready and a slot is free.</summary>
    private async Task<WorkflowRun> ResumeExistingAsync(RunRecord run, CancellationToken cancellationToken)
    {
        var handle = Handle(run, created: false);
        await TryExecuteAsync(run, cancellationToken).ConfigureAwait(false);
        return handle;
    }

    /// <summary>Claims and executes a run here if it is ready and a slot is free; else leaves it to the scheduler.</summary>
    private async Task TryExecuteAsync(RunRecord run, CancellationToken cancellationToken)
    {
        if (IsExecuting(run.Id) || !Serves(run.TenantId) || !_definitions.TryGetValue(run.Workflow, out var definition))
        {
            return; // another engine's (its workflow or its tenant): left to the engines that serve it
        }
        var now = Clock.GetUtcNow();
        // A queued run is claimed by the scheduler only, within its queue's limits.
        if (run.Queue is not null || !RunReadiness.IsClaimable(run, WorkerId, now) || ReserveSlots(1) == 0)
        {
            _scheduler.Signal();
            return;
        }
        RunRecord? claimed;
        try
        {
            claimed = await _store.ClaimRunAsync(new RunClaim(run.Id, run.TenantId, WorkerId, now, now + _options.LeaseDuration), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            ReleaseSlots(1);
            throw;
        }
        if (claimed is null)
        {
            ReleaseSlots(1); // another engine was first
            return;
        }
        StartExecution(definition, claimed);
    }

    /// <summary>Makes a parked or failed run Pending again; a failed run's failed last step is reopened for one new attempt.</summary>
    private async Task<RunRecord> ReopenAsync(RunRecord run, CancellationToken cancellationToken)
    {
        var now = Clock.GetUtcNow();
        var writes = new List<JournalWrite>();
        if (run.Status == RunStatus.Parked && run.Error?.Kind == ErrorKind.Interrupted)
        {
            // Parked for a step cut short too often: that attempt counts as interrupted, and the step gets one new one.
            var steps = await _store.GetStepsAsync(run.TenantId, run.Id, cancellationToken).ConfigureAwait(false);
            foreach (var cut in steps.Where(s => s.Status == StepStatus.Running))
            {
                writes.Add(JournalWrite.Update(cut with
                {
                    Status = StepStatus.Pending,
                    Attempt = cut.Attempt + 1,
                    InterruptedAttempts = cut.InterruptedAttempts + 1,
                    StartedAt = null,
                    UpdatedAt = now,
                }));
            }
        }
        if (run.Status == RunStatus.Failed)
        {
            var steps = await _store.GetStepsAsync(run.TenantId, run.Id, cancellationToken).ConfigureAwait(false);
            if (steps.Count > 0 && steps[^1] is { Status: StepStatus.Failed } failed)
            {
                // One new attempt, not begun: it does not reset the failures the step has had.
                writes.Add(JournalWrite.Update(failed with { Status = StepStatus.Pending, Attempt = failed.Attempt + 1, StartedAt = null, CompletedAt = null, UpdatedAt = now }));
            }
        }
        var reopened = run with
        {
            Status = RunStatus.Pending,
            Error = null,
            Output = null,
            CompletedAt = null,
            UpdatedAt = now,
        };
        writes.Add(JournalWrite.Update(reopened));
        await _store.CommitAsync(writes, cancellationToken).ConfigureAwait(false);
        Waiters.Forget(run.Id);
        Committed(reopened, writes);
        return reopened;
    }

    private WorkflowDefinition DefinitionOf(RunRecord run) => _definitions.TryGetValue(run.Workflow, out var definition)
        ? definition
        : throw new WorkflowNotFoundException($"Run {run.Id} belongs to workflow '{run.Workflow}', which is not registered with this engine.");

    private WorkflowRun Handle(RunRecord run, bool created) => _definitions.TryGetValue(run.Workflow, out var definition)
        ? definition.CreateHandle(this, run, created)
        : new WorkflowRun(this, run, created);
}
