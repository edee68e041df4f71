using Workflows.Journal;
using Workflows.Tests.TestWorkflows;

namespace Workflows.Tests.Replay;

/// <summary>Workflow.UtcNow, NewGuid and SleepAsync are journaled, and replays see what the first execution saw.</summary>
public abstract class DurablePrimitiveTests : JournalTestBase
{
    [Fact]
    public async Task Time_guid_and_sleep_are_journaled_in_call_order_with_their_kinds()
    {
        var engine = await NewEngineAsync();
        var run = await engine.StartAsync(DurableValuesWorkflow.Definition, 1);
        await run.GetResultAsync();

        var steps = await GetStepsAsync(run.RunId);
        Assert.Equal([(1, "now", StepKind.Now), (2, "guid", StepKind.Guid), (3, "sleep", StepKind.Sleep), (4, "echo", StepKind.Step)],
            steps.Select(s => (s.Sequence, s.Name, s.Kind)));
        Assert.All(steps, s => Assert.Equal(StepStatus.Succeeded, s.Status));
        Assert.Contains("\"wakeAt\"", steps[2].Input);
    }

    [Fact]
    public async Task A_replay_sees_the_recorded_time_and_guid_and_does_not_sleep_again()
    {
        var first = new Probe();
        var engine = await NewEngineAsync(first);
        var run = await engine.StartAsync(DurableValuesWorkflow.Definition, 1);
        var output = await run.GetResultAsync();

        var copy = await CopyRunAsync(run.RunId);
        var second = new Probe();
        var replaying = await NewEngineAsync(second, null, DurableValuesWorkflow.Definition);
        var replayed = await replaying.ResumeAsync(copy);
        await replayed.Completion;

        Assert.Equal(first.Seen<DateTime>("startedAt"), second.Seen<DateTime>("startedAt"));
        Assert.Equal(DateTimeKind.Utc, second.Seen<DateTime>("startedAt").Single().Kind);
        Assert.Equal(first.Seen<Guid>("id"), second.Seen<Guid>("id"));
        Assert.Equal(0, second.Calls("echo"));
        Assert.Equal([1, 2, 3, 4], (await replayed.GetReportAsync()).Replayed);
        Assert.Equal(output, (await GetRunAsync(copy)).Output is { } json ? DurableValuesWorkflow.Definition.OutputCodec.Deserialize(json) : null);
    }

    [Fact]
    public async Task A_run_resumed_during_a_sleep_waits_only_for_what_is_left_of_the_recorded_wake_up_time()
    {
        var engine = await NewEngineAsync();
        // The run asked for a ten-minute sleep; the journal says its wake-up time has passed, so it must not wait again.
        var run = await CreateRunAsync(DurableValuesWorkflow.Definition, "600000", RunStatus.Running);
        var now = DateTime.UtcNow;
        var wakeAt = DateTimeOffset.UtcNow.AddMinutes(-1); // the recorded timer already elapsed while the process was down
        var sleeping = RecordedStep(run, 3, "sleep", null, StepStatus.Running, kind: StepKind.Sleep) with
        {
            Input = $"{{\"wakeAt\":\"{wakeAt:O}\"}}",
            CompletedAt = null,
        };
        await InsertAsync(
            RecordedStep(run, 1, "now", $"\"{now:O}\"", kind: StepKind.Now),
            RecordedStep(run, 2, "guid", $"\"{Guid.Empty}\"", kind: StepKind.Guid),
            sleeping);
        engine.Register(DurableValuesWorkflow.Definition);

        var resumed = await engine.ResumeAsync(run.Id);
        await resumed.Completion.WaitAsync(TimeSpan.FromMinutes(2)); // a guard against a hang, not a measurement

        var steps = await GetStepsAsync(run.Id);
        Assert.Equal(StepStatus.Succeeded, steps[2].Status);
        Assert.Equal(sleeping.Id, steps[2].Id);
        Assert.Equal([4], (await resumed.GetReportAsync()).Executed.Where(s => s != 3));
        Assert.EndsWith($"|{Guid.Empty}", DurableValuesWorkflow.Definition.OutputCodec.Deserialize((await GetRunAsync(run.Id)).Output!));
    }

    [Fact]
    public async Task Code_that_asks_for_the_time_where_the_journal_recorded_a_guid_is_stopped_as_non_deterministic()
    {
        var engine = await NewEngineAsync();
        var run = await CreateRunAsync(DurableValuesWorkflow.Definition, "1", RunStatus.Running);
        await InsertAsync(RecordedStep(run, 1, "guid", $"\"{Guid.Empty}\"", kind: StepKind.Guid));
        engine.Register(DurableValuesWorkflow.Definition);

        var before = await GetStepsAsync(run.Id);

        var resumed = await engine.ResumeAsync(run.Id);
        var (parked, error) = await AssertParkedAsync<NonDeterminismException>(() => resumed.Completion);

        Assert.Contains("Guid 'guid'", error.Message);
        Assert.Contains("Now 'now'", error.Message);
        Assert.Equal(ErrorKind.NonDeterminism, parked.Error.Kind);
        var stored = await AssertParkedRecordAsync(run.Id, ErrorKind.NonDeterminism);
        Assert.Contains("Guid 'guid'", stored.Error!.Message);
        Assert.Contains("Now 'now'", stored.Error.Message);
        Assert.Equal(before, await GetStepsAsync(run.Id)); // nothing recorded is changed, and nothing is added
    }

    [Fact]
    public async Task The_recording_api_outside_a_run_says_where_it_can_be_used()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Workflow.UtcNow);
        Assert.Contains("Workflow.UtcNow", error.Message);
        await Assert.ThrowsAsync<InvalidOperationException>(() => Workflow.SleepAsync(TimeSpan.Zero));
        Assert.Throws<InvalidOperationException>(() => Workflow.NewGuid());
    }

    [Fact]
    public async Task Types_outside_the_generated_surface_round_trip_through_the_workflows_own_json_context()
    {
        var first = new Probe();
        var engine = await NewEngineAsync(first);
        var run = await engine.StartAsync(FigureWorkflow.Definition, 2.5);
        await run.GetResultAsync();
        var steps = await GetStepsAsync(run.RunId);
        Assert.Equal("{\"$kind\":\"circle\",\"Radius\":2.5}", steps[0].Output);

        var copy = await CopyRunAsync(run.RunId);
        var second = new Probe();
        var replaying = await NewEngineAsync(second, null, FigureWorkflow.Definition);
        await (await replaying.ResumeAsync(copy)).Completion;

        Assert.Equal(0, second.Calls("make"));
        Assert.Equal([new Circle(2.5), new Square(2.5)], second.Seen<Figure>("figures"));
        Assert.Equal(first.Seen<Figure>("figures"), second.Seen<Figure>("figures"));
    }
}

public sealed class InMemoryDurablePrimitiveTests : DurablePrimitiveTests
{
    protected override IJournalHarness CreateJournal() => new InMemoryJournal();
}

public sealed class SqliteDurablePrimitiveTests : DurablePrimitiveTests
{
    protected override IJournalHarness CreateJournal() => new SqliteJournal();
}

public sealed class PostgreSqlDurablePrimitiveTests : DurablePrimitiveTests
{
    protected override IJournalHarness CreateJournal() => new PostgreSqlJournal();
}
