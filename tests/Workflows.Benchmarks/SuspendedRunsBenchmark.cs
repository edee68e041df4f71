using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using Workflows.Journal;
using Workflows.Sqlite;
using Workflows.Storage;

namespace Workflows.Benchmarks;

/// <summary>
/// A whole-process benchmark (not BenchmarkDotNet, not a test): on one temp SQLite file at synchronous=FULL, side by side in
/// one run, (1) raw one-row commits/s, (2) the engine's sequential step rate, (3) the managed memory of 10,000 runs suspended
/// on a 1-hour sleep over an idle engine, against a 50 MB budget, and (4) the rate at which 10,000 such runs complete once
/// they are due, with its ratios to (1) and (2).
/// </summary>
internal static class SuspendedRunsBenchmark
{
    private const long MemoryBudgetBytes = 50L * 1024 * 1024;

    public static async Task<int> RunAsync(string[] args)
    {
        var runs = IntArg(args, "--runs", 10_000);
        var sequentialRuns = IntArg(args, "--sequential-runs", 200);
        var rawSeconds = IntArg(args, "--raw-seconds", 3);
        var directory = Directory.CreateTempSubdirectory("workflows-bench-suspended-").FullName;
        var path = Path.Combine(directory, "bench.db");
        try
        {
            return await MeasureAsync(path, runs, sequentialRuns, rawSeconds);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<int> MeasureAsync(string path, int runs, int sequentialRuns, int rawSeconds)
    {
        Console.WriteLine($"Workflows suspended-runs benchmark, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, server GC {System.Runtime.GCSettings.IsServerGC}");
        Console.WriteLine($"journal: {path} (one file for every measurement; WAL, synchronous=FULL)");
        Console.WriteLine();

        // (1) Raw SQLite: one INSERT per transaction, durable commits, on the file the engine will use.
        var (rawCommits, rawElapsed, rawMode, rawSync) = RawCommits(path, TimeSpan.FromSeconds(rawSeconds));
        var rawRate = rawCommits / rawElapsed.TotalSeconds;

        await using var sqlite = new SqliteWorkflowStore(path);
        var store = new CountingStore(sqlite);
        var backgroundErrors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var options = new WorkflowEngineOptions { PollInterval = TimeSpan.FromMilliseconds(100), OnBackgroundError = backgroundErrors.Enqueue };
        await using var engine = new WorkflowEngine(store, options).Register(TenSteps.Definition).Register(SleepyRun.Definition);
        await engine.InitializeAsync();

        // (2) The engine's sequential step rate: one run at a time, each ten steps.
        for (var i = 0; i < 5; i++) await engine.RunAsync(TenSteps.Definition, i); // warm-up: JIT, prepared statements
        var sequential = Stopwatch.StartNew();
        for (var i = 0; i < sequentialRuns; i++)
        {
            await engine.RunAsync(TenSteps.Definition, i);
        }
        sequential.Stop();
        var steps = sequentialRuns * 10;
        var stepRate = steps / sequential.Elapsed.TotalSeconds;
        var sequentialCommits = store.Commits;
        var sequentialBuffered = store.BufferedCommits;

        // (2b) The same runs 16 in flight: the store groups concurrent commits into fewer transactions.
        store.Reset();
        var concurrent = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(sequentialRuns, sequentialRuns), new ParallelOptions { MaxDegreeOfParallelism = 16 },
            async (i, ct) => await engine.RunAsync(TenSteps.Definition, i, cancellationToken: ct));
        concurrent.Stop();
        var concurrentRate = steps / concurrent.Elapsed.TotalSeconds;

        // (3) Managed memory: the idle engine, then with `runs` runs suspended on a 1-hour sleep (handles dropped).
        var idle = FullGcMemory();
        var suspending = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, runs), new ParallelOptions { MaxDegreeOfParallelism = 64 },
            async (i, ct) => await engine.StartAsync(SleepyRun.Definition, i, cancellationToken: ct));
        var waitingCount = 0L;
        while ((waitingCount = Count(path, "Waiting")) < runs || engine.RunsInMemory > 0)
        {
            await Task.Delay(20);
        }
        suspending.Stop();
        var suspended = FullGcMemory();
        var inMemory = engine.RunsInMemory;
        var growth = suspended - idle;

