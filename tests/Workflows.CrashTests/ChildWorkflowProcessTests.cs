using Workflows.Journal;
using Workflows.Storage;

namespace Workflows.CrashTests;

/// <summary>
/// A parent run (cluster-parent: a cluster-child with step c1, then the parent's step p1) whose process is killed with
/// SIGKILL while its child runs, or after the child ended but before the parent's next step committed: the next process
/// finds the child it started (never starts a second one, never runs a finished child again) and completes the parent
/// with the child's result.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ChildWorkflowProcessTests
{
    private static readonly string[] Common = ["--lease-ms", "2000", "--poll-ms", "100"];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_parent_killed_while_its_child_runs_completes_after_the_restart_with_the_one_child_it_started(bool onPostgreSql)
    {
        await using var cluster = await HostCluster.CreateAsync(onPostgreSql);
        var release = cluster.FilePath("release-c1");

        var first = cluster.Start("work", [.. Common, "--workflow", "parent", "--start", "1", "--block-step", "c1", "--release-file", release]);
        await cluster.WaitForLedgerAsync(l => l.Any(e => e.Kind == "begin" && e.Step == "c1"), "the child's step body to begin", first);
        await HostCluster.Eventually(async () => (await cluster.ReadJournalAsync()).Any(r => r.Run.Workflow == "cluster-child"
            && r.Steps.Any(s => s.Name == "c1" && s.Status == StepStatus.Running)), "the child's step to be journaled Running", first);

        await first.KillAsync();

        var killed = await cluster.ReadJournalAsync();
        var parent = Assert.Single(killed, r => r.Run.Workflow == "cluster-parent");
        Assert.False(StatusTransitions.IsFinal(parent.Run.Status), $"the parent ended before the kill: {parent.Run.Status}");
        Assert.Null(parent.Run.ParentRunId);
        var child = Assert.Single(killed, r => r.Run.Workflow == "cluster-child");
        Assert.Equal(2, killed.Count);
        Assert.Equal(parent.Run.Id, child.Run.ParentRunId);
        Assert.NotNull(child.Run.ParentStep);
        Assert.Equal(parent.Run.TenantId, child.Run.TenantId);
        Assert.False(StatusTransitions.IsFinal(child.Run.Status), $"the child ended before the kill: {child.Run.Status}");
        Assert.Equal(StepStatus.Running, child.Step("c1").Status);
        var childId = child.Run.Id;
        Assert.Equal([childId], (await cluster.ListRunsAsync(new RunQuery { ParentRunId = parent.Run.Id })).Select(r => r.Id));

        File.WriteAllText(release, "go");
        var second = await cluster.RunToEndAsync("work", [.. Common, "--resume", "--until-all-done", "--block-step", "c1", "--release-file", release]);

        var journal = await cluster.ReadJournalAsync();
        var children = await cluster.ListRunsAsync(new RunQuery { ParentRunId = parent.Run.Id });
        var onlyChild = Assert.Single(children);
        Assert.Equal(childId, onlyChild.Id);
        Assert.Equal(2, journal.Count);

        var (doneChild, childSteps) = Assert.Single(journal, r => r.Run.Id == childId);
        Assert.True(doneChild.Status == RunStatus.Succeeded, $"the child is {doneChild.Status}: {doneChild.Error}\n{second.Output}");
        Assert.Equal(parent.Run.Id, doneChild.ParentRunId);
        Assert.Equal(child.Run.ParentStep, doneChild.ParentStep);
        Assert.Equal(parent.Run.TenantId, doneChild.TenantId);
        Assert.NotNull(doneChild.Output);
        var c1 = Assert.Single(childSteps);
        Assert.Equal("c1", c1.Name);
        Assert.Equal(StepStatus.Succeeded, c1.Status);
        Assert.Equal(1, c1.InterruptedAttempts); // the killed body was interrupted, not failed
        Assert.Equal(0, c1.FailedAttempts);
        Assert.Equal(2, c1.Attempt);
        Assert.Equal(second.Pid, StepOutput.Of(c1).Pid);

        var (doneParent, parentSteps) = Assert.Single(journal, r => r.Run.Id == parent.Run.Id);
        Assert.True(doneParent.Status == RunStatus.Succeeded, $"the parent is {doneParent.Status}: {doneParent.Error}\n{second.Output}");
        Assert.NotNull(doneParent.Output);
        Assert.Contains(Unquote(doneChild.Output), doneParent.Output);
        Assert.Null(doneParent.Owner);
        var entry = Assert.Single(parentSteps, s => s.Kind == StepKind.ChildWorkflow);
        Assert.Equal("cluster-child", entry.Name);
        Assert.Equal(child.Run.ParentStep, entry.Sequence);
        Assert.Equal(StepStatus.Succeeded, entry.Status);
        Assert.Equal(doneChild.Output, entry.Output);
        Assert.Contains(childId.ToString("D"), entry.Input);
        Assert.Equal(StepStatus.Succeeded, parentSteps.Single(s => s.Name == "p1").Status);

        // The child's body began once in each process (the first killed inside it), the parent's step once, in the second.
        var begins = cluster.Ledger().Where(e => e.Kind == "begin").ToList();
        var childBegins = begins.Where(e => e.RunId == childId && e.Step == "c1").ToList();
        Assert.True(childBegins.Count == 2, $"c1 began {childBegins.Count} times:\n  {string.Join("\n  ", begins)}");
        Assert.Equal([first.Pid, second.Pid], childBegins.Select(e => e.Pid));
        Assert.Equal([1, 2], childBegins.Select(e => e.Attempt));
        var p1 = Assert.Single(begins, e => e.Step == "p1");
        Assert.Equal((parent.Run.Id, second.Pid), (p1.RunId, p1.Pid));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_parent_killed_after_its_child_ended_but_before_its_next_step_committed_completes_without_running_the_child_again(bool onPostgreSql)
    {
        await using var cluster = await HostCluster.CreateAsync(onPostgreSql);
        var release = cluster.FilePath("release-p1");

        var first = cluster.Start("work", [.. Common, "--workflow", "parent", "--start", "1", "--block-step", "p1", "--release-file", release]);
        await cluster.WaitForLedgerAsync(l => l.Any(e => e.Kind == "begin" && e.Step == "p1"), "the parent's step body after the child to begin", first);

        await first.KillAsync();

        var killed = await cluster.ReadJournalAsync();
        Assert.Equal(2, killed.Count);
        var parent = Assert.Single(killed, r => r.Run.Workflow == "cluster-parent");
        var child = Assert.Single(killed, r => r.Run.Workflow == "cluster-child");
        Assert.False(StatusTransitions.IsFinal(parent.Run.Status), $"the parent ended before the kill: {parent.Run.Status}");
        Assert.Equal(parent.Run.Id, child.Run.ParentRunId);
        Assert.Equal(RunStatus.Succeeded, child.Run.Status);
        var entryBefore = Assert.Single(parent.Steps, s => s.Kind == StepKind.ChildWorkflow);
        Assert.Equal(StepStatus.Succeeded, entryBefore.Status);
        Assert.Equal(child.Run.Output, entryBefore.Output);
        Assert.Equal(StepStatus.Running, parent.Step("p1").Status);

        File.WriteAllText(release, "go");
        var second = await cluster.RunToEndAsync("work", [.. Common, "--resume", "--until-all-done", "--block-step", "p1", "--release-file", release]);

        var journal = await cluster.ReadJournalAsync();
        Assert.Equal(2, journal.Count);
        var onlyChild = Assert.Single(await cluster.ListRunsAsync(new RunQuery { ParentRunId = parent.Run.Id }));
        Assert.Equal(child.Run.Id, onlyChild.Id);
        var (doneChild, childSteps) = Assert.Single(journal, r => r.Run.Id == child.Run.Id);
        Assert.Equal(RunStatus.Succeeded, doneChild.Status);
        Assert.Equal(child.Run.Output, doneChild.Output);
        Assert.Equal(child.Run.CompletedAt, doneChild.CompletedAt); // not run again
        var c1 = Assert.Single(childSteps);
        Assert.Equal((StepStatus.Succeeded, 1, 0), (c1.Status, c1.Attempt, c1.InterruptedAttempts));

        var (doneParent, parentSteps) = Assert.Single(journal, r => r.Run.Id == parent.Run.Id);
        Assert.True(doneParent.Status == RunStatus.Succeeded, $"the parent is {doneParent.Status}: {doneParent.Error}\n{second.Output}");
        Assert.Contains(Unquote(doneChild.Output), doneParent.Output);
        var entry = Assert.Single(parentSteps, s => s.Kind == StepKind.ChildWorkflow);
        Assert.Equal(StepStatus.Succeeded, entry.Status);
        Assert.Equal(doneChild.Output, entry.Output);
        Assert.Equal(entryBefore.CompletedAt, entry.CompletedAt);
        var p1 = parentSteps.Single(s => s.Name == "p1");
        Assert.Equal(StepStatus.Succeeded, p1.Status);
        Assert.Equal(1, p1.InterruptedAttempts);
        Assert.Equal(0, p1.FailedAttempts);

        // The child's body ran once overall, in the first process; the parent's step once in each.
        var begins = cluster.Ledger().Where(e => e.Kind == "begin").ToList();
        var childBegin = Assert.Single(begins, e => e.Step == "c1");
        Assert.Equal((child.Run.Id, first.Pid), (childBegin.RunId, childBegin.Pid));
        Assert.Equal([first.Pid, second.Pid], begins.Where(e => e.Step == "p1").Select(e => e.Pid));
    }

    /// <summary>A journaled JSON string's text (the child's output is a string; the parent's output embeds it).</summary>
    private static string Unquote(string? json)
    {
        Assert.NotNull(json);
        return System.Text.Json.JsonSerializer.Deserialize<string>(json)!;
    }
}
