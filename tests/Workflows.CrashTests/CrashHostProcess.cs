using System.Diagnostics;
using System.Reflection;

namespace Workflows.CrashTests;

/// <summary>Starts the crash host as a real child process (dotnet CrashHost.dll) with its own journal and ledger.</summary>
internal sealed class CrashHostProcess : IDisposable
{
    private static readonly string HostPath = typeof(CrashHostProcess).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "CrashHostPath").Value!;

    private readonly string _directory = Directory.CreateTempSubdirectory("workflows-crash-").FullName;

    public string DatabasePath => Path.Combine(_directory, "journal.db");

    public string LedgerPath => Path.Combine(_directory, "ledger.txt");

    public IReadOnlyList<string> Ledger => File.Exists(LedgerPath) ? File.ReadAllLines(LedgerPath) : [];

    public int Count(string line) => Ledger.Count(l => l == line);

    /// <summary>Runs the host to its end (or its own death) and returns its exit code and output.</summary>
    public async Task<(int ExitCode, string Output)> RunAsync(params string[] extra)
    {
        using var process = Start(extra);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }

    /// <summary>Starts the host, waits until the ledger shows <paramref name="line"/>, then kills it from outside.</summary>
    public async Task<int> KillWhenLedgerShowsAsync(string line, params string[] extra)
    {
        using var process = Start(extra);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (!Ledger.Contains(line))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The host exited ({process.ExitCode}) before the ledger showed '{line}': {await process.StandardError.ReadToEndAsync()}");
            }
            await Task.Delay(20, timeout.Token);
        }
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync(timeout.Token);
        return process.ExitCode;
    }

    private Process Start(string[] extra)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // A short lease: the process after a killed one takes the run over 2 s after the last renewal, not 30 s.
        foreach (var argument in new[] { HostPath, "--db", DatabasePath, "--ledger", LedgerPath, "--lease-ms", "2000", "--poll-ms", "100" }.Concat(extra))
        {
            info.ArgumentList.Add(argument);
        }
        return Process.Start(info) ?? throw new InvalidOperationException("could not start the crash host");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A killed child may still hold the file for a moment; the temp folder is cleaned by the OS later.
        }
    }
}
