using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using Workflows.Sqlite;
using Workflows.Storage;

namespace Workflows.Benchmarks;

/// <summary>
/// The whole suite of issue 12, side by side in one invocation (whole processes, not tests; goals reported, never
/// asserted, never an exit code): each round measures, in this order, raw SQLite commits/s, the peers' workload on SQLite
/// at synchronous=FULL (sequential, 16 in flight), raw SQLite again, the same workload in memory, the in-memory cost per
/// step, the 10,000-step resume, the recovery workload and the cold start in child processes, and the codec benchmark.
/// With <c>--runs N</c> the rounds repeat (so the measures interleave) and a summary prints each metric's median and range.
/// </summary>
internal static class Suite
{
    /// <summary>How long each engine workload warms up before it is measured (the JIT's final tier, the WAL wrapped).</summary>
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(1);

    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = IntArg(args, "--runs", 1);
        var rawSeconds = IntArg(args, "--raw-seconds", 2);
        var host = StringArg(args, "--host") ?? DefaultHost();
        // The same host published with ReadyToRun (bench.sh publishes it): the SDK's assemblies precompiled, as a service
        // deployed with PublishReadyToRun runs them. Measured beside the JIT host when given.
        var r2rHost = StringArg(args, "--r2r-host");
        var keep = args.Contains("--keep");
        if (rounds < 1) throw new ArgumentOutOfRangeException(nameof(args), rounds, "--runs must be at least 1");
        if (!File.Exists(host)) throw new FileNotFoundException($"the benchmark's child host is not built: {host} (dotnet build tests/hosts/BenchHost -c Release)", host);
        var folder = StringArg(args, "--dir") is { } dir ? Directory.CreateDirectory(dir).FullName : Directory.CreateTempSubdirectory("workflows-bench-suite-").FullName;

        Console.WriteLine($"Workflows benchmark suite (issue 12), {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm:ss} UTC, {rounds} round{(rounds == 1 ? "" : "s")}");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, server GC {System.Runtime.GCSettings.IsServerGC}, load {Load()}");
        Console.WriteLine($"folder: {folder} (engine journal engine.db and raw loop raw.db side by side, each held open for the whole suite; WAL, synchronous=FULL)");
        Console.WriteLine($"child host: {host}{(r2rHost is null ? "" : $"; published with ReadyToRun: {r2rHost}")}");
        Console.WriteLine();

