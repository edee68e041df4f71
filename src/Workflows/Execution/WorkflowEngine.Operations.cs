using Workflows.Journal;
using Workflows.Storage;

namespace Workflows;

/// <summary>
/// Run control for operators (the <c>workflows</c> CLI, the dashboard, an admin endpoint): the same journal writes as
/// <see cref="ResumeAsync(Guid, string?, bool, CancellationToken)"/> and <see cref="ForkAsync"/>, without needing the
/// run's workflow to be registered with this engine. The run is then executed by an engine that has it (the
/// application's worker), or by this one at once when it has it too.
/// </summary>
public sealed partial class WorkflowEngine
{
    /// <summary>
    /// Reopens a parked or failed run: it becomes Pending, ready for the next engine that has its workflow (a failed run
    /// from its failed step, which gets one new attempt; earlier steps replay). A run in any other status is returned as it
    /// is. When the workflow is registered here, the run is also claimed and executed here if a slot is free.
    /// </summary>
    /// <returns>The run's record after the call.</returns>
    /// <exception cref="WorkflowNotFoundException">The tenant has no run with that id.</exception>
    public async Task<RunRecord> ReopenRunAsync(Guid runId, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        var run = await GetRunRecordAsync(runId, tenantId, cancellationToken).ConfigureAwait(false);
        if (run.Status is not (RunStatus.Parked or RunStatus.Failed))
        {
            return run;
        }
        run = await ReopenAsync(run, cancellationToken).ConfigureAwait(false);
        if (_definitions.ContainsKey(run.Workflow))
        {
            StartScheduler();
            await TryExecuteAsync(run, cancellationToken).ConfigureAwait(false);
        }
        return run;
    }

    /// <summary>
    /// Creates a fork of a run (see <see cref="ForkAsync"/>: the same rules for <paramref name="fromSequence"/>), Pending,
    /// for the next engine that has its workflow; executed here at once when the workflow is registered here. A fork made
    /// without the workflow keeps the source's schema version: the engine that executes it checks that version as it
    /// would any run's.
    /// </summary>
    /// <returns>The fork's record as created.</returns>
    /// <exception cref="WorkflowNotFoundException">The tenant has no run with that id.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The sequence is not between 1 and one past the run's last step, or a step before it has not ended.</exception>
    public async Task<RunRecord> ForkRunAsync(Guid runId, int fromSequence, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        var source = await GetRunRecordAsync(runId, tenantId, cancellationToken).ConfigureAwait(false);
        if (_definitions.TryGetValue(source.Workflow, out var definition))
        {
            var (fork, copied) = await PrepareForkAsync(source, fromSequence, definition.SchemaVersion, cancellationToken).ConfigureAwait(false);
            await CreateAndExecuteAsync(fork, copied, null, cancellationToken).ConfigureAwait(false);
            return fork;
        }
        var (unclaimed, steps) = await PrepareForkAsync(source, fromSequence, source.SchemaVersion, cancellationToken).ConfigureAwait(false);
        var created = await _store.CreateRunAsync(unclaimed, steps, cancellationToken).ConfigureAwait(false);
        Committed(created.Run, [JournalWrite.Update(created.Run), .. steps.Select(JournalWrite.Insert)]);
        return created.Run;
    }

    /// <summary>
    /// Retention: deletes the runs of a tenant (or, with <paramref name="allTenants"/>, of every tenant) that ended
    /// (succeeded, failed or cancelled) more than <paramref name="olderThan"/> ago, with their steps and events, in
    /// batches of <paramref name="batchSize"/> (one transaction each, so a long purge never holds the journal for long).
    /// A run that has not ended (pending, running, waiting, parked) is never deleted, whatever its age.
    /// </summary>
    /// <returns>How many runs were deleted.</returns>
    /// <exception cref="ArgumentException">Both a tenant and <paramref name="allTenants"/>, a negative age, or a batch size out of range.</exception>
    public async Task<int> DeleteEndedRunsAsync(TimeSpan olderThan, string? tenantId = null, bool allTenants = false, int batchSize = 500,
        CancellationToken cancellationToken = default)
    {
        if (olderThan < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(olderThan), olderThan, "The age of the runs to delete cannot be negative.");
        }
        if (allTenants && tenantId is not null)
        {
            throw new ArgumentException($"Either one tenant ('{tenantId}') or all tenants, not both.", nameof(allTenants));
        }
        string? tenant = allTenants ? null : tenantId ?? _options.DefaultTenantId;
        if (tenant is not null) ValidateTenant(tenant);
        var query = new RetentionQuery(Clock.GetUtcNow() - olderThan) { TenantId = tenant, Limit = batchSize };
        query.Validate();
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        var total = 0;
        while (true)
        {
            var deleted = await StoreRetry.RunAsync(() => _store.DeleteEndedRunsAsync(query, cancellationToken), cancellationToken).ConfigureAwait(false);
            foreach (var id in deleted) Waiters.Forget(id);
            total += deleted.Count;
            if (deleted.Count < query.Limit) break;
        }
        Diagnostics.EngineLog.EndedRunsDeleted(Logger, total, query.EndedBefore, tenant is null ? "all tenants" : $"tenant '{tenant}'");
        return total;
    }
}
