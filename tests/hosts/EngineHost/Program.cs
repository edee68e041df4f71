using System.Diagnostics;
using System.Globalization;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Workflows.Diagnostics;
using Microsoft.Data.Sqlite;
using Workflows;
using Workflows.Journal;
using Workflows.PostgreSql;
using Workflows.Sqlite;
using Workflows.Storage;
using EngineHost;

// EngineHost MODE [options]: a child process of the cross-process tests. Everything comes from the command line.
//
//   The journal: --db FILE (SQLite), or --postgres CONNECTION-STRING --schema NAME (PostgreSQL; the store's connections
//   carry the application name enginehost-<pid>, the attempt reader's enginehost-<pid>-reader).
//
//   work    an engine on the journal with the cluster workflows registered.
//           --ledger-dir DIR     per-process ledger file DIR/ledger-<pid>.log (begin/end of every step body, fsynced)
//           --worker-id ID       the engine's WorkerId (default: the engine's own)
//           --lease-ms N         LeaseDuration (default 2000)       --poll-ms N   PollInterval (default 100)
//           --busy-ms N          the store's BusyTimeout (default 5000)
//           --max-concurrent N   MaxConcurrentRuns (default 64)
//           --workflow work|ten|sleep|parent  which workflow --start starts (default work); ten: cluster-ten (ten steps);
//                                --sleep-ms N for the sleep workflow;
//                                parent: cluster-parent, which runs a cluster-child (step c1) and then its step p1
//           --start N [--start-from K]  start runs with Index K..K+N-1 (idempotency key run-<index>); on the queue
//                                --queue names, if any, with --priority P (default 0)
//           --queue NAME --queue-limit N [--queue-worker-limit N]  the engine serves queue NAME: at most N of its runs
//                                executing across all engines (Concurrency), at most the worker limit in this one
//                                (WorkerConcurrency; 0: this engine only enqueues)
//           --resume             ResumeUnfinishedAsync() at start
//           --until-all-done     exit once the journal holds no unfinished run (else: once the started runs end)
//           --hang-mod M         in run Index i, the body of step s<(i % M) + 1> blocks forever
//           --hang-after-begins N  every body after the N-th begun in this process blocks forever
//           --block-step S --release-file F   the body of step S waits until file F exists (ignoring cancellation)
//           --body-ms N          every body takes N ms
//           --print-waiting      print "WAITING inMemory=<n>" once the first started run is suspended
//           --log-store          print fence refusals, lost renewals and cancelled commits seen at the store
//           --stop-on-renew F    (with --log-store) while file F exists, the process SIGSTOPs itself inside each claim
//                                renewal, after the store answered and before the engine reads the answer ("SELF-STOP")
//           --trace              OpenTelemetry with the in-memory exporter: runs are started under a caller span
//                                ("TRACE-CALLER <trace id>"); before DONE every exported span of the Workflows source is
//                                printed ("SPAN <name> <trace id> replayed=<n> status=<s>")
//   create  --count N [--start-from K] [--workflow work|ten] [--queue NAME [--priority P]]: create Pending runs in the
//           journal (on queue NAME if given), no engine
//   lock    --db F --hold-ms N: hold BEGIN EXCLUSIVE on the file for N ms ("LOCKED", then "UNLOCKED")
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: EngineHost work|create|lock [options] (see Program.cs)");
    return 2;
}

var options = HostOptions.Parse(args.AsSpan(1));
try
{
    return args[0] switch
    {
        "work" => await WorkAsync(options),
        "create" => await CreateAsync(options),
        "lock" => await LockAsync(options),
        _ => Usage(args[0]),
    };
}
catch (Exception e)
{
    Output.Line($"CRASH {e.GetType().Name}: {e}");
    return 1;
}

// The host's own reads (not the engine's) during an outage of the store: printed, and asked again for up to a minute.
static async Task<T> WhileUnavailableAsync<T>(string what, Func<Task<T>> read)
{
    var until = DateTime.UtcNow + TimeSpan.FromMinutes(1);
    while (true)
    {
        try
        {
            return await read();
        }
        catch (StoreUnavailableException e) when (DateTime.UtcNow < until)
        {
            Output.Line($"UNAVAILABLE {what}: {e.Message}");
            await Task.Delay(100);
        }
    }
}

// Where a background error came from, on the same line: the innermost exception's first frames in Workflows code.
static string Origin(Exception e)
{
    var inner = e;
    while (inner.InnerException is not null) inner = inner.InnerException;
    var frames = (inner.StackTrace ?? "").Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
        .Where(f => f.Contains(" Workflows.", StringComparison.Ordinal)).Take(3).ToList();
    var cause = inner == e ? "" : $" (inner {inner.GetType().Name}: {inner.Message})";
    return frames.Count == 0 ? cause : $"{cause} | {string.Join(" | ", frames)}";
}

static int Usage(string mode)
{
    Console.Error.WriteLine($"unknown mode '{mode}'");
    return 2;
}

