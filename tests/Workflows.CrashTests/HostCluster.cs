using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Workflows.Journal;
using Workflows.Sqlite;
using Workflows.Storage;

namespace Workflows.CrashTests;

/// <summary>
/// One temp folder with one SQLite journal and the ledgers of every EngineHost child started on it. Children are real
/// processes (dotnet EngineHost.dll); whatever still runs at the end is killed, and the folder is deleted.
/// </summary>
internal sealed class HostCluster : IAsyncDisposable
{
    /// <summary>The hang guard for every wait: generous, only there so that a broken engine fails the test instead of hanging it.</summary>
    public static readonly TimeSpan Guard = TimeSpan.FromSeconds(90);

    private static readonly string HostPath = typeof(HostCluster).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "EngineHostPath").Value!;

    private readonly string _directory = Directory.CreateTempSubdirectory("workflows-cluster-").FullName;
    private readonly List<HostChild> _children = [];

    public HostCluster()
    {
        Directory.CreateDirectory(LedgerDirectory);
    }

    public string DatabasePath => Path.Combine(_directory, "journal.db");

    public string LedgerDirectory => Path.Combine(_directory, "ledgers");

    /// <summary>A path in the cluster's folder, for release files.</summary>
    public string FilePath(string name) => Path.Combine(_directory, name);

    /// <summary>Starts an EngineHost child on the cluster's journal: <c>--db</c> and <c>--ledger-dir</c> are added.</summary>
    public HostChild Start(string mode, params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(HostPath);
        info.ArgumentList.Add(mode);
        info.ArgumentList.Add("--db");
        info.ArgumentList.Add(DatabasePath);
        if (mode == "work")
        {
            info.ArgumentList.Add("--ledger-dir");
            info.ArgumentList.Add(LedgerDirectory);
        }
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        var child = new HostChild(Process.Start(info) ?? throw new InvalidOperationException("could not start EngineHost"), $"{mode} {string.Join(' ', arguments)}");
        _children.Add(child);
        return child;
    }

    /// <summary>Runs a child to its end and checks it exited 0.</summary>
    public async Task<HostChild> RunToEndAsync(string mode, params string[] arguments)
    {
        var child = Start(mode, arguments);
        await child.WaitForExitAsync();
        Assert.True(child.ExitCode == 0, $"'{child.Description}' exited {child.ExitCode}:\n{child.Output}");
        return child;
    }

    /// <summary>Every ledger line of every process, in time order.</summary>
    public IReadOnlyList<LedgerEntry> Ledger() => LedgerEntry.ReadAll(LedgerDirectory);

    /// <summary>Waits (hang guard only) until the ledgers satisfy <paramref name="condition"/>.</summary>
    public Task WaitForLedgerAsync(Func<IReadOnlyList<LedgerEntry>, bool> condition, string what, params HostChild[] mustKeepRunning) =>
        Eventually(() => Task.FromResult(condition(Ledger())), what, mustKeepRunning);

    /// <summary>Polls <paramref name="condition"/> every 20 ms until it holds; fails if the guard passes or a child that should run has exited.</summary>
    public static async Task Eventually(Func<Task<bool>> condition, string what, params HostChild[] mustKeepRunning)
    {
        var until = DateTime.UtcNow + Guard;
        while (!await condition())
        {
            foreach (var child in mustKeepRunning)
            {
                if (child.HasExited && !await condition())
                {
                    Assert.Fail($"'{child.Description}' exited ({child.ExitCode}) while waiting for {what}:\n{child.Output}");
                }
            }
            if (DateTime.UtcNow > until)
            {
                Assert.Fail($"Gave up waiting for {what} after {Guard}.\n" + string.Join("\n", mustKeepRunning.Select(c => $"--- {c.Description}:\n{c.Output}")));
            }
            await Task.Delay(20);
        }
    }

    /// <summary>The journal as the store reads it: every run with its steps, in id order.</summary>
    public async Task<IReadOnlyList<JournalRun>> ReadJournalAsync()
    {
        await using var store = new SqliteWorkflowStore(new SqliteWorkflowStoreOptions { Path = DatabasePath, BusyTimeout = TimeSpan.FromSeconds(10) });
        await store.InitializeAsync();
        var result = new List<JournalRun>();
        Guid? after = null;
        while (true)
        {
            var page = await store.ListRunsAsync(new RunQuery { AfterId = after, Limit = RunQuery.MaxLimit });
            foreach (var run in page)
            {
                result.Add(new JournalRun(run, await store.GetStepsAsync(run.TenantId, run.Id)));
            }
            if (page.Count < RunQuery.MaxLimit) break;
            after = page[^1].Id;
        }
        return result;
    }

    /// <summary>The runs the store lists for <paramref name="query"/> (e.g. a parent's children), on a store of the test's own.</summary>
    public async Task<IReadOnlyList<RunRecord>> ListRunsAsync(RunQuery query)
    {
        await using var store = new SqliteWorkflowStore(new SqliteWorkflowStoreOptions { Path = DatabasePath, BusyTimeout = TimeSpan.FromSeconds(10) });
        await store.InitializeAsync();
        return await store.ListRunsAsync(query);
    }

    /// <summary>One value read with plain SQL on a connection of the test's own (no store, no migration, no write lock).</summary>
    public object? QueryScalar(string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false, Mode = SqliteOpenMode.ReadWrite }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA busy_timeout = 5000";
        command.ExecuteNonQuery();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    /// <summary>
    /// SIGSTOPs a child at a moment it holds no write lock on the journal (a process stopped inside a transaction would
    /// keep every other engine out, which is not the situation under test): stop, try the write lock, resume and retry if taken.
    /// </summary>
    public async Task StopOutsideTransactionAsync(HostChild child)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            child.Signal("STOP");
            try
            {
                using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false, DefaultTimeout = 1 }.ToString());
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = "PRAGMA busy_timeout = 300";
                command.ExecuteNonQuery();
                command.CommandText = "BEGIN IMMEDIATE";
                command.ExecuteNonQuery();
                command.CommandText = "ROLLBACK";
                command.ExecuteNonQuery();
                return;
            }
            catch (SqliteException e) when ((e.SqliteErrorCode & 0xFF) is SQLitePCL.raw.SQLITE_BUSY or SQLitePCL.raw.SQLITE_LOCKED)
            {
                child.Signal("CONT");
                await Task.Delay(30);
            }
        }
        Assert.Fail($"Could not stop '{child.Description}' outside a write transaction.");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var child in _children)
        {
            await child.DisposeAsync();
        }
        SqliteConnection.ClearAllPools();
        if (Environment.GetEnvironmentVariable("WORKFLOWS_KEEP_CLUSTER") is { Length: > 0 } keep)
        {
            // For a failure hunt by hand: the journal, the ledgers and each child's output are kept under that folder.
            foreach (var child in _children)
            {
                File.WriteAllText(Path.Combine(_directory, $"child-{child.Pid}.out"), child.Description + "\n" + child.Output);
            }
            Directory.CreateDirectory(keep);
            Directory.Move(_directory, Path.Combine(keep, Path.GetFileName(_directory)));
            return;
        }
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                Directory.Delete(_directory, recursive: true);
                return;
            }
            catch (IOException)
            {
                await Task.Delay(100); // a killed child may hold a file for a moment
            }
        }
    }
}

