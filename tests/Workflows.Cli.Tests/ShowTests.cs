using System.Text.Json;
using System.Text.RegularExpressions;

namespace Workflows.Cli.Tests;

/// <summary><c>runs show</c> and <c>runs steps</c> on the fixture's failed run, in text and as JSON.</summary>
[Collection(CliCollection.Name)]
public sealed class ShowTests(CliFixture fixture)
{
    private string[] Show(params string[] extra) => ["runs", "show", fixture.MainRunId.ToString(), "--db", fixture.Journal, .. extra];

    [Fact]
    public async Task Show_renders_the_header_and_the_runs_error_on_top()
    {
        var result = await fixture.RunAsync(Show());
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = Lines(result.StdOut);
        Assert.StartsWith($"Run {fixture.MainRunId}  workflow 'cli-inspect'  status Failed  schema ", lines[0]);
        Assert.Matches(@"^  tenant default  created \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ  completed \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ  duration \d", lines[1]);
        Assert.Matches(@"^  Error \(StepFailed\): .*card declined for A-17", lines[2]);
        Assert.Matches(@"^ +# +step +state +duration +pos +tokens in/out +cost \$ +detail$", lines[3]);
    }

    [Fact]
    public async Task Show_renders_each_kind_of_row_with_its_glyph_word_position_and_the_json_beneath()
    {
        var result = await fixture.RunAsync(Show());
        Assert.True(result.ExitCode == 0, result.ToString());
        var text = result.StdOut;
        var lines = Lines(text);

        // A plain step: glyph, sequence, name as journaled, the word, a duration, its position; its output beneath, indented.
        var prepare = Row(lines, @"^  ✓ +1\. prepare +succeeded +\d+ ms +1  ");
        Assert.Equal("         {", lines[prepare + 1]);
        Assert.Equal("           \"order\": \"A-17\",", lines[prepare + 2]);
        Assert.Equal("           \"lines\": 3", lines[prepare + 3]);
        Assert.Equal("         }", lines[prepare + 4]);

        // The wave: both share position 2, marked.
        Row(lines, @"^  ✓ +2\. left +succeeded +\S+ \S+ +2∥ ");
        Row(lines, @"^  ✓ +3\. right +succeeded +\S+ \S+ +2∥ ");
        Assert.DoesNotMatch(@"prepare .* 1∥", text);

        // Skipped, with its reason.
        Row(lines, @"^  ↷ +4\. optional +skipped +.*  skipped: not needed for A-17$");

        // The agent step: tokens in/out and cost.
        Row(lines, @"^  ✓ +5\. ask-model +succeeded +\S+ \S+ +4  +120/30 +0\.004200");

        // The event wait answered by the event: its payload, and the payload as JSON beneath.
        var approval = Row(lines, @"^  ✓ +6\. approval \[event\] +succeeded .*payload \{""approved"":true,""by"":""ada""\}$");
        Assert.Equal("         {", lines[approval + 1]);
        Assert.Equal("           \"approved\": true,", lines[approval + 2]);

        // The child: its row names the child run, its entries are indented under it.
        var child = Row(lines, $@"^  ✓ +7\. cli-section \[child\] +succeeded .*child run {fixture.ChildRunId}$");
        Assert.Equal("         \"draft of A-17, polished\"", lines[child + 1]);
        Assert.Matches(@"^  ✓ +1\.   draft +succeeded .* 40/10 +0\.001100$", lines[child + 2]);
        Assert.Equal("           \"draft of A-17\"", lines[child + 3]);
        Assert.Matches(@"^  ✓ +2\.   polish +succeeded ", lines[child + 4]);

        // The failed step: after its three attempts, the error beneath.
        var charge = Row(lines, @"^  ✗ +8\. charge +failed +.*attempt 3; StepFailed: card declined for A-17$");
        Assert.Equal("         error StepFailed (System.InvalidOperationException): card declined for A-17", lines[charge + 1]);

        // Totals over the run and its child; counts by state.
        Assert.Contains("  Totals (run and its children): 160 tokens in, 40 tokens out, $0.005300", lines);
        Assert.Contains("  10 entries: 8 succeeded, 1 failed, 1 skipped", lines);
        Assert.DoesNotContain("Output:", text);
    }

    [Fact]
    public async Task Show_json_holds_the_same_facts_with_payloads_embedded_as_json()
    {
        var result = await fixture.RunAsync(Show("--json"));
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.StdOut);
        var root = json.RootElement;
        var run = root.GetProperty("run");
        Assert.Equal(fixture.MainRunId, run.GetProperty("id").GetGuid());
        Assert.Equal("cli-inspect", run.GetProperty("workflow").GetString());
        Assert.Equal("failed", run.GetProperty("status").GetString());
        Assert.Equal("default", run.GetProperty("tenantId").GetString());
        Assert.Equal("A-17", run.GetProperty("input").GetString());
        Assert.Equal("StepFailed", run.GetProperty("error").GetProperty("kind").GetString());

        var rows = root.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(["prepare", "left", "right", "optional", "ask-model", "approval", "cli-section", "draft", "polish", "charge"],
            rows.Select(r => r.GetProperty("name").GetString()));
        var prepare = rows[0];
        Assert.Equal(JsonValueKind.Object, prepare.GetProperty("output").ValueKind);
        Assert.Equal("A-17", prepare.GetProperty("output").GetProperty("order").GetString());
        Assert.Equal(("succeeded", "✓", "step"), (prepare.GetProperty("state").GetString(), prepare.GetProperty("glyph").GetString(), prepare.GetProperty("kind").GetString()));

