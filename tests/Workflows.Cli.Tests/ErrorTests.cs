namespace Workflows.Cli.Tests;

/// <summary>Exit codes and the one-line errors scripts rely on.</summary>
[Collection(CliCollection.Name)]
public sealed class ErrorTests(CliFixture fixture)
{
    private async Task AssertFailsAsync(int exitCode, string stderrPattern, params string[] arguments)
    {
        var result = await fixture.RunAsync(arguments);
        Assert.True(result.ExitCode == exitCode, $"expected exit {exitCode}: {result}");
        Assert.Matches("^workflows: " + stderrPattern, result.StdErr);
        Assert.Single(ShowTests.Lines(result.StdErr));
        Assert.Equal("", result.StdOut);
    }

    [Fact]
    public async Task Help_documents_the_exit_codes()
    {
        var result = await fixture.RunAsync("--help");
        Assert.Equal(0, result.ExitCode);
        foreach (var line in new[] { "0  ok", "2  bad input", "3  not found", "4  store unreachable or unreadable", "5  refused" })
        {
            Assert.Contains(line, result.StdOut);
        }
        Assert.Contains("runs", result.StdOut);
        Assert.Contains("events", result.StdOut);
    }

    [Fact]
    public async Task A_missing_journal_is_not_found_and_is_not_created()
    {
        var missing = Path.Combine(fixture.Work, "nowhere", "none.db");
        await AssertFailsAsync(3, $"not found: no journal at {missing}$", "runs", "list", "--db", missing);
        await AssertFailsAsync(3, "not found: no journal at ", "runs", "cancel", fixture.MainRunId.ToString(), "--db", missing);
        Assert.False(File.Exists(missing));

        // WORKFLOWS_DB when --db is absent; else ./workflows.db in the working directory.
        var viaEnvironment = await fixture.RunAsync(["runs", "list"], new Dictionary<string, string?> { ["WORKFLOWS_DB"] = missing });
        Assert.Equal(3, viaEnvironment.ExitCode);
        Assert.Contains(missing, viaEnvironment.StdErr);
        var byDefault = await fixture.RunAsync("runs", "list");
        Assert.Equal(3, byDefault.ExitCode);
        Assert.Contains(Path.Combine(fixture.Work, "workflows.db"), byDefault.StdErr);

        var viaEnvironmentFound = await fixture.RunAsync(["runs", "list", "--json"], new Dictionary<string, string?> { ["WORKFLOWS_DB"] = fixture.Journal });
        Assert.Equal(0, viaEnvironmentFound.ExitCode);
    }

    [Fact]
    public async Task An_unknown_run_is_not_found()
    {
        var unknown = Guid.CreateVersion7();
        await AssertFailsAsync(3, $"not found: no run {unknown} in any tenant$", "runs", "show", unknown.ToString(), "--db", fixture.Journal);
        await AssertFailsAsync(3, $"not found: no run {unknown} in tenant 'acme'$", "runs", "steps", unknown.ToString(), "--db", fixture.Journal, "--tenant", "acme");
        await AssertFailsAsync(3, $"not found: no run {unknown} in any tenant$", "events", "send", unknown.ToString(), "go", "{}", "--db", fixture.Journal);
    }

    [Fact]
    public async Task Bad_input_is_exit_2_naming_the_argument()
    {
        await AssertFailsAsync(2, "bad input: run id 'not-a-run' is not a run id", "runs", "show", "not-a-run", "--db", fixture.Journal);
        await AssertFailsAsync(2, "bad input: --since 'yesterday' is not a date", "runs", "list", "--since", "yesterday", "--db", fixture.Journal);
        await AssertFailsAsync(2, "bad input: --status 'done' is not a run status \\(pending, running, waiting, succeeded, failed, cancelled, parked\\)",
            "runs", "list", "--status", "failed,done", "--db", fixture.Journal);
        await AssertFailsAsync(2, "bad input: --limit 0 is not between 1 and 1000", "runs", "list", "--limit", "0", "--db", fixture.Journal);
        await AssertFailsAsync(2, "bad input: --after 'x' is not a run id", "runs", "list", "--after", "x", "--db", fixture.Journal);
        await AssertFailsAsync(2, "bad input: the json argument is not valid JSON: ", "events", "send", fixture.WaitingRunId.ToString(), "go", "{approved:", "--db", fixture.Journal);
        await AssertFailsAsync(2, "bad input: --from 0 is not a sequence number", "runs", "fork", fixture.MainRunId.ToString(), "--from", "0", "--db", fixture.Journal);
        await AssertFailsAsync(2, "bad input: ", "runs", "fork", fixture.MainRunId.ToString(), "--db", fixture.Journal); // --from is required
        await AssertFailsAsync(2, "bad input: ", "runs", "frobnicate");
        await AssertFailsAsync(2, "bad input: ", "runs", "show");
    }

    [Fact]
    public async Task A_file_that_is_not_a_journal_or_is_of_a_newer_schema_is_unreadable()
    {
        var text = Path.Combine(fixture.Work, "not-a-journal.db");
        await File.WriteAllTextAsync(text, "this is not a SQLite database, just some text that is long enough to be a header.........");
        await AssertFailsAsync(4, $"store unavailable: cannot open the journal at {text}: ", "runs", "list", "--db", text);

        var newer = fixture.CopyJournal("newer");
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={newer};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO workflow_migrations (version, name, applied_at) VALUES (999, 'from the future', '2030-01-01T00:00:00Z')";
            await insert.ExecuteNonQueryAsync();
        }
        await AssertFailsAsync(4, $"store unavailable: cannot open the journal at {newer}: .*999", "runs", "show", fixture.MainRunId.ToString(), "--db", newer);
    }
}
