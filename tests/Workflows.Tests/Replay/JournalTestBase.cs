using Workflows.Journal;
using Workflows.Sqlite;
using Workflows.Storage;
using Workflows.Tests.TestWorkflows;

namespace Workflows.Tests.Replay;

/// <summary>
/// A journal that outlives "processes": <see cref="OpenAsync"/> returns a store over the same journal each time.
/// For the in-memory store that is the same instance; for SQLite, a new store object on the same file.
/// </summary>
public interface IJournalHarness : IAsyncDisposable
{
    Task<IWorkflowStore> OpenAsync();
}

public sealed class InMemoryJournal : IJournalHarness
{
    private readonly InMemoryWorkflowStore _store = new();

    public async Task<IWorkflowStore> OpenAsync()
    {
        await _store.InitializeAsync();
        return _store;
    }

    public ValueTask DisposeAsync() => _store.DisposeAsync();
}

public sealed class SqliteJournal(global::Workflows.Testing.WorkflowFaults? faults = null) : IJournalHarness
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"workflows-tests-{Guid.NewGuid():N}.db");
    private readonly List<IWorkflowStore> _opened = [];

    public async Task<IWorkflowStore> OpenAsync()
    {
        var store = faults is null ? new SqliteWorkflowStore(_path) : new SqliteWorkflowStore(new SqliteWorkflowStoreOptions { Path = _path, Faults = faults });
        _opened.Add(store);
        await store.InitializeAsync();
        return store;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _opened)
        {
            await store.DisposeAsync();
        }
        foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" })
        {
            try
            {
                File.Delete(_path + suffix);
            }
            catch (IOException)
            {
                // best effort: a temp file
            }
        }
    }
}

/// <summary>
/// Gives each test a fresh journal, engines over it (each standing for one process), and helpers to read and
/// forge journal content. Derived classes pick the store.
/// </summary>
public abstract class JournalTestBase : IAsyncLifetime
{
    protected const string Tenant = "default";

    private readonly List<WorkflowEngine> _engines = [];
    private IJournalHarness? _journal;
    private IWorkflowStore? _store;

    protected abstract IJournalHarness CreateJournal();

    /// <summary>A store over the test's journal, for direct reads and forged records.</summary>
    protected IWorkflowStore Store => _store ?? throw new InvalidOperationException("Not initialized.");

