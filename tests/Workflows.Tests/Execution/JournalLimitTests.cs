using Workflows.Journal;
using Workflows.Serialization;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows.Execution;

namespace Workflows.Tests.Execution;

/// <summary>A result over the journal's limits fails its step when first written, naming the step; nothing unreadable is recorded.</summary>
public abstract class JournalLimitTests : ExecutionTestBase
{
    [Fact]
    public async Task A_result_larger_than_the_payload_limit_fails_its_step_at_write_naming_the_step_the_size_and_the_limit()
    {
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe, journalLimits: new JournalLimits { MaxPayloadBytes = 1000 });
        var run = await engine.StartAsync(BigOutputWorkflow.Definition, 5000);

        var failed = await Assert.ThrowsAsync<WorkflowRunFailedException>(() => run.GetResultAsync().WaitAsync(Guard));
        Assert.Equal(ErrorKind.Serialization, failed.Error.Kind);
        var step = Assert.Single(await GetStepsAsync(run.RunId)); // "measure" never started
        Assert.Equal(("produce", StepStatus.Failed, ErrorKind.Serialization), (step.Name, step.Status, step.Error?.Kind));
        Assert.Null(step.Output);
        foreach (var message in new[] { failed.Error.Message, step.Error!.Message })
        {
            Assert.Contains("Cannot write the result of step 1 'produce'", message);
            Assert.Contains("over the limit of 1,000 (JournalLimits.MaxPayloadBytes)", message);
        }
        Assert.Equal(typeof(JournalWriteException).FullName, step.Error.Type);
        Assert.Equal((1, 0), (probe.Calls("produce"), probe.Calls("measure")));
        Assert.Equal(RunStatus.Failed, (await GetRunAsync(run.RunId)).Status);
    }

    [Fact]
    public async Task A_step_input_larger_than_the_payload_limit_fails_the_run_before_that_step_starts_naming_it()
    {
        // "produce" returns 995 characters (997 bytes of JSON: within 1,000); "measure" takes them as {"text":"…"} (1,006 bytes).
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe, journalLimits: new JournalLimits { MaxPayloadBytes = 1000 });
        var run = await engine.StartAsync(BigOutputWorkflow.Definition, 995);

        var failed = await Assert.ThrowsAsync<WorkflowRunFailedException>(() => run.GetResultAsync().WaitAsync(Guard));
        Assert.Equal(ErrorKind.Serialization, failed.Error.Kind);
        Assert.Contains("Cannot write the input of step 2 'measure'", failed.Error.Message);
        Assert.Contains("over the limit of 1,000", failed.Error.Message);
        var step = Assert.Single(await GetStepsAsync(run.RunId)); // nothing was recorded for "measure"
        Assert.Equal(("produce", StepStatus.Succeeded, 997), (step.Name, step.Status, step.Output!.Length));
        Assert.Equal((1, 0), (probe.Calls("produce"), probe.Calls("measure")));
    }

    [Fact]
    public async Task Payloads_within_the_limit_are_journaled_and_the_run_succeeds()
    {
        var engine = await EngineAsync(new ExecutionProbe(), journalLimits: new JournalLimits { MaxPayloadBytes = 1000 });
        Assert.Equal(900, await (await engine.StartAsync(BigOutputWorkflow.Definition, 900)).GetResultAsync().WaitAsync(Guard));
    }
}

public sealed class InMemoryJournalLimitTests : JournalLimitTests
{
    protected override IJournalHarness CreateHarness() => new InMemoryJournal();
}

public sealed class SqliteJournalLimitTests : JournalLimitTests
{
    protected override IJournalHarness CreateHarness() => new SqliteJournal();
}

public sealed class PostgreSqlJournalLimitTests : JournalLimitTests
{
    protected override IJournalHarness CreateHarness() => new PostgreSqlJournal();
}
