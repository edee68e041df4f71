using System.Text.Json;

namespace Workflows.Cli.Tests;

/// <summary><c>runs claims</c>: the fixture's main run's claim history, as a table and as JSON, and a run that is not there.</summary>
[Collection(CliCollection.Name)]
public sealed class ClaimsTests(CliFixture fixture)
{
    private string[] Claims(params string[] extra) => ["runs", "claims", fixture.MainRunId.ToString(), "--db", fixture.Journal, .. extra];

    [Fact]
    public async Task Claims_lists_each_claim_of_the_run_with_its_owner_times_and_how_it_ended()
    {
        var result = await fixture.RunAsync(Claims());

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = ShowTests.Lines(result.StdOut);
        Assert.Matches($@"^Run {fixture.MainRunId}: \d+ claims?$", lines[0]);
        Assert.Matches(@"^ +# +owner +claimed +ended +how +held until$", lines[1]);
        var rows = lines.Skip(2).ToList();
        Assert.NotEmpty(rows);
        var stamp = @"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z";
        for (var i = 0; i < rows.Count; i++)
        {
            // The run ended (it failed): every claim of it was released, and held until its release.
            Assert.Matches($@"^ +{i + 1}  \S+ +{stamp}  {stamp}  released +{stamp}$", rows[i]);
        }
    }

    [Fact]
    public async Task Claims_json_has_every_claim_numbered_from_one_and_released_when_the_run_ended()
    {
        var result = await fixture.RunAsync(Claims("--json"));

        Assert.True(result.ExitCode == 0, result.ToString());
        using var document = JsonDocument.Parse(result.StdOut);
        Assert.Equal(fixture.MainRunId, document.RootElement.GetProperty("runId").GetGuid());
        var claims = document.RootElement.GetProperty("claims").EnumerateArray().ToList();
        Assert.NotEmpty(claims);
        for (var i = 0; i < claims.Count; i++)
        {
            var claim = claims[i];
            Assert.Equal(i + 1, claim.GetProperty("number").GetInt32());
            Assert.False(string.IsNullOrEmpty(claim.GetProperty("owner").GetString()));
            Assert.Equal("Released", claim.GetProperty("end").GetString());
            var claimed = claim.GetProperty("claimedAt").GetDateTimeOffset();
            var ended = claim.GetProperty("endedAt").GetDateTimeOffset();
            Assert.True(ended >= claimed, $"claim {i + 1} ended {ended:O} before it began {claimed:O}");
            Assert.Equal(ended, claim.GetProperty("heldUntil").GetDateTimeOffset());
        }
    }

    [Fact]
    public async Task Claims_of_a_run_that_is_not_there_is_not_found()
    {
        var unknown = Guid.CreateVersion7();

        var result = await fixture.RunAsync("runs", "claims", unknown.ToString(), "--db", fixture.Journal);

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Matches($"^workflows: not found: no run {unknown} in any tenant", result.StdErr);
    }
}