        // What the engine asks of the store while every run sleeps (nothing is due for an hour): its polling, per second.
        store.Reset();
        var quiet = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(3));
        quiet.Stop();
        var quietReads = store.RunReads / quiet.Elapsed.TotalSeconds;
        var quietCalls = store.Calls / quiet.Elapsed.TotalSeconds;

        // (4) Make every sleep due (the run's wake_at and the sleep record's wake-up time, as if the hour had passed) and
        // time the runs to their end: claimed by the scheduler, replayed, the sleep completed, one step, the run succeeded.
        store.Reset();
        MakeDue(path);
        var waking = Stopwatch.StartNew();
        TimeSpan? first = null;
        long done;
        while ((done = Count(path, "Succeeded", SleepyRun.Definition.Name)) < runs)
        {
            if (done > 0 && first is null) first = waking.Elapsed;
            await Task.Delay(20);
        }
        waking.Stop();
        first ??= waking.Elapsed;
        var records = store.Records;
        var commits = store.Commits;
        var wakeRunRate = runs / waking.Elapsed.TotalSeconds;
        var wakeRecordRate = records / waking.Elapsed.TotalSeconds;
        var pass = growth <= MemoryBudgetBytes;

        string F(double value) => value.ToString("N0", CultureInfo.InvariantCulture);
        string F2(double value) => value.ToString("N2", CultureInfo.InvariantCulture);
        string Mb(long bytes) => (bytes / 1024.0 / 1024.0).ToString("N1", CultureInfo.InvariantCulture) + " MB";
        Console.WriteLine($"raw connection: journal_mode={rawMode}, synchronous={rawSync} (2 = FULL); the store sets WAL and synchronous=FULL on its own connection");
        Console.WriteLine($"engine: MaxConcurrentRuns {options.MaxConcurrentRuns}, PollInterval {options.PollInterval.TotalMilliseconds} ms, SuspendThreshold {options.SuspendThreshold.TotalSeconds} s; {runs} sleepers started 64 at a time, handles dropped");
        Console.WriteLine();
        Console.WriteLine($"(1) raw SQLite, one INSERT per transaction        {F(rawRate),10} commits/s   ({rawCommits} commits in {F2(rawElapsed.TotalSeconds)} s)");
        Console.WriteLine($"(2) engine, sequential {sequentialRuns} runs x 10 steps         {F(stepRate),10} steps/s     ({steps} steps in {F2(sequential.Elapsed.TotalSeconds)} s, {F(sequentialRuns / sequential.Elapsed.TotalSeconds)} runs/s; {F2(stepRate / rawRate)} x raw commits/s; {F2(sequentialCommits / (double)steps)} commits per step, {F2((sequentialCommits - sequentialBuffered) / (double)steps)} of them fsync'd)");
        Console.WriteLine($"    16 in flight                                {F(concurrentRate),10} steps/s     ({steps} steps in {F2(concurrent.Elapsed.TotalSeconds)} s; {F2(concurrentRate / rawRate)} x raw commits/s; {F2(concurrentRate / stepRate)} x sequential)");
        Console.WriteLine($"(3) managed memory, idle engine                   {Mb(idle),13}");
        Console.WriteLine($"    with {runs} runs suspended on a 1-hour sleep {Mb(suspended),13}   ({waitingCount} Waiting, {inMemory} runs in memory; all suspended in {F2(suspending.Elapsed.TotalSeconds)} s = {F(runs / suspending.Elapsed.TotalSeconds)} runs/s)");
        Console.WriteLine($"    difference                                    {Mb(growth),13}   ({F(growth / (double)runs)} bytes per suspended run; budget {Mb(MemoryBudgetBytes)}) {(pass ? "PASS" : "FAIL")}");
        Console.WriteLine($"    while they sleep, the engine calls the store {F(quietCalls)} times/s ({F(quietReads)} run reads/s: handles polled for runs ending elsewhere)");
        Console.WriteLine($"(4) waking {runs} due runs                          all Succeeded {F2(waking.Elapsed.TotalSeconds)} s after they became due (first after {F2(first.Value.TotalSeconds)} s)");
        Console.WriteLine($"    completion rate                               {F(wakeRunRate),10} runs/s      {F(wakeRecordRate)} journal records/s ({records} step and run records in {commits} fenced commits; the store groups concurrent commits into fewer transactions)");
        Console.WriteLine($"    vs (2) sequential steps/s                     {F2(wakeRunRate / stepRate),10} x (runs/s)   {F2(wakeRecordRate / stepRate)} x (records/s)");
        Console.WriteLine($"    vs (1) raw commits/s                          {F2(wakeRunRate / rawRate),10} x (runs/s)   {F2(wakeRecordRate / rawRate)} x (records/s)");
        Console.WriteLine($"background errors reported by the engine: {backgroundErrors.Count}{string.Concat(backgroundErrors.GroupBy(e => e.GetType().Name + ": " + e.Message).Take(5).Select(g => $"\n    {g.Count()} x {g.Key}"))}");
        Console.WriteLine();
        Console.WriteLine($"memory budget (<= 50 MB over idle for {runs} suspended runs): {(pass ? "PASS" : "FAIL")}");
        Console.WriteLine($"waking sustains the sequential step rate (woken runs/s >= sequential steps/s): {(wakeRunRate >= stepRate ? "yes" : "no")}; (journal records/s >= steps/s): {(wakeRecordRate >= stepRate ? "yes" : "no")}");
        return pass ? 0 : 1;
    }

    private static (int Commits, TimeSpan Elapsed, string? Mode, string? Synchronous) RawCommits(string path, TimeSpan duration)
    {
        using var connection = Open(path);
        var mode = Execute(connection, "PRAGMA journal_mode = WAL");
        Execute(connection, "PRAGMA synchronous = FULL");
        var synchronous = Execute(connection, "PRAGMA synchronous");
        Execute(connection, "CREATE TABLE IF NOT EXISTS bench_raw (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)");
        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO bench_raw (payload) VALUES ($payload)";
        var payload = insert.Parameters.Add("$payload", SqliteType.Text);
        insert.Prepare();
        void One(int i)
        {
            using var transaction = connection.BeginTransaction(deferred: false);
            insert.Transaction = transaction;
            payload.Value = "row " + i.ToString(CultureInfo.InvariantCulture);
            insert.ExecuteNonQuery();
            transaction.Commit();
        }
        for (var i = 0; i < 20; i++) One(i); // warm-up
        var commits = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < duration || commits < 200)
        {
            One(commits++);
        }
        watch.Stop();
        Execute(connection, "DROP TABLE bench_raw");
        return (commits, watch.Elapsed, mode, synchronous);
    }

    /// <summary>Every waiting sleeper's wake-up time becomes now: the run's wake_at and its sleep record's wakeAt alike.</summary>
    private static void MakeDue(string path)
    {
        using var connection = Open(path);
        using var transaction = connection.BeginTransaction(deferred: false);
        var now = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        using var steps = connection.CreateCommand();
        steps.Transaction = transaction;
        steps.CommandText = """
            UPDATE workflow_steps SET input = $input
            WHERE kind = 'Sleep' AND status = 'Running'
              AND run_id IN (SELECT id FROM workflow_runs WHERE workflow = $workflow AND status = 'Waiting')
            """;
        steps.Parameters.AddWithValue("$input", "{\"wakeAt\":\"" + now + "\"}");
        steps.Parameters.AddWithValue("$workflow", SleepyRun.Definition.Name);
        var sleeps = steps.ExecuteNonQuery();
        using var runs = connection.CreateCommand();
        runs.Transaction = transaction;
        runs.CommandText = "UPDATE workflow_runs SET wake_at = $now WHERE workflow = $workflow AND status = 'Waiting'";
        runs.Parameters.AddWithValue("$now", now);
        runs.Parameters.AddWithValue("$workflow", SleepyRun.Definition.Name);
        var woken = runs.ExecuteNonQuery();
        transaction.Commit();
        if (sleeps != woken)
        {
            throw new InvalidOperationException($"{woken} waiting runs but {sleeps} running sleep records: the journal is not what the benchmark expects.");
        }
    }

    private static long Count(string path, string status, string workflow = "bench-sleeper")
    {
        using var connection = Open(path);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM workflow_runs WHERE workflow = $workflow AND status = $status";
        command.Parameters.AddWithValue("$workflow", workflow);
        command.Parameters.AddWithValue("$status", status);
        return (long)command.ExecuteScalar()!;
    }

    private static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = 30 }.ToString());
        connection.Open();
        Execute(connection, "PRAGMA busy_timeout = 30000");
        return connection;
    }

    private static string? Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static long FullGcMemory()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static int IntArg(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }
}