/// <summary>A run of the journal with its steps.</summary>
internal sealed record JournalRun(RunRecord Run, IReadOnlyList<StepRecord> Steps)
{
    public string Key => Run.IdempotencyKey ?? Run.Id.ToString();

    public StepRecord Step(string name) => Assert.Single(Steps, s => s.Name == name);
}

/// <summary>What a step body of the EngineHost returned (its journaled output): value, process, attempt.</summary>
internal sealed record StepOutput(long Value, int Pid, int Attempt)
{
    public static StepOutput Of(StepRecord step)
    {
        Assert.NotNull(step.Output);
        using var json = JsonDocument.Parse(step.Output);
        var root = json.RootElement;
        return new StepOutput(root.GetProperty("value").GetInt64(), root.GetProperty("pid").GetInt32(), root.GetProperty("attempt").GetInt32());
    }
}

/// <summary>One ledger line: a step body began or ended, or workflow code passed its last step, in process Pid.</summary>
internal sealed record LedgerEntry(long Ticks, int Pid, string Kind, Guid RunId, string Step, int Attempt)
{
    public DateTimeOffset At => new(Ticks, TimeSpan.Zero);

    public static IReadOnlyList<LedgerEntry> ReadAll(string directory)
    {
        var entries = new List<LedgerEntry>();
        foreach (var file in Directory.GetFiles(directory, "ledger-*.log"))
        {
            var text = File.ReadAllText(file);
            var lines = text.Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                if (lines[i].Length == 0) continue;
                var parts = lines[i].Split(' ');
                if (parts.Length != 6)
                {
                    // Only a process killed in the middle of its last write can leave a torn line, and only at the end.
                    Assert.True(i == lines.Length - 1 && !text.EndsWith('\n'), $"Malformed ledger line in {file}: '{lines[i]}'");
                    continue;
                }
                entries.Add(new LedgerEntry(long.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture), parts[2],
                    Guid.Parse(parts[3]), parts[4], int.Parse(parts[5], CultureInfo.InvariantCulture)));
            }
        }
        return [.. entries.OrderBy(e => e.Ticks)];
    }
}

