using System.Text.Json;
using Workflows.Journal;
using Workflows.Sqlite;
using Workflows.Storage;

namespace Workflows.Cli.Tests;

/// <summary>
/// The writes (cancel, resume, fork, events send), each on its own copy of the journal: the journal afterwards holds
/// what the engine API would have written (the same call made with the API on a second copy), read back with the store.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class WriteTests(CliFixture fixture)
{
    private static async Task<T> WithStoreAsync<T>(string path, Func<IWorkflowStore, Task<T>> read)
    {
        await using var store = new SqliteWorkflowStore(new SqliteWorkflowStoreOptions { Path = path, ReadOnly = true });
        await store.InitializeAsync();
        return await read(store);
    }

    private static async Task<T> WithEngineAsync<T>(string path, Func<WorkflowEngine, Task<T>> act)
    {
        await using var store = new SqliteWorkflowStore(path);
        await using var engine = new WorkflowEngine(store);
        return await act(engine);
    }

    private static async Task<(RunRecord Run, IReadOnlyList<StepRecord> Steps)> ReadAsync(string path, string tenant, Guid runId) =>
        await WithStoreAsync(path, async store => ((await store.GetRunAsync(tenant, runId))!, await store.GetStepsAsync(tenant, runId)));

    private static void AssertSameJournal((RunRecord Run, IReadOnlyList<StepRecord> Steps) cli, (RunRecord Run, IReadOnlyList<StepRecord> Steps) api)
    {
        Assert.Equal((api.Run.Status, api.Run.Error, api.Run.Output, api.Run.ForkedFromRunId, api.Run.SchemaVersion, api.Run.Input),
            (cli.Run.Status, cli.Run.Error, cli.Run.Output, cli.Run.ForkedFromRunId, cli.Run.SchemaVersion, cli.Run.Input));
        Assert.Equal(api.Steps.Select(s => (s.Sequence, s.Name, s.Status, s.Attempt, s.Output, s.Error)),
            cli.Steps.Select(s => (s.Sequence, s.Name, s.Status, s.Attempt, s.Output, s.Error)));
    }

    [Fact]
    public async Task Purge_deletes_the_ended_runs_as_DeleteEndedRunsAsync_does_and_keeps_the_waiting_and_parked_ones()
    {
        var cliCopy = fixture.CopyJournal("purge-cli");
        var apiCopy = fixture.CopyJournal("purge-api");
        async Task<IReadOnlyList<Guid>> IdsAsync(string path) =>
            await WithStoreAsync(path, async store => (IReadOnlyList<Guid>)(await store.ListRunsAsync(new RunQuery())).Select(r => r.Id).ToList());
        var before = await IdsAsync(cliCopy);

        // Nothing ended a year ago: nothing goes.
        var none = await fixture.RunAsync("runs", "purge", "--older-than", "52w", "--all-tenants", "--json", "--db", cliCopy);
        Assert.True(none.ExitCode == 0, none.ToString());
        Assert.Equal("""{"deleted":0}""", none.StdOut.TrimEnd());
        Assert.Equal(before, await IdsAsync(cliCopy));

        var result = await fixture.RunAsync("runs", "purge", "--older-than", "0s", "--all-tenants", "--db", cliCopy);
        Assert.True(result.ExitCode == 0, result.ToString());
        var apiDeleted = await WithEngineAsync(apiCopy, engine => engine.DeleteEndedRunsAsync(TimeSpan.Zero, allTenants: true));
        Assert.StartsWith($"deleted {apiDeleted} run(s) that ended before ", result.StdOut);
        Assert.True(apiDeleted > 0);
        var left = await IdsAsync(cliCopy);
        Assert.Equal(await IdsAsync(apiCopy), left);
        Assert.Contains(fixture.WaitingRunId, left);
        Assert.Contains(fixture.ParkedRunId, left);
        Assert.DoesNotContain(fixture.MainRunId, left);

        Assert.Equal(2, (await fixture.RunAsync("runs", "purge", "--older-than", "30d", "--db", cliCopy)).ExitCode);
        Assert.Equal(2, (await fixture.RunAsync("runs", "purge", "--older-than", "30d", "--tenant", "acme", "--all-tenants", "--db", cliCopy)).ExitCode);
        var badAge = await fixture.RunAsync("runs", "purge", "--older-than", "soon", "--all-tenants", "--db", cliCopy);
        Assert.Equal(2, badAge.ExitCode);
        Assert.Contains("--older-than 'soon'", badAge.StdErr);
    }

    [Fact]
    public async Task Resume_reopens_a_failed_run_from_its_failed_step_as_ReopenRunAsync_does()
    {
        var cliCopy = fixture.CopyJournal("resume-cli");
        var apiCopy = fixture.CopyJournal("resume-api");
        var result = await fixture.RunAsync("runs", "resume", fixture.MainRunId.ToString(), "--db", cliCopy);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal($"resumed run {fixture.MainRunId} (was failed, now pending): an engine with workflow 'cli-inspect' runs it", result.StdOut.TrimEnd());
        await WithEngineAsync(apiCopy, engine => engine.ReopenRunAsync(fixture.MainRunId));

        var cli = await ReadAsync(cliCopy, "default", fixture.MainRunId);
        Assert.Equal(RunStatus.Pending, cli.Run.Status);
        Assert.Equal((StepStatus.Pending, 4), (cli.Steps[^1].Status, cli.Steps[^1].Attempt));
        AssertSameJournal(cli, await ReadAsync(apiCopy, "default", fixture.MainRunId));

        // A parked run too; a waiting one is refused and left as it was.
        Assert.Equal(0, (await fixture.RunAsync("runs", "resume", fixture.ParkedRunId.ToString(), "--db", cliCopy)).ExitCode);
        Assert.Equal(RunStatus.Pending, (await ReadAsync(cliCopy, "default", fixture.ParkedRunId)).Run.Status);
        var refused = await fixture.RunAsync("runs", "resume", fixture.WaitingRunId.ToString(), "--db", cliCopy);
        Assert.Equal(5, refused.ExitCode);
        Assert.Equal($"workflows: refused: run {fixture.WaitingRunId} is waiting: only a parked or failed run can be resumed", refused.StdErr.TrimEnd());
        Assert.Equal(RunStatus.Waiting, (await ReadAsync(cliCopy, "default", fixture.WaitingRunId)).Run.Status);
    }

    [Fact]
    public async Task Fork_creates_a_pending_run_with_the_entries_before_from_as_ForkRunAsync_does()
    {
        var cliCopy = fixture.CopyJournal("fork-cli");
        var apiCopy = fixture.CopyJournal("fork-api");
        var result = await fixture.RunAsync("runs", "fork", fixture.MainRunId.ToString(), "--from", "4", "--db", cliCopy);
        Assert.True(result.ExitCode == 0, result.ToString());
        var forkId = Guid.Parse(result.StdOut.Trim());
        var apiFork = await WithEngineAsync(apiCopy, engine => engine.ForkRunAsync(fixture.MainRunId, 4));

        var cli = await ReadAsync(cliCopy, "default", forkId);
        Assert.Equal((RunStatus.Pending, fixture.MainRunId), (cli.Run.Status, cli.Run.ForkedFromRunId));
        Assert.Equal(["prepare", "left", "right"], cli.Steps.Select(s => s.Name));
        AssertSameJournal(cli, await ReadAsync(apiCopy, "default", apiFork.Id));

        var json = await fixture.RunAsync("runs", "fork", fixture.MainRunId.ToString(), "--from", "1", "--db", cliCopy, "--json");
        using (var document = JsonDocument.Parse(json.StdOut))
        {
            Assert.Equal(fixture.MainRunId, document.RootElement.GetProperty("forkedFromRunId").GetGuid());
            Assert.Empty((await ReadAsync(cliCopy, "default", document.RootElement.GetProperty("runId").GetGuid())).Steps);
        }

        var refused = await fixture.RunAsync("runs", "fork", fixture.MainRunId.ToString(), "--from", "10", "--db", cliCopy);
        Assert.Equal(5, refused.ExitCode);
        Assert.Matches($"^workflows: refused: Run {fixture.MainRunId} has steps 1 to 8: fork from 1 to 9", refused.StdErr);
    }

    [Fact]
    public async Task Cancel_cancels_a_waiting_run_with_the_reason_and_refuses_an_ended_one()
    {
        var cliCopy = fixture.CopyJournal("cancel-cli");
        var apiCopy = fixture.CopyJournal("cancel-api");
        var result = await fixture.RunAsync("runs", "cancel", fixture.WaitingRunId.ToString(), "--reason", "ops: not needed", "--db", cliCopy);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal($"cancelled run {fixture.WaitingRunId}", result.StdOut.TrimEnd());
        await WithEngineAsync(apiCopy, engine => engine.CancelAsync(fixture.WaitingRunId, reason: "ops: not needed"));

        var cli = await ReadAsync(cliCopy, "default", fixture.WaitingRunId);
        Assert.Equal(RunStatus.Cancelled, cli.Run.Status);
        Assert.Equal((ErrorKind.Cancelled, "ops: not needed"), (cli.Run.Error!.Kind, cli.Run.Error.Message));
        AssertSameJournal(cli, await ReadAsync(apiCopy, "default", fixture.WaitingRunId));

        var refused = await fixture.RunAsync("runs", "cancel", fixture.MainRunId.ToString(), "--db", cliCopy);
        Assert.Equal(5, refused.ExitCode);
        Assert.Equal($"workflows: refused: run {fixture.MainRunId} has already ended (Failed); nothing changed", refused.StdErr.TrimEnd());
    }

    [Fact]
    public async Task Events_send_delivers_the_json_once_per_key_and_refuses_an_ended_run()
    {
        var copy = fixture.CopyJournal("events");
        for (var i = 0; i < 2; i++)
        {
            var result = await fixture.RunAsync("events", "send", fixture.WaitingRunId.ToString(), "go", """{"approved":true,"by":"cli"}""", "--key", "k-1", "--db", copy);
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.StartsWith($"sent event 'go' to run {fixture.WaitingRunId} (event ", result.StdOut);
        }
        var (events, run) = await WithStoreAsync(copy, async store => (
            await store.GetEventsAsync(new EventQuery("default", fixture.WaitingRunId)),
            await store.GetRunAsync("default", fixture.WaitingRunId)));
        var sent = Assert.Single(events);
        Assert.Equal(("go", "k-1"), (sent.Name, sent.IdempotencyKey));
        using (var payload = JsonDocument.Parse(sent.Payload!))
        {
            Assert.True(payload.RootElement.GetProperty("approved").GetBoolean());
            Assert.Equal("cli", payload.RootElement.GetProperty("by").GetString());
        }
        Assert.NotNull(run!.WakeRequestedAt); // the waiting run is ready at once for the engine that has its workflow

        var ended = await fixture.RunAsync("events", "send", fixture.MainRunId.ToString(), "approval", "true", "--db", copy);
        Assert.Equal(5, ended.ExitCode);
        Assert.Matches($"^workflows: refused: Event 'approval' was not sent: run {fixture.MainRunId} in tenant 'default' has ended \\(Failed\\)", ended.StdErr);
    }
}
