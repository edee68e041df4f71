using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;
using Workflows.Journal;
using Workflows.PostgreSql;
using Workflows.Sqlite;
using Workflows.Storage;

namespace Workflows.CrashTests;

/// <summary>
/// One temp folder with the ledgers of every EngineHost child started on one journal: a SQLite file in the folder, or (see
/// <see cref="OnPostgreSqlAsync"/>) a schema of its own on a PostgreSQL server. Children are real processes (dotnet
/// EngineHost.dll); whatever still runs at the end is killed, the folder is deleted and the schema dropped.
/// </summary>
internal sealed class HostCluster : IAsyncDisposable
{
    /// <summary>The variable that holds the connection string of the PostgreSQL server the tests share (build/postgres.sh).</summary>
    public const string PostgresVariable = "WORKFLOWS_POSTGRES";

    /// <summary>The hang guard for every wait: generous, only there so that a broken engine fails the test instead of hanging it.</summary>
    public static readonly TimeSpan Guard = TimeSpan.FromSeconds(90);

    private static readonly string HostPath = typeof(HostCluster).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "EngineHostPath").Value!;

    private readonly string _directory = Directory.CreateTempSubdirectory("workflows-cluster-").FullName;
    private readonly List<HostChild> _children = [];

    private readonly NpgsqlDataSource? _postgres;

    /// <summary>A cluster on a SQLite journal file in the cluster's folder.</summary>
    public HostCluster()
    {
        Directory.CreateDirectory(LedgerDirectory);
    }

    private HostCluster(string connectionString, string schema) : this()
    {
        ConnectionString = connectionString;
        Schema = schema;
        // Unpooled: a test may restart the server (a pooled connection would then be broken) and opens few connections.
        _postgres = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = "crash-tests", Pooling = false }.ConnectionString);
    }

    /// <summary>
    /// A cluster on a PostgreSQL schema of its own (<c>wf_cluster_&lt;guid&gt;</c>, created by the store, dropped at the
    /// end): on the server <paramref name="connectionString"/> names, else the shared test server (WORKFLOWS_POSTGRES; a
    /// missing variable is a failure, never a skip). The server is checked reachable before anything starts.
    /// </summary>
    public static async Task<HostCluster> OnPostgreSqlAsync(string? connectionString = null)
    {
        connectionString ??= Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{PostgresVariable} is not set: the PostgreSQL process tests need a server. Run them through ./build/test.sh, which starts " +
                $"a private PostgreSQL on 127.0.0.1 and sets {PostgresVariable}, or start one yourself: source build/postgres.sh; " +
                "postgres_start (it exports the variable); then dotnet test; postgres_stop.");
        var cluster = new HostCluster(connectionString, "wf_cluster_" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var probe = cluster._postgres!.CreateCommand("SELECT 1");
            await probe.ExecuteScalarAsync();
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }

    /// <summary>A cluster on PostgreSQL (<see cref="OnPostgreSqlAsync"/>, the shared test server) or on a SQLite file.</summary>
    public static async Task<HostCluster> CreateAsync(bool onPostgreSql) => onPostgreSql ? await OnPostgreSqlAsync() : new HostCluster();

    /// <summary>Whether the journal is a PostgreSQL schema (else a SQLite file).</summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(true, nameof(ConnectionString), nameof(Schema))]
    public bool IsPostgreSql => ConnectionString is not null;

    /// <summary>PostgreSQL mode: the server's connection string (as given, without the cluster's schema).</summary>
    public string? ConnectionString { get; }

    /// <summary>PostgreSQL mode: the cluster's schema.</summary>
    public string? Schema { get; }

    /// <summary>SQLite mode: the journal file.</summary>
    public string DatabasePath => IsPostgreSql
        ? throw new InvalidOperationException("A PostgreSQL cluster has no journal file")
        : Path.Combine(_directory, "journal.db");

    public string LedgerDirectory => Path.Combine(_directory, "ledgers");

    /// <summary>A path in the cluster's folder, for release files.</summary>
    public string FilePath(string name) => Path.Combine(_directory, name);

    /// <summary>
    /// Starts an EngineHost child on the cluster's journal: <c>--db</c> (or <c>--postgres</c> and <c>--schema</c>) and
    /// <c>--ledger-dir</c> are added.
    /// </summary>
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
        if (IsPostgreSql)
        {
            info.ArgumentList.Add("--postgres");
            info.ArgumentList.Add(ConnectionString);
            info.ArgumentList.Add("--schema");
            info.ArgumentList.Add(Schema);
        }
        else
        {
            info.ArgumentList.Add("--db");
            info.ArgumentList.Add(DatabasePath);
        }
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
        await using var store = await OpenStoreAsync();
        var result = new List<JournalRun>();
        Guid? after = null;
        while (true)
        {
            var page = await store.ListRunsAsync(new RunQuery { AfterId = after, Limit = RunQuery.MaxLimit });
            foreach (var run in page)
            {
                result.Add(new JournalRun(run, await store.GetStepsAsync(run.TenantId, run.Id), await store.GetClaimsAsync(run.TenantId, run.Id)));
            }
            if (page.Count < RunQuery.MaxLimit) break;
            after = page[^1].Id;
        }
        return result;
    }

    /// <summary>The runs the store lists for <paramref name="query"/> (e.g. a parent's children), on a store of the test's own.</summary>
    public async Task<IReadOnlyList<RunRecord>> ListRunsAsync(RunQuery query)
    {
        await using var store = await OpenStoreAsync();
        return await store.ListRunsAsync(query);
    }

    /// <summary>A store of the test's own on the cluster's journal, initialized.</summary>
    private async Task<IWorkflowStore> OpenStoreAsync()
    {
        IWorkflowStore store = IsPostgreSql
            ? new PostgreSqlWorkflowStore(new PostgreSqlWorkflowStoreOptions
            {
                ConnectionString = new NpgsqlConnectionStringBuilder(ConnectionString) { ApplicationName = "crash-tests-store" }.ConnectionString,
                Schema = Schema,
            })
            : new SqliteWorkflowStore(new SqliteWorkflowStoreOptions { Path = DatabasePath, BusyTimeout = TimeSpan.FromSeconds(10) });
        try
        {
            await store.InitializeAsync();
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
        return store;
    }

    /// <summary>
    /// One value read with plain SQL on a connection of the test's own (no store, no migration, no write lock). On
    /// PostgreSQL the cluster's schema is the search path.
    /// </summary>
    public object? QueryScalar(string sql)
    {
        if (IsPostgreSql)
        {
            using var session = _postgres!.OpenConnection();
            using (var path = new NpgsqlCommand($"SET search_path TO \"{Schema}\"", session))
            {
                path.ExecuteNonQuery();
            }
            using var query = new NpgsqlCommand(sql, session);
            return query.ExecuteScalar();
        }
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
        if (IsPostgreSql)
        {
            await StopOutsidePostgresTransactionAsync(child);
            return;
        }
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

    /// <summary>
    /// PostgreSQL mode: SIGSTOPs a child at a moment none of its store's backends is inside a transaction (one stopped
    /// there would hold its row locks, and every other engine's claim would skip or wait for those runs: not the situation
    /// under test). Stop, look at <c>pg_stat_activity</c> twice (a statement the child sent just before it stopped reaches
    /// the server a moment later), go on and retry if one is.
    /// </summary>
    private async Task StopOutsidePostgresTransactionAsync(HostChild child)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            child.Signal("STOP");
            if (await BackendsInTransactionAsync(child) == 0)
            {
                await Task.Delay(200);
                if (await BackendsInTransactionAsync(child) == 0)
                {
                    return;
                }
            }
            child.Signal("CONT");
            await Task.Delay(30);
        }
        Assert.Fail($"Could not stop '{child.Description}' outside a PostgreSQL transaction.");
    }

    /// <summary>PostgreSQL mode: how many of the child's store backends are inside a transaction (or running a statement).</summary>
    public async Task<long> BackendsInTransactionAsync(HostChild child)
    {
        await using var command = _postgres!.CreateCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND (xact_start IS NOT NULL OR state <> 'idle')");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = StoreApplicationName(child) });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>PostgreSQL mode: terminates (pg_terminate_backend) every backend of the child's store; returns how many.</summary>
    public async Task<int> TerminateConnectionsAsync(HostChild child)
    {
        await using var command = _postgres!.CreateCommand(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = StoreApplicationName(child) });
        return (int)(long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>PostgreSQL mode: how many of the child's store backends are its LISTEN connection (their last statement a LISTEN).</summary>
    public async Task<long> ListeningConnectionsAsync(HostChild child)
    {
        await using var command = _postgres!.CreateCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle' AND query LIKE 'LISTEN %'");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = StoreApplicationName(child) });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>PostgreSQL mode: how many backends the child's store has open.</summary>
    public async Task<long> ConnectionCountAsync(HostChild child)
    {
        await using var command = _postgres!.CreateCommand("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = StoreApplicationName(child) });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>PostgreSQL mode: the rows of a query on a connection of the test's own, the cluster's schema the search path.</summary>
    public async Task<IReadOnlyList<object?[]>> QueryRowsAsync(string sql)
    {
        if (!IsPostgreSql) throw new InvalidOperationException("QueryRowsAsync reads a PostgreSQL cluster");
        await using var connection = await _postgres!.OpenConnectionAsync();
        await using (var path = new NpgsqlCommand($"SET search_path TO \"{Schema}\"", connection))
        {
            await path.ExecuteNonQueryAsync();
        }
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<object?[]>();
        while (await reader.ReadAsync())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>The application name EngineHost gives its store's connections.</summary>
    private static string StoreApplicationName(HostChild child) => string.Create(CultureInfo.InvariantCulture, $"enginehost-{child.Pid}");

    public async ValueTask DisposeAsync()
    {
        foreach (var child in _children)
        {
            await child.DisposeAsync();
        }
        SqliteConnection.ClearAllPools();
        if (_postgres is not null)
        {
            await using (_postgres)
            {
                if (Environment.GetEnvironmentVariable("WORKFLOWS_KEEP_CLUSTER") is not { Length: > 0 })
                {
                    await using var drop = _postgres.CreateCommand($"DROP SCHEMA IF EXISTS \"{Schema}\" CASCADE");
                    await drop.ExecuteNonQueryAsync();
                }
            }
        }
        if (Environment.GetEnvironmentVariable("WORKFLOWS_KEEP_CLUSTER") is { Length: > 0 } keep)
        {
            // For a failure hunt by hand: the journal (or its schema, on PostgreSQL), the ledgers and each child's output are
            // kept under that folder.
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

/// <summary>A run of the journal with its steps and its claim history.</summary>
internal sealed record JournalRun(RunRecord Run, IReadOnlyList<StepRecord> Steps, IReadOnlyList<ClaimRecord> Claims)
{
    public string Key => Run.IdempotencyKey ?? Run.Id.ToString();

    public void Deconstruct(out RunRecord run, out IReadOnlyList<StepRecord> steps) => (run, steps) = (Run, Steps);

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

    /// <summary>Whether the process is stopped (SIGSTOP): its state in /proc is 'T'.</summary>
    public bool IsStopped
    {
        get
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{Pid}/stat");
                return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('T');
            }
            catch (IOException)
            {
                return false; // gone
            }
        }
    }

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
    /// dropped after the loss was seen, a renewal that found another owner, or an execution its engine ended because another
    /// engine holds the run (a RunOwnershipLostException reported as a background error). (A renewal that finds no owner at
    /// all only raced the run's own end or suspension here.)
    /// </summary>
    public IReadOnlyList<(int Pid, Guid RunId)> LostClaims() => [.. Lines
        .Where(l => l.StartsWith("FENCED run=", StringComparison.Ordinal) || l.StartsWith("COMMIT-CANCELLED run=", StringComparison.Ordinal)
            || (l.StartsWith("RENEW-LOST run=", StringComparison.Ordinal) && !l.EndsWith("current=(none)", StringComparison.Ordinal)))
        .Select(l => (Pid, Guid.Parse(l[(l.IndexOf("run=", StringComparison.Ordinal) + 4)..].Split(' ')[0])))
        .Concat(Lines
            .Where(l => l.StartsWith(LostPrefix, StringComparison.Ordinal) && l.Contains(" holds it now.", StringComparison.Ordinal)
                && !l.Contains("no engine holds it now", StringComparison.Ordinal))
            .Select(l => (Pid, Guid.Parse(l[(l.IndexOf(" holds run ", StringComparison.Ordinal) + 11)..].Split(':')[0]))))
        .Distinct()];

    private const string LostPrefix = "BACKGROUND RunOwnershipLostException: Engine '";

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