/// <summary>A running EngineHost child: its output lines as they come, real signals, and a kill at the end if it still runs.</summary>
internal sealed class HostChild : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly Lock _gate = new();

    public HostChild(Process process, string description)
    {
        _process = process;
        Description = description;
        Pid = process.Id;
        process.OutputDataReceived += (_, e) => Add(e.Data);
        process.ErrorDataReceived += (_, e) => Add(e.Data is null ? null : "stderr: " + e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Description { get; }

    public int Pid { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate) return [.. _lines];
        }
    }

    public string Output => string.Join('\n', Lines);

    /// <summary>
    /// The runs this process (started with --log-store) reported it lost to another engine: a commit refused by the fence or
    /// dropped after the loss was seen, or a renewal that found another owner. (A renewal that finds no owner at all only
    /// raced the run's own end or suspension here.)
    /// </summary>
    public IReadOnlyList<(int Pid, Guid RunId)> LostClaims() => [.. Lines
        .Where(l => l.StartsWith("FENCED run=", StringComparison.Ordinal) || l.StartsWith("COMMIT-CANCELLED run=", StringComparison.Ordinal)
            || (l.StartsWith("RENEW-LOST run=", StringComparison.Ordinal) && !l.EndsWith("current=(none)", StringComparison.Ordinal)))
        .Select(l => (Pid, Guid.Parse(l[(l.IndexOf("run=", StringComparison.Ordinal) + 4)..].Split(' ')[0])))
        .Distinct()];

    private void Add(string? line)
    {
        if (line is null) return;
        lock (_gate) _lines.Add(line);
    }

    /// <summary>Waits for an output line that satisfies <paramref name="match"/> and returns it.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, string what)
    {
        string? found = null;
        await HostCluster.Eventually(() =>
        {
            found = Lines.FirstOrDefault(match);
            return Task.FromResult(found is not null);
        }, $"'{what}' from '{Description}'", this);
        return found!;
    }

    public async Task WaitForExitAsync()
    {
        using var timeout = new CancellationTokenSource(HostCluster.Guard);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"'{Description}' did not exit within {HostCluster.Guard}:\n{Output}");
        }
        _process.WaitForExit(); // drains the redirected output
    }

    /// <summary>SIGKILL, and wait until the process is gone.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await WaitForExitAsync();
    }

    /// <summary>Sends a real signal with /bin/kill (STOP, CONT).</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("/bin/kill", ["-" + signal, Pid.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
        // A process that was already on its way out when it was stopped exits all the same: nothing is left to signal.
        Assert.True(kill.ExitCode == 0 || _process.HasExited, $"kill -{signal} {Pid} failed ({kill.ExitCode})");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(); // SIGKILL works on a stopped process too
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
