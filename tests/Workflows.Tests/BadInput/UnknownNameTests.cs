using Workflows.Journal;
using Workflows.Storage;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows.Execution;
using Workflows.Tests.TestWorkflows.Messaging;

namespace Workflows.Tests.BadInput;

/// <summary>
/// A run id the tenant does not have, or an event name no run waits for: every call that takes a run id fails with a typed
/// error naming the id (and the tenant, the event), and nothing is recorded; an event of a name the run never waits for is
/// kept, unconsumed, and changes nothing else.
/// </summary>
public abstract class UnknownNameTests : BadInputTestBase
{
    private static readonly Guid Unknown = Guid.Parse("0190a0b0-c0d0-7e0f-8a0b-0c0d0e0f1011");

    /// <summary>A journal that is not empty, so "nothing changed" is worth checking.</summary>
    private async Task<(WorkflowEngine Engine, JournalState Before)> EngineWithARunAsync()
    {
        var engine = await EngineAsync(definitions: [DoublingWorkflow.Definition]);
        Assert.Equal(8, await engine.RunAsync(DoublingWorkflow.Definition, 4).WaitAsync(Guard));
        return (engine, await ReadJournalAsync());
    }

    private static void AssertNames(Exception error, params string[] names)
    {
        foreach (var name in names) Assert.Contains(name, error.Message);
    }

    [Fact]
    public async Task Getting_resuming_or_reading_the_timeline_of_an_unknown_run_is_WorkflowNotFoundException_naming_the_run_and_tenant()
    {
        var (engine, before) = await EngineWithARunAsync();

        AssertNames(await Assert.ThrowsAsync<WorkflowNotFoundException>(() => engine.GetRunAsync(Unknown)), Unknown.ToString(), $"'{Tenant}'");
        AssertNames(await Assert.ThrowsAsync<WorkflowNotFoundException>(() => engine.GetRunAsync(DoublingWorkflow.Definition, Unknown)), Unknown.ToString());
        AssertNames(await Assert.ThrowsAsync<WorkflowNotFoundException>(() => engine.ResumeAsync(Unknown)), Unknown.ToString());
        AssertNames(await Assert.ThrowsAsync<WorkflowNotFoundException>(() => engine.GetTimelineAsync(Unknown)), Unknown.ToString());
        AssertNames(await Assert.ThrowsAsync<WorkflowNotFoundException>(() => engine.ForkAsync(Unknown, 1)), Unknown.ToString());
        await AssertJournalUnchangedAsync(before);
    }

    [Fact]
    public async Task Cancelling_an_unknown_run_is_WorkflowNotFoundException_naming_the_run_and_tenant()
    {
        var (engine, before) = await EngineWithARunAsync();

        var error = await Assert.ThrowsAsync<WorkflowNotFoundException>(() => engine.CancelAsync(Unknown, reason: "tidy up"));

        AssertNames(error, Unknown.ToString(), $"'{Tenant}'");
        await AssertJournalUnchangedAsync(before);
    }

    [Fact]
    public async Task Operator_calls_on_an_unknown_run_are_WorkflowNotFoundException_naming_the_run()
    {
        var (engine, before) = await EngineWithARunAsync();

        AssertNames(await Assert.ThrowsAsync<WorkflowNotFoundException>(() => engine.ReopenRunAsync(Unknown)), Unknown.ToString());
        AssertNames(await Assert.ThrowsAsync<WorkflowNotFoundException>(() => engine.ForkRunAsync(Unknown, 1)), Unknown.ToString());
        await AssertJournalUnchangedAsync(before);
    }

    [Fact]
    public async Task An_event_sent_to_an_unknown_run_is_EventDeliveryException_naming_the_run_the_tenant_and_the_event()
    {
        var (engine, before) = await EngineWithARunAsync();

        var error = await Assert.ThrowsAsync<EventDeliveryException>(() => engine.SendEventAsync(Unknown, "approval", "yes"));

        Assert.Equal((Unknown, Tenant, "approval", (RunStatus?)null), (error.RunId, error.TenantId, error.EventName, error.RunStatus));
        AssertNames(error, Unknown.ToString(), $"'{Tenant}'", "'approval'");
        await AssertJournalUnchangedAsync(before);
        Assert.Empty(await Store.GetEventsAsync(new EventQuery(Tenant, Unknown) { IncludeConsumed = true }));
    }