        Assert.Equal(rows[1].GetProperty("position").GetInt32(), rows[2].GetProperty("position").GetInt32());
        Assert.True(rows[1].GetProperty("sharesPosition").GetBoolean());
        Assert.False(prepare.GetProperty("sharesPosition").GetBoolean());

        Assert.Equal("skipped", rows[3].GetProperty("state").GetString());
        Assert.Equal("not needed for A-17", rows[3].GetProperty("error").GetProperty("message").GetString());

        Assert.Equal(120, rows[4].GetProperty("inputTokens").GetInt32());
        Assert.Equal(30, rows[4].GetProperty("outputTokens").GetInt32());
        Assert.Equal(0.0042m, rows[4].GetProperty("costUsd").GetDecimal());

        Assert.Equal("event", rows[5].GetProperty("kind").GetString());
        Assert.True(rows[5].GetProperty("output").GetProperty("approved").GetBoolean());

        Assert.Equal("child", rows[6].GetProperty("kind").GetString());
        Assert.Equal(fixture.ChildRunId, rows[6].GetProperty("childRunId").GetGuid());
        Assert.All(rows[7..9], r =>
        {
            Assert.Equal(1, r.GetProperty("depth").GetInt32());
            Assert.Equal(fixture.ChildRunId, r.GetProperty("runId").GetGuid());
        });

        var child = Assert.Single(root.GetProperty("childRuns").EnumerateArray());
        Assert.Equal((fixture.ChildRunId, "succeeded", fixture.MainRunId), (child.GetProperty("id").GetGuid(), child.GetProperty("status").GetString(), child.GetProperty("parentRunId").GetGuid()));

        var charge = rows[9];
        Assert.Equal(("failed", "✗", 3), (charge.GetProperty("state").GetString(), charge.GetProperty("glyph").GetString(), charge.GetProperty("attempt").GetInt32()));
        Assert.Equal("StepFailed", charge.GetProperty("error").GetProperty("kind").GetString());
        Assert.Equal(JsonValueKind.Null, charge.GetProperty("output").ValueKind);

        var totals = root.GetProperty("totals");
        Assert.Equal((160, 40, 0.0053m), (totals.GetProperty("inputTokens").GetInt32(), totals.GetProperty("outputTokens").GetInt32(), totals.GetProperty("costUsd").GetDecimal()));
        Assert.Equal(8, root.GetProperty("counts").GetProperty("succeeded").GetInt32());
    }

    [Fact]
    public async Task Steps_lists_one_line_per_entry_without_json_bodies()
    {
        var result = await fixture.RunAsync("runs", "steps", fixture.MainRunId.ToString(), "--db", fixture.Journal);
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = Lines(result.StdOut);
        Assert.Equal(9, lines.Count); // the column header and the run's 8 entries
        Assert.Matches(@"^  ✓ +1\. prepare +succeeded +\d+ ms +1 +- +-$", lines[1]);
        Assert.Matches(@"^  ✗ +8\. charge +failed .*attempt 3; StepFailed: card declined", lines[8]);
        Assert.DoesNotContain("\"order\"", result.StdOut);

        var json = await fixture.RunAsync("runs", "steps", fixture.MainRunId.ToString(), "--db", fixture.Journal, "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var document = JsonDocument.Parse(json.StdOut);
        var steps = document.RootElement.GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal(Enumerable.Range(1, 8), steps.Select(s => s.GetProperty("sequence").GetInt32()));
        Assert.All(steps, s => Assert.False(s.TryGetProperty("output", out _)));
    }

    [Fact]
    public async Task Show_finds_a_run_in_its_tenant_and_not_in_another()
    {
        var acme = await fixture.RunAsync("runs", "show", fixture.AcmeRunId.ToString(), "--db", fixture.Journal, "--tenant", "acme");
        Assert.True(acme.ExitCode == 0, acme.ToString());
        Assert.Contains("tenant acme", acme.StdOut);

        var anyTenant = await fixture.RunAsync("runs", "show", fixture.AcmeRunId.ToString(), "--db", fixture.Journal);
        Assert.True(anyTenant.ExitCode == 0, anyTenant.ToString());

        var other = await fixture.RunAsync("runs", "show", fixture.AcmeRunId.ToString(), "--db", fixture.Journal, "--tenant", "default");
        Assert.Equal(3, other.ExitCode);
        Assert.Equal($"workflows: not found: no run {fixture.AcmeRunId} in tenant 'default'", other.StdErr.TrimEnd());
        Assert.Equal("", other.StdOut);
    }

    [Fact]
    public async Task Show_renders_an_open_event_wait_as_waiting()
    {
        var result = await fixture.RunAsync("runs", "show", fixture.WaitingRunId.ToString(), "--db", fixture.Journal);
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = Lines(result.StdOut);
        Assert.StartsWith($"Run {fixture.WaitingRunId}  workflow 'cli-waiting'  status Waiting  ", lines[0]);
        Assert.Contains("  waiting for event:go", lines);
        Row(lines, @"^  ✓ +1\. start +succeeded ");
        Row(lines, @"^  ◷ +2\. go \[event\] +waiting +.*waiting for event 'go'$");
        Assert.Contains("  2 entries: 1 succeeded, 1 waiting", lines);
    }

    internal static List<string> Lines(string text) => [.. text.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n')];

    private static int Row(List<string> lines, string pattern)
    {
        var index = lines.FindIndex(line => Regex.IsMatch(line, pattern));
        Assert.True(index >= 0, $"no line matches {pattern} in:\n{string.Join('\n', lines)}");
        return index;
    }
}