    public async Task InitializeAsync()
    {
        _journal = CreateJournal();
        _store = await _journal.OpenAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var engine in _engines)
        {
            await engine.DisposeAsync();
        }
        if (_journal is not null)
        {
            await _journal.DisposeAsync();
        }
    }

    /// <summary>An engine over a newly opened store of the same journal: a new "process".</summary>
    protected async Task<WorkflowEngine> NewEngineAsync(Probe? probe = null, WorkflowEngineOptions? options = null, params WorkflowDefinition[] definitions)
    {
        var store = await _journal!.OpenAsync();
        var engine = new WorkflowEngine(store, options ?? new WorkflowEngineOptions
        {
            Services = new TestServices(probe ?? new Probe()),
            // Short enough that a lapsed claim or a run ended elsewhere is seen quickly; long enough for a busy machine.
            LeaseDuration = TimeSpan.FromSeconds(2),
            PollInterval = TimeSpan.FromMilliseconds(100),
        });
        foreach (var definition in definitions)
        {
            engine.Register(definition);
        }
        _engines.Add(engine);
        return engine;
    }

    /// <summary>Stops an engine now (its runs stay as they are in the journal).</summary>
    protected async Task StopEngineAsync(WorkflowEngine engine)
    {
        _engines.Remove(engine);
        await engine.DisposeAsync();
    }

    protected async Task<RunRecord> GetRunAsync(Guid runId, string tenant = Tenant) =>
        await Store.GetRunAsync(tenant, runId) ?? throw new InvalidOperationException($"No run {runId}.");

    protected async Task<IReadOnlyList<StepRecord>> GetStepsAsync(Guid runId, string tenant = Tenant) =>
        await Store.GetStepsAsync(tenant, runId);

    /// <summary>Creates a run directly in the store, as an engine (or another version of the code) would have.</summary>
    protected async Task<RunRecord> CreateRunAsync(WorkflowDefinition definition, string? input, RunStatus status = RunStatus.Pending,
        string? schemaVersion = null, string tenant = Tenant)
    {
        var now = DateTimeOffset.UtcNow;
        var run = new RunRecord
        {
            Id = Guid.CreateVersion7(),
            TenantId = tenant,
            Workflow = definition.Name,
            SchemaVersion = schemaVersion ?? definition.SchemaVersion,
            Status = status,
            Input = input,
            CreatedAt = now,
            StartedAt = status == RunStatus.Pending ? null : now,
            UpdatedAt = now,
        };
        var created = await Store.CreateRunAsync(run);
        Assert.True(created.Created);
        return created.Run;
    }

    /// <summary>A finished step record, as an earlier execution would have journaled it.</summary>
    protected static StepRecord RecordedStep(RunRecord run, int sequence, string name, string? output, StepStatus status = StepStatus.Succeeded,
        ErrorInfo? error = null, StepKind kind = StepKind.Step, int position = 0)
    {
        var now = DateTimeOffset.UtcNow;
        return new StepRecord
        {
            Id = Guid.CreateVersion7(),
            RunId = run.Id,
            TenantId = run.TenantId,
            Sequence = sequence,
            Position = position == 0 ? sequence : position,
            Name = name,
            Kind = kind,
            Status = status,
            Attempt = 1,
            Input = null,
            Output = output,
            Error = error,
            DurationMs = 0,
            CreatedAt = now,
            StartedAt = now,
            CompletedAt = StatusTransitions.IsFinal(status) ? now : null,
            UpdatedAt = now,
        };
    }

    /// <summary>
    /// Waits for a handle that must fault because its run was parked, and checks that the cause this engine saw is
    /// exactly <typeparamref name="TCause"/>.
    /// </summary>
    protected static async Task<(WorkflowRunParkedException Parked, TCause Cause)> AssertParkedAsync<TCause>(Func<Task> completion) where TCause : Exception
    {
        var parked = await Assert.ThrowsAsync<WorkflowRunParkedException>(completion);
        var cause = Assert.IsType<TCause>(parked.InnerException);
        return (parked, cause);
    }

    /// <summary>Reads a run that must be parked with an error of <paramref name="kind"/>, its claim given up.</summary>
    protected async Task<RunRecord> AssertParkedRecordAsync(Guid runId, ErrorKind kind, string tenant = Tenant)
    {
        var stored = await GetRunAsync(runId, tenant);
        Assert.Equal(RunStatus.Parked, stored.Status);
        Assert.False(StatusTransitions.IsFinal(stored.Status));
        Assert.NotNull(stored.Error);
        Assert.Equal(kind, stored.Error!.Kind);
        Assert.Null(stored.Output);
        Assert.Null(stored.CompletedAt);
        Assert.Null(stored.Owner);
        Assert.Null(stored.LeaseExpiresAt);
        return stored;
    }

    protected async Task InsertAsync(params StepRecord[] steps) =>
        await Store.CommitAsync(steps.Select(JournalWrite.Insert).ToList());

    /// <summary>
    /// A new Pending run of the same workflow and input whose journal is a copy of <paramref name="runId"/>'s:
    /// resuming it replays every recorded step. The engines started so far are stopped first, so that the copy is
    /// replayed by an engine started after it (a new process), not claimed by the one that wrote the original.
    /// </summary>
    protected async Task<Guid> CopyRunAsync(Guid runId, string tenant = Tenant)
    {
        foreach (var engine in _engines.ToList())
        {
            await StopEngineAsync(engine);
        }
        var source = await GetRunAsync(runId, tenant);
        var steps = await GetStepsAsync(runId, tenant);
        var now = DateTimeOffset.UtcNow;
        var copy = source with
        {
            Id = Guid.CreateVersion7(),
            Status = RunStatus.Pending,
            Output = null,
            Error = null,
            IdempotencyKey = null,
            CreatedAt = now,
            StartedAt = null,
            CompletedAt = null,
            UpdatedAt = now,
        };
        Assert.True((await Store.CreateRunAsync(copy)).Created);
        await Store.CommitAsync(steps.Select(s => JournalWrite.Insert(s with { Id = Guid.CreateVersion7(), RunId = copy.Id })).ToList());
        return copy.Id;
    }
}
