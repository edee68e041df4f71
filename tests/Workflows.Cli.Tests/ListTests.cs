using System.Text.Json;
using Workflows.Journal;

namespace Workflows.Cli.Tests;

/// <summary><c>runs list</c> (filters, newest first, paging) and <c>runs parked</c>.</summary>
[Collection(CliCollection.Name)]
public sealed class ListTests(CliFixture fixture)
{
    private async Task<(List<Guid> Ids, Guid? Next)> ListJsonAsync(params string[] extra)
    {
        var result = await fixture.RunAsync(["runs", "list", "--db", fixture.Journal, "--json", .. extra]);
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.StdOut);
        var ids = json.RootElement.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("id").GetGuid()).ToList();
        var next = json.RootElement.GetProperty("nextAfterId");
        return (ids, next.ValueKind == JsonValueKind.Null ? null : next.GetGuid());
    }

    [Fact]
    public async Task List_shows_every_run_newest_first_with_glyph_and_word()
    {
        var (ids, next) = await ListJsonAsync();
        Assert.Equal(fixture.Runs.Select(r => r.Id), ids);
        Assert.Null(next);

        var text = await fixture.RunAsync("runs", "list", "--db", fixture.Journal);
        Assert.True(text.ExitCode == 0, text.ToString());
        var lines = ShowTests.Lines(text.StdOut);
        Assert.Matches(@"^  status +run +workflow +tenant +created +duration$", lines[0]);
        Assert.Equal(fixture.Runs.Select(r => r.Id.ToString()), lines.Skip(1).Take(5).Select(l => l.Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[1]));
        Assert.Contains(lines, l => l.StartsWith("  ✗ failed     " + fixture.MainRunId + "  cli-inspect ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("  ◷ waiting    " + fixture.WaitingRunId + "  cli-waiting ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("  ⏸ parked     " + fixture.ParkedRunId, StringComparison.Ordinal));
        Assert.Equal("  5 run(s)", lines[6]);
        Assert.DoesNotContain("next page", text.StdOut);
    }

    [Fact]
    public async Task List_filters_by_workflow_status_tenant_and_since()
    {
        Assert.Equal([fixture.MainRunId], (await ListJsonAsync("--workflow", "cli-inspect")).Ids);
        Assert.Equal(
            fixture.Runs.Where(r => r.Status is RunStatus.Failed or RunStatus.Parked).Select(r => r.Id),
            (await ListJsonAsync("--status", "failed,Parked")).Ids);
        Assert.Equal([fixture.AcmeRunId], (await ListJsonAsync("--tenant", "acme")).Ids);
        Assert.Equal(4, (await ListJsonAsync("--tenant", "default")).Ids.Count);
        Assert.Equal(5, (await ListJsonAsync("--since", "1d")).Ids.Count);
        Assert.Equal(5, (await ListJsonAsync("--since", "999999999999w")).Ids.Count);
        Assert.Equal(5, (await ListJsonAsync("--since", fixture.Runs.Min(r => r.CreatedAt).AddSeconds(-1).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ"))).Ids.Count);
        Assert.Equal(5, (await ListJsonAsync("--since", fixture.Runs.Min(r => r.CreatedAt).UtcDateTime.ToString("yyyy-MM-dd"))).Ids.Count);
        Assert.Empty((await ListJsonAsync("--since", DateTime.UtcNow.AddDays(2).ToString("yyyy-MM-dd"))).Ids);
        Assert.Empty((await ListJsonAsync("--workflow", "cli-inspect", "--status", "succeeded")).Ids);
    }

    [Fact]
    public async Task List_pages_with_after_and_prints_the_next_page_id()
    {
        var seen = new List<Guid>();
        var (page, next) = await ListJsonAsync("--limit", "2");
        Assert.Equal(2, page.Count);
        Assert.Equal(page[^1], next);
        seen.AddRange(page);
        (page, next) = await ListJsonAsync("--limit", "2", "--after", next!.Value.ToString());
        seen.AddRange(page);
        (page, next) = await ListJsonAsync("--limit", "2", "--after", next!.Value.ToString());
        Assert.Single(page);
        Assert.Null(next);
        seen.AddRange(page);
        Assert.Equal(fixture.Runs.Select(r => r.Id), seen);

        var text = await fixture.RunAsync("runs", "list", "--db", fixture.Journal, "--limit", "2");
        Assert.Contains($"next page: --after {fixture.Runs[1].Id}", ShowTests.Lines(text.StdOut));
    }

    [Fact]
    public async Task Parked_lists_the_parked_run_with_why()
    {
        var text = await fixture.RunAsync("runs", "parked", "--db", fixture.Journal);
        Assert.True(text.ExitCode == 0, text.ToString());
        var lines = ShowTests.Lines(text.StdOut);
        Assert.StartsWith("  ⏸ parked     " + fixture.ParkedRunId + "  cli-parked ", lines[1]);
        Assert.Matches(@"^      MissingService: .*MissingDependency", lines[2]);
        Assert.Equal("  1 run(s)", lines[3]);

        var json = await fixture.RunAsync("runs", "parked", "--db", fixture.Journal, "--json");
        using var document = JsonDocument.Parse(json.StdOut);
        var run = Assert.Single(document.RootElement.GetProperty("runs").EnumerateArray());
        Assert.Equal(fixture.ParkedRunId, run.GetProperty("id").GetGuid());
        Assert.Equal("parked", run.GetProperty("status").GetString());
        Assert.Equal("MissingService", run.GetProperty("error").GetProperty("kind").GetString());

        var none = await fixture.RunAsync("runs", "parked", "--db", fixture.Journal, "--tenant", "acme");
        Assert.Equal("no runs", none.StdOut.TrimEnd());
    }
}
