using Workflows.Journal;
using Workflows.Serialization;
using Workflows.Storage;
using Workflows.Tests.BadInput.Limits;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows.Execution;

namespace Workflows.Tests.BadInput;

/// <summary>
/// Payloads over <see cref="JournalLimits"/>: too large or nested too deep. Refused where they are first written, with a
/// <see cref="JournalWriteException"/> naming what was written, its size or depth and the limit, and nothing unreadable
/// recorded; a payload over the limits that is already in the journal (forged) parks its run when it is read.
/// </summary>
public abstract class LimitsTests : BadInputTestBase
{
    /// <summary>A small size limit at the default depth.</summary>
    private static readonly JournalLimits Small = new() { MaxPayloadBytes = 1000 };

    /// <summary>A shallow depth limit at the default size.</summary>
    private static readonly JournalLimits Shallow = new() { MaxDepth = 32 };

    [Fact]
    public async Task A_run_input_over_the_size_limit_is_refused_at_start_naming_the_type_the_size_and_the_limit_and_nothing_is_created()
    {
        var engine = await EngineAsync(definitions: [OrderedWorkflow.Definition], journalLimits: Small);
        var before = await ReadJournalAsync();

        var error = await Assert.ThrowsAsync<JournalWriteException>(() => engine.StartAsync(OrderedWorkflow.Definition, new string('x', 2000)));

        Assert.Equal(("the input of a run of 'exec-ordered' (string)", 1000), (error.What, error.Limit));
        Assert.True(error.Size > 1000);
        Assert.Contains("Cannot write the input of a run of 'exec-ordered' (string) to the journal", error.Message);
        Assert.Contains("over the limit of 1,000 (JournalLimits.MaxPayloadBytes)", error.Message);
        await AssertJournalUnchangedAsync(before);
    }

    [Fact]
    public async Task A_step_result_over_the_size_limit_fails_the_step_naming_it_and_records_no_output()
    {
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe, [BigOutputWorkflow.Definition], journalLimits: Small);

        var run = await engine.StartAsync(BigOutputWorkflow.Definition, 5000);
        var failed = await Assert.ThrowsAsync<WorkflowRunFailedException>(() => run.GetResultAsync().WaitAsync(Guard));