static async Task<int> WorkAsync(HostOptions options)
{
    await using var journal = JournalStore.Open(options, options.Int("busy-ms", 5000));
    var behaviour = new HostBehaviour(
        new Ledger(Path.Combine(options.Required("ledger-dir"), $"ledger-{Environment.ProcessId}.log")),
        journal.Attempts,
        hangMod: options.Int("hang-mod", 0),
        hangAfterBegins: options.Int("hang-after-begins", 0),
        blockStep: options.Text("block-step"),
        releaseFile: options.Text("release-file"),
        bodyMs: options.Int("body-ms", 0));
    var work = ClusterWorkflow.Definition.WithFactory(_ => new ClusterWorkflow(behaviour));
    var ten = TenStepWorkflow.Definition.WithFactory(_ => new TenStepWorkflow(behaviour));
    var sleep = SleepWorkflow.Definition.WithFactory(_ => new SleepWorkflow(behaviour));
    var child = ClusterChildWorkflow.Definition.WithFactory(_ => new ClusterChildWorkflow(behaviour));
    var parent = ClusterParentWorkflow.Definition.WithFactory(_ => new ClusterParentWorkflow(behaviour, child));

    IWorkflowStore store = options.Flag("log-store") ? new LoggingStore(journal.Store, options.Text("stop-on-renew")) : journal.Store;
    var engine = new WorkflowEngine(store, new WorkflowEngineOptions
    {
        WorkerId = options.Text("worker-id"),
        LeaseDuration = TimeSpan.FromMilliseconds(options.Int("lease-ms", 2000)),
        PollInterval = TimeSpan.FromMilliseconds(options.Int("poll-ms", 100)),
        MaxConcurrentRuns = options.Int("max-concurrent", 64),
        Queues = options.Queue() is { } queue ? [queue] : [],
        OnBackgroundError = e => Output.Line($"BACKGROUND {e.GetType().Name}: {e.Message}{Origin(e)}"),
    });
    var exported = new List<Activity>();
    using var tracing = options.Flag("trace")
        ? Sdk.CreateTracerProviderBuilder().AddSource(WorkflowsTelemetry.Name, "EngineHost.Caller").AddInMemoryExporter(exported).Build()
        : null;
    using var callerSource = new ActivitySource("EngineHost.Caller");
    try
    {
        engine.Register(work).Register(ten).Register(sleep).Register(child).Register(parent);
        await engine.InitializeAsync();
        var queueName = options.Text("queue");
        Output.Line($"READY pid={Environment.ProcessId} worker={engine.WorkerId} journal={journal.Description} queue={queueName ?? "(none)"}");

        var handles = new List<WorkflowRun>();
        if (options.Flag("resume"))
        {
            handles.AddRange(await engine.ResumeUnfinishedAsync());
        }
        var from = options.Int("start-from", 0);
        var sleepMs = options.Int("sleep-ms", 2000);
        var workflow = options.Text("workflow") ?? "work";
        var caller = tracing is null ? null : callerSource.StartActivity("caller");
        if (caller is not null)
        {
            Output.Line($"TRACE-CALLER {caller.TraceId}");
        }
        for (var i = from; i < from + options.Int("start", 0); i++)
        {
            var start = new StartOptions { IdempotencyKey = $"run-{i}", Queue = queueName, Priority = options.Int("priority", 0) };
            handles.Add(workflow switch
            {
                "work" => await engine.StartAsync(work, new WorkInput(i), start),
                "ten" => await engine.StartAsync(ten, new WorkInput(i), start),
                "sleep" => await engine.StartAsync(sleep, new SleepInput(i, sleepMs), start),
                "parent" => await engine.StartAsync(parent, new WorkInput(i), start),
                _ => throw new ArgumentException($"unknown workflow '{workflow}'"),
            });
        }
        caller?.Dispose();
        Output.Line($"STARTED {handles.Count}");

        if (options.Flag("print-waiting") && handles.Count > 0)
        {
            await PrintWaitingAsync(engine, handles[0]);
        }

        if (options.Flag("until-all-done"))
        {
            // The journal says every run ended once the last commit is in; the executions that made them leave memory
            // (and stop their run spans) a moment later, so wait for both before the spans are printed.
            // (This loop is the host's, not the engine's: a store that is unavailable for a moment is asked again.)
            while ((await WhileUnavailableAsync("until-all-done", () => store.ListRunsAsync(RunQuery.Unfinished() with { Limit = 1 }).AsTask())).Count > 0
                   || engine.RunsInMemory > 0)
            {
                await Task.Delay(100);
            }
        }
        else
        {
            foreach (var handle in handles)
            {
                try
                {
                    await handle.Completion;
                    var record = await WhileUnavailableAsync("result", () => handle.GetRecordAsync());
                    Output.Line($"RESULT {handle.RunId} {record.Status} {record.Output}");
                }
                catch (Exception e)
                {
                    Output.Line($"OUTCOME {handle.RunId} {e.GetType().Name}: {e.Message}");
                }
            }
        }
        if (tracing is not null)
        {
            tracing.ForceFlush();
            foreach (var span in exported.ToList().Where(a => a.Source.Name == WorkflowsTelemetry.Name))
            {
                Output.Line($"SPAN {span.OperationName.Replace(' ', '_')} {span.TraceId} replayed={span.GetTagItem("workflows.steps.replayed")} " +
                            $"status={span.GetTagItem("workflows.run.status") ?? span.GetTagItem("workflows.step.status")}");
            }
        }
        Output.Line("DONE");
    }
    finally
    {
        await engine.DisposeAsync();
    }
    return 0;
}