/// <summary>Sleeps an hour (suspended: nothing in memory), then one step.</summary>
[Workflow("bench-sleeper")]
public partial class SleepyRun
{
    [WorkflowRun]
    public async Task<int> RunAsync(int seed)
    {
        await Workflow.SleepAsync(TimeSpan.FromHours(1));
        return await AddAsync(seed, 1);
    }

    [Step("add")]
    private Task<int> AddAsync(int value, int increment) => Task.FromResult(value + increment);
}

/// <summary>The real store, passed through, counting the step and run records that commits wrote.</summary>
internal sealed class CountingStore(IWorkflowStore inner) : DelegatingWorkflowStore(inner)
{
    private long _records;
    private long _commits;
    private long _runReads;
    private long _calls;
    private long _buffered;
    private long _commitTicks;
    private long _bufferedTicks;

    /// <summary>Wall time spent inside the store's buffered commits.</summary>
    public TimeSpan TimeInBufferedCommits => System.Diagnostics.Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _bufferedTicks));

    /// <summary>How many of <see cref="Commits"/> were <see cref="CommitDurability.Buffered"/> (not fsync'd).</summary>
    public long BufferedCommits => Interlocked.Read(ref _buffered);

    /// <summary>Wall time spent inside the store's commits (summed over concurrent ones).</summary>
    public TimeSpan TimeInCommits => System.Diagnostics.Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _commitTicks));

    public long Records => Interlocked.Read(ref _records);
    public long Commits => Interlocked.Read(ref _commits);
    public long RunReads => Interlocked.Read(ref _runReads);
    public long Calls => Interlocked.Read(ref _calls);

    public void Reset()
    {
        Interlocked.Exchange(ref _records, 0);
        Interlocked.Exchange(ref _commits, 0);
        Interlocked.Exchange(ref _runReads, 0);
        Interlocked.Exchange(ref _calls, 0);
        Interlocked.Exchange(ref _buffered, 0);
        Interlocked.Exchange(ref _commitTicks, 0);
        Interlocked.Exchange(ref _bufferedTicks, 0);
    }

    private T Call<T>(T call)
    {
        Interlocked.Increment(ref _calls);
        return call;
    }

    public override async ValueTask CommitAsync(IReadOnlyList<JournalWrite> writes, CommitDurability durability, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await Inner.CommitAsync(writes, durability, cancellationToken).ConfigureAwait(false);
        var took = System.Diagnostics.Stopwatch.GetTimestamp() - started;
        Interlocked.Add(ref _commitTicks, took);
        if (durability == CommitDurability.Buffered)
        {
            Interlocked.Increment(ref _buffered);
            Interlocked.Add(ref _bufferedTicks, took);
        }
        Interlocked.Add(ref _records, writes.Count(w => w is InsertStep or UpdateStep or UpdateRun));
        Interlocked.Increment(ref _commits);
    }

    public override ValueTask<RunRecord?> GetRunAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _runReads);
        return Call(Inner.GetRunAsync(tenantId, runId, cancellationToken));
    }

    public override ValueTask<CreateRunResult> CreateRunAsync(RunRecord run, IReadOnlyList<StepRecord>? steps = null, CancellationToken cancellationToken = default) => Call(Inner.CreateRunAsync(run, steps, cancellationToken));
    public override ValueTask<IReadOnlyList<StepRecord>> GetStepsAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default) => Call(Inner.GetStepsAsync(tenantId, runId, cancellationToken));
    public override ValueTask<IReadOnlyList<StepRecord>> GetReplayStepsAsync(string tenantId, Guid runId, int afterSequence = 0, CancellationToken cancellationToken = default) =>
        Call(Inner.GetReplayStepsAsync(tenantId, runId, afterSequence, cancellationToken));
    public override ValueTask<SnapshotRecord?> GetSnapshotAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default) =>
        Call(Inner.GetSnapshotAsync(tenantId, runId, cancellationToken));
    public override ValueTask PutSnapshotAsync(SnapshotRecord snapshot, string owner, CancellationToken cancellationToken = default) =>
        Call(Inner.PutSnapshotAsync(snapshot, owner, cancellationToken));
    public override ValueTask<IReadOnlyList<RunRecord>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default) => Call(Inner.ListRunsAsync(query, cancellationToken));
    public override ValueTask<RunRecord?> ClaimRunAsync(RunClaim claim, CancellationToken cancellationToken = default) => Call(Inner.ClaimRunAsync(claim, cancellationToken));
    public override ValueTask<IReadOnlyList<RunRecord>> ClaimReadyRunsAsync(ReadyRunsClaim claim, CancellationToken cancellationToken = default) => Call(Inner.ClaimReadyRunsAsync(claim, cancellationToken));
    public override ValueTask<IReadOnlyList<ClaimState>> RenewClaimsAsync(ClaimRenewal renewal, CancellationToken cancellationToken = default) => Call(Inner.RenewClaimsAsync(renewal, cancellationToken));
    public override ValueTask<DateTimeOffset?> GetNextDueAsync(IReadOnlyCollection<string> workflows, DateTimeOffset now, IReadOnlyCollection<string>? tenants = null,
        CancellationToken cancellationToken = default) => Call(Inner.GetNextDueAsync(workflows, now, tenants, cancellationToken));
    public override ValueTask<CancelResult> RequestCancelAsync(CancelRequest request, CancellationToken cancellationToken = default) => Call(Inner.RequestCancelAsync(request, cancellationToken));
}
