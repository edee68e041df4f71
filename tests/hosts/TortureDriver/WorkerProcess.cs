using System.Diagnostics;
using System.Globalization;
using System.Reflection;

namespace TortureDriver;

/// <summary>
/// A TortureHost worker: a real child process (<c>dotnet TortureHost.dll</c>), its output lines kept, killed with SIGKILL,
/// paused with SIGSTOP and continued, or stopped cleanly by closing its standard input.
/// </summary>
internal sealed class WorkerProcess : IAsyncDisposable
{
    /// <summary>Where the worker's build lies (baked into this assembly at build time).</summary>
    public static readonly string HostPath = typeof(WorkerProcess).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "TortureHostPath").Value!;

    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly Lock _gate = new();

    private WorkerProcess(Process process, string name)
    {
        _process = process;
        Name = name;
        Pid = process.Id;
        process.OutputDataReceived += (_, e) => Add(e.Data);
        process.ErrorDataReceived += (_, e) => Add(e.Data is null ? null : "stderr: " + e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int Pid { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Whether the worker said READY (its engine is up and claiming).</summary>
    public bool IsReady
    {
        get
        {
            lock (_gate) return _lines.Any(l => l.StartsWith("READY ", StringComparison.Ordinal));
        }
    }

    public string Output
    {
        get
        {
            lock (_gate) return string.Join('\n', _lines);
        }
    }

    public static WorkerProcess Start(string name, IEnumerable<string> arguments)
    {
        if (!File.Exists(HostPath))
        {
            throw new FileNotFoundException($"The torture worker is not built: {HostPath} is missing (dotnet build tests/hosts/TortureHost -c Release).", HostPath);
        }
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(HostPath);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        return new WorkerProcess(Process.Start(info) ?? throw new InvalidOperationException("could not start the torture worker"), name);
    }

    /// <summary>SIGKILL, and wait until the process is gone.</summary>
    public async Task KillAsync()
    {
        _process.Kill(); // SIGKILL on Unix, and it works on a stopped process too
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(guard.Token);
    }

    /// <summary>Sends a real signal with /bin/kill (STOP, CONT).</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("/bin/kill", ["-" + signal, Pid.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
        if (kill.ExitCode != 0 && !_process.HasExited)
        {
            throw new InvalidOperationException($"kill -{signal} {Pid} failed ({kill.ExitCode})");
        }
    }

    /// <summary>Closes the worker's standard input (it then disposes its engine and exits) and returns its exit code.</summary>
    public async Task<int> StopAsync(TimeSpan guard)
    {
        if (!_process.HasExited)
        {
            _process.StandardInput.Close();
        }
        using var timeout = new CancellationTokenSource(guard);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
            return -1;
        }
        _process.WaitForExit(); // drains the redirected output
        return _process.ExitCode;
    }

    private void Add(string? line)
    {
        if (line is null) return;
        lock (_gate) _lines.Add(line);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        _process.Dispose();
    }
}
