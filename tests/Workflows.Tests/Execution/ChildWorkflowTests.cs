using Workflows.Journal;
using Workflows.Storage;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows.Execution;
using Workflows.Tests.TestWorkflows.Messaging;

namespace Workflows.Tests.Execution;

/// <summary>Child runs: parent recorded, tenant inherited, deterministic ids, the parent suspended and woken, failures typed, cancels cascaded.</summary>
public abstract class ChildWorkflowTests : ExecutionTestBase
{
    private async Task<RunRecord> ChildOfAsync(Guid parent, string tenant = Tenant) =>
        Assert.Single(await Store.ListRunsAsync(new RunQuery { TenantId = tenant, ParentRunId = parent }));

    [Fact]
    public async Task A_child_records_its_parent_and_entry_inherits_the_tenant_and_its_result_reaches_the_parent()
    {
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe, [ParentWorkflow.Definition, ChildWorkflow.Definition]);
        var handle = await engine.StartAsync(ParentWorkflow.Definition, 21, new StartOptions { TenantId = "acme" });

        Assert.Equal("child gave 42", await handle.GetResultAsync().WaitAsync(Guard));
        var child = await ChildOfAsync(handle.RunId, "acme");
        Assert.Equal((handle.RunId, 1, "acme", RunStatus.Succeeded), (child.ParentRunId!.Value, child.ParentStep!.Value, child.TenantId, child.Status));
        Assert.Equal(WorkflowContext.ChildIdOf(handle.RunId, 1), child.Id);
        var entry = (await GetStepsAsync(handle.RunId, "acme"))[0];
        Assert.Equal((StepKind.ChildWorkflow, "msg-child", StepStatus.Succeeded, "42"), (entry.Kind, entry.Name, entry.Status, entry.Output));
        Assert.Contains(child.Id.ToString(), entry.Input);
        Assert.Equal(1, probe.Calls("child-double"));

