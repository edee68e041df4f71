using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Npgsql;
using NpgsqlTypes;
using Workflows.PostgreSql;
using Workflows.Storage;

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
            if (args.Contains("--keep-schema")) Console.WriteLine($"kept schemas {schema} and {schema}_f (--keep-schema)");
            else await DropAsync(dataSource, schema);
        }
    }

    private static async Task DropAsync(NpgsqlDataSource dataSource, string schema)
    {
        {
            await using var drop = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE; DROP SCHEMA IF EXISTS \"{schema}_f\" CASCADE");
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

        // Every measure runs in `rounds` interleaved slices (raw, sequential, sequential with flushed markers, in flight; then
        // again), summed: the disk's speed drifts (a shared machine), and interleaving exposes all four to the same drift.
        var rounds = Math.Max(1, Math.Min(IntArg(Environment.GetCommandLineArgs(), "--rounds", 4), runs));
        var raw = await RawTableAsync(dataSource, schema);

        await using var postgres = new PostgreSqlWorkflowStore(new PostgreSqlWorkflowStoreOptions { ConnectionString = connectionString, Schema = schema });
        var store = new CountingStore(postgres);
        // Its own schema: two engines sharing a journal would also execute each other's runs.
        await using var flushedPostgres = new PostgreSqlWorkflowStore(new PostgreSqlWorkflowStoreOptions { ConnectionString = connectionString, Schema = schema + "_f" });
        var flushedStore = new CountingStore(flushedPostgres);
        var backgroundErrors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var options = new WorkflowEngineOptions { OnBackgroundError = backgroundErrors.Enqueue };
        await using var engine = new WorkflowEngine(store, options).Register(TenRecordSteps.Definition);
        await using var flushedEngine = new WorkflowEngine(flushedStore, new WorkflowEngineOptions
        {
            WorkerId = "bench-flushed", StepStartDurability = CommitDurability.Flushed, OnBackgroundError = backgroundErrors.Enqueue,
        })
            .Register(TenRecordSteps.Definition);
        await engine.InitializeAsync();
        await flushedEngine.InitializeAsync();
        for (var i = 0; i < 50; i++) await raw.InsertAsync(); // warm-up: JIT, connections, plans
        for (var i = 0; i < 5; i++) await engine.RunAsync(TenRecordSteps.Definition, -1 - i);
        for (var i = 0; i < 5; i++) await flushedEngine.RunAsync(TenRecordSteps.Definition, -100 - i);

        var rawElapsed = TimeSpan.Zero;
        var rawCount = 0;
        var sequential = new Measure();
        var flushedSequential = new Measure();
        var concurrent = new Measure();
        var next = 0;
        async Task SequentialAsync(WorkflowEngine on, CountingStore counted, Measure measure, int count)
        {
            counted.Reset();
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < count; i++)
            {
                var result = await on.RunAsync(TenRecordSteps.Definition, next++);
                if (result.Count != 10) throw new InvalidOperationException($"a run returned {result.Count} steps' tallies, not 10");
            }
            measure.Add(watch.Elapsed, count, counted);
        }
        for (var round = 0; round < rounds; round++)
        {
            var slice = runs / rounds + (round < runs % rounds ? 1 : 0);
            var rawSlice = rawRows / rounds + (round < rawRows % rounds ? 1 : 0);

            // (1) Raw: one INSERT per transaction (autocommit), a row as wide as a journal step row, on the same server.
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < rawSlice; i++) await raw.InsertAsync();
            rawElapsed += watch.Elapsed;
            rawCount += rawSlice;

            // (2) Sequential: one run at a time; (2') the same with every step-start marker fsync'd too. Their order swaps
            // from round to round: whichever ran second was measured faster whatever its durability (the server warmer).
            if (round % 2 == 0)
            {
                await SequentialAsync(engine, store, sequential, slice);
                await SequentialAsync(flushedEngine, flushedStore, flushedSequential, slice);
            }
            else
            {
                await SequentialAsync(flushedEngine, flushedStore, flushedSequential, slice);
                await SequentialAsync(engine, store, sequential, slice);
            }

            // (3) In flight: `inFlight` runs at a time.
            store.Reset();
            var first = next;
            next += slice;
            watch.Restart();
            await Parallel.ForEachAsync(Enumerable.Range(first, slice), new ParallelOptions { MaxDegreeOfParallelism = inFlight },
                async (i, ct) =>
                {
                    var result = await engine.RunAsync(TenRecordSteps.Definition, i, cancellationToken: ct);
                    if (result.Count != 10) throw new InvalidOperationException($"run {i} returned {result.Count} steps' tallies, not 10");
                });
            concurrent.Add(watch.Elapsed, slice, store);
        }
        var rawRate = rawCount / rawElapsed.TotalSeconds;

        // (4) The store alone, no engine: one claimed run, each step its fenced start (buffered) and outcome (flushed).
        var (storeSteps, storeElapsed) = await StoreAloneAsync(postgres, rawRows / 2);

        // The journal holds what was measured: every run succeeded with its ten steps.
        var succeeded = await ScalarAsync<long>(dataSource, $"SELECT count(*) FROM \"{schema}\".workflow_runs WHERE workflow = 'bench-ten-record-steps' AND status = 'Succeeded'");
        var stepRows = await ScalarAsync<long>(dataSource, $"SELECT count(*) FROM \"{schema}\".workflow_steps s JOIN \"{schema}\".workflow_runs r ON r.id = s.run_id WHERE r.workflow = 'bench-ten-record-steps' AND s.status = 'Succeeded'");
        succeeded += await ScalarAsync<long>(dataSource, $"SELECT count(*) FROM \"{schema}_f\".workflow_runs WHERE workflow = 'bench-ten-record-steps' AND status = 'Succeeded'");
        stepRows += await ScalarAsync<long>(dataSource, $"SELECT count(*) FROM \"{schema}_f\".workflow_steps WHERE status = 'Succeeded'");
        var expectedRuns = 3 * runs + 10;

        string F(double value) => value.ToString("N0", CultureInfo.InvariantCulture);
        string F2(double value) => value.ToString("N2", CultureInfo.InvariantCulture);
        string Line(Measure m) =>
            $"{F(m.StepsPerSecond),8} steps/s    ({m.Steps} steps in {F2(m.Elapsed.TotalSeconds)} s; {F2(m.Commits / (double)m.Steps)} store commits per step, {F2((m.Commits - m.Buffered) / (double)m.Steps)} of them fsync'd)";
        Console.WriteLine($"{rounds} interleaved rounds of each:");
        Console.WriteLine($"(1)  raw, one INSERT per transaction (autocommit)          {F(rawRate),8} rows/s     ({rawCount} rows in {F2(rawElapsed.TotalSeconds)} s; 22 columns, uuid key, unique (run_id, sequence))");
        Console.WriteLine($"(2)  engine, sequential, {runs} runs x 10 steps              {Line(sequential)}");
        Console.WriteLine($"(2') the same, StepStartDurability = Flushed              {Line(flushedSequential)}");
        Console.WriteLine($"(3)  engine, {inFlight} in flight, {runs} runs x 10 steps            {Line(concurrent)}");
        Console.WriteLine($"(4)  the store alone: the engine's commits, no engine     {F(storeSteps / storeElapsed.TotalSeconds),8} steps/s    ({storeSteps} steps in {F2(storeElapsed.TotalSeconds)} s; {F(storeElapsed.TotalMicroseconds / (2.1 * storeSteps + storeSteps / 10.0))} us per commit)");
        Console.WriteLine($"     sequential: {F(100 * sequential.InCommits.TotalSeconds / sequential.Elapsed.TotalSeconds)} % of the time in store commits, {F(sequential.InCommits.TotalMicroseconds / sequential.Commits)} us per commit (raw insert: {F(rawElapsed.TotalMicroseconds / rawCount)} us): buffered {F(sequential.InBufferedCommits.TotalMicroseconds / sequential.Buffered)} us, flushed {F((sequential.InCommits - sequential.InBufferedCommits).TotalMicroseconds / (sequential.Commits - sequential.Buffered))} us");
        Console.WriteLine();
        Console.WriteLine($"    sequential / raw                                 {F2(sequential.StepsPerSecond / rawRate),8} x");
        Console.WriteLine($"    sequential / sequential with flushed markers     {F2(sequential.StepsPerSecond / flushedSequential.StepsPerSecond),8} x");
        Console.WriteLine($"    {inFlight} in flight / raw                                {F2(concurrent.StepsPerSecond / rawRate),8} x");
        Console.WriteLine($"    {inFlight} in flight / sequential                         {F2(concurrent.StepsPerSecond / sequential.StepsPerSecond),8} x");
        Console.WriteLine($"journal: {succeeded} of {expectedRuns} runs Succeeded, {stepRows} succeeded step rows (expected {expectedRuns * 10})");
        Console.WriteLine($"background errors reported by the engine: {backgroundErrors.Count}{string.Concat(backgroundErrors.GroupBy(e => e.GetType().Name + ": " + e.Message).Take(5).Select(g => $"\n    {g.Count()} x {g.Key}"))}");
        Console.WriteLine();
        var sequentialPass = sequential.StepsPerSecond >= SequentialGoalRatio * rawRate;
        var inFlightPass = concurrent.StepsPerSecond >= InFlightGoalStepsPerSecond;
        Console.WriteLine("goal: sequential >= 0.7x raw, >= 2000 steps/s (4x ~500)");
        Console.WriteLine($"  sequential >= 0.7x raw:                {(sequentialPass ? "PASS" : "FAIL")}  ({F2(sequential.StepsPerSecond / rawRate)} x: {F(sequential.StepsPerSecond)} steps/s vs {F(rawRate)} rows/s raw)");
        Console.WriteLine($"  {inFlight} in flight >= 2000 steps/s:          {(inFlightPass ? "PASS" : "FAIL")}  ({F(concurrent.StepsPerSecond)} steps/s)");
        if (succeeded != expectedRuns || stepRows != expectedRuns * 10)
        {
            Console.WriteLine("  journal check:                         FAIL  (the journal does not hold every run and step measured)");
        }
        return 0;
    }

    /// <summary>
    /// The engine's journal work without the engine: per run of 10 steps, the run created claimed, per step a fenced buffered
    /// start and a fenced flushed outcome, then the run's fenced end with its release: what the engine commits, nothing else.
    /// </summary>
    private static async Task<(int Steps, TimeSpan Elapsed)> StoreAloneAsync(PostgreSqlWorkflowStore store, int steps)
    {
        async Task RunAsync()
        {
            var now = DateTimeOffset.UtcNow;
            var run = new Workflows.Journal.RunRecord
            {
                Id = Guid.CreateVersion7(), TenantId = "default", Workflow = "bench-store-alone", SchemaVersion = "1", Status = Workflows.Journal.RunStatus.Running,
                Input = "7", CreatedAt = now, UpdatedAt = now, StartedAt = now, Owner = "bench-store", LeaseExpiresAt = now.AddHours(1),
            };
            await store.CreateRunAsync(run);
            var fence = JournalWrite.RequireClaim(run.Id, run.TenantId, "bench-store");
            for (var sequence = 1; sequence <= 10; sequence++)
            {
                var at = DateTimeOffset.UtcNow;
                var step = new Workflows.Journal.StepRecord
                {
                    Id = Guid.CreateVersion7(), RunId = run.Id, TenantId = run.TenantId, Sequence = sequence, Position = sequence, Name = "tally",
                    Kind = Workflows.Journal.StepKind.Step, Status = Workflows.Journal.StepStatus.Running, Attempt = 1, Input = "[1,2]",
                    CreatedAt = at, StartedAt = at, UpdatedAt = at,
                };
                await store.CommitAsync([fence, JournalWrite.Insert(step)], CommitDurability.Buffered);
                var done = DateTimeOffset.UtcNow;
                await store.CommitAsync([fence, JournalWrite.Update(step with
                {
                    Status = Workflows.Journal.StepStatus.Succeeded, Output = "{\"step\":1,\"label\":\"step-1\",\"total\":3}", DurationMs = 0, CompletedAt = done, UpdatedAt = done,
                })], CommitDurability.Flushed);
            }
            var end = DateTimeOffset.UtcNow;
            await store.CommitAsync([fence, JournalWrite.Update(run with { Status = Workflows.Journal.RunStatus.Succeeded, Output = "[]", CompletedAt = end, UpdatedAt = end }),
                JournalWrite.ReleaseClaim(run.Id, run.TenantId, "bench-store")], CommitDurability.Flushed);
        }
        for (var i = 0; i < 3; i++) await RunAsync(); // warm-up
        var watch = Stopwatch.StartNew();
        var runs = Math.Max(1, steps / 10);
        for (var i = 0; i < runs; i++) await RunAsync();
        return (runs * 10, watch.Elapsed);
    }

    /// <summary>One measure summed over its rounds: time, steps, and the store commits counted during them.</summary>
    private sealed class Measure
    {
        public TimeSpan Elapsed { get; private set; }
        public int Steps { get; private set; }
        public long Commits { get; private set; }
        public long Buffered { get; private set; }
        public TimeSpan InCommits { get; private set; }
        public TimeSpan InBufferedCommits { get; private set; }
        public double StepsPerSecond => Steps / Elapsed.TotalSeconds;

        public void Add(TimeSpan elapsed, int runs, CountingStore store)
        {
            Elapsed += elapsed;
            Steps += runs * 10;
            Commits += store.Commits;
            Buffered += store.BufferedCommits;
            InCommits += store.TimeInCommits;
            InBufferedCommits += store.TimeInBufferedCommits;
        }
    }

    /// <summary>The raw loop's table and its prepared autocommit INSERT (each its own transaction, a durable commit) of a row shaped like a succeeded step.</summary>
    private static async Task<RawInserter> RawTableAsync(NpgsqlDataSource dataSource, string schema)
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
        var connection = await dataSource.OpenConnectionAsync();
        var insert = new NpgsqlCommand($"""
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
        return new RawInserter(insert, id, runId, sequence, input, output, ticks);
    }

    private sealed class RawInserter(NpgsqlCommand insert, NpgsqlParameter id, NpgsqlParameter runId, NpgsqlParameter sequence,
        NpgsqlParameter input, NpgsqlParameter output, NpgsqlParameter ticks)
    {
        private Guid _run = Guid.CreateVersion7();
        private int _i;

        public async Task InsertAsync()
        {
            var i = _i++;
            if (i % 10 == 0) _run = Guid.CreateVersion7();
            id.Value = Guid.CreateVersion7();
            runId.Value = _run;
            sequence.Value = i % 10 + 1;
            input.Value = "[" + i.ToString(CultureInfo.InvariantCulture) + "]";
            output.Value = "{\"step\":" + (i % 10).ToString(CultureInfo.InvariantCulture) + ",\"label\":\"step-" + (i % 10).ToString(CultureInfo.InvariantCulture) + "\",\"total\":" + i.ToString(CultureInfo.InvariantCulture) + "}";
            ticks.Value = DateTime.UtcNow.Ticks;
            await insert.ExecuteNonQueryAsync();
        }
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
