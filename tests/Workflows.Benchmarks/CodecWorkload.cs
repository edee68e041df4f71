using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace Workflows.Benchmarks;

/// <summary>
/// <see cref="CodecBenchmarks"/> in a short BenchmarkDotNet job, in a child process of the suite (its own heap and JIT):
/// per category, System.Text.Json source-gen time / generated time (throughput, >= 1 is as fast or faster) and generated
/// allocation / System.Text.Json allocation (<= 1 is no more).
/// </summary>
internal static class CodecWorkload
{
    public sealed record Ratio(string Category, double StjNs, double GeneratedNs, double StjBytes, double GeneratedBytes)
    {
        public double Throughput => StjNs / GeneratedNs;
        public double Allocation => StjBytes == 0 ? (GeneratedBytes == 0 ? 1 : double.PositiveInfinity) : GeneratedBytes / StjBytes;
    }

    /// <summary>The child's side: runs the benchmarks in process and prints one <c>CODEC</c> line per category.</summary>
    public static int RunChild()
    {
        var job = Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(7)
            .WithIterationTime(TimeInterval.FromMilliseconds(120))
            .WithId("bench-sh-short");
        var config = ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithArtifactsPath(Path.Combine(Path.GetTempPath(), "workflows-bench-bdn"))
            .WithOptions(ConfigOptions.DisableLogFile);
        var summary = BenchmarkRunner.Run<CodecBenchmarks>(config);
        var byMethod = summary.Reports.ToDictionary(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name, StringComparer.Ordinal);
        var printed = 0;
        foreach (var (name, stj) in byMethod.Where(p => p.Key.StartsWith("Stj_", StringComparison.Ordinal)))
        {
            if (!byMethod.TryGetValue("Generated_" + name["Stj_".Length..], out var generated)) continue;
            var category = stj.BenchmarkCase.Descriptor.Categories.FirstOrDefault() ?? name;
            var stjNs = stj.ResultStatistics?.Mean ?? double.NaN;
            var genNs = generated.ResultStatistics?.Mean ?? double.NaN;
            var stjBytes = stj.GcStats.GetBytesAllocatedPerOperation(stj.BenchmarkCase) ?? -1;
            var genBytes = generated.GcStats.GetBytesAllocatedPerOperation(generated.BenchmarkCase) ?? -1;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"CODEC\t{category}\t{stjNs}\t{genNs}\t{stjBytes}\t{genBytes}"));
            printed++;
        }
        return printed == 6 ? 0 : 1;
    }

    /// <summary>The suite's side: runs the child and reads its ratios.</summary>
    public static async Task<IReadOnlyList<Ratio>> RunAsync()
    {
        var self = Environment.ProcessPath ?? "dotnet";
        var info = Path.GetFileNameWithoutExtension(self) == "dotnet"
            ? new ProcessStartInfo(self) { ArgumentList = { typeof(CodecWorkload).Assembly.Location } }
            : new ProcessStartInfo(self);
        info.ArgumentList.Add("codecs");
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        using var child = Process.Start(info) ?? throw new InvalidOperationException("could not start the codec benchmark child");
        var errors = child.StandardError.ReadToEndAsync();
        var ratios = new List<Ratio>();
        var output = new System.Text.StringBuilder();
        while (await child.StandardOutput.ReadLineAsync() is { } line)
        {
            output.AppendLine(line);
            var parts = line.Split('\t');
            if (parts.Length == 6 && parts[0] == "CODEC")
            {
                double D(int i) => double.Parse(parts[i], CultureInfo.InvariantCulture);
                ratios.Add(new Ratio(parts[1], D(2), D(3), D(4), D(5)));
            }
        }
        await child.WaitForExitAsync();
        if (child.ExitCode != 0 || ratios.Count == 0)
        {
            var tail = output.ToString();
            throw new InvalidOperationException($"the codec benchmark child exited {child.ExitCode} with {ratios.Count} ratios: {await errors}\n{tail[Math.Max(0, tail.Length - 3000)..]}");
        }
        return ratios;
    }
}