        var metrics = new Metrics();
        var started = DateTimeOffset.UtcNow;
        try
        {
            // Held open for the whole suite, both: their WAL files are reused from round to round (steady state).
            using var raw = new RawSqlite(Path.Combine(folder, "raw.db"));
            await using var journal = new SqliteWorkflowStore(Path.Combine(folder, "engine.db"));
            await journal.InitializeAsync();
            for (var round = 1; round <= rounds; round++)
            {
                Console.WriteLine($"--- round {round} of {rounds} (load {Load()})");
                await RoundAsync(metrics, raw, journal, folder, host, r2rHost, TimeSpan.FromSeconds(rawSeconds));
                Console.WriteLine();
            }
            if (rounds > 1)
            {
                metrics.PrintSummary(rounds);
                Console.WriteLine();
            }
            PrintGoals(metrics);
            Console.WriteLine($"suite time: {(DateTimeOffset.UtcNow - started).TotalSeconds.ToString("N0", CultureInfo.InvariantCulture)} s; load at the end {Load()}");
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            if (!keep && StringArg(args, "--dir") is null) Directory.Delete(folder, recursive: true);
        }
        return 0;
    }

    private static async Task RoundAsync(Metrics m, RawSqlite raw, SqliteWorkflowStore journal, string folder, string host, string? r2rHost, TimeSpan rawDuration)
    {
        // Raw SQLite right before and right after the engine's runs on the same disk, their mean the reference.
        var before = raw.CommitsPerSecond(rawDuration);
        m.Add("raw_sqlite_commits_per_s_before", before, "commits/s",
            note: $"one-row INSERT per transaction, journal_mode={raw.JournalMode}, synchronous={raw.Synchronous} (2 = FULL), {rawDuration.TotalSeconds} s");
        var sqlite = await PeerWorkload.RunAsync(journal, WarmUp);
        var after = raw.CommitsPerSecond(rawDuration);
        m.Add("raw_sqlite_commits_per_s_after", after, "commits/s");
        var rawMean = (before + after) / 2;
        m.Add("raw_sqlite_commits_per_s_mean", rawMean, "commits/s");
        m.Add("sqlite_seq_steps_per_s", sqlite.SequentialStepsPerSecond, "steps/s",
            note: $"{PeerWorkload.Runs} runs x {PeerWorkload.StepsPerRun} steps one at a time; {Metrics.Format(sqlite.SequentialCommitsPerStep, "N2")} store commits per step, {Metrics.Format(sqlite.SequentialFlushedCommitsPerStep, "N2")} fsync'd");
        m.Add("sqlite_conc16_steps_per_s", sqlite.ConcurrentStepsPerSecond, "steps/s",
            note: $"{PeerWorkload.Runs} runs x {PeerWorkload.StepsPerRun} steps, {PeerWorkload.InFlight} in flight; {Metrics.Format(sqlite.ConcurrentCommitsPerStep, "N2")} store commits per step; background errors {sqlite.BackgroundErrors}");
        m.Add("seq / raw", sqlite.SequentialStepsPerSecond / rawMean, "x", "N2");
        m.Add("conc / raw", sqlite.ConcurrentStepsPerSecond / rawMean, "x", "N2");
        m.Add("sqlite_fsync_commits_per_step_seq", sqlite.SequentialFlushedCommitsPerStep, "", "N2");

        var memory = await PeerWorkload.RunAsync(new InMemoryWorkflowStore(), WarmUp);
        m.Add("memory_seq_steps_per_s", memory.SequentialStepsPerSecond, "steps/s");
        m.Add("memory_conc16_steps_per_s", memory.ConcurrentStepsPerSecond, "steps/s");

        var overhead = await OverheadWorkload.RunAsync();
        m.Add("memory_added_us_per_step", overhead.AddedUs, "us", "N2",
            note: $"engine {Metrics.Format(overhead.EngineUs, "N2")} us - plain call {Metrics.Format(overhead.PlainUs, "N3")} us, runs of {OverheadWorkload.StepsPerRun} peer steps");
        m.Add("memory_step_serialization_us", overhead.SerializationUs, "us", "N2", note: "the step result's journal codec, write + read");
        m.Add("memory_added_us_per_step_beyond_serialization", overhead.AddedUs - overhead.SerializationUs, "us", "N2");

        var resume = await ResumeWorkload.RunAsync(folder);
        m.Add("resume_10k_sqlite_ms", resume.SqliteResumeMs, "ms", "N1",
            note: $"fresh store + engine -> result, {resume.Replayed} steps replayed, none executed");
        m.Add("resume_10k_sqlite_read_steps_ms", resume.SqliteReadStepsMs, "ms", "N1", note: "fresh store, GetStepsAsync of the 10,000 rows alone");
        m.Add("resume_10k_memory_ms", resume.MemoryResumeMs, "ms", "N1");

        var recovery = await RecoveryWorkload.RecoverAsync(host, folder);
        m.Add("recovery_restart_to_result_ms", recovery.RestartToResultMs, "ms", "N0",
            note: $"killed (kill -9, exit {recovery.KilledExitCode}) at {recovery.LinesAtKill} side-file lines; the restart ran {recovery.StepsAfterRestart} steps, {recovery.StepsRunTwice} of them also before the kill");
        m.Add("recovery_restart_minus_step_sleep_ms", recovery.MinusSleepMs, "ms", "N0",
            note: $"minus {recovery.StepsAfterRestart} x {RecoveryWorkload.SleepMs} ms");
        m.Add("recovery_restart_minus_measured_sleep_ms", recovery.MinusMeasuredSleepMs, "ms", "N0",
            note: $"minus the {Metrics.Format(recovery.ChildSleptMs, "N0")} ms the restarted child's step bodies really spent in Task.Delay({RecoveryWorkload.SleepMs})");
        m.Add("recovery_restart_child_jit_ms", recovery.ChildJitMs, "ms", "N0", note: $"the restarted child's own start -> result {Metrics.Format(recovery.ChildSinceStartMs, "N0")} ms");

        var cold = await RecoveryWorkload.ColdAsync(host, folder);
        m.Add("cold_start_to_first_result_ms", cold.StartToResultMs, "ms", "N0", note: $"1-step workflow, new journal; the child's own start -> result {Metrics.Format(cold.ChildSinceStartMs, "N0")} ms");
        m.Add("cold_start_jit_ms", cold.ChildJitMs, "ms", "N0", note: $"{cold.JitMethods} methods compiled");

        if (r2rHost is not null)
        {
            var r2r = await RecoveryWorkload.RecoverAsync(r2rHost, folder);
            m.Add("r2r_recovery_restart_to_result_ms", r2r.RestartToResultMs, "ms", "N0",
                note: $"ReadyToRun host; killed at {r2r.LinesAtKill} side-file lines; the restart ran {r2r.StepsAfterRestart} steps, {r2r.StepsRunTwice} of them also before the kill");
            m.Add("r2r_recovery_restart_minus_step_sleep_ms", r2r.MinusSleepMs, "ms", "N0", note: $"minus {r2r.StepsAfterRestart} x {RecoveryWorkload.SleepMs} ms");
            m.Add("r2r_recovery_restart_child_jit_ms", r2r.ChildJitMs, "ms", "N0");
            var r2rCold = await RecoveryWorkload.ColdAsync(r2rHost, folder);
            m.Add("r2r_cold_start_to_first_result_ms", r2rCold.StartToResultMs, "ms", "N0", note: "ReadyToRun host, 1-step workflow, new journal");
            m.Add("r2r_cold_start_jit_ms", r2rCold.ChildJitMs, "ms", "N0", note: $"{r2rCold.JitMethods} methods compiled");
        }

        var codecs = await CodecWorkload.RunAsync();
        foreach (var ratio in codecs)
        {
            var key = ratio.Category.Replace(' ', '_');
            m.Add($"codec_{key}_throughput", ratio.Throughput, "x", "N2",
                note: $"STJ {Metrics.Format(ratio.StjNs, "N0")} ns / generated {Metrics.Format(ratio.GeneratedNs, "N0")} ns");
            m.Add($"codec_{key}_allocation", ratio.Allocation, "x", "N2",
                note: $"generated {Metrics.Format(ratio.GeneratedBytes, "N0")} B / STJ {Metrics.Format(ratio.StjBytes, "N0")} B");
        }
        m.Add("codec_min_throughput", codecs.Min(r => r.Throughput), "x", "N2");
        m.Add("codec_max_allocation", codecs.Max(r => r.Allocation), "x", "N2");
    }

    private static void PrintGoals(Metrics m)
    {
        void Goal(string text, bool pass, string value) => Console.WriteLine($"goal {text}: {(pass ? "PASS" : "FAIL")}   ({value})");
        string V(string name, string format, string unit) => Metrics.Format(m.Median(name), format) + unit;
        Console.WriteLine("goals (issue 12; on the medians over the rounds; reported, not asserted, not an exit code):");
        Goal("sequential >= 0.7x raw commits/s", m.Median("seq / raw") >= 0.7, V("seq / raw", "N2", " x") + " (each round against its own raw mean); medians "
            + V("sqlite_seq_steps_per_s", "N0", " steps/s") + " vs " + V("raw_sqlite_commits_per_s_mean", "N0", " commits/s"));
        Goal("16 in flight >= 20,000 steps/s", m.Median("sqlite_conc16_steps_per_s") >= 20_000, V("sqlite_conc16_steps_per_s", "N0", " steps/s"));
        Goal("restart -> result minus step sleep <= 250 ms", m.Median("recovery_restart_minus_step_sleep_ms") <= 250, V("recovery_restart_minus_step_sleep_ms", "N0", " ms"));
        if (m.Has("r2r_recovery_restart_minus_step_sleep_ms"))
        {
            Goal("restart -> result minus step sleep <= 250 ms, host published with ReadyToRun", m.Median("r2r_recovery_restart_minus_step_sleep_ms") <= 250,
                V("r2r_recovery_restart_minus_step_sleep_ms", "N0", " ms"));
        }
        Goal("10,000-step resume <= 100 ms in process", m.Median("resume_10k_sqlite_ms") <= 100, V("resume_10k_sqlite_ms", "N1", " ms") + " on SQLite, " + V("resume_10k_memory_ms", "N1", " ms") + " in memory");
        Goal("in-memory added cost <= 2 us per step", m.Median("memory_added_us_per_step") <= 2, V("memory_added_us_per_step", "N2", " us") + "; beyond serialization " + V("memory_added_us_per_step_beyond_serialization", "N2", " us"));
        Goal("codecs >= 1.0x System.Text.Json source-gen throughput", m.Median("codec_min_throughput") >= 1.0, "slowest category " + V("codec_min_throughput", "N2", " x"));
        Goal("codecs allocate no more than System.Text.Json source-gen", m.Median("codec_max_allocation") <= 1.0, "worst category " + V("codec_max_allocation", "N2", " x"));
    }

    private static string DefaultHost()
    {
        // tests/Workflows.Benchmarks/bin/Release/net10.0/ -> tests/hosts/BenchHost/bin/Release/net10.0/BenchHost
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var tests = output.Parent?.Parent?.Parent?.Parent?.FullName ?? ".";
        var hostDir = Path.Combine(tests, "hosts", "BenchHost", "bin", output.Parent!.Name, output.Name);
        var apphost = Path.Combine(hostDir, OperatingSystem.IsWindows() ? "BenchHost.exe" : "BenchHost");
        return File.Exists(apphost) ? apphost : Path.Combine(hostDir, "BenchHost.dll");
    }

    private static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static int IntArg(string[] args, string name, int fallback) =>
        StringArg(args, name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    private static string? StringArg(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }
}
