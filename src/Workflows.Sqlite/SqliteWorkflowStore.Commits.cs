using Microsoft.Data.Sqlite;
using Workflows.Journal;
using Workflows.Storage;
using Workflows.Storage.Sql;
using static Workflows.Storage.Sql.JournalRows;

namespace Workflows.Sqlite;

public sealed partial class SqliteWorkflowStore
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<PendingCommit> _commits = new();
    private SqliteCommand? _insertRun;
    private SqliteCommand? _selectRunById;
    private SqliteCommand? _selectRunByKey;
    private SqliteCommand? _insertStep;
    private SqliteCommand? _fence;
    private SqliteCommand? _release;
    private SqliteCommand? _synchronousNormal;
    private SqliteCommand? _synchronousFull;
    private readonly SqliteCommand?[] _updateStep = new SqliteCommand?[Enum.GetValues<StepStatus>().Length];
    private readonly SqliteCommand?[] _updateRun = new SqliteCommand?[Enum.GetValues<RunStatus>().Length];
    private int _takenCommits;

    /// <inheritdoc />
    public ValueTask<CreateRunResult> CreateRunAsync(RunRecord run, IReadOnlyList<StepRecord>? steps = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        return WriteAsync(transaction =>
        {
            if (run.Owner is { } owner) Announce(owner);
            var insert = _insertRun!;
            insert.Transaction = transaction;
            BindRun(D, insert.Parameters, run);
            // ON CONFLICT DO NOTHING covers both the id and the idempotency index: of two racing creates (in this
            // process or another), one inserts and the other finds its run below.
            if (insert.ExecuteNonQuery() == 1)
            {
                foreach (var step in steps ?? [])
                {
                    if (step.RunId != run.Id || step.TenantId != run.TenantId)
                    {
                        throw JournalRefusals.StepOfOtherRun(step, run);
                    }
                    Insert(transaction, step);
                }
                return new CreateRunResult(run, Created: true);
            }

            var byId = _selectRunById!;
            byId.Transaction = transaction;
            var i = 0;
            D.SetId(byId.Parameters, ref i, run.Id);
            if (ReadSingleRun(byId) is { } sameId)
            {
                if (sameId.TenantId != run.TenantId)
                {
                    throw JournalRefusals.RunIdOfOtherTenant(run);
                }
                return new CreateRunResult(sameId, Created: false);
            }
            if (run.IdempotencyKey is not null)
            {
                var byKey = _selectRunByKey!;
                byKey.Transaction = transaction;
                i = 0;
                D.SetText(byKey.Parameters, ref i, run.TenantId);
                D.SetText(byKey.Parameters, ref i, run.Workflow);
                D.SetText(byKey.Parameters, ref i, run.IdempotencyKey);
                if (ReadSingleRun(byKey) is { } sameKey)
                {
                    return new CreateRunResult(sameKey, Created: false);
                }
            }
            throw JournalRefusals.RunNotCreated(run);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask SaveSchemaAsync(SchemaRecord schema, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(schema);
        await WriteAsync(transaction =>
        {
            using var command = transaction.Connection!.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = Sql.SaveSchema;
            D.Bind(command, "workflow", SqlValueKind.Text, schema.Workflow);
            D.Bind(command, "version", SqlValueKind.Text, schema.SchemaVersion);
            D.Bind(command, "shape", SqlValueKind.Text, schema.Shape);
            D.Bind(command, "created_at", SqlValueKind.Timestamp, schema.CreatedAt);
            return command.ExecuteNonQuery();
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask CommitAsync(IReadOnlyList<JournalWrite> writes, CancellationToken cancellationToken = default) =>
        CommitAsync(writes, CommitDurability.Flushed, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// A buffered commit is a transaction committed at <c>synchronous=NORMAL</c>: in WAL mode it is in the write-ahead log
    /// (the operating system's cache) when the call returns, so it survives the process being killed, and the next
    /// <c>synchronous=FULL</c> commit fsyncs the log with it. A group of queued commits is flushed when any of them asks for it.
    /// </remarks>
    public async ValueTask CommitAsync(IReadOnlyList<JournalWrite> writes, CommitDurability durability, CancellationToken cancellationToken = default)
    {
        if (durability is not (CommitDurability.Flushed or CommitDurability.Buffered))
        {
            throw new ArgumentOutOfRangeException(nameof(durability), durability, "Not a commit durability.");
        }
        ArgumentNullException.ThrowIfNull(writes);
        foreach (var write in writes)
        {
            if (write is not (InsertStep or UpdateStep or UpdateRun or RequireClaim or ReleaseClaim or ConsumeEvent or WakeRun))
            {
                throw new ArgumentException($"Unknown journal write {write?.GetType().Name ?? "null"}.", nameof(writes));
            }
        }
        if (writes.Count == 0)
        {
            return;
        }
        ThrowIfReadOnly();

        // Group commit: concurrent commits (of many runs) queue up, and whoever holds the connection next writes all
        // that are queued in one transaction, one savepoint each, so a refused write undoes only its own commit and
        // one fsync makes them all durable.
        var pending = new PendingCommit(writes, durability);
        _commits.Enqueue(pending);
        using (cancellationToken.Register(static state => ((PendingCommit)state!).TryCancel(), pending))
        {
            while (!pending.Completion.IsCompleted)
            {
                await _gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
                try
                {
                    if (!pending.Completion.IsCompleted)
                    {
                        WriteQueuedCommits();
                    }
                }
                finally
                {
                    _gate.Release();
                }
            }
        }
        await pending.Completion.ConfigureAwait(false);
    }

    /// <summary>How many commits wait for the writer: lets tests line commits up into one group.</summary>
    internal int QueuedCommits => _commits.Count;

    /// <summary>How many commits a writer has taken from the queue so far.</summary>
    internal int TakenCommits => Volatile.Read(ref _takenCommits);

    /// <summary>How many group-commit transactions were fsync'd (<c>synchronous=FULL</c>) and how many were buffered: lets tests count durable commits.</summary>
    internal (int Flushed, int Buffered) CommitTransactions => (Volatile.Read(ref _flushedTransactions), Volatile.Read(ref _bufferedTransactions));
    private int _flushedTransactions;
    private int _bufferedTransactions;

    /// <summary>Writes every queued commit that was not cancelled first, in one transaction. Called under the gate.</summary>
    private void WriteQueuedCommits()
    {
        var batch = new List<PendingCommit>();
        while (_commits.TryDequeue(out var queued))
        {
            if (queued.TryClaim())
            {
                batch.Add(queued);
                Interlocked.Increment(ref _takenCommits);
            }
        }
        if (batch.Count == 0) return;

        var outcomes = new Exception?[batch.Count];
        var flushed = batch.Exists(static commit => commit.Durability == CommitDurability.Flushed);
        var relaxed = false;
        try
        {
            var connection = EnsureOpen();
            _faults?.Hit(Workflows.Testing.FaultPoint.StoreConnection);
            if (!flushed)
            {
                // Per connection and read at COMMIT: set for this transaction only, and set back below before any other write.
                relaxed = true;
                _synchronousNormal!.ExecuteNonQuery();
            }
            // BEGIN IMMEDIATE: take the write lock up front (waiting out other writers per busy_timeout) so the
            // transaction cannot fail half-way for want of it. Disposing an uncommitted transaction rolls it back.
            using var transaction = connection.BeginTransaction(System.Data.IsolationLevel.Serializable, deferred: false);
            for (var i = 0; i < batch.Count; i++)
            {
                if (batch.Count == 1)
                {
                    Apply(transaction, batch[i].Writes);
                    continue;
                }
                transaction.Save("c");
                try
                {
                    Apply(transaction, batch[i].Writes);
                    transaction.Release("c");
                }
                catch (Exception e) when (e is not SqliteException)
                {
                    // This commit's own fault (a refused transition, a conflict, a fence, a value that cannot be stored):
                    // undo it alone. A SQLite error (I/O, disk full, busy) fails the whole transaction instead.
                    transaction.Rollback("c");
                    transaction.Release("c");
                    outcomes[i] = e;
                }
            }
            transaction.Commit();
            Interlocked.Increment(ref flushed ? ref _flushedTransactions : ref _bufferedTransactions);
        }
        catch (Exception e)
        {
            RestoreSynchronous(ref relaxed);
            // Nothing of this transaction was written: every commit in it fails with the cause.
            var cause = e is SqliteException sqlite ? Unavailable(sqlite) : e;
            for (var i = 0; i < batch.Count; i++) outcomes[i] ??= cause;
            for (var i = 0; i < batch.Count; i++) batch[i].Fail(outcomes[i]!);
            return;
        }
        RestoreSynchronous(ref relaxed);
        for (var i = 0; i < batch.Count; i++)
        {
            if (outcomes[i] is { } refused) batch[i].Fail(refused);
            else batch[i].Succeed();
        }
    }

    /// <summary>Back to <c>synchronous=FULL</c> after a buffered transaction; a connection that cannot be set back is closed (it reopens at FULL).</summary>
    private void RestoreSynchronous(ref bool relaxed)
    {
        if (!relaxed) return;
        relaxed = false;
        try
        {
            _synchronousFull!.ExecuteNonQuery();
        }
        catch (SqliteException)
        {
            CloseConnection();
        }
    }

    private void Apply(SqliteTransaction transaction, IReadOnlyList<JournalWrite> writes)
    {
        foreach (var write in writes)
        {
            switch (write)
            {
                case RequireClaim fence:
                    CheckFence(transaction, fence);
                    break;
                case ReleaseClaim release:
                    var command = _release!;
                    command.Transaction = transaction;
                    var i = 0;
                    D.SetId(command.Parameters, ref i, release.RunId);
                    D.SetText(command.Parameters, ref i, release.TenantId);
                    D.SetText(command.Parameters, ref i, release.Owner);
                    command.ExecuteNonQuery();
                    break;
                case InsertStep { Step: var step }:
                    Insert(transaction, step);
                    break;
                case UpdateStep { Step: var step }:
                    Update(transaction, step);
                    break;
                case UpdateRun { Run: var run }:
                    Update(transaction, run);
                    break;
                case ConsumeEvent consume:
                    Consume(transaction, consume);
                    break;
                case WakeRun wake:
                    RequestWake(transaction, wake.RunId, wake.TenantId, wake.At);
                    break;
            }
        }
    }

    /// <summary>The fence, read under the write lock this transaction holds: nobody can take the run over until it commits.</summary>
    private void CheckFence(SqliteTransaction transaction, RequireClaim fence)
    {
        var command = _fence!;
        command.Transaction = transaction;
        var i = 0;
        D.SetId(command.Parameters, ref i, fence.RunId);
        D.SetText(command.Parameters, ref i, fence.TenantId);
        var owner = command.ExecuteScalar() is string current ? current : null;
        if (owner != fence.Owner)
        {
            throw new RunOwnershipLostException(fence.RunId, fence.Owner, owner);
        }
    }

    /// <summary>One caller's commit waiting in the queue: claimed by a writer, or cancelled by its caller, not both.</summary>
    private sealed class PendingCommit(IReadOnlyList<JournalWrite> writes, CommitDurability durability)
    {
        private const int Queued = 0, Claimed = 1, Cancelled = 2;
        private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _state;

        public IReadOnlyList<JournalWrite> Writes { get; } = writes;

        public CommitDurability Durability { get; } = durability;

        public Task Completion => _completion.Task;

        public bool TryClaim() => Interlocked.CompareExchange(ref _state, Claimed, Queued) == Queued;

        public void TryCancel()
        {
            if (Interlocked.CompareExchange(ref _state, Cancelled, Queued) == Queued) _completion.TrySetCanceled();
        }

        public void Succeed() => _completion.TrySetResult();

        public void Fail(Exception error) => _completion.TrySetException(error);
    }

    // ---- journal writes -----------------------------------------------------------------------------------

    private void Insert(SqliteTransaction transaction, StepRecord step)
    {
        var insert = _insertStep!;
        insert.Transaction = transaction;
        BindStep(D, insert.Parameters, step);
        if (Execute(insert, step) == 1)
        {
            return;
        }

        // Nothing inserted: either the run is not the tenant's, or the sequence (or step id) is taken.
        using var probe = transaction.Connection!.CreateCommand();
        probe.Transaction = transaction;
        probe.CommandText = Sql.InsertStepProbe;
        D.Bind(probe, "run_id", SqlValueKind.Id, step.RunId);
        D.Bind(probe, "tenant_id", SqlValueKind.Text, step.TenantId);
        D.Bind(probe, "sequence", SqlValueKind.Int32, step.Sequence);
        using var reader = probe.ExecuteReader();
        reader.Read();
        throw JournalRefusals.StepNotInserted(step, tenantHasRun: reader.GetInt64(0) != 0, sequenceTaken: reader.GetInt64(1) != 0);
    }

    private void Update(SqliteTransaction transaction, StepRecord step)
    {
        if (SqlDialect.EnumNames<StepStatus>.ToName.ContainsKey(step.Status))
        {
            var update = _updateStep[(int)step.Status] ??= Prepare(transaction.Connection!, Sql.UpdateStep(step.Status), Parameters(StepColumns));
            update.Transaction = transaction;
            BindStep(D, update.Parameters, step);
            if (Execute(update, step) == 1)
            {
                return;
            }
        }

        using var probe = transaction.Connection!.CreateCommand();
        probe.Transaction = transaction;
        probe.CommandText = Sql.StepStatusProbe;
        D.Bind(probe, "id", SqlValueKind.Id, step.Id);
        D.Bind(probe, "run_id", SqlValueKind.Id, step.RunId);
        D.Bind(probe, "tenant_id", SqlValueKind.Text, step.TenantId);
        D.Bind(probe, "sequence", SqlValueKind.Int32, step.Sequence);
        using var reader = probe.ExecuteReader();
        if (!reader.Read())
        {
            throw JournalRefusals.StepNotUpdated(step, null);
        }
        var row = new JournalRowReader(reader, D, StepsTable, 0, start: 1);
        var current = row.Enum<StepStatus>();
        throw JournalRefusals.StepNotUpdated(step, current);
    }

    private void Update(SqliteTransaction transaction, RunRecord run)
    {
        if (SqlDialect.EnumNames<RunStatus>.ToName.ContainsKey(run.Status))
        {
            var update = _updateRun[(int)run.Status] ??= Prepare(transaction.Connection!, Sql.UpdateRun(run.Status), Parameters(RunColumns));
            update.Transaction = transaction;
            BindRun(D, update.Parameters, run);
            int changed;
            try
            {
                changed = update.ExecuteNonQuery();
            }
            catch (SqliteException e) when (e.SqliteErrorCode == SQLitePCL.raw.SQLITE_CONSTRAINT)
            {
                throw JournalRefusals.RunNotWritten(run, e.Message, e);
            }
            if (changed == 1)
            {
                return;
            }
        }

        using var probe = transaction.Connection!.CreateCommand();
        probe.Transaction = transaction;
        probe.CommandText = Sql.RunStatusProbe;
        D.Bind(probe, "id", SqlValueKind.Id, run.Id);
        D.Bind(probe, "tenant_id", SqlValueKind.Text, run.TenantId);
        using var reader = probe.ExecuteReader();
        if (!reader.Read())
        {
            throw JournalRefusals.RunNotUpdated(run, null);
        }
        var row = new JournalRowReader(reader, D, RunsTable, 0, start: 1);
        var current = row.Enum<RunStatus>();
        throw JournalRefusals.RunNotUpdated(run, current);
    }

    private static int Execute(SqliteCommand command, StepRecord step)
    {
        try
        {
            return command.ExecuteNonQuery();
        }
        catch (SqliteException e) when (e.SqliteErrorCode == SQLitePCL.raw.SQLITE_CONSTRAINT)
        {
            throw JournalRefusals.StepNotWritten(step, e.Message, e);
        }
    }

    // ---- prepared statements ------------------------------------------------------------------------------

    private void PrepareCommands(SqliteConnection connection)
    {
        PrepareReads(connection);
        _insertRun = Prepare(connection, Sql.InsertRun, Parameters(RunColumns));
        _selectRunById = Prepare(connection, Sql.RunById, Parameters(("id", SqlValueKind.Id)));
        _selectRunByKey = Prepare(connection, Sql.RunByKey,
            Parameters(("tenant_id", SqlValueKind.Text), ("workflow", SqlValueKind.Text), ("key", SqlValueKind.Text)));
        _insertStep = Prepare(connection, Sql.InsertStep, Parameters(StepColumns));
        _fence = Prepare(connection, Sql.OwnerOf, Parameters(("id", SqlValueKind.Id), ("tenant_id", SqlValueKind.Text)));
        _release = Prepare(connection, Sql.Release,
            Parameters(("id", SqlValueKind.Id), ("tenant_id", SqlValueKind.Text), ("owner", SqlValueKind.Text)));
        _synchronousNormal = Prepare(connection, "PRAGMA synchronous = NORMAL", Parameters());
        _synchronousFull = Prepare(connection, "PRAGMA synchronous = FULL", Parameters());
        PrepareClaims(connection);
    }

    private void ForgetPreparedCommands()
    {
        Array.Clear(_updateStep);
        Array.Clear(_updateRun);
        _insertRun = _selectRunById = _selectRunByKey = _getRun = _getSteps = _insertStep = _fence = _release = _claimById = _synchronousNormal = _synchronousFull = null;
    }
}