// Once the run is Waiting and its execution has left memory, say so; a run that is re-claimed first (its wake-up came)
// or never suspends is reported as not suspended.
static async Task PrintWaitingAsync(WorkflowEngine engine, WorkflowRun handle)
{
    var guard = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(30);
    while (DateTimeOffset.UtcNow < guard)
    {
        var record = await handle.GetRecordAsync();
        var inMemory = engine.RunsInMemory;
        if (record.Status == RunStatus.Waiting && inMemory == 0)
        {
            Output.Line($"WAITING inMemory={inMemory} wakeAt={record.WakeAt?.ToString("O", CultureInfo.InvariantCulture)} for={record.WaitingFor}");
            return;
        }
        if (StatusTransitions.IsFinal(record.Status) || (record.WakeAt is { } wake && wake <= DateTimeOffset.UtcNow))
        {
            break;
        }
        await Task.Delay(20);
    }
    var last = await handle.GetRecordAsync();
    Output.Line($"NOT-SUSPENDED status={last.Status} inMemory={engine.RunsInMemory}");
}

static async Task<int> CreateAsync(HostOptions options)
{
    await using var journal = JournalStore.Open(options, busyMs: 5000);
    var store = journal.Store;
    await store.InitializeAsync();
    var workflow = options.Text("workflow") ?? "work";
    WorkflowDefinition definition = workflow switch
    {
        "work" => ClusterWorkflow.Definition,
        "ten" => TenStepWorkflow.Definition,
        _ => throw new ArgumentException($"create makes runs of the work or ten workflow, not '{workflow}'"),
    };
    var input = ClusterWorkflow.Definition.InputCodec; // both take a WorkInput
    var from = options.Int("start-from", 0);
    for (var i = from; i < from + options.Int("count", 0); i++)
    {
        var now = DateTimeOffset.UtcNow;
        var result = await store.CreateRunAsync(new RunRecord
        {
            Id = Guid.CreateVersion7(now),
            TenantId = "default",
            Workflow = definition.Name,
            SchemaVersion = definition.SchemaVersion,
            Status = RunStatus.Pending,
            Queue = options.Text("queue"),
            Priority = options.Int("priority", 0),
            Input = input.Serialize(new WorkInput(i)),
            IdempotencyKey = $"run-{i}",
            CreatedAt = now,
            UpdatedAt = now,
        });
        Output.Line($"CREATED {result.Run.Id} {result.Created}");
    }
    Output.Line("DONE");
    return 0;
}

static async Task<int> LockAsync(HostOptions options)
{
    using var connection = new SqliteConnection(new SqliteConnectionStringBuilder
    {
        DataSource = options.Required("db"),
        Pooling = false,
        DefaultTimeout = 30,
    }.ToString());
    connection.Open();
    Execute(connection, "PRAGMA busy_timeout = 30000");
    Execute(connection, "BEGIN EXCLUSIVE");
    Output.Line($"LOCKED at={DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture)}");
    await Task.Delay(options.Int("hold-ms", 4000));
    Execute(connection, "ROLLBACK");
    Output.Line($"UNLOCKED at={DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture)}");
    return 0;

    static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}

/// <summary>The journal a process works on, from --db (SQLite) or --postgres and --schema (PostgreSQL).</summary>
internal sealed class JournalStore : IAsyncDisposable
{
    private readonly IAsyncDisposable[] _owned;

    private JournalStore(IWorkflowStore store, IAttemptReader attempts, string description, params IAsyncDisposable[] owned)
    {
        Store = store;
        Attempts = attempts;
        Description = description;
        _owned = owned;
    }

    public IWorkflowStore Store { get; }

    public IAttemptReader Attempts { get; }

    public string Description { get; }

    public static JournalStore Open(HostOptions options, int busyMs)
    {
        if (options.Text("postgres") is { } connectionString)
        {
            if (options.Text("db") is not null)
            {
                throw new ArgumentException("--db and --postgres name two journals: give one");
            }
            var schema = options.Required("schema");
            var postgres = new PostgreSqlWorkflowStore(new PostgreSqlWorkflowStoreOptions
            {
                ConnectionString = PostgreSqlHost.Named(connectionString, PostgreSqlHost.StoreApplicationName),
                Schema = schema,
            });
            var reader = new PostgreSqlAttemptReader(connectionString, schema);
            return new JournalStore(postgres, reader, postgres.DataSource, postgres, reader);
        }
        var db = options.Text("db") ?? throw new ArgumentException("--db FILE or --postgres CONNECTION-STRING --schema NAME is required");
        var sqlite = new SqliteWorkflowStore(new SqliteWorkflowStoreOptions { Path = db, BusyTimeout = TimeSpan.FromMilliseconds(busyMs) });
        return new JournalStore(sqlite, new SqliteAttemptReader(db), db, sqlite);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }
    }
}