        // The child sorts right after its parent and before any later run, oldest first and newest first.
        var later = await engine.StartAsync(ParentWorkflow.Definition, 22, new StartOptions { TenantId = "acme" });
        await later.GetResultAsync().WaitAsync(Guard);
        var laterChild = await ChildOfAsync(later.RunId, "acme");
        Assert.Equal([handle.RunId, child.Id, later.RunId, laterChild.Id],
            (await Store.ListRunsAsync(new RunQuery { TenantId = "acme" })).Select(r => r.Id));
        Assert.Equal([laterChild.Id, later.RunId, child.Id, handle.RunId],
            (await Store.ListRunsAsync(new RunQuery { TenantId = "acme", NewestFirst = true })).Select(r => r.Id));
    }

    [Fact]
    public void A_child_id_is_a_version_8_uuid_with_its_parents_time_prefix_and_differs_per_entry()
    {
        var parent = Guid.CreateVersion7();
        var first = WorkflowContext.ChildIdOf(parent, 1);

        Assert.Equal(first, WorkflowContext.ChildIdOf(parent, 1));
        Assert.NotEqual(first, WorkflowContext.ChildIdOf(parent, 2));
        Assert.Equal(8, first.Version);
        Assert.Equal(parent.ToString("D")[..13], first.ToString("D")[..13]); // 48 bits: the parent's milliseconds
        Assert.True(first.CompareTo(parent) > 0);
        var grandchild = WorkflowContext.ChildIdOf(first, 1);
        Assert.Equal(parent.ToString("D")[..13], grandchild.ToString("D")[..13]);
    }

    [Fact]
    public async Task A_parent_waiting_for_its_child_is_suspended_and_woken_when_the_child_ends()
    {
        var engine = await EngineAsync(definitions: [ParentWorkflow.Definition, ChildWorkflow.Definition], pollInterval: TimeSpan.FromMinutes(5));
        var handle = await engine.StartAsync(ParentWorkflow.Definition, 0); // the child waits for "go"

        var parent = await WaitForStatusAsync(handle.RunId, RunStatus.Waiting);
        var child = await ChildOfAsync(handle.RunId);
        Assert.Equal($"child:{child.Id}", parent.WaitingFor);
        Assert.Null(parent.WakeAt);
        await WaitForStatusAsync(child.Id, RunStatus.Waiting);
        await WaitUntilAsync(() => engine.RunsInMemory == 0, "both runs to leave memory");

        await engine.SendEventAsync(child.Id, "go", 5);
        Assert.Equal("child gave 5", await handle.GetResultAsync().WaitAsync(TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public async Task A_failed_child_surfaces_in_the_parent_as_a_typed_exception_with_the_childs_error()
    {
        var engine = await EngineAsync(definitions: [ParentWorkflow.Definition, ChildWorkflow.Definition]);
        var result = await engine.RunAsync(ParentWorkflow.Definition, -1).WaitAsync(Guard);

        Assert.StartsWith("child Failed: ", result);
        Assert.Contains("negative input", result);
        var entry = (await GetStepsAsync((await Store.ListRunsAsync(new RunQuery { Workflow = "msg-parent" }))[0].Id))[0];
        Assert.Equal((StepStatus.Failed, ErrorKind.ChildFailed), (entry.Status, entry.Error!.Kind));
    }

    [Fact]
    public async Task A_replay_of_the_parent_finds_the_child_it_started_and_never_starts_it_twice()
    {
        var probe = new ExecutionProbe().Set("hold-after");
        var engine = await EngineAsync(probe, [ParentWorkflow.Definition, ChildWorkflow.Definition]);
        var handle = await engine.StartAsync(ParentWorkflow.Definition, 4);
        await Raised(probe, "after-entered");
        await StopAsync(engine);

        var next = new ExecutionProbe();
        var restarted = await EngineAsync(next, [ParentWorkflow.Definition, ChildWorkflow.Definition]);
        var resumed = await restarted.ResumeAsync(handle.RunId);
        await resumed.Completion.WaitAsync(Guard);

        Assert.Equal("\"child gave 8\"", (await GetRunAsync(handle.RunId)).Output);
        Assert.Single(await Store.ListRunsAsync(new RunQuery { ParentRunId = handle.RunId }));
        Assert.Equal((0, 1), (next.Calls("child-double"), next.Calls("after")));
    }

    [Fact]
    public async Task A_child_started_but_not_journaled_by_the_parent_is_found_again_by_its_id()
    {
        // The parent's process died after creating the child and before its own entry committed: the journal has the
        // child, not the entry. The replay derives the same id and takes the existing child.
        var parent = await CreateRunAsync(ParentWorkflow.Definition, "3", RunStatus.Running);
        var childId = WorkflowContext.ChildIdOf(parent.Id, 1);
        var now = DateTimeOffset.UtcNow;
        await Store.CreateRunAsync(new RunRecord
        {
            Id = childId, TenantId = Tenant, Workflow = ChildWorkflow.Definition.Name, SchemaVersion = ChildWorkflow.Definition.SchemaVersion,
            Status = RunStatus.Pending, ParentRunId = parent.Id, ParentStep = 1, Input = "3", CreatedAt = now, UpdatedAt = now,
        });
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe, [ParentWorkflow.Definition, ChildWorkflow.Definition]);
        await (await engine.ResumeAsync(parent.Id)).Completion.WaitAsync(Guard);

        Assert.Equal("\"child gave 6\"", (await GetRunAsync(parent.Id)).Output);
        Assert.Equal(childId, (await ChildOfAsync(parent.Id)).Id);
        Assert.Equal(1, probe.Calls("child-double"));
    }

    [Fact]
    public async Task A_child_registered_with_its_own_factory_is_executed_by_that_registration()
    {
        var own = new ExecutionProbe("own");
        var engine = await EngineAsync(new ExecutionProbe(), [ParentWorkflow.Definition, ChildWorkflow.Definition.WithFactory(_ => new ChildWorkflow(own))]);

        Assert.Equal("child gave 14", await engine.RunAsync(ParentWorkflow.Definition, 7).WaitAsync(Guard));
        Assert.Equal(1, own.Calls("child-double")); // the registered factory built the child, not the generated one
    }

    [Fact]
    public async Task Children_awaited_in_one_WhenAll_all_start_in_one_execution_and_share_a_position()
    {
        var engine = await EngineAsync(definitions: [FanOutWorkflow.Definition, ChildWorkflow.Definition]);
        var handle = await engine.StartAsync(FanOutWorkflow.Definition, 3);

        var parent = await WaitForStatusAsync(handle.RunId, RunStatus.Waiting);
        var children = await Store.ListRunsAsync(new RunQuery { ParentRunId = handle.RunId });
        Assert.Equal(3, children.Count); // all three were started before the parent suspended
        var entries = await GetStepsAsync(handle.RunId);
        Assert.Equal([1, 2, 3], entries.Select(e => e.Sequence));
        Assert.Single(entries.Select(e => e.Position).Distinct());
        Assert.All(children, c => Assert.Contains($"child:{c.Id}", parent.WaitingFor));

        foreach (var (child, i) in children.Select((c, i) => (c, i)))
        {
            await WaitForStatusAsync(child.Id, RunStatus.Waiting);
            await engine.SendEventAsync(child.Id, "go", 10 * (i + 1));
        }
        Assert.Equal(60, await handle.GetResultAsync().WaitAsync(Guard));
    }

    [Fact]
    public async Task A_step_called_right_after_a_long_sleep_in_one_wave_starts_before_the_run_suspends()
    {
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe, [SleepThenStepWorkflow.Definition]);
        var handle = await engine.StartAsync(SleepThenStepWorkflow.Definition, 1500);

        Assert.Equal("marked", await handle.GetResultAsync().WaitAsync(Guard));
        var steps = await GetStepsAsync(handle.RunId);
        Assert.Equal(["sleep", "mark"], steps.Select(s => s.Name));
        Assert.Equal(steps[0].Position, steps[1].Position);
        Assert.Equal(1, probe.Calls("mark"));
    }

    [Fact]
    public async Task Steps_called_in_one_go_share_a_wave_however_fast_they_finish_and_steps_after_it_are_never_earlier()
    {
        var engine = await EngineAsync(definitions: [SynchronousWaveWorkflow.Definition]);
        for (var i = 0; i < 20; i++) // bodies that finish at once, on a loaded machine: the wave must not depend on timing
        {
            var handle = await engine.StartAsync(SynchronousWaveWorkflow.Definition, i);
            Assert.Equal($"{i + 1},{i + 2},{i + 3}|{(3 * i + 6) * 10}|{(3 * i + 6) * 10 + 5}", await handle.GetResultAsync().WaitAsync(Guard));
            var steps = await GetStepsAsync(handle.RunId);
            Assert.Equal(["one", "two", "three", "four", "five"], steps.Select(s => s.Name));
            var p = steps.Select(s => s.Position).ToArray();
            // The wave is decided by the code: one position. What follows it is never earlier; a step awaited after a wave
            // that had all finished before the await may still share the wave's position (known limit: the await of a
            // finished task is not observable).
            Assert.True(p[0] == p[1] && p[1] == p[2] && p[3] >= p[2] && p[4] >= p[3], $"positions {string.Join(",", p)}");
        }
    }

    [Fact]
    public async Task Cancelling_a_parent_cancels_its_unfinished_children()
    {
        var engine = await EngineAsync(definitions: [ParentWorkflow.Definition, ChildWorkflow.Definition]);
        var handle = await engine.StartAsync(ParentWorkflow.Definition, 0);
        await WaitForStatusAsync(handle.RunId, RunStatus.Waiting);
        var child = await ChildOfAsync(handle.RunId);
        await WaitForStatusAsync(child.Id, RunStatus.Waiting);

        Assert.Equal(CancelOutcome.Cancelled, await engine.CancelAsync(handle.RunId, reason: "customer left"));
        var cancelled = await WaitForStatusAsync(child.Id, RunStatus.Cancelled);
        Assert.Contains(handle.RunId.ToString(), cancelled.Error!.Message);
        Assert.Contains("customer left", cancelled.Error.Message);
    }
}

public sealed class InMemoryChildWorkflowTests : ChildWorkflowTests
{
    protected override IJournalHarness CreateHarness() => new InMemoryJournal();
}

public sealed class SqliteChildWorkflowTests : ChildWorkflowTests
{
    protected override IJournalHarness CreateHarness() => new SqliteJournal();
}

public sealed class PostgreSqlChildWorkflowTests : ChildWorkflowTests
{
    protected override IJournalHarness CreateHarness() => new PostgreSqlJournal();
}