    [Fact]
    public async Task A_run_of_another_tenant_is_unknown_here_and_is_left_as_it_is()
    {
        var (engine, _) = await EngineWithARunAsync();
        var theirs = await engine.StartAsync(DoublingWorkflow.Definition, 5, new StartOptions { TenantId = "tenant-b" });
        await theirs.GetResultAsync().WaitAsync(Guard);
        var before = await ReadJournalAsync();

        AssertNames(await Assert.ThrowsAsync<WorkflowNotFoundException>(() => engine.GetRunAsync(theirs.RunId, Tenant)), theirs.RunId.ToString());
        AssertNames(await Assert.ThrowsAsync<WorkflowNotFoundException>(() => engine.CancelAsync(theirs.RunId, Tenant)), theirs.RunId.ToString());
        AssertNames(await Assert.ThrowsAsync<EventDeliveryException>(() => engine.SendEventAsync(theirs.RunId, "approval", "yes", Tenant)), theirs.RunId.ToString());
        await AssertJournalUnchangedAsync(before);
    }

    [Fact]
    public async Task An_event_sent_to_an_ended_run_is_EventDeliveryException_naming_its_status_and_nothing_is_stored()
    {
        var (engine, before) = await EngineWithARunAsync();
        var ended = before.Runs.Single();

        var error = await Assert.ThrowsAsync<EventDeliveryException>(() => engine.SendEventAsync(ended.Id, "approval", "late"));

        Assert.Equal(RunStatus.Succeeded, error.RunStatus);
        AssertNames(error, ended.Id.ToString(), "'approval'", "Succeeded");
        await AssertJournalUnchangedAsync(before);
        Assert.Empty(await Store.GetEventsAsync(new EventQuery(Tenant, ended.Id) { IncludeConsumed = true }));
    }

    [Fact]
    public async Task An_event_of_a_name_the_run_never_waits_for_is_kept_unconsumed_and_the_run_completes_as_it_would()
    {
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe, [ApprovalWorkflow.Definition]);
        var handle = await engine.StartAsync(ApprovalWorkflow.Definition, "order-7");
        await WaitForStatusAsync(handle.RunId, RunStatus.Waiting);

        var stray = await engine.SendEventAsync(handle.RunId, "no-such-event", "ignored");
        await engine.SendEventAsync(handle.RunId, "approval", "yes");
        await handle.Completion.WaitAsync(Guard);

        Assert.Equal(RunStatus.Succeeded, (await GetRunAsync(handle.RunId)).Status);
        var events = await Store.GetEventsAsync(new EventQuery(Tenant, handle.RunId) { IncludeConsumed = true });
        var kept = Assert.Single(events, e => e.Name == "no-such-event");
        Assert.Equal((stray.Id, null), (kept.Id, kept.ConsumedBySequence));
        Assert.DoesNotContain(await GetStepsAsync(handle.RunId), s => s.Name == "no-such-event");
    }

    [Fact]
    public async Task Waiting_for_a_value_never_published_under_a_key_is_a_TimeoutException_naming_the_run_and_the_key()
    {
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe, [ApprovalWorkflow.Definition]);
        var handle = await engine.StartAsync(ApprovalWorkflow.Definition, "order-8");
        await WaitForStatusAsync(handle.RunId, RunStatus.Waiting);
        var before = await ReadJournalAsync();

        var error = await Assert.ThrowsAsync<TimeoutException>(() => engine.GetEventAsync<string>(handle.RunId, "no-such-key", TimeSpan.FromMilliseconds(50)));

        AssertNames(error, handle.RunId.ToString(), "'no-such-key'");
        await AssertJournalUnchangedAsync(before);
    }
}

public sealed class InMemoryUnknownNameTests : UnknownNameTests
{
    protected override IJournalHarness CreateHarness() => new InMemoryJournal();
}

public sealed class SqliteUnknownNameTests : UnknownNameTests
{
    protected override IJournalHarness CreateHarness() => new SqliteJournal();
}

public sealed class PostgreSqlUnknownNameTests : UnknownNameTests
{
    protected override IJournalHarness CreateHarness() => new PostgreSqlJournal();
}
