using TortureDriver;
using Xunit.Abstractions;

namespace Workflows.Torture.Tests;

/// <summary>
/// The crash torture in its short form (build/torture.sh runs the long one): about 20 crashes per store, a fresh seed each
/// time (printed), the same driver and checker. Every run completes once with the crash-free output; nothing is lost; no
/// body runs after its outcome was recorded; kills never consume the retry budget.
/// </summary>
public sealed class ShortTortureTests(ITestOutputHelper output)
{
    private const int Crashes = 20;

    [Fact]
    public async Task SQLite_worker_killed_20_times_at_random_moments_loses_nothing_and_reruns_no_recorded_step()
    {
        var report = await RunAsync(new TortureSettings { Mode = TortureMode.Sqlite, Crashes = Crashes, Seed = NewSeed() });
        Assert.Equal(Crashes, report.Crashes);
    }

    [Fact]
    public async Task PostgreSQL_workers_two_to_four_at_once_killed_20_times_or_paused_past_their_lease_lose_nothing_and_rerun_no_recorded_step()
    {
        var report = await RunAsync(new TortureSettings
        {
            Mode = TortureMode.Postgres,
            Crashes = Crashes,
            Seed = NewSeed(),
            // A short lease, so that a killed worker's runs are taken over soon: the test stays short.
            LeaseMs = 1200,
            PostgresConnectionString = Environment.GetEnvironmentVariable("WORKFLOWS_POSTGRES") is { Length: > 0 } server
                ? server
                : throw new InvalidOperationException("WORKFLOWS_POSTGRES is not set: run the tests through ./build/test.sh, or source build/postgres.sh; postgres_start."),
        });
        Assert.Equal(Crashes, report.Crashes);
    }

    [Fact]
    public async Task PostgreSQL_server_restarted_immediately_under_two_workers_loses_nothing_and_reruns_no_recorded_step()
    {
        // A server restart costs a recovery: fewer of them, on a server of the test's own (never the shared one).
        var report = await RunAsync(new TortureSettings { Mode = TortureMode.PostgresRestart, Crashes = 3, Seed = NewSeed() });
        Assert.Equal(3, report.Crashes);
    }

    private async Task<TortureReport> RunAsync(TortureSettings settings)
    {
        var report = await TortureRunner.RunAsync(settings with { Log = output.WriteLine });
        output.WriteLine(report.ToString());
        Assert.True(report.Clean, report.ToString());
        Assert.Equal(0, report.Lost);
        Assert.Equal(0, report.ReExecutedAfterRecord);
        Assert.Equal(0, report.RetryBudgetConsumedByCrashes);
        Assert.True(report.Runs >= settings.MinRuns, report.Summary());
        Assert.Equal(report.Runs, report.SleepsChecked);
        return report;
    }

    private static int NewSeed() => Random.Shared.Next();
}
