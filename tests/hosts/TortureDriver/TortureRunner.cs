namespace TortureDriver;

/// <summary>
/// A whole torture of one store: the tortured session, then a crash-free session of the same runs on SQLite (the
/// reference: what a run that never crashed journals and returns), then the checker. The long runs (build/torture.sh)
/// and the short ones (CI's tests) both come here.
/// </summary>
internal static class TortureRunner
{
    public static async Task<TortureReport> RunAsync(TortureSettings settings)
    {
        await using var tortured = await TortureSession.CreateAsync(settings);
        await tortured.RunAsync();
        var reference = await CrashFreeAsync(tortured.RunsCreated, settings);
        var report = await tortured.CheckAsync(reference);
        report.Crashes = tortured.Report.Crashes;
        return report;
    }

    /// <summary>The same runs, crash-free, on a SQLite journal of their own.</summary>
    public static async Task<CrashFreeReference> CrashFreeAsync(int runs, TortureSettings like)
    {
        await using var session = await TortureSession.CreateAsync(like with
        {
            Mode = TortureMode.Sqlite,
            Crashes = 0,
            MinRuns = runs,
            InFlight = 48,
            MaxConcurrentRuns = 64,
            Log = null,
        });
        await session.RunAsync();
        if (!session.Report.Clean)
        {
            throw new InvalidOperationException("The crash-free reference session did not run cleanly:\n" + string.Join("\n", session.Report.Violations));
        }
        return CrashFreeReference.From(await session.ReadRowsAsync(full: true));
    }
}
