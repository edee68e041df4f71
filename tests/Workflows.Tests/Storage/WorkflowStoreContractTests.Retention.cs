using Workflows.Journal;
using Workflows.Storage;

namespace Workflows.Tests.Storage;

/// <summary>Retention: deleting ended runs, in batches, with their steps and events; never a run that has not ended.</summary>
public abstract partial class WorkflowStoreContractTests
{
    /// <summary>A run created in <paramref name="status"/>; an ended one with its completion time, a step and an event.</summary>
    private async Task<RunRecord> RunEndedAtAsync(RunStatus status, DateTimeOffset? completedAt, string tenant = Tenant)
    {
        var run = await CreateAsync(NewRun(RunStatus.Running, tenant: tenant));
        await CommitAsync(JournalWrite.Insert(NewStep(run, 1, StepStatus.Succeeded)));
        Assert.Equal(SendEventOutcome.Delivered, (await Store.SendEventAsync(NewEvent(run))).Outcome);
        if (status == RunStatus.Running) return run;
        var ended = run with { Status = status, CompletedAt = completedAt, UpdatedAt = completedAt ?? T0 };
        await CommitAsync(JournalWrite.Update(ended));
        return ended;
    }

    [Fact]
    public async Task Retention_deletes_runs_that_ended_before_the_cutoff_with_their_steps_and_events_and_nothing_else()
    {
        var cutoff = T0.AddDays(30);
        var oldSucceeded = await RunEndedAtAsync(RunStatus.Succeeded, T0.AddDays(1));
        var oldFailed = await RunEndedAtAsync(RunStatus.Failed, T0.AddDays(2));
        var oldCancelled = await RunEndedAtAsync(RunStatus.Cancelled, T0.AddDays(3));
        // The same instant as the cutoff in another offset: not before it, so kept.
        var atCutoff = await RunEndedAtAsync(RunStatus.Succeeded, cutoff.ToOffset(TimeSpan.FromHours(-7)));
        var recent = await RunEndedAtAsync(RunStatus.Succeeded, T0.AddDays(31));
        var running = await RunEndedAtAsync(RunStatus.Running, null);
        var parked = await CreateAsync(NewRun(RunStatus.Parked) with { CompletedAt = null, UpdatedAt = T0 });
        var waiting = await CreateAsync(NewRun(RunStatus.Waiting) with { WakeAt = T0.AddYears(1) });
        var pending = await CreateAsync(NewRun(RunStatus.Pending));

        var deleted = await Store.DeleteEndedRunsAsync(new RetentionQuery(cutoff));

        Assert.Equal(new[] { oldSucceeded.Id, oldFailed.Id, oldCancelled.Id }.Order(), deleted);
        foreach (var gone in new[] { oldSucceeded, oldFailed, oldCancelled })
        {
            Assert.Null(await Store.GetRunAsync(Tenant, gone.Id));
            Assert.Empty(await Store.GetStepsAsync(Tenant, gone.Id));
            Assert.Empty(await Store.GetEventsAsync(new EventQuery(Tenant, gone.Id)));
        }
        foreach (var kept in new[] { atCutoff, recent, running, parked, waiting, pending })
        {
            Assert.NotNull(await Store.GetRunAsync(Tenant, kept.Id));
        }
        Assert.Single(await Store.GetStepsAsync(Tenant, recent.Id));
        Assert.Single(await Store.GetEventsAsync(new EventQuery(Tenant, recent.Id)));
        Assert.Empty(await Store.DeleteEndedRunsAsync(new RetentionQuery(cutoff)));
    }

    [Fact]
    public async Task Retention_works_in_batches_in_id_order_and_can_be_limited_to_one_tenant()
    {
        var ours = new List<Guid>();
        for (var i = 0; i < 5; i++) ours.Add((await RunEndedAtAsync(RunStatus.Succeeded, T0)).Id);
        var theirs = await RunEndedAtAsync(RunStatus.Succeeded, T0, tenant: OtherTenant);
        var cutoff = T0.AddDays(1);

        Assert.Equal(ours.Order().Take(2), await Store.DeleteEndedRunsAsync(new RetentionQuery(cutoff) { TenantId = Tenant, Limit = 2 }));
        Assert.Equal(ours.Order().Skip(2), await Store.DeleteEndedRunsAsync(new RetentionQuery(cutoff) { TenantId = Tenant, Limit = 10 }));
        Assert.NotNull(await Store.GetRunAsync(OtherTenant, theirs.Id));
        Assert.Equal([theirs.Id], await Store.DeleteEndedRunsAsync(new RetentionQuery(cutoff)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.DeleteEndedRunsAsync(new RetentionQuery(cutoff) { Limit = 0 }).AsTask());
    }
}
