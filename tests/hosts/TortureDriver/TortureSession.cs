using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;
using TortureHost;
using Workflows.CrashTests;
using Workflows.Journal;
using Workflows.Storage;

namespace TortureDriver;

/// <summary>
/// One torture session: a journal of its own (a SQLite file, a PostgreSQL schema, or a private PostgreSQL server), workers
/// started, killed (or paused, or their server crashed) at seeded random moments and started again, runs created while
/// crashes remain, the event every run waits for sent when it waits, until every run has finished. After every crash the
/// checker observes the journal; <see cref="RunAsync"/> ends with every worker stopped cleanly. The folder (journal file,
/// ledgers) lives until the session is disposed.
/// </summary>
internal sealed class TortureSession : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private readonly TortureSettings _settings;
    private readonly Random _random;
    private readonly List<WorkerProcess> _workers = [];
    private readonly List<WorkerProcess> _exited = [];
    private readonly PrivatePostgresServer? _server;
    private int _started;
    private int _created;
    private int _wantedWorkers;

    private TortureSession(TortureSettings settings, string directory, JournalDatabase journal, PrivatePostgresServer? server)
    {
        _settings = settings;
        _random = new Random(settings.Seed);
        _wantedWorkers = WorkerCount();
        Directory = directory;
        Journal = journal;
        _server = server;
        Ledger = new Ledger(Path.Combine(directory, "ledgers"));
        System.IO.Directory.CreateDirectory(Ledger.Directory);
        Report = new TortureReport { Store = settings.StoreName, Seed = settings.Seed };
        Checker = new TortureChecker(Report);
    }

    public string Directory { get; }

    public JournalDatabase Journal { get; }

    public Ledger Ledger { get; }

    public Interruptions Interruptions { get; } = new();

    public TortureReport Report { get; }

    public TortureChecker Checker { get; }

    /// <summary>How many top-level runs the session created.</summary>
    public int RunsCreated => _created;

    /// <summary>A session's folder and journal; nothing runs yet.</summary>
    public static async Task<TortureSession> CreateAsync(TortureSettings settings)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("workflows-torture-").FullName;
        PrivatePostgresServer? server = null;
        JournalDatabase journal;
        switch (settings.Mode)
        {
            case TortureMode.Sqlite:
                journal = new SqliteJournal(Path.Combine(directory, "journal.db"));
                break;
            case TortureMode.Postgres:
                journal = new PostgresJournal(settings.PostgresConnectionString
                    ?? throw new InvalidOperationException("The PostgreSQL torture needs a server: set WORKFLOWS_POSTGRES (source build/postgres.sh; postgres_start)."),
                    "torture_" + Guid.NewGuid().ToString("N"));
                break;
            default:
                server = await PrivatePostgresServer.StartAsync();
                journal = new PostgresJournal(server.ConnectionString, "torture_" + Guid.NewGuid().ToString("N"));
                break;
        }
        var session = new TortureSession(settings, directory, journal, server);
        await Patiently("initialize the journal", async () =>
        {
            await journal.Store.InitializeAsync();
            return true;
        });
        return session;
    }

    /// <summary>The torture itself: returns once every run has finished (or the drain guard passed) and every worker stopped.</summary>
    public async Task RunAsync()
    {
        var crashes = 0;
        // The gap to the next crash counts from the moment every worker is up (now and then from the restart itself: a
        // kill during a worker's start and recovery). With several workers on PostgreSQL, from the last crash: the others
        // are at work while one starts again.
        Stopwatch? armed = null;
        var fromStart = _settings.Mode != TortureMode.Sqlite;
        var gap = Gap();
        Stopwatch? draining = null;
        while (true)
        {
            bool Creating() => crashes < _settings.Crashes || _created < _settings.MinRuns;
            var unfinished = await Patiently("list unfinished runs", async () => await Journal.Store.ListRunsAsync(RunQuery.Unfinished() with { Limit = RunQuery.MaxLimit }));
            var topLevel = unfinished.Count(r => r.ParentRunId is null);
            var createdNow = 0;
            for (; Creating() && topLevel < _settings.InFlight; topLevel++, createdNow++)
            {
                await CreateRunAsync(_created++);
            }
            var creating = Creating();
            await FeedEventsAsync(unfinished);
            if (!creating && unfinished.Count == 0 && createdNow == 0)
            {
                break;
            }
            if (!creating && (draining ??= Stopwatch.StartNew()).Elapsed > _settings.DrainGuard)
            {
                Report.Violation($"{unfinished.Count} runs still unfinished {_settings.DrainGuard} after the last crash: " +
                                 string.Join(", ", unfinished.Take(10).Select(r => $"{r.Id:D} {r.Workflow} {r.Status} waiting for {r.WaitingFor ?? "-"}")));
                break;
            }
            KeepWorkersRunning();
            if (armed is null && (fromStart || _workers.All(w => w.IsReady)))
            {
                armed = Stopwatch.StartNew();
            }
            if (crashes < _settings.Crashes && armed?.Elapsed >= gap)
            {
                crashes++;
                await CrashAsync(crashes);
                armed = null;
                fromStart = _settings.Mode != TortureMode.Sqlite || _random.Next(6) == 0;
                gap = Gap();
            }
            await Task.Delay(25);
        }
        _settings.Log?.Invoke($"{_settings.StoreName}: every run finished ({_created} runs)");
        Report.Crashes = crashes;
        Report.Pauses = Interruptions.PauseCount;
        foreach (var worker in _workers)
        {
            var exit = await worker.StopAsync(TimeSpan.FromSeconds(60));
            if (exit != 0)
            {
                Report.Violation($"worker {worker.Name} (pid {worker.Pid}) exited {exit} when stopped:\n{Tail(worker.Output)}");
            }
        }
        _exited.AddRange(_workers);
        _workers.Clear();
    }

    /// <summary>The final check: the journal read whole, the ledger, against the crash-free reference.</summary>
    public async Task<TortureReport> CheckAsync(CrashFreeReference reference) =>
        Checker.Check(await ReadRowsAsync(full: true), Ledger.ReadAll(), reference, Interruptions);

    public Task<JournalRows> ReadRowsAsync(bool full) => Patiently("read the journal", () => Journal.ReadRowsAsync(full));

    /// <summary>A gap between crashes: mostly short, now and then long (so that runs get far between two crashes).</summary>
    private TimeSpan Gap() => TimeSpan.FromMilliseconds(_settings.Mode == TortureMode.PostgresRestart
        ? _random.Next(500, 1500)
        : _random.Next(10) == 0 ? _random.Next(2000, 4500) : _random.Next(100, 900));

    private async Task CrashAsync(int crash)
    {
        switch (_settings.Mode)
        {
            case TortureMode.Sqlite:
                await KillAsync(_workers[0]);
                break;
            case TortureMode.Postgres:
                if (_workers.Count >= 2 && _random.Next(6) == 0)
                {
                    await PauseAsync(_workers[_random.Next(_workers.Count)]);
                }
                await KillAsync(_workers[_random.Next(_workers.Count)]);
                _wantedWorkers = WorkerCount();
                break;
            default:
                await _server!.RestartImmediateAsync();
                Interruptions.ServerRestart();
                break;
        }
        Checker.Observe(await ReadRowsAsync(full: false), await Patiently("check integrity", Journal.IntegrityCheckAsync), $"crash {crash}");
        _settings.Log?.Invoke($"{_settings.StoreName}: crash {crash}/{_settings.Crashes}, {_created} runs created, {Interruptions.PauseCount} pauses");
    }

    private async Task KillAsync(WorkerProcess victim)
    {
        await victim.KillAsync();
        Interruptions.Kill(victim.Pid);
        _workers.Remove(victim);
        _exited.Add(victim);
    }

    /// <summary>How many workers work at once: one on SQLite, two under server restarts, 2–4 (chosen again after each kill) on PostgreSQL.</summary>
    private int WorkerCount() => _settings.Mode switch
    {
        TortureMode.Sqlite => 1,
        TortureMode.Postgres => _random.Next(2, 5),
        _ => 2,
    };

    /// <summary>
    /// SIGSTOP past the lease, at a moment none of the worker's connections is inside a transaction (one stopped there would
    /// hold its row locks, and keep every other worker waiting: not the situation under test), then SIGCONT.
    /// </summary>
    private async Task PauseAsync(WorkerProcess victim)
    {
        var journal = (PostgresJournal)Journal;
        for (var attempt = 0; attempt < 50; attempt++)
        {
            victim.Signal("STOP");
            if (await journal.BusyConnectionsAsync(victim.Pid) == 0)
            {
                // A statement sent just before the stop reaches the server a moment later: look twice.
                await Task.Delay(150);
                if (await journal.BusyConnectionsAsync(victim.Pid) == 0)
                {
                    Interruptions.Pause(victim.Pid);
                    await Task.Delay(_settings.EffectiveLeaseMs + _random.Next(200, 800));
                    victim.Signal("CONT");
                    return;
                }
            }
            victim.Signal("CONT");
            await Task.Delay(30);
        }
    }

    /// <summary>Starts workers where some are missing (SQLite: one; PostgreSQL: 2–4, a new count after each kill; restart: two).</summary>
    private void KeepWorkersRunning()
    {
        foreach (var gone in _workers.Where(w => w.HasExited).ToList())
        {
            Report.Violation($"worker {gone.Name} (pid {gone.Pid}) exited on its own:\n{Tail(gone.Output)}");
            _workers.Remove(gone);
            _exited.Add(gone);
        }
        while (_workers.Count < _wantedWorkers)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"w{++_started}");
            _workers.Add(WorkerProcess.Start(name, [.. Journal.WorkerArguments,
                "--ledger-dir", Ledger.Directory, "--worker-id", $"{_settings.StoreName}-{name}",
                "--lease-ms", _settings.EffectiveLeaseMs.ToString(CultureInfo.InvariantCulture), "--poll-ms", "50",
                "--max-concurrent", _settings.MaxConcurrentRuns.ToString(CultureInfo.InvariantCulture),
                "--body-ms", _settings.BodyMs.ToString(CultureInfo.InvariantCulture)]));
        }
    }

    private async Task CreateRunAsync(int index)
    {
        var definition = TortureWorkflow.Definition;
        var now = DateTimeOffset.UtcNow;
        var run = new RunRecord
        {
            Id = Guid.CreateVersion7(now),
            TenantId = "default",
            Workflow = definition.Name,
            SchemaVersion = definition.SchemaVersion,
            Status = RunStatus.Pending,
            Input = definition.InputCodec.Serialize(new TortureInput(index, _settings.SleepMs)),
            IdempotencyKey = TortureWorkload.RunKey(index),
            CreatedAt = now,
            UpdatedAt = now,
        };
        await Patiently($"create run {index}", async () => await Journal.Store.CreateRunAsync(run));
    }

    /// <summary>The event each run waits for, sent once it waits (deduplicated by its idempotency key).</summary>
    private async Task FeedEventsAsync(IReadOnlyList<RunRecord> unfinished)
    {
        foreach (var run in unfinished.Where(r => r.ParentRunId is null && r.WaitingFor?.Contains($"event:{TortureWorkload.EventName}", StringComparison.Ordinal) == true))
        {
            var index = int.Parse(run.IdempotencyKey!["torture-".Length..], CultureInfo.InvariantCulture);
            var ev = new EventRecord
            {
                Id = Guid.CreateVersion7(),
                RunId = run.Id,
                TenantId = run.TenantId,
                Name = TortureWorkload.EventName,
                Payload = $"\"{TortureWorkload.EventPayload(index)}\"",
                IdempotencyKey = "go",
                CreatedAt = DateTimeOffset.UtcNow,
            };
            await Patiently($"send the event to run {index}", async () => await Journal.Store.SendEventAsync(ev));
        }
    }

    /// <summary>The driver's own reads and writes while a server restarts or a file is locked: asked again for a while.</summary>
    private static async Task<T> Patiently<T>(string what, Func<Task<T>> action)
    {
        var until = DateTime.UtcNow + Patience;
        while (true)
        {
            try
            {
                return await action();
            }
            catch (Exception e) when (e is StoreUnavailableException or NpgsqlException or SqliteException or TimeoutException && DateTime.UtcNow < until)
            {
                await Task.Delay(100);
            }
            catch (Exception e) when (e is StoreUnavailableException or NpgsqlException or SqliteException or TimeoutException)
            {
                throw new InvalidOperationException($"The driver could not {what} for {Patience}: {e.Message}", e);
            }
        }
    }

    private static string Tail(string output) => output.Length <= 4000 ? output : "..." + output[^4000..];

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in _workers.Concat(_exited))
        {
            await worker.DisposeAsync();
        }
        await Journal.DisposeAsync();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        for (var attempt = 0; attempt < 5 && System.IO.Directory.Exists(Directory); attempt++)
        {
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
                await Task.Delay(100);
            }
        }
    }
}
