using System.Globalization;
using TortureDriver;

// TortureDriver [--store sqlite|postgres|postgres-restart|all] [--crashes N] [--pg-crashes N] [--restarts N] [--seed S]
// The crash torture (build/torture.sh runs it). Per store it prints the seed and
//   crashes: N, runs: N, lost: 0, re-executed-after-record: 0, extra-executions: N, retry-budget-consumed-by-crashes: 0
// and every violation the checker found; it exits 1 if it found any. PostgreSQL needs WORKFLOWS_POSTGRES (the kill
// phase's server); the restart phase starts a server of its own.
//   --crashes N     SQLite kills (default 500)          --pg-crashes N   PostgreSQL kills (default 200)
//   --restarts N    immediate restarts of the private PostgreSQL server (default 40)
//   --seed S        the seed (default: from the clock); every store's session uses it
//   --verbose       a line per crash (else one per 25)
var store = "all";
var verbose = false;
var crashes = 500;
var pgCrashes = 200;
var restarts = 40;
var seed = Environment.TickCount & int.MaxValue;
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    int Number() => int.Parse(Next(), NumberStyles.Integer, CultureInfo.InvariantCulture);
    switch (args[i])
    {
        case "--store": store = Next(); break;
        case "--crashes": crashes = Number(); break;
        case "--pg-crashes": pgCrashes = Number(); break;
        case "--restarts": restarts = Number(); break;
        case "--seed": seed = Number(); break;
        case "--verbose": verbose = true; break;
        default:
            Console.Error.WriteLine($"unknown argument '{args[i]}' (see tests/hosts/TortureDriver/Program.cs)");
            return 2;
    }
}
TortureMode[] modes = store switch
{
    "sqlite" => [TortureMode.Sqlite],
    "postgres" => [TortureMode.Postgres, TortureMode.PostgresRestart],
    "postgres-kill" => [TortureMode.Postgres],
    "postgres-restart" => [TortureMode.PostgresRestart],
    "all" => [TortureMode.Sqlite, TortureMode.Postgres, TortureMode.PostgresRestart],
    _ => throw new ArgumentException($"--store is sqlite, postgres, postgres-kill, postgres-restart or all, not '{store}'"),
};

Console.WriteLine($"torture seed: {seed}");
var reports = new List<TortureReport>();
foreach (var mode in modes)
{
    var started = DateTime.UtcNow;
    var report = await TortureRunner.RunAsync(new TortureSettings
    {
        Mode = mode,
        Crashes = mode switch { TortureMode.Sqlite => crashes, TortureMode.Postgres => pgCrashes, _ => restarts },
        Seed = seed,
        PostgresConnectionString = Environment.GetEnvironmentVariable("WORKFLOWS_POSTGRES"),
        Log = line =>
        {
            if (verbose || line.Contains("crash ", StringComparison.Ordinal) && line.Split("crash ")[1].Split('/')[0] is var n && int.Parse(n, CultureInfo.InvariantCulture) % 25 == 0)
            {
                Console.WriteLine($"  {DateTime.UtcNow:HH:mm:ss.f} {line}");
            }
        },
    });
    reports.Add(report);
    Console.WriteLine(report);
    Console.WriteLine($"  ({(DateTime.UtcNow - started).TotalSeconds:F0} s)");
}
Console.WriteLine();
foreach (var report in reports)
{
    Console.WriteLine(report.Summary());
}
return reports.All(r => r.Clean) ? 0 : 1;