        Assert.Equal(ErrorKind.Serialization, failed.Error.Kind);
        Assert.Contains("step 1 'produce'", failed.Error.Message);
        Assert.Contains("JournalLimits.MaxPayloadBytes", failed.Error.Message);
        var step = Assert.Single(await GetStepsAsync(run.RunId));
        Assert.Equal((StepStatus.Failed, null), (step.Status, step.Output));
        Assert.Equal(0, probe.Calls("measure"));
    }

    [Fact]
    public async Task A_step_result_nested_over_the_depth_limit_fails_the_step_naming_it_and_the_limit_and_records_no_output()
    {
        var engine = await EngineAsync(definitions: [NestingWorkflow.Definition], journalLimits: Shallow);

        var run = await engine.StartAsync(NestingWorkflow.Definition, 40);
        var failed = await Assert.ThrowsAsync<WorkflowRunFailedException>(() => run.GetResultAsync().WaitAsync(Guard));

        Assert.Equal(ErrorKind.Serialization, failed.Error.Kind);
        Assert.Contains("'nest'", failed.Error.Message);
        Assert.Contains("nested deeper than 32 levels (JournalLimits.MaxDepth)", failed.Error.Message);
        var step = Assert.Single(await GetStepsAsync(run.RunId));
        Assert.Equal((StepStatus.Failed, null), (step.Status, step.Output));
    }

    [Fact]
    public async Task A_step_result_at_the_depth_limit_is_journaled_and_read_back()
    {
        var engine = await EngineAsync(definitions: [NestingWorkflow.Definition], journalLimits: Shallow);
        Assert.Equal(32, await engine.RunAsync(NestingWorkflow.Definition, 32).WaitAsync(Guard));
        Assert.Equal(LimitPayloads.ChainText(32), (await GetStepsAsync((await Store.ListRunsAsync(new RunQuery())).Single().Id)).Single().Output);
    }

    [Fact]
    public async Task An_event_payload_over_the_size_limit_is_refused_naming_the_size_and_the_limit_and_no_event_is_stored()
    {
        var run = await CreateRunAsync(DoublingWorkflow.Definition, "1", RunStatus.Waiting);
        var engine = await EngineAsync(journalLimits: Small); // the workflow is not registered here: the run stays as it is
        var before = await ReadJournalAsync();

        var error = await Assert.ThrowsAsync<JournalWriteException>(() => engine.SendEventAsync(run.Id, "approval", new string('y', 5000)));

        Assert.Equal(1000, error.Limit);
        Assert.Contains("over the limit of 1,000 (JournalLimits.MaxPayloadBytes)", error.Message);
        await AssertJournalUnchangedAsync(before);
        Assert.Empty(await Store.GetEventsAsync(new EventQuery(Tenant, run.Id) { IncludeConsumed = true }));
    }

    [Fact]
    public async Task An_event_payload_nested_over_the_depth_limit_is_refused_naming_the_type_and_the_limit_and_no_event_is_stored()
    {
        var run = await CreateRunAsync(DoublingWorkflow.Definition, "1", RunStatus.Waiting);
        var engine = await EngineAsync(journalLimits: Shallow);
        var before = await ReadJournalAsync();

        var error = await Assert.ThrowsAsync<JournalWriteException>(() =>
            engine.SendEventAsync(run.Id, "deep", LimitPayloads.Nested(40), JsonCodecs.JsonElement));

        Assert.Equal(32, error.Limit);
        Assert.Contains("Cannot write the payload of event 'deep' for run ", error.Message);
        Assert.Contains("(JSON value) to the journal", error.Message); // JsonElement's codec names itself "JSON value"
        Assert.Contains("nested deeper than 32 levels (JournalLimits.MaxDepth)", error.Message);
        await AssertJournalUnchangedAsync(before);
        Assert.Empty(await Store.GetEventsAsync(new EventQuery(Tenant, run.Id) { IncludeConsumed = true }));
    }

    [Fact]
    public async Task A_recorded_step_output_nested_over_the_engines_depth_limit_parks_the_run_naming_the_step_and_leaves_it_recorded()
    {
        // Recorded by an engine with a larger limit (or forged): this engine's reader refuses it instead of overflowing.
        var run = await CreateRunAsync(NestingWorkflow.Definition, "40", RunStatus.Running);
        await InsertAsync(RecordedStep(run, 1, "nest", LimitPayloads.ChainText(40)));
        var before = await ReadJournalAsync();
        var engine = await EngineAsync(definitions: [NestingWorkflow.Definition], journalLimits: Shallow);

        var handle = await engine.ResumeAsync(run.Id);
        var (parked, cause) = await AssertParkedAsync<JournalPayloadException>(() => handle.Completion.WaitAsync(Guard));

        Assert.Equal(ErrorKind.Serialization, parked.Error.Kind);
        Assert.Equal((run.Id, 1, "nest"), (cause.RunId, cause.Sequence, cause.StepName));
        Assert.Contains("Link", cause.Message);
        await AssertJournalUnchangedButParkedAsync(before, run.Id);
    }

    [Fact]
    public async Task A_run_input_over_the_default_size_limit_is_refused_at_start_with_a_JournalWriteException_and_nothing_is_created()
    {
        var engine = await EngineAsync(definitions: [OrderedWorkflow.Definition]);
        var before = await ReadJournalAsync();

        var error = await Assert.ThrowsAsync<JournalWriteException>(() =>
            engine.StartAsync(OrderedWorkflow.Definition, new string('x', JournalLimits.DefaultMaxPayloadBytes + 1)));

        Assert.Equal(JournalLimits.DefaultMaxPayloadBytes, error.Limit);
        Assert.Contains("(JournalLimits.MaxPayloadBytes)", error.Message);
        await AssertJournalUnchangedAsync(before);
    }

    [Fact]
    public async Task A_payload_over_the_size_limit_under_a_non_default_depth_limit_is_a_JournalWriteException_naming_the_limit()
    {
        var engine = await EngineAsync(definitions: [OrderedWorkflow.Definition], journalLimits: new JournalLimits { MaxPayloadBytes = 1000, MaxDepth = 32 });
        var before = await ReadJournalAsync();

        var error = await Assert.ThrowsAsync<JournalWriteException>(() => engine.StartAsync(OrderedWorkflow.Definition, new string('x', 2000)));

        Assert.Equal(1000, error.Limit);
        await AssertJournalUnchangedAsync(before);
    }

    [Fact]
    public async Task A_run_input_over_the_size_limit_is_refused_naming_the_workflow_and_its_input()
    {
        var engine = await EngineAsync(definitions: [OrderedWorkflow.Definition], journalLimits: Small);
        var error = await Assert.ThrowsAsync<JournalWriteException>(() => engine.StartAsync(OrderedWorkflow.Definition, new string('x', 2000)));
        Assert.Contains("'exec-ordered'", error.Message);
        Assert.Contains("input", error.Message);
    }

    [Fact]
    public async Task An_event_payload_over_the_size_limit_is_refused_naming_the_event_and_the_run()
    {
        var run = await CreateRunAsync(DoublingWorkflow.Definition, "1", RunStatus.Waiting);
        var engine = await EngineAsync(journalLimits: Small);
        var error = await Assert.ThrowsAsync<JournalWriteException>(() => engine.SendEventAsync(run.Id, "approval", new string('y', 5000)));
        Assert.Contains("'approval'", error.Message);
        Assert.Contains(run.Id.ToString(), error.Message);
    }

    /// <summary>A run of "produce" with a result over the default 4 MiB limit, failed; its error as the handle and the journal give it.</summary>
    private async Task<(WorkflowRunFailedException Failed, StepRecord Step)> OverTheDefaultLimitAsync()
    {
        var engine = await EngineAsync(definitions: [BigOutputWorkflow.Definition]);
        var run = await engine.StartAsync(BigOutputWorkflow.Definition, JournalLimits.DefaultMaxPayloadBytes + 10);
        var failed = await Assert.ThrowsAsync<WorkflowRunFailedException>(() => run.GetResultAsync().WaitAsync(Guard));
        return (failed, Assert.Single(await GetStepsAsync(run.RunId)));
    }

    [Fact]
    public async Task A_step_result_over_the_default_size_limit_fails_the_step_naming_it_and_records_no_output()
    {
        var (failed, step) = await OverTheDefaultLimitAsync();

        Assert.Equal(ErrorKind.Serialization, failed.Error.Kind);
        Assert.Contains("Cannot write the result of step 1 'produce'", failed.Error.Message);
        Assert.Equal((StepStatus.Failed, null, typeof(JournalWriteException).FullName), (step.Status, step.Output, step.Error?.Type));
    }

    [Fact]
    public async Task A_step_result_over_the_default_size_limit_names_the_limit_it_is_over()
    {
        var (failed, step) = await OverTheDefaultLimitAsync();

        Assert.Contains("over the limit of 4,194,304 (JournalLimits.MaxPayloadBytes)", failed.Error.Message);
        Assert.Contains("(JournalLimits.MaxPayloadBytes)", step.Error!.Message);
    }

    [Theory]
    [InlineData(0, 1000, "MaxDepth")]
    [InlineData(1001, 1000, "MaxDepth")]
    [InlineData(32, 0, "MaxPayloadBytes")]
    public void Limits_out_of_their_range_are_refused_when_the_engine_is_built_naming_the_limit(int depth, int bytes, string limit)
    {
        var error = Assert.ThrowsAny<ArgumentOutOfRangeException>(() =>
            new WorkflowEngine(Store, new WorkflowEngineOptions { JournalLimits = new JournalLimits { MaxDepth = depth, MaxPayloadBytes = bytes } }));
        Assert.Equal(limit, error.ParamName);
        Assert.Contains($"JournalLimits.{limit}", error.Message);
    }
}

public sealed class InMemoryLimitsTests : LimitsTests
{
    protected override IJournalHarness CreateHarness() => new InMemoryJournal();
}

public sealed class SqliteLimitsTests : LimitsTests
{
    protected override IJournalHarness CreateHarness() => new SqliteJournal();
}

public sealed class PostgreSqlLimitsTests : LimitsTests
{
    protected override IJournalHarness CreateHarness() => new PostgreSqlJournal();
}
