using System.Collections.Concurrent;
using Workflows.Journal;
using Workflows.Storage;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows;
using Workflows.Tests.TestWorkflows.Execution;
using JsonCodecs = global::Workflows.Serialization.JsonCodecs;

namespace Workflows.Tests.Execution;

/// <summary>
/// The journal harness of <see cref="JournalTestBase"/>, plus engines with short leases and poll intervals, engines over
/// a store that logs every commit, and hang-guarded waits. Derived classes pick the store.
/// </summary>
public abstract class ExecutionTestBase : JournalTestBase, IAsyncLifetime
{
    /// <summary>A hang guard for anything a test waits for; never a measurement.</summary>
    protected static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Short, so tests that wait for a lapsed claim are quick; not shorter, because a loaded machine can stall timers (and
    /// so renewals) for most of a second, and a lapsed claim of a live engine is a real takeover.
    /// </summary>
    protected static readonly TimeSpan ShortLease = TimeSpan.FromSeconds(2);
    protected static readonly TimeSpan ShortPoll = TimeSpan.FromMilliseconds(50);

    private readonly List<WorkflowEngine> _engines = [];
    private IJournalHarness? _harness;

    /// <summary>Every commit made through an engine created with <c>logCommits: true</c>, in completion order.</summary>
    protected CommitLog Commits { get; } = new();

    protected abstract IJournalHarness CreateHarness();

    protected sealed override IJournalHarness CreateJournal() => _harness = CreateHarness();

    Task IAsyncLifetime.InitializeAsync() => InitializeAsync();

    async Task IAsyncLifetime.DisposeAsync()
    {
        // Engines first (they release what they hold through their stores), then the journal itself.
        foreach (var engine in _engines.ToList())
        {
            await engine.DisposeAsync();
        }
        await DisposeAsync();
    }

    /// <summary>
    /// A new "process": an engine over a newly opened store of the test's journal (the same instance for in-memory), with
    /// a 2 s lease and a 50 ms poll unless told otherwise. Its services are the probe and <paramref name="services"/>.
    /// </summary>
    protected async Task<WorkflowEngine> EngineAsync(
        ExecutionProbe? probe = null,
        IEnumerable<WorkflowDefinition>? definitions = null,
        string? workerId = null,
        TimeProvider? clock = null,
        TimeSpan? leaseDuration = null,
        TimeSpan? suspendThreshold = null,
        int maxConcurrentRuns = 64,
        IEnumerable<object>? services = null,
        Action<StepRecord>? onStepCommitted = null,
        Action<Exception>? onBackgroundError = null,
        bool logCommits = false,
        int maxInterruptedAttempts = 10,
        global::Workflows.Serialization.JournalLimits? journalLimits = null,
        Action<JournalCommitted>? onJournalCommitted = null,
        SchemaChangePolicy schemaChanges = SchemaChangePolicy.Exact,
        TimeSpan? pollInterval = null,
        IReadOnlyList<string>? tenants = null,
        IReadOnlyList<WorkflowQueue>? queues = null,
        CommitDurability stepStartDurability = CommitDurability.Buffered,
        TimeSpan? stepOutcomeWindow = null,
        int? snapshotAfterSteps = null,
        Func<IWorkflowStore, IWorkflowStore>? wrapStore = null,
        global::Workflows.Testing.WorkflowFaults? faults = null)
    {
        var store = await _harness!.OpenAsync();
        var provided = new List<object> { probe ?? new ExecutionProbe() };
        provided.AddRange(services ?? []);
        var options = new WorkflowEngineOptions
        {
            WorkerId = workerId,
            Clock = clock ?? TimeProvider.System,
            LeaseDuration = leaseDuration ?? ShortLease,
            PollInterval = pollInterval ?? ShortPoll,
            SuspendThreshold = suspendThreshold ?? TimeSpan.FromSeconds(1),
            MaxConcurrentRuns = maxConcurrentRuns,
            MaxInterruptedAttempts = maxInterruptedAttempts,
            JournalLimits = journalLimits ?? global::Workflows.Serialization.JournalLimits.Default,
            Services = new TestServices([.. provided]),
            // The successes of user steps, as the tests count them.
            OnJournalCommitted = onJournalCommitted ?? (onStepCommitted is null ? null : commit =>
            {
                foreach (var step in commit.Steps.Where(s => s.Status == StepStatus.Succeeded && s.Kind == StepKind.Step)) onStepCommitted(step);
            }),
            OnBackgroundError = onBackgroundError,
            SchemaChanges = schemaChanges,
            Tenants = tenants,
            Queues = queues ?? [],
            StepStartDurability = stepStartDurability,
            StepOutcomeWindow = stepOutcomeWindow ?? new WorkflowEngineOptions().StepOutcomeWindow,
            SnapshotAfterSteps = snapshotAfterSteps ?? new WorkflowEngineOptions().SnapshotAfterSteps,
            Faults = faults,
        };
        var wrapped = wrapStore?.Invoke(store) ?? store;
        var engine = new WorkflowEngine(logCommits ? new LoggingStore(wrapped, workerId ?? "engine", Commits) : wrapped, options);
        foreach (var definition in definitions ?? [])
        {
            engine.Register(definition);
        }
        _engines.Add(engine);
        return engine;
    }

    /// <summary>Disposes an engine now, as a process that stops; its runs stay in the journal as they are.</summary>
    protected async Task StopAsync(WorkflowEngine engine)
    {
        _engines.Remove(engine);
        await engine.DisposeAsync();
    }

    /// <summary>Polls until <paramref name="condition"/> holds; fails naming <paramref name="what"/> if it does not within the guard.</summary>
    protected static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? guard = null)
    {
        var until = DateTime.UtcNow + (guard ?? Guard);
        while (!await condition())
        {
            if (DateTime.UtcNow > until)
            {
                Assert.Fail($"Gave up waiting (hang guard): {what}.");
            }
            await Task.Delay(10);
        }
    }

