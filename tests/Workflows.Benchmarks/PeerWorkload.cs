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

    /// <summary>Warm-up, then <see cref="Runs"/> runs sequentially, then <see cref="Runs"/> more <see cref="InFlight"/> at a time.</summary>
    public static async Task<Result> RunAsync(IWorkflowStore inner)
    {
        var store = new CountingStore(inner);
        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        await using var engine = new WorkflowEngine(store, new WorkflowEngineOptions { OnBackgroundError = errors.Enqueue }).Register(PeerSteps.Definition);
        await engine.InitializeAsync();
        for (var i = 0; i < 5; i++) await Check(engine.RunAsync(PeerSteps.Definition, StepsPerRun)); // JIT, prepared statements
        await Parallel.ForEachAsync(Enumerable.Range(0, InFlight), async (_, ct) => await Check(engine.RunAsync(PeerSteps.Definition, StepsPerRun, cancellationToken: ct)));

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

    /// <summary>
    /// Raw Microsoft.Data.Sqlite: one INSERT per transaction at synchronous=FULL in WAL mode, on <paramref name="path"/>
    /// (kept between calls: the table and its WAL are reused, steady state), for about <paramref name="duration"/>.
    /// Returns commits/s and the connection's synchronous setting (2 = FULL).
    /// </summary>
    public static (double CommitsPerSecond, string? Synchronous, string? JournalMode) RawCommits(string path, TimeSpan duration)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = 30 }.ToString());
        connection.Open();
        var mode = Execute(connection, "PRAGMA journal_mode = WAL");
        Execute(connection, "PRAGMA synchronous = FULL");
        var synchronous = Execute(connection, "PRAGMA synchronous");
        Execute(connection, "CREATE TABLE IF NOT EXISTS bench_raw (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)");
        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO bench_raw (payload) VALUES ($payload)";
        var payload = insert.Parameters.Add("$payload", SqliteType.Text);
        insert.Prepare();
        var x64 = new string('x', 64);
        void One(int i)
        {
            using var transaction = connection.BeginTransaction(deferred: false);
            insert.Transaction = transaction;
            payload.Value = "{\"i\":" + i.ToString(CultureInfo.InvariantCulture) + ",\"s\":\"" + x64 + "\"}";
            insert.ExecuteNonQuery();
            transaction.Commit();
        }
        for (var i = 0; i < 50; i++) One(i); // warm-up
        var commits = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < duration || commits < 200)
        {
            One(commits++);
        }
        watch.Stop();
        return (commits / watch.Elapsed.TotalSeconds, synchronous, mode);
    }

    private static string? Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture);
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
