using Workflows.Journal;
using Workflows.Storage;

namespace Workflows.Tests.Storage;

/// <summary>Queues: queued runs are claimed only by claims that serve their queue, within its limits, by priority then age.</summary>
public abstract partial class WorkflowStoreContractTests
{
    private static RunRecord Queued(string queue, int priority = 0, RunStatus status = RunStatus.Pending) =>
        NewRun(status) with { Queue = queue, Priority = priority };

    private static ReadyRunsClaim QueueClaim(string owner, params QueueLimit[] queues) => ReadyClaim(owner, 10, "orders") with { Queues = queues };

    [Fact]
    public async Task A_queue_and_priority_are_kept_as_created_and_no_run_update_changes_them()
    {
        var run = await CreateAsync(Queued("emails", priority: -3) with { Status = RunStatus.Running, Owner = "engine-a", LeaseExpiresAt = At(60) });
        AssertSameRun(run, await Store.GetRunAsync(Tenant, run.Id));

        await CommitAsync(JournalWrite.Update(run with { Status = RunStatus.Succeeded, Queue = "other", Priority = 9, CompletedAt = T0, UpdatedAt = T0 }));

        var stored = await Store.GetRunAsync(Tenant, run.Id);
        Assert.Equal(("emails", -3, RunStatus.Succeeded), (stored!.Queue, stored.Priority, stored.Status));
    }

    [Fact]
    public async Task Queued_runs_are_claimed_only_by_claims_that_serve_their_queue()
    {
        var plain = await CreateAsync(NewRun());
        var emails = await CreateAsync(Queued("emails"));
        await CreateAsync(Queued("reports"));

        Assert.Equal([plain.Id], (await Store.ClaimReadyRunsAsync(ReadyClaim("engine-a", 10, "orders"))).Select(r => r.Id));
        Assert.Equal([emails.Id], (await Store.ClaimReadyRunsAsync(QueueClaim("engine-a", new QueueLimit("emails", 5)))).Select(r => r.Id));
        Assert.Empty(await Store.ClaimReadyRunsAsync(QueueClaim("engine-b", new QueueLimit("emails", 5))));
    }

    [Fact]
    public async Task A_queue_never_has_more_runs_executing_than_its_concurrency_and_takes_them_by_priority_then_age()
    {
        var late = await CreateAsync(Queued("q", priority: 5));
        var urgentOld = await CreateAsync(Queued("q", priority: 1));
        var normal = await CreateAsync(Queued("q", priority: 3));
        var urgentNew = await CreateAsync(Queued("q", priority: 1));
        var limit = new QueueLimit("q", Concurrency: 2);

        var first = await Store.ClaimReadyRunsAsync(QueueClaim("engine-a", limit));
        Assert.Equal(new[] { urgentOld.Id, urgentNew.Id }.Order(), first.Select(r => r.Id));
        Assert.Empty(await Store.ClaimReadyRunsAsync(QueueClaim("engine-b", limit))); // two execute: the queue is full

        // One ends (its claim released with it): one more may start, the next by priority.
        var ended = first[0] with { Status = RunStatus.Succeeded, CompletedAt = Now, UpdatedAt = Now };
        await CommitAsync(JournalWrite.RequireClaim(ended.Id, Tenant, "engine-a"), JournalWrite.Update(ended), JournalWrite.ReleaseClaim(ended.Id, Tenant, "engine-a"));
        Assert.Equal([normal.Id], (await Store.ClaimReadyRunsAsync(QueueClaim("engine-b", limit))).Select(r => r.Id));
        Assert.Empty(await Store.ClaimReadyRunsAsync(QueueClaim("engine-c", limit)));
        Assert.Equal(RunStatus.Pending, (await Store.GetRunAsync(Tenant, late.Id))!.Status);
    }

    [Fact]
    public async Task A_worker_limit_caps_each_owner_and_a_zero_limit_claims_nothing()
    {
        for (var i = 0; i < 4; i++) await CreateAsync(Queued("q"));
        var limit = new QueueLimit("q", Concurrency: 3, WorkerConcurrency: 1);

        Assert.Single(await Store.ClaimReadyRunsAsync(QueueClaim("engine-a", limit)));
        Assert.Empty(await Store.ClaimReadyRunsAsync(QueueClaim("engine-a", limit)));
        Assert.Single(await Store.ClaimReadyRunsAsync(QueueClaim("engine-b", limit)));
        Assert.Empty(await Store.ClaimReadyRunsAsync(QueueClaim("engine-c", limit with { WorkerConcurrency = 0 })));
        Assert.Single(await Store.ClaimReadyRunsAsync(QueueClaim("engine-d", limit)));
        Assert.Empty(await Store.ClaimReadyRunsAsync(QueueClaim("engine-e", limit))); // three execute across the owners
    }

    [Fact]
    public async Task A_lapsed_claim_and_a_suspended_run_do_not_count_against_the_queue()
    {
        var lapsed = await CreateAsync(Queued("q", status: RunStatus.Running) with { Owner = "dead-engine", LeaseExpiresAt = Now.AddSeconds(-1), StartedAt = T0 });
        await CreateAsync(Queued("q", status: RunStatus.Waiting) with { WakeAt = At(3600), StartedAt = T0 });
        var pending = await CreateAsync(Queued("q"));

        var claimed = await Store.ClaimReadyRunsAsync(QueueClaim("engine-a", new QueueLimit("q", Concurrency: 2)));

        Assert.Equal(new[] { lapsed.Id, pending.Id }.Order(), claimed.Select(r => r.Id)); // the lapsed run is taken over
    }

    [Fact]
    public async Task A_queued_run_ready_now_is_not_due_since_room_is_not_a_time_but_its_future_moments_are()
    {
        await CreateAsync(Queued("q"));
        Assert.Null(await Store.GetNextDueAsync(["orders"], Now));

        var wakes = await CreateAsync(Queued("q", status: RunStatus.Waiting) with { WakeAt = At(90), StartedAt = T0 });
        Assert.Equal(At(90), await Store.GetNextDueAsync(["orders"], Now));
        var held = await CreateAsync(Queued("q", status: RunStatus.Running) with { Owner = "engine-a", LeaseExpiresAt = At(30), StartedAt = T0 });
        Assert.Equal(At(30), await Store.GetNextDueAsync(["orders"], Now));
        Assert.Null(await Store.GetNextDueAsync(["orders"], At(120))); // past both: ready, but waiting for room

        await CreateAsync(NewRun()); // an unqueued ready run is due now
        Assert.Equal(DateTimeOffset.MinValue, await Store.GetNextDueAsync(["orders"], Now));
        _ = (wakes, held);
    }
}
