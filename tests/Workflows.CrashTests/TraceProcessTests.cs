namespace Workflows.CrashTests;

/// <summary>
/// OpenTelemetry across processes (in-memory exporter in each child): a run started under a caller's span in process A,
/// which is killed (SIGKILL) inside a step, is resumed by process B, whose run span continues the caller's trace id, and
/// whose step spans are only those of the steps B ran (the replayed ones are not spanned again).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class TraceProcessTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_run_resumed_in_a_second_process_continues_the_trace_of_the_caller_in_the_first(bool onPostgreSql)
    {
        await using var cluster = await HostCluster.CreateAsync(onPostgreSql);
        string[] common = ["--lease-ms", "2000", "--poll-ms", "100", "--trace"];
        var release = cluster.FilePath("release-s3");

        var first = cluster.Start("work", [.. common, "--start", "1", "--block-step", "s3", "--release-file", release]);
        var callerLine = await first.WaitForLineAsync(l => l.StartsWith("TRACE-CALLER ", StringComparison.Ordinal), "the caller's trace id");
        var trace = callerLine["TRACE-CALLER ".Length..].Trim();
        await cluster.WaitForLedgerAsync(l => l.Any(e => e.Kind == "begin" && e.Step == "s3"), "s3 to begin", first);
        await first.KillAsync();

        var (killed, _) = Assert.Single(await cluster.ReadJournalAsync());
        Assert.NotNull(killed.TraceParent);
        Assert.Contains(trace, killed.TraceParent);

        File.WriteAllText(release, "go");
        var second = await cluster.RunToEndAsync("work", [.. common, "--resume", "--until-all-done", "--block-step", "s3", "--release-file", release]);

        var spans = second.Lines.Where(l => l.StartsWith("SPAN ", StringComparison.Ordinal)).Select(l => l.Split(' ')).ToList();
        var run = Assert.Single(spans, s => s[1] == "workflow.run_cluster-work");
        Assert.Equal(trace, run[2]); // the same trace as the caller in the killed process
        Assert.Equal("status=Succeeded", run[4]);
        Assert.Equal("replayed=2", run[3]); // s1 and s2 came from the journal
        var steps = spans.Where(s => s[1].StartsWith("workflow.step_", StringComparison.Ordinal)).Select(s => s[1]).ToList();
        Assert.Equal(["workflow.step_s3", "workflow.step_s4", "workflow.step_s5"], steps.Order());
        Assert.All(spans, s => Assert.Equal(trace, s[2]));
        Assert.Equal("Succeeded", RunStatusText(await cluster.ReadJournalAsync()));
    }

    private static string RunStatusText(IReadOnlyList<JournalRun> journal) => Assert.Single(journal).Run.Status.ToString();
}