    protected static Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? guard = null) =>
        WaitUntilAsync(() => Task.FromResult(condition()), what, guard);

    /// <summary>Waits (hang-guarded) until the stored run is in <paramref name="status"/>, and returns it.</summary>
    protected async Task<RunRecord> WaitForStatusAsync(Guid runId, RunStatus status, string tenant = Tenant)
    {
        var until = DateTime.UtcNow + Guard;
        while (true)
        {
            var seen = await GetRunAsync(runId, tenant);
            if (seen.Status == status) return seen;
            if (DateTime.UtcNow > until)
            {
                Assert.Fail($"Gave up waiting (hang guard): run {runId} to be {status} (last seen {seen.Status}, owner '{seen.Owner}', error {seen.Error?.Message}).");
            }
            await Task.Delay(10);
        }
    }

    /// <summary>A hang-guarded await of a signal a workflow raises.</summary>
    protected static Task Raised(ExecutionProbe probe, string signal) => probe.WhenRaised(signal).WaitAsync(Guard);

    protected static DateTimeOffset ReadWakeAt(StepRecord sleep)
    {
        Assert.NotNull(sleep.Input);
        using var document = System.Text.Json.JsonDocument.Parse(sleep.Input!);
        return JsonCodecs.DateTimeOffset.Deserialize(document.RootElement.GetProperty("wakeAt").GetRawText());
    }

    protected static DateTimeOffset ReadSleepCompletion(StepRecord sleep)
    {
        Assert.NotNull(sleep.Output);
        return JsonCodecs.DateTimeOffset.Deserialize(sleep.Output!);
    }
}

/// <summary>
/// A clock stopped at one instant, as a paused process sees time: it always says <paramref name="now"/>, and its timers
/// never fire (waits on them end only when cancelled). An engine on it writes leases from that instant and never renews
/// them, so its claims lapse in real time while it believes it holds them.
/// </summary>
public sealed class FrozenClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => new StoppedTimer();

    private sealed class StoppedTimer : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => true;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>
/// The system clock, with timers that fire early: after a <paramref name="divisor"/>th of the time they were set for.
/// Timers may fire a little early (the engine's own comments say so, and read the clock to decide when a time has come);
/// this makes "early" large and certain, even on a loaded machine where timers also fire late.
/// </summary>
public sealed class EarlyTimersClock(int divisor = 2) : TimeProvider
{
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        new EarlyTimer(System.CreateTimer(callback, state, Early(dueTime), period), this);

    private TimeSpan Early(TimeSpan due) => due == Timeout.InfiniteTimeSpan || due <= TimeSpan.Zero ? due : due / divisor;

    private sealed class EarlyTimer(ITimer inner, EarlyTimersClock clock) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(clock.Early(dueTime), period);

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}

/// <summary>One commit an engine made through a <see cref="LoggingStore"/>, and how it went.</summary>
/// <param name="Order">Completion order across every logging store of the test.</param>
/// <param name="Error">Null when the commit was applied.</param>
/// <param name="Durability">How durable the engine asked the commit to be.</param>
public sealed record LoggedCommit(long Order, string Store, IReadOnlyList<JournalWrite> Writes, Exception? Error, CommitDurability Durability)
{
    public bool Applied => Error is null;

    public IEnumerable<RunRecord> RunUpdates => Writes.OfType<UpdateRun>().Select(w => w.Run);

    public IEnumerable<StepRecord> StepWrites =>
        Writes.OfType<UpdateStep>().Select(w => w.Step).Concat(Writes.OfType<InsertStep>().Select(w => w.Step));

    public bool Touches(Guid runId) => Writes.Any(w => w switch
    {
        UpdateRun u => u.Run.Id == runId,
        UpdateStep u => u.Step.RunId == runId,
        InsertStep i => i.Step.RunId == runId,
        RequireClaim f => f.RunId == runId,
        ReleaseClaim r => r.RunId == runId,
        _ => false,
    });
}

public sealed class CommitLog
{
    private readonly ConcurrentQueue<LoggedCommit> _commits = new();
    private long _order;

    internal void Add(string store, IReadOnlyList<JournalWrite> writes, Exception? error, CommitDurability durability = CommitDurability.Flushed) =>
        _commits.Enqueue(new LoggedCommit(Interlocked.Increment(ref _order), store, [.. writes], error, durability));

    public IReadOnlyList<LoggedCommit> All => [.. _commits.OrderBy(c => c.Order)];

    public IReadOnlyList<LoggedCommit> Of(Guid runId) => [.. All.Where(c => c.Touches(runId))];
}

/// <summary>A real store with every commit logged (what was written, and whether the store applied it). Not a mock: it only forwards.</summary>
public sealed class LoggingStore(IWorkflowStore inner, string name, CommitLog log) : DelegatingWorkflowStore(inner)
{
    public override async ValueTask CommitAsync(IReadOnlyList<JournalWrite> writes, CommitDurability durability, CancellationToken cancellationToken = default)
    {
        try
        {
            await Inner.CommitAsync(writes, durability, cancellationToken);
        }
        catch (Exception e)
        {
            log.Add(name, writes, e, durability);
            throw;
        }
        log.Add(name, writes, null, durability);
    }

    /// <summary>The harness owns the inner store and disposes it.</summary>
    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
