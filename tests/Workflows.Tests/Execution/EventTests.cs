using Workflows.Journal;
using Workflows.Storage;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows.Execution;
using Workflows.Tests.TestWorkflows.Messaging;

namespace Workflows.Tests.Execution;

/// <summary>External events sent to runs, and values runs publish: journaled, buffered, ordered, suspended, woken.</summary>
public abstract class EventTests : ExecutionTestBase
{
    private async Task<StepRecord> EntryAsync(Guid runId, int sequence) => (await GetStepsAsync(runId)).Single(s => s.Sequence == sequence);

    private async Task<IReadOnlyList<EventRecord>> EventsAsync(Guid runId, bool includeConsumed = true) =>
        await Store.GetEventsAsync(new EventQuery(Tenant, runId) { IncludeConsumed = includeConsumed });

    [Fact]
    public async Task An_event_sent_before_its_wait_begins_is_delivered_to_it_and_consumed_by_that_entry()
    {
        var probe = new ExecutionProbe().Set("hold-prepare");
        var engine = await EngineAsync(probe, [ApprovalWorkflow.Definition]);
        var handle = await engine.StartAsync(ApprovalWorkflow.Definition, "o-1");
        await Raised(probe, "prepare-entered");

        var sent = await engine.SendEventAsync(handle.RunId, "approval", "yes");
        probe.Raise("release-prepare");

        Assert.Equal("prepared o-1:yes done", await handle.GetResultAsync().WaitAsync(Guard));
        var wait = await EntryAsync(handle.RunId, 2);
        Assert.Equal((StepKind.Event, "approval", StepStatus.Succeeded, "\"yes\""), (wait.Kind, wait.Name, wait.Status, wait.Output));
        var stored = Assert.Single(await EventsAsync(handle.RunId));
        Assert.Equal(sent.Id, stored.Id);
        Assert.Equal(2, stored.ConsumedBySequence);
        Assert.NotNull(stored.ConsumedAt);
    }

    [Fact]
    public async Task A_run_waiting_for_an_event_is_suspended_and_a_send_wakes_it_at_once_not_at_the_next_poll()
    {
        var probe = new ExecutionProbe();
        // A poll interval far longer than the guard below: only the send's own wake-up can be in time.
        var engine = await EngineAsync(probe, [ApprovalWorkflow.Definition], pollInterval: TimeSpan.FromMinutes(5));
        var handle = await engine.StartAsync(ApprovalWorkflow.Definition, "o-2");

        var waiting = await WaitForStatusAsync(handle.RunId, RunStatus.Waiting);
        Assert.Equal("event:approval", waiting.WaitingFor);
        Assert.Null(waiting.Owner);
        Assert.NotNull(waiting.WakeAt); // the wait's timeout
        await WaitUntilAsync(() => engine.RunsInMemory == 0, "the suspended run to leave memory");
        Assert.Equal(StepStatus.Running, (await EntryAsync(handle.RunId, 2)).Status);

        await engine.SendEventAsync(handle.RunId, "approval", "granted");
        Assert.Equal("prepared o-2:granted done", await handle.GetResultAsync().WaitAsync(TimeSpan.FromSeconds(2)));
        Assert.Equal(1, probe.Calls("prepare")); // replayed on the wake-up, not run again
    }

    [Fact]
    public async Task A_timed_out_wait_fails_with_EventTimeoutException_and_a_late_event_waits_for_the_next_wait_of_that_name()
    {
        var engine = await EngineAsync(definitions: [PingWorkflow.Definition]);
        var handle = await engine.StartAsync(PingWorkflow.Definition, 300);

        // The first wait times out (the scheduler wakes the run at its timeout); the second one waits, suspended.
        await WaitUntilAsync(async () => (await GetStepsAsync(handle.RunId)).Count == 2 && (await GetRunAsync(handle.RunId)).Status == RunStatus.Waiting,
            "the first wait to time out and the second to suspend");
        var first = await EntryAsync(handle.RunId, 1);
        Assert.Equal((StepKind.Event, StepStatus.Failed, ErrorKind.EventTimeout), (first.Kind, first.Status, first.Error!.Kind));
        Assert.Contains("No event 'ping' arrived", first.Error.Message);

        await engine.SendEventAsync(handle.RunId, "ping", "late");
        Assert.Equal("\"timed out at wait 1, then: late (True)\"", (await CompletedAsync(handle)).Output);
        Assert.Equal(2, Assert.Single(await EventsAsync(handle.RunId)).ConsumedBySequence);
    }

    [Fact]
    public async Task Events_of_one_name_queue_in_the_order_sent_and_each_wait_consumes_exactly_one()
    {
        var engine = await EngineAsync(definitions: [QueueWorkflow.Definition]);
        var run = await CreateRunAsync(QueueWorkflow.Definition, "3");
        foreach (var item in new[] { 7, 3, 9, 4 })
        {
            await engine.SendEventAsync(run.Id, "item", item);
        }
        var handle = await engine.ResumeAsync(run.Id);

        Assert.Equal("\"7,3,9\"", (await CompletedAsync(handle)).Output);
        var events = await EventsAsync(run.Id);
        Assert.Equal([1, 2, 3, null], events.Select(e => e.ConsumedBySequence));
        Assert.Equal("4", Assert.Single(await EventsAsync(run.Id, includeConsumed: false)).Payload);
    }

