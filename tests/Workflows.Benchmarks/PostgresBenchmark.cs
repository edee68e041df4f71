using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Npgsql;
using NpgsqlTypes;
using Workflows.PostgreSql;

namespace Workflows.Benchmarks;

/// <summary>
/// A whole-process benchmark of the PostgreSQL store (not BenchmarkDotNet, not a test), on the server named by
/// WORKFLOWS_POSTGRES (build/bench.sh starts a private one with fsync and synchronous_commit on), side by side in one run:
/// (1) a raw loop of one INSERT per transaction (autocommit) into a table as wide as the journal's step table, (2) the
/// engine running 200 workflows of 10 steps (each step returns a small record) one at a time, (3) the same with 16 runs
/// in flight; steps/s for each and the ratios to (1). Prints the goal with PASS/FAIL lines; exits 0 either way.
/// </summary>
internal static class PostgresBenchmark
{
    private const double SequentialGoalRatio = 0.7;
    private const double InFlightGoalStepsPerSecond = 2000;

    public static async Task<int> RunAsync(string[] args)
    {
        var runs = IntArg(args, "--runs", 200);
        var inFlight = IntArg(args, "--in-flight", 16);
        var rawRows = IntArg(args, "--raw-rows", 2000);
        var connectionString = Environment.GetEnvironmentVariable("WORKFLOWS_POSTGRES") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                "WORKFLOWS_POSTGRES is not set: run ./build/bench.sh postgres (it starts a private PostgreSQL with fsync on), " +
                "or start a server and export the connection string.");
        var schema = "bench_" + Guid.NewGuid().ToString("N")[..12];
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        try
        {
            return await MeasureAsync(dataSource, connectionString, schema, runs, inFlight, rawRows);
        }
        finally
        {
            await using var drop = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
            await drop.ExecuteNonQueryAsync();
        }
    }

    private static async Task<int> MeasureAsync(NpgsqlDataSource dataSource, string connectionString, string schema, int runs, int inFlight, int rawRows)
    {
        var settings = await ScalarAsync<string>(dataSource,
            "SELECT 'PostgreSQL ' || current_setting('server_version') || ', fsync=' || current_setting('fsync') || ', synchronous_commit=' || " +
            "current_setting('synchronous_commit') || ', wal_sync_method=' || current_setting('wal_sync_method') || ', full_page_writes=' || current_setting('full_page_writes')");
        Console.WriteLine($"Workflows PostgreSQL benchmark, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, server GC {System.Runtime.GCSettings.IsServerGC}");
        Console.WriteLine($"server: {settings}");
        Console.WriteLine($"schema: {schema} (created for this run, dropped at the end)");
        Console.WriteLine();

        // (1) Raw: one INSERT per transaction (autocommit), a row as wide as a journal step row, on the same server.
        var (rawCount, rawElapsed) = await RawInsertsAsync(dataSource, schema, rawRows);
        var rawRate = rawCount / rawElapsed.TotalSeconds;

        await using var postgres = new PostgreSqlWorkflowStore(new PostgreSqlWorkflowStoreOptions { ConnectionString = connectionString, Schema = schema });
        var store = new CountingStore(postgres);
        var backgroundErrors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var options = new WorkflowEngineOptions { OnBackgroundError = backgroundErrors.Enqueue };
        await using var engine = new WorkflowEngine(store, options).Register(TenRecordSteps.Definition);
        await engine.InitializeAsync();
        for (var i = 0; i < 5; i++) await engine.RunAsync(TenRecordSteps.Definition, -1 - i); // warm-up: JIT, connections, plans

        // (2) Sequential: one run at a time.
        store.Reset();
        var sequential = Stopwatch.StartNew();
        for (var i = 0; i < runs; i++)
        {
            var result = await engine.RunAsync(TenRecordSteps.Definition, i);
            if (result.Count != 10) throw new InvalidOperationException($"run {i} returned {result.Count} steps' tallies, not 10");
        }
        sequential.Stop();
        var sequentialCommits = store.Commits;
        var sequentialBuffered = store.BufferedCommits;
        var sequentialInCommits = store.TimeInCommits;
        var steps = runs * 10;
        var sequentialRate = steps / sequential.Elapsed.TotalSeconds;

        // (3) In flight: `inFlight` runs at a time.
        store.Reset();
        var concurrent = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(runs, runs), new ParallelOptions { MaxDegreeOfParallelism = inFlight },
            async (i, ct) =>
            {
                var result = await engine.RunAsync(TenRecordSteps.Definition, i, cancellationToken: ct);
                if (result.Count != 10) throw new InvalidOperationException($"run {i} returned {result.Count} steps' tallies, not 10");
            });
        concurrent.Stop();
        var concurrentCommits = store.Commits;
        var concurrentBuffered = store.BufferedCommits;
        var concurrentRate = steps / concurrent.Elapsed.TotalSeconds;

        // The journal holds what was measured: every run succeeded with its ten steps.
        var succeeded = await ScalarAsync<long>(dataSource, $"SELECT count(*) FROM \"{schema}\".workflow_runs WHERE workflow = 'bench-ten-record-steps' AND status = 'Succeeded'");
        var stepRows = await ScalarAsync<long>(dataSource, $"SELECT count(*) FROM \"{schema}\".workflow_steps s JOIN \"{schema}\".workflow_runs r ON r.id = s.run_id WHERE r.workflow = 'bench-ten-record-steps' AND s.status = 'Succeeded'");
        var expectedRuns = 2 * runs + 5;

        string F(double value) => value.ToString("N0", CultureInfo.InvariantCulture);
        string F2(double value) => value.ToString("N2", CultureInfo.InvariantCulture);
        Console.WriteLine($"(1) raw, one INSERT per transaction (autocommit)     {F(rawRate),8} rows/s     ({rawCount} rows in {F2(rawElapsed.TotalSeconds)} s; 22 columns, uuid key, unique (run_id, sequence))");
        Console.WriteLine($"(2) engine, sequential {runs} runs x 10 steps         {F(sequentialRate),8} steps/s    ({steps} steps in {F2(sequential.Elapsed.TotalSeconds)} s, {F(runs / sequential.Elapsed.TotalSeconds)} runs/s; {sequentialCommits} store commits, {F2(sequentialCommits / (double)steps)} per step, {F2((sequentialCommits - sequentialBuffered) / (double)steps)} of them fsync'd)");
        Console.WriteLine($"(3) engine, {inFlight} in flight, {runs} runs x 10 steps       {F(concurrentRate),8} steps/s    ({steps} steps in {F2(concurrent.Elapsed.TotalSeconds)} s, {F(runs / concurrent.Elapsed.TotalSeconds)} runs/s; {concurrentCommits} store commits, {F2(concurrentCommits / (double)steps)} per step, {F2((concurrentCommits - concurrentBuffered) / (double)steps)} of them fsync'd)");
        Console.WriteLine($"    sequential: {F(100 * sequentialInCommits.TotalSeconds / sequential.Elapsed.TotalSeconds)} % of the time in store commits, {F(sequentialInCommits.TotalMicroseconds / sequentialCommits)} us per commit (raw insert: {F(rawElapsed.TotalMicroseconds / rawCount)} us)");
        Console.WriteLine();
        Console.WriteLine($"    sequential / raw                                 {F2(sequentialRate / rawRate),8} x");
        Console.WriteLine($"    {inFlight} in flight / raw                                {F2(concurrentRate / rawRate),8} x");
        Console.WriteLine($"    {inFlight} in flight / sequential                         {F2(concurrentRate / sequentialRate),8} x");
        Console.WriteLine($"journal: {succeeded} of {expectedRuns} runs Succeeded, {stepRows} succeeded step rows (expected {expectedRuns * 10})");
        Console.WriteLine($"background errors reported by the engine: {backgroundErrors.Count}{string.Concat(backgroundErrors.GroupBy(e => e.GetType().Name + ": " + e.Message).Take(5).Select(g => $"\n    {g.Count()} x {g.Key}"))}");
        Console.WriteLine();
        var sequentialPass = sequentialRate >= SequentialGoalRatio * rawRate;
        var inFlightPass = concurrentRate >= InFlightGoalStepsPerSecond;
        Console.WriteLine("goal: sequential >= 0.7x raw, >= 2000 steps/s (4x ~500)");
        Console.WriteLine($"  sequential >= 0.7x raw:                {(sequentialPass ? "PASS" : "FAIL")}  ({F2(sequentialRate / rawRate)} x: {F(sequentialRate)} steps/s vs {F(rawRate)} rows/s raw)");
        Console.WriteLine($"  {inFlight} in flight >= 2000 steps/s:          {(inFlightPass ? "PASS" : "FAIL")}  ({F(concurrentRate)} steps/s)");
        if (succeeded != expectedRuns || stepRows != expectedRuns * 10)
        {
            Console.WriteLine("  journal check:                         FAIL  (the journal does not hold every run and step measured)");
        }
        return 0;
    }

    /// <summary>Autocommit INSERTs (each its own transaction, a durable commit) of rows shaped like a succeeded step.</summary>
    private static async Task<(int Rows, TimeSpan Elapsed)> RawInsertsAsync(NpgsqlDataSource dataSource, string schema, int rows)
    {
        await using (var create = dataSource.CreateCommand($"""
            CREATE SCHEMA "{schema}";
            CREATE TABLE "{schema}".bench_raw (
                id                uuid     PRIMARY KEY,
                run_id            uuid     NOT NULL,
                tenant_id         text     NOT NULL,
                sequence          integer  NOT NULL,
                position          integer  NOT NULL,
                name              text     NOT NULL,
                kind              text     NOT NULL,
                status            text     NOT NULL,
                attempt           integer  NOT NULL,
                input             text     NULL,
                output            text     NULL,
                error             text     NULL,
                duration_ms       bigint   NULL,
                created_at        bigint   NOT NULL,
                created_at_offset smallint NOT NULL,
                started_at        bigint   NULL,
                started_at_offset smallint NULL,
                completed_at      bigint   NULL,
                completed_at_offset smallint NULL,
                updated_at        bigint   NOT NULL,
                updated_at_offset smallint NOT NULL,
                attempt_history   text     NULL,
                UNIQUE (run_id, sequence)
            );
            """))
        {
            await create.ExecuteNonQueryAsync();
        }
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var insert = new NpgsqlCommand($"""
            INSERT INTO "{schema}".bench_raw (id, run_id, tenant_id, sequence, position, name, kind, status, attempt, input, output,
                duration_ms, created_at, created_at_offset, started_at, started_at_offset, completed_at, completed_at_offset, updated_at, updated_at_offset)
            VALUES ($1, $2, 'default', $3, $3, 'tally', 'Step', 'Succeeded', 1, $4, $5, 0, $6, 0, $6, 0, $6, 0, $6, 0)
            """, connection);
        var id = insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid });
        var runId = insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid });
        var sequence = insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer });
        var input = insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text });
        var output = insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text });
        var ticks = insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint });
        await insert.PrepareAsync();
        var run = Guid.CreateVersion7();
        async Task OneAsync(int i)
        {
            if (i % 10 == 0) run = Guid.CreateVersion7();
            id.Value = Guid.CreateVersion7();
            runId.Value = run;
            sequence.Value = i % 10 + 1;
            input.Value = "[" + i.ToString(CultureInfo.InvariantCulture) + "]";
            output.Value = "{\"step\":" + (i % 10).ToString(CultureInfo.InvariantCulture) + ",\"label\":\"step-" + (i % 10).ToString(CultureInfo.InvariantCulture) + "\",\"total\":" + i.ToString(CultureInfo.InvariantCulture) + "}";
            ticks.Value = DateTime.UtcNow.Ticks;
            await insert.ExecuteNonQueryAsync();
        }
        for (var i = 0; i < 50; i++) await OneAsync(i); // warm-up
        var watch = Stopwatch.StartNew();
        for (var i = 50; i < 50 + rows; i++) await OneAsync(i);
        watch.Stop();
        return (rows, watch.Elapsed);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static int IntArg(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }
}

/// <summary>A step's small result: what the PostgreSQL benchmark's steps return.</summary>
public sealed record Tally(int Step, string Label, long Total);

/// <summary>Ten steps, each returning a small record (journaled as its JSON).</summary>
[Workflow("bench-ten-record-steps")]
public partial class TenRecordSteps
{
    [WorkflowRun]
    public async Task<List<Tally>> RunAsync(int seed)
    {
        var tallies = new List<Tally>();
        long total = seed;
        for (var i = 0; i < 10; i++)
        {
            var tally = await TallyAsync(i, total);
            total = tally.Total;
            tallies.Add(tally);
        }
        return tallies;
    }

    [Step("tally")]
    private Task<Tally> TallyAsync(int step, long total) => Task.FromResult(new Tally(step, "step-" + step.ToString(CultureInfo.InvariantCulture), total + step));
}
