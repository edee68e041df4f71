using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Workflows.Storage;

namespace Workflows.Benchmarks;

/// <summary>
/// The peers' workload (as DBOS and Restate were measured on this machine): 200 workflows x 10 steps, each step returning
/// <c>{ I = i, S = 64 x 'x' }</c>, one run at a time and 16 in flight; and the raw SQLite loop it is compared with.
/// </summary>
internal static class PeerWorkload
{
    public const int Runs = 200;
    public const int StepsPerRun = 10;
    public const int InFlight = 16;

    public sealed record Result(double SequentialStepsPerSecond, double ConcurrentStepsPerSecond, double SequentialCommitsPerStep,
        double SequentialFlushedCommitsPerStep, double ConcurrentCommitsPerStep, int BackgroundErrors);

    /// <summary>
    /// Warm-up (runs one at a time and 16 in flight until <paramref name="warmUp"/> has passed: the JIT's tiers, prepared
    /// statements, the journal's WAL past its first wrap), then <see cref="Runs"/> runs sequentially, then <see cref="Runs"/>
    /// more <see cref="InFlight"/> at a time.
    /// </summary>
    public static async Task<Result> RunAsync(IWorkflowStore inner, TimeSpan warmUp)
    {
        var store = new CountingStore(inner);
        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        await using var engine = new WorkflowEngine(store, new WorkflowEngineOptions { OnBackgroundError = errors.Enqueue }).Register(PeerSteps.Definition);
        await engine.InitializeAsync();
        var warming = Stopwatch.StartNew();
        do
        {
            for (var i = 0; i < 5; i++) await Check(engine.RunAsync(PeerSteps.Definition, StepsPerRun));
            await Parallel.ForEachAsync(Enumerable.Range(0, InFlight), new ParallelOptions { MaxDegreeOfParallelism = InFlight },
                async (_, ct) => await Check(engine.RunAsync(PeerSteps.Definition, StepsPerRun, cancellationToken: ct)));
        }
        while (warming.Elapsed < warmUp);

        store.Reset();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < Runs; i++)
        {
            await Check(engine.RunAsync(PeerSteps.Definition, StepsPerRun));
        }
        watch.Stop();
        const int steps = Runs * StepsPerRun;
        var sequential = steps / watch.Elapsed.TotalSeconds;
        var sequentialCommits = store.Commits / (double)steps;
        var sequentialFlushed = (store.Commits - store.BufferedCommits) / (double)steps;

        store.Reset();
        watch.Restart();
        await Parallel.ForEachAsync(Enumerable.Range(0, Runs), new ParallelOptions { MaxDegreeOfParallelism = InFlight },
            async (_, ct) => await Check(engine.RunAsync(PeerSteps.Definition, StepsPerRun, cancellationToken: ct)));
        watch.Stop();
        var concurrent = steps / watch.Elapsed.TotalSeconds;
        return new Result(sequential, concurrent, sequentialCommits, sequentialFlushed, store.Commits / (double)steps, errors.Count);
    }

    private static async Task Check(Task<int> run)
    {
        var result = await run;
        if (result != PeerSteps.Expected(StepsPerRun))
        {
            throw new InvalidOperationException($"a peer run returned {result}, not {PeerSteps.Expected(StepsPerRun)}");
        }
    }
}

/// <summary>
/// Raw Microsoft.Data.Sqlite: one INSERT per transaction at synchronous=FULL in WAL mode, on one connection held open for
/// the whole suite (so its table and WAL file are reused between measurements: steady state; SQLite deletes the WAL when
/// the last connection closes, and a new WAL grows, fsyncing its size, before it wraps).
/// </summary>
internal sealed class RawSqlite : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _insert;
    private readonly SqliteParameter _payload;
    private readonly string _x64 = new('x', 64);
    private int _i;

    public RawSqlite(string path)
    {
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = 30 }.ToString());
        _connection.Open();
        JournalMode = Execute("PRAGMA journal_mode = WAL");
        Execute("PRAGMA synchronous = FULL");
        Synchronous = Execute("PRAGMA synchronous");
        Execute("CREATE TABLE IF NOT EXISTS bench_raw (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)");
        _insert = _connection.CreateCommand();
        _insert.CommandText = "INSERT INTO bench_raw (payload) VALUES ($payload)";
        _payload = _insert.Parameters.Add("$payload", SqliteType.Text);
        _insert.Prepare();
        // Past the WAL's first wrap (the default autocheckpoint is at 1,000 pages): the steady state from here on.
        for (var i = 0; i < 1_500; i++) One();
    }

    public string? JournalMode { get; }

    /// <summary>The connection's synchronous setting (2 = FULL).</summary>
    public string? Synchronous { get; }

    /// <summary>Commits/s over about <paramref name="duration"/> (at least 200 commits), after 100 unmeasured ones.</summary>
    public double CommitsPerSecond(TimeSpan duration)
    {
        for (var i = 0; i < 100; i++) One();
        var commits = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < duration || commits < 200)
        {
            One();
            commits++;
        }
        watch.Stop();
        return commits / watch.Elapsed.TotalSeconds;
    }

    private void One()
    {
        using var transaction = _connection.BeginTransaction(deferred: false);
        _insert.Transaction = transaction;
        _payload.Value = "{\"i\":" + (_i++).ToString(CultureInfo.InvariantCulture) + ",\"s\":\"" + _x64 + "\"}";
        _insert.ExecuteNonQuery();
        transaction.Commit();
    }

    private string? Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        _insert.Dispose();
        _connection.Dispose();
    }
}

/// <summary>A step's result in the peers' workload: <c>{ I = i, S = 64 x 'x' }</c>.</summary>
public sealed record PeerItem(int I, string S);

/// <summary>The peers' workflow: <c>steps</c> steps, each returning a <see cref="PeerItem"/>.</summary>
[Workflow("bench-peer")]
public partial class PeerSteps
{
    /// <summary>What a run of <paramref name="steps"/> steps returns.</summary>
    public static int Expected(int steps) => steps * (steps - 1) / 2 + 64 * steps;

    [WorkflowRun]
    public async Task<int> RunAsync(int steps)
    {
        var total = 0;
        for (var i = 0; i < steps; i++)
        {
            var item = await StepAsync(i);
            total += item.I + item.S.Length;
        }
        return total;
    }

    [Step("step")]
    private Task<PeerItem> StepAsync(int i) => Task.FromResult(new PeerItem(i, new string('x', 64)));
}
