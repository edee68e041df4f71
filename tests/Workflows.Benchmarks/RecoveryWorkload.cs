using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Workflows.Benchmarks;

/// <summary>
/// Child processes of tests/hosts/BenchHost, killed for real: the peers' recovery workload (a 100-step run, each step
/// sleeping 10 ms and appending a line to a side file; <c>kill -9</c> once 50 lines exist; restarted; restart -> result)
/// and the cold start of a 1-step workflow (process start -> first result).
/// </summary>
internal static class RecoveryWorkload
{
    public const int Steps = 100;
    public const int SleepMs = 10;
    public const int KillAtLines = 50;

    public sealed record Recovery(double RestartToResultMs, int StepsAfterRestart, int StepsRunTwice, int LinesAtKill, int KilledExitCode,
        double ChildSinceStartMs, double ChildJitMs, double ChildSleptMs)
    {
        /// <summary>Restart -> result minus the step sleep of the steps the restarted process ran.</summary>
        public double MinusSleepMs => RestartToResultMs - StepsAfterRestart * SleepMs;

        /// <summary>Restart -> result minus the wall time the restarted process's step bodies really slept.</summary>
        public double MinusMeasuredSleepMs => RestartToResultMs - ChildSleptMs;
    }

    public sealed record Cold(double StartToResultMs, double ChildSinceStartMs, double ChildJitMs, int JitMethods);

    public static async Task<Recovery> RecoverAsync(string host, string folder)
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var db = Path.Combine(folder, $"recovery-{id}.db");
        var side = Path.Combine(folder, $"recovery-{id}.side");
        string[] args = ["recovery", "--db", db, "--side", side, "--steps", Steps.ToString(CultureInfo.InvariantCulture), "--sleep-ms", SleepMs.ToString(CultureInfo.InvariantCulture)];

        // The first process: killed with SIGKILL (kill -9) as soon as the side file holds KillAtLines lines.
        using (var first = Start(host, args))
        {
            var deadline = Stopwatch.StartNew();
            while (Lines(side).Count < KillAtLines)
            {
                if (first.HasExited) throw new InvalidOperationException($"the recovery child exited ({first.ExitCode}) before {KillAtLines} steps: {await first.StandardError.ReadToEndAsync()}");
                if (deadline.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"the recovery child wrote fewer than {KillAtLines} side-file lines in 60 s");
                Thread.Sleep(1);
            }
            if (Kill(first.Id, 9) != 0) throw new InvalidOperationException($"kill -9 {first.Id} failed: errno {Marshal.GetLastWin32Error()}");
            await first.WaitForExitAsync();
            var exit = first.ExitCode;
            var atKill = Lines(side).Count;

            // The restart: from the process start to its result, as the driver sees it.
            var watch = Stopwatch.StartNew();
            using var second = Start(host, args);
            var report = await ReadReportAsync(second, watch);
            var lines = Lines(side);
            var after = lines.Count - atKill;
            var twice = lines.GroupBy(l => l, StringComparer.Ordinal).Count(g => g.Count() > 1);
            var expected = (Steps * (Steps - 1) / 2).ToString(CultureInfo.InvariantCulture);
            if (report.Result != expected) throw new InvalidOperationException($"the restarted recovery run returned {report.Result}, not {expected}");
            if (report.Resumed != 1) throw new InvalidOperationException($"the restarted child resumed {report.Resumed} runs, not the killed one");
            if (lines.Distinct(StringComparer.Ordinal).Count() != Steps) throw new InvalidOperationException($"the side file names {lines.Distinct(StringComparer.Ordinal).Count()} distinct steps, not {Steps}");
            return new Recovery(report.ElapsedMs, after, twice, atKill, exit, report.SinceStartMs, report.JitMs, report.SleptMs);
        }
    }

    public static async Task<Cold> ColdAsync(string host, string folder)
    {
        var db = Path.Combine(folder, $"cold-{Guid.NewGuid():N}.db");
        var watch = Stopwatch.StartNew();
        using var child = Start(host, ["cold", "--db", db]);
        var report = await ReadReportAsync(child, watch);
        if (report.Result != "42") throw new InvalidOperationException($"the cold-start run returned {report.Result}, not 42");
        return new Cold(report.ElapsedMs, report.SinceStartMs, report.JitMs, report.JitMethods);
    }

    private sealed record Report(string Result, double ElapsedMs, double SinceStartMs, double JitMs, int JitMethods, int Resumed, double SleptMs);

    /// <summary>Reads the child's report; the elapsed time is taken when its RESULT line arrives.</summary>
    private static async Task<Report> ReadReportAsync(Process child, Stopwatch watch)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        double? elapsed = null;
        while (await child.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("RESULT ", StringComparison.Ordinal)) elapsed ??= watch.Elapsed.TotalMilliseconds;
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space > 0) values[line[..space]] = line[(space + 1)..];
        }
        await child.WaitForExitAsync();
        if (child.ExitCode != 0 || elapsed is null)
        {
            throw new InvalidOperationException($"the bench child exited {child.ExitCode}{(elapsed is null ? " without a RESULT line" : "")}: {await child.StandardError.ReadToEndAsync()}");
        }
        double D(string key) => values.TryGetValue(key, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : double.NaN;
        return new Report(values["RESULT"], elapsed.Value, D("SINCE_START_MS"), D("JIT_MS"), (int)D("JIT_METHODS"), (int)D("RESUMED"), D("SLEPT_MS"));
    }

    private static Process Start(string host, string[] args)
    {
        var info = host.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? new ProcessStartInfo("dotnet") { ArgumentList = { host } } : new ProcessStartInfo(host);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {host}");
    }

    private static List<string> Lines(string path)
    {
        if (!File.Exists(path)) return [];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var text = reader.ReadToEnd();
        // Only complete lines count (the child may be between its bytes and its newline).
        var end = text.LastIndexOf('\n');
        return end < 0 ? [] : [.. text[..end].Split('\n')];
    }

    /// <summary>kill(2): a real <c>kill -9</c>, SIGKILL, nothing the child can catch.</summary>
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