    [Fact]
    public async Task A_send_with_a_used_idempotency_key_is_not_delivered_twice()
    {
        var engine = await EngineAsync(definitions: [QueueWorkflow.Definition]);
        var run = await CreateRunAsync(QueueWorkflow.Definition, "2");
        var first = await engine.SendEventAsync(run.Id, "item", 1, idempotencyKey: "webhook-17");
        var again = await engine.SendEventAsync(run.Id, "item", 1, idempotencyKey: "webhook-17");
        await engine.SendEventAsync(run.Id, "item", 2, idempotencyKey: "webhook-18");

        Assert.Equal(first.Id, again.Id);
        Assert.Equal(2, (await EventsAsync(run.Id)).Count);
        Assert.Equal("\"1,2\"", (await CompletedAsync(await engine.ResumeAsync(run.Id))).Output);
    }

    [Fact]
    public async Task An_event_to_an_unknown_or_ended_run_is_a_typed_error_naming_the_run_and_nothing_is_stored()
    {
        var engine = await EngineAsync(definitions: [QueueWorkflow.Definition]);
        var unknown = Guid.CreateVersion7();
        var missing = await Assert.ThrowsAsync<EventDeliveryException>(() => engine.SendEventAsync(unknown, "item", 1));
        Assert.Null(missing.RunStatus);
        Assert.Contains(unknown.ToString(), missing.Message);

        var done = await engine.StartAsync(QueueWorkflow.Definition, 0);
        await done.GetResultAsync().WaitAsync(Guard);
        var ended = await Assert.ThrowsAsync<EventDeliveryException>(() => engine.SendEventAsync(done.RunId, "item", 1));
        Assert.Equal(RunStatus.Succeeded, ended.RunStatus);
        Assert.Contains("has ended (Succeeded)", ended.Message);
        Assert.Empty(await EventsAsync(done.RunId));

        await Assert.ThrowsAsync<EventDeliveryException>(() => engine.SendEventAsync(done.RunId, "item", 1, tenantId: "elsewhere"));
        await Assert.ThrowsAsync<ArgumentException>(() => engine.SendEventAsync(done.RunId, "bad\nname", 1));
        await Assert.ThrowsAsync<ArgumentException>(() => engine.SendEventAsync(done.RunId, "", 1));
    }

    [Fact]
    public async Task A_replay_returns_the_payload_the_wait_consumed_and_takes_no_other_event()
    {
        var probe = new ExecutionProbe().Set("hold-finish");
        var engine = await EngineAsync(probe, [ApprovalWorkflow.Definition]);
        var run = await CreateRunAsync(ApprovalWorkflow.Definition, "\"o-3\"");
        await engine.SendEventAsync(run.Id, "approval", "first");
        await engine.SendEventAsync(run.Id, "approval", "second");
        await engine.ResumeAsync(run.Id);
        await Raised(probe, "finish-entered");
        await StopAsync(engine); // the process goes away inside "finish"

        var next = new ExecutionProbe();
        var restarted = await EngineAsync(next, [ApprovalWorkflow.Definition]);
        var handle = await restarted.ResumeAsync(run.Id);
        Assert.Equal("\"prepared o-3:first done\"", (await CompletedAsync(handle)).Output);
        Assert.Equal((0, 1), (next.Calls("prepare"), next.Calls("finish")));
        Assert.Equal("\"second\"", Assert.Single(await EventsAsync(run.Id, includeConsumed: false)).Payload);
    }

    [Fact]
    public async Task A_published_value_reaches_a_caller_while_the_run_waits_and_a_replay_does_not_publish_it_again()
    {
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe, [CheckoutWorkflow.Definition]);
        var handle = await engine.StartAsync(CheckoutWorkflow.Definition, "cart-9");

        Assert.Equal("https://pay.example/cart-9", await engine.GetEventAsync<string>(handle.RunId, "payment-link", Guard));
        var waiting = await WaitForStatusAsync(handle.RunId, RunStatus.Waiting);
        Assert.Equal("event:paid", waiting.WaitingFor);
        await Assert.ThrowsAsync<TimeoutException>(() => engine.GetEventAsync<string>(handle.RunId, "status", TimeSpan.FromMilliseconds(100)));

        await engine.SendEventAsync(handle.RunId, "paid", 12.50m);
        await handle.GetResultAsync().WaitAsync(Guard);
        Assert.Equal("paid 12.50", await engine.GetEventAsync<string>(handle.RunId, "status", Guard));
        var steps = await GetStepsAsync(handle.RunId);
        Assert.Equal(["link", "payment-link", "paid", "status"], steps.Select(s => s.Name));
        Assert.Equal([StepKind.Step, StepKind.Publish, StepKind.Event, StepKind.Publish], steps.Select(s => s.Kind));
        Assert.Equal(1, probe.Calls("link"));
        await Assert.ThrowsAsync<PublishedValueNotFoundException>(() => engine.GetEventAsync<string>(handle.RunId, "never", Guard));
    }

    private static async Task<RunRecord> CompletedAsync(WorkflowRun handle)
    {
        await handle.Completion.WaitAsync(Guard);
        return await handle.GetRecordAsync();
    }
}

public sealed class InMemoryEventTests : EventTests
{
    protected override IJournalHarness CreateHarness() => new InMemoryJournal();
}

public sealed class SqliteEventTests : EventTests
{
    protected override IJournalHarness CreateHarness() => new SqliteJournal();
}

public sealed class PostgreSqlEventTests : EventTests
{
    protected override IJournalHarness CreateHarness() => new PostgreSqlJournal();
}
