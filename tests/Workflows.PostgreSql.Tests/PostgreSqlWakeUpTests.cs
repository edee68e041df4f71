using Workflows.Journal;
using Workflows.Storage;

namespace Workflows.PostgreSql.Tests;

/// <summary>
/// The store's wake-ups: commits that make a run ready for another engine notify the schema's channel, a subscribed store
/// hears them, and a store whose listening connection is killed reconnects and tells its subscribers.
/// </summary>
public sealed class PostgreSqlWakeUpTests : PostgresTestDatabase
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);
    private static readonly DateTimeOffset T0 = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private PostgreSqlWorkflowStore Open() => new(new PostgreSqlWorkflowStoreOptions { ConnectionString = ConnectionString, Schema = Schema });

    private static RunRecord NewRun(RunStatus status = RunStatus.Pending) => new()
    {
        Id = Guid.CreateVersion7(),
        TenantId = "t",
        Workflow = "w",
        SchemaVersion = "v",
        Status = status,
        CreatedAt = T0,
        UpdatedAt = T0,
    };

    /// <summary>Counts the subscriber's calls and lets a test wait for the next one.</summary>
    private sealed class Calls
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Call() => Interlocked.Increment(ref _count);

        public async Task WaitBeyondAsync(int seen, string what)
        {
            var until = DateTime.UtcNow + Guard;
            while (Count <= seen)
            {
                if (DateTime.UtcNow > until) Assert.Fail($"No notification within the hang guard: {what}.");
                await Task.Delay(10);
            }
        }
    }

    [Fact]
    public async Task Creating_a_run_sending_an_event_waking_a_run_and_releasing_a_claim_in_another_store_notify_a_subscriber()
    {
        await using var listener = Open();
        await using var other = Open();
        await listener.InitializeAsync();
        var calls = new Calls();
        using var subscription = listener.SubscribeReady(calls.Call);
        await calls.WaitBeyondAsync(0, "the call after the listening connection was established");
        await WaitConnectedAsync(listener, 1);

        var seen = calls.Count;
        var run = (await other.CreateRunAsync(NewRun())).Run;
        await calls.WaitBeyondAsync(seen, "a run created");

        seen = calls.Count;
        var waiting = (await other.CreateRunAsync(NewRun(RunStatus.Waiting) with { WakeAt = T0.AddYears(5) })).Run;
        await other.SendEventAsync(new EventRecord { Id = Guid.CreateVersion7(), RunId = waiting.Id, TenantId = "t", Name = "e", CreatedAt = T0 });
        await calls.WaitBeyondAsync(seen, "an event sent");

        seen = calls.Count;
        await other.CommitAsync([JournalWrite.WakeRun(waiting.Id, "t", T0)]);
        await calls.WaitBeyondAsync(seen, "a run woken");

        var claimed = await other.ClaimRunAsync(new RunClaim(run.Id, "t", "engine-a", T0, T0.AddYears(1)));
        Assert.NotNull(claimed);
        seen = calls.Count;
        await other.CommitAsync([JournalWrite.RequireClaim(run.Id, "t", "engine-a"), JournalWrite.ReleaseClaim(run.Id, "t", "engine-a")]);
        await calls.WaitBeyondAsync(seen, "a claim released");
    }

    [Fact]
    public async Task A_runs_end_is_told_to_ended_subscribers_by_id_and_wakes_no_scheduler_unless_its_run_is_queued()
    {
        await using var listener = Open();
        await using var other = Open();
        await listener.InitializeAsync();
        var ready = new Calls();
        var ended = new System.Collections.Concurrent.ConcurrentQueue<Guid>();
        using var readySubscription = listener.SubscribeReady(ready.Call);
        using var endedSubscription = listener.SubscribeEnded(ended.Enqueue);
        await WaitConnectedAsync(listener, 1);
        await WaitForAsync(() => ended.Contains(Guid.Empty), "the 'anything may have ended' call after the listening connection was established");

        async Task EndAsync(RunRecord run, RunStatus status)
        {
            await other.CreateRunAsync(run);
            var seenReady = ready.Count;
            await other.CommitAsync([JournalWrite.RequireClaim(run.Id, "t", "engine-a"),
                JournalWrite.Update(run with { Status = status, CompletedAt = T0, UpdatedAt = T0 }), JournalWrite.ReleaseClaim(run.Id, "t", "engine-a")]);
            await WaitForAsync(() => ended.Contains(run.Id), $"the end ({status}) of run {run.Id} told by id");
            // The notifications of one commit arrive in the order it sent them: a readiness call would have come first.
            if (run.Queue is null) Assert.Equal(seenReady, ready.Count);
            else await ready.WaitBeyondAsync(seenReady, "a queued run's end, which frees room in its queue");
        }
        RunRecord Held() => NewRun(RunStatus.Running) with { Owner = "engine-a", LeaseExpiresAt = T0.AddYears(1) };
        await EndAsync(Held(), RunStatus.Succeeded);
        await EndAsync(Held(), RunStatus.Parked);
        await EndAsync(Held() with { Queue = "q" }, RunStatus.Failed);

        // A suspension is no end.
        var suspended = Held();
        await other.CreateRunAsync(suspended);
        var seen = ready.Count;
        await other.CommitAsync([JournalWrite.RequireClaim(suspended.Id, "t", "engine-a"),
            JournalWrite.Update(suspended with { Status = RunStatus.Waiting, WakeAt = T0.AddYears(5), UpdatedAt = T0 }), JournalWrite.ReleaseClaim(suspended.Id, "t", "engine-a")]);
        await ready.WaitBeyondAsync(seen, "a suspension, which gives the run a new due time");
        Assert.DoesNotContain(suspended.Id, ended);
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var until = DateTime.UtcNow + Guard;
        while (!condition())
        {
            if (DateTime.UtcNow > until) Assert.Fail($"Gave up waiting for {what}.");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task A_store_whose_listening_connection_is_killed_reconnects_and_tells_its_subscribers()
    {
        await using var listener = Open();
        await using var other = Open();
        await listener.InitializeAsync();
        var calls = new Calls();
        using var subscription = listener.SubscribeReady(calls.Call);
        await WaitConnectedAsync(listener, 1);
        var seen = calls.Count;

        var killed = await ScalarAsync<long>(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1 AND pid <> pg_backend_pid()) AS t",
            $"LISTEN \"{listener.Channel}\"");
        Assert.Equal(1, killed);

        await WaitConnectedAsync(listener, 2);
        await calls.WaitBeyondAsync(seen, "the call after the reconnection (what was sent meanwhile was missed)");
        seen = calls.Count;
        await other.CreateRunAsync(NewRun());
        await calls.WaitBeyondAsync(seen, "a run created after the reconnection");
    }

    [Fact]
    public async Task A_disposed_subscription_is_not_called_again()
    {
        await using var listener = Open();
        await using var other = Open();
        var calls = new Calls();
        var subscription = listener.SubscribeReady(calls.Call);
        await WaitConnectedAsync(listener, 1);
        subscription.Dispose();
        var seen = calls.Count;

        var probe = new Calls();
        using var second = listener.SubscribeReady(probe.Call);
        var probeSeen = probe.Count;
        await other.CreateRunAsync(NewRun());
        await probe.WaitBeyondAsync(probeSeen, "the remaining subscriber");

        Assert.Equal(seen, calls.Count);
    }

    private static async Task WaitConnectedAsync(PostgreSqlWorkflowStore store, int connections)
    {
        var until = DateTime.UtcNow + Guard;
        while (store.ListenConnections < connections)
        {
            if (DateTime.UtcNow > until) Assert.Fail($"The listening connection was not (re)established {connections} time(s) within the hang guard.");
            await Task.Delay(10);
        }
    }
}
