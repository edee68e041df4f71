using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Workflows.Journal;
using Workflows.Storage;

namespace Workflows.Sqlite;

/// <summary>
/// The embedded default journal store: one SQLite file in WAL mode with <c>synchronous=FULL</c>, so a commit is
/// on disk before <see cref="CommitAsync"/> returns, and other processes (a CLI, a dashboard) can read the file
/// while an engine writes it.
/// </summary>
/// <remarks>
/// The store holds one long-lived connection, used for writes and reads alike and guarded by a semaphore; its
/// hot-path statements are prepared once and reused. Concurrent commits are written together (group commit): one
/// transaction and one fsync for all that queued up while the previous one was being written. The state machines are enforced by the SQL itself: every
/// update is conditional on the stored status being one of <see cref="StatusTransitions"/>' sources.
/// </remarks>
public sealed class SqliteWorkflowStore : IWorkflowStore
{
    private const string RunsTable = "workflow_runs";
    private const string StepsTable = "workflow_steps";

    private static readonly string[] RunColumnNames =
    [
        "id", "tenant_id", "workflow", "schema_version", "status", "parent_run_id", "parent_step", "input", "output", "error",
        "idempotency_key", "created_at", "started_at", "completed_at", "updated_at", "owner", "lease_expires_at",
    ];

    private static readonly string[] StepColumnNames =
    [
        "id", "run_id", "tenant_id", "sequence", "position", "name", "kind", "status", "attempt", "input", "output", "error",
        "duration_ms", "created_at", "started_at", "completed_at", "updated_at", "cost_usd", "input_tokens", "output_tokens",
        "debug_messages",
    ];

    private static readonly string RunColumns = string.Join(", ", RunColumnNames);
    private static readonly string StepColumns = string.Join(", ", StepColumnNames);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly System.Collections.Concurrent.ConcurrentQueue<PendingCommit> _commits = new();
    private readonly string _connectionString;
    private readonly string _displayName;
    private readonly string? _filePath;
    private readonly int _busyTimeoutMs;

    private SqliteConnection? _connection;
    private SqliteCommand? _insertRun;
    private SqliteCommand? _selectRunById;
    private SqliteCommand? _selectRunByKey;
    private SqliteCommand? _getRun;
    private SqliteCommand? _getSteps;
    private SqliteCommand? _insertStep;
    private readonly SqliteCommand?[] _updateStep = new SqliteCommand?[Enum.GetValues<StepStatus>().Length];
    private readonly SqliteCommand?[] _updateRun = new SqliteCommand?[Enum.GetValues<RunStatus>().Length];
    private readonly List<SqliteCommand> _prepared = [];
    private bool _disposed;

    /// <summary>A store on the file at <paramref name="path"/> (created if missing; its directory must exist).</summary>
    public SqliteWorkflowStore(string path)
        : this(new SqliteWorkflowStoreOptions { Path = path }, nameof(path))
    {
    }

    /// <summary>A store configured by <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">The path or connection string is not usable.</exception>
    public SqliteWorkflowStore(SqliteWorkflowStoreOptions options)
        : this(options, nameof(options))
    {
    }

    private SqliteWorkflowStore(SqliteWorkflowStoreOptions options, string paramName)
    {
        ArgumentNullException.ThrowIfNull(options, paramName);

        var busy = options.BusyTimeout.TotalMilliseconds;
        if (busy < 0 || busy > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(paramName, options.BusyTimeout,
                "SqliteWorkflowStoreOptions.BusyTimeout must be between zero and int.MaxValue milliseconds.");
        }
        _busyTimeoutMs = (int)busy;

        SqliteConnectionStringBuilder builder;
        if (options.ConnectionString is { } connectionString)
        {
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new ArgumentException("The SQLite workflow store connection string (SqliteWorkflowStoreOptions.ConnectionString) is empty; set it to null to use Path instead.", paramName);
            }
            try
            {
                builder = new SqliteConnectionStringBuilder(connectionString);
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
            {
                throw new ArgumentException($"SqliteWorkflowStoreOptions.ConnectionString is not a valid SQLite connection string: {e.Message}", paramName, e);
            }
            if (string.IsNullOrWhiteSpace(builder.DataSource))
            {
                throw new ArgumentException("The SQLite connection string (SqliteWorkflowStoreOptions.ConnectionString) has no Data Source: the store needs a database file.", paramName);
            }
        }
        else
        {
            var path = options.Path;
            if (string.IsNullOrWhiteSpace(path))
            {
                throw new ArgumentException("The SQLite workflow store path (SqliteWorkflowStoreOptions.Path) is empty: the store needs a database file.", paramName);
            }
            if (path.AsSpan().IndexOfAny(System.IO.Path.GetInvalidPathChars()) >= 0)
            {
                throw new ArgumentException($"The SQLite workflow store path '{path.Replace("\0", "\\0", StringComparison.Ordinal)}' contains characters that are not valid in a path.", paramName);
            }
            try
            {
                builder = new SqliteConnectionStringBuilder { DataSource = path };
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"The SQLite workflow store path '{path}' is not usable: {e.Message}", paramName, e);
            }
        }

        var dataSource = builder.DataSource;
        if (dataSource == ":memory:" || builder.Mode == SqliteOpenMode.Memory)
        {
            throw new ArgumentException(
                $"The SQLite workflow store needs a file, not an in-memory database ('{dataSource}'). Use InMemoryWorkflowStore for tests.", paramName);
        }
        if (builder.Mode == SqliteOpenMode.ReadOnly)
        {
            throw new ArgumentException($"The SQLite workflow store '{dataSource}' cannot be opened read-only: the store writes the journal.", paramName);
        }

        // URIs (file:…) and |DataDirectory| are resolved by SQLite itself; plain paths are made absolute now so that the
        // file does not depend on a later change of the current directory, and so that errors can name it.
        if (!dataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase) && !dataSource.StartsWith("|DataDirectory|", StringComparison.OrdinalIgnoreCase))
        {
            if (dataSource.AsSpan().IndexOfAny(System.IO.Path.GetInvalidPathChars()) >= 0)
            {
                throw new ArgumentException($"The SQLite workflow store path '{dataSource.Replace("\0", "\\0", StringComparison.Ordinal)}' contains characters that are not valid in a path.", paramName);
            }
            string full;
            try
            {
                full = System.IO.Path.GetFullPath(dataSource);
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException or System.Security.SecurityException)
            {
                throw new ArgumentException($"The SQLite workflow store path '{dataSource}' is not a valid file path: {e.Message}", paramName, e);
            }
            if (string.IsNullOrEmpty(System.IO.Path.GetFileName(full)))
            {
                throw new ArgumentException($"The SQLite workflow store path '{dataSource}' names a directory, not a database file.", paramName);
            }
            builder.DataSource = full;
            _filePath = full;
        }

        builder.Pooling = false; // disposing the store must close the file
        builder.ForeignKeys = true;
        _connectionString = builder.ToString();
        _displayName = builder.DataSource;
    }

    /// <summary>The database file (absolute) or URI the store opens.</summary>
    public string DataSource => _displayName;

    /// <inheritdoc />
    public async ValueTask InitializeAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            EnsureOpen();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<CreateRunResult> CreateRunAsync(RunRecord run, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            EnsureOpen();
            var insert = _insertRun!;
            BindRun(insert, run);
            // ON CONFLICT DO NOTHING covers both the id and the idempotency index: of two racing creates (in this
            // process or another), one inserts and the other finds its run below.
            if (insert.ExecuteNonQuery() == 1)
            {
                return new CreateRunResult(run, Created: true);
            }

            var byId = _selectRunById!;
            byId.Parameters[0].Value = SqliteValues.Id(run.Id);
            if (ReadSingleRun(byId) is { } sameId)
            {
                if (sameId.TenantId != run.TenantId)
                {
                    throw new JournalConflictException($"Run id {run.Id} is already used by another tenant; tenant '{run.TenantId}' cannot create it. Nothing was written.");
                }
                return new CreateRunResult(sameId, Created: false);
            }
            if (run.IdempotencyKey is not null)
            {
                var byKey = _selectRunByKey!;
                byKey.Parameters[0].Value = run.TenantId;
                byKey.Parameters[1].Value = run.Workflow;
                byKey.Parameters[2].Value = run.IdempotencyKey;
                if (ReadSingleRun(byKey) is { } sameKey)
                {
                    return new CreateRunResult(sameKey, Created: false);
                }
            }
            throw new JournalConflictException($"Run {run.Id} ({run.Workflow}) could not be created and no conflicting run was found.");
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<RunRecord?> GetRunAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            EnsureOpen();
            var command = _getRun!;
            command.Parameters[0].Value = SqliteValues.Id(runId);
            command.Parameters[1].Value = tenantId;
            return ReadSingleRun(command);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<StepRecord>> GetStepsAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            EnsureOpen();
            var command = _getSteps!;
            command.Parameters[0].Value = SqliteValues.Id(runId);
            command.Parameters[1].Value = tenantId;
            var steps = new List<StepRecord>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                steps.Add(ReadStep(reader));
            }
            return steps;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<RunRecord>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Limit <= 0)
        {
            return [];
        }
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = EnsureOpen();
            using var command = connection.CreateCommand();
            var sql = new StringBuilder($"SELECT {RunColumns} FROM {RunsTable} WHERE 1 = 1");
            if (query.TenantId is not null)
            {
                sql.Append(" AND tenant_id = $tenant_id");
                command.Parameters.AddWithValue("$tenant_id", query.TenantId);
            }
            if (query.Workflow is not null)
            {
                sql.Append(" AND workflow = $workflow");
                command.Parameters.AddWithValue("$workflow", query.Workflow);
            }
            if (query.Statuses is { Count: > 0 } statuses)
            {
                sql.Append(" AND status IN (");
                for (var i = 0; i < statuses.Count; i++)
                {
                    // A status that is not defined matches nothing, like it would in memory.
                    var name = SqliteValues.EnumNames<RunStatus>.ToName.GetValueOrDefault(statuses[i]);
                    sql.Append(i == 0 ? "" : ", ").Append("$status").Append(i.ToString(CultureInfo.InvariantCulture));
                    command.Parameters.AddWithValue("$status" + i.ToString(CultureInfo.InvariantCulture), (object?)name ?? DBNull.Value);
                }
                sql.Append(')');
            }
            sql.Append(" ORDER BY id LIMIT $limit");
            command.Parameters.AddWithValue("$limit", query.Limit);
            command.CommandText = sql.ToString();

            var runs = new List<RunRecord>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                runs.Add(ReadRun(reader));
            }
            return runs;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask CommitAsync(IReadOnlyList<JournalWrite> writes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writes);
        foreach (var write in writes)
        {
            if (write is not (InsertStep or UpdateStep or UpdateRun))
            {
                throw new ArgumentException($"Unknown journal write {write?.GetType().Name ?? "null"}.", nameof(writes));
            }
        }
        if (writes.Count == 0)
        {
            return;
        }

        // Group commit: concurrent commits (of many runs) queue up, and whoever holds the connection next writes all
        // that are queued in one transaction, one savepoint each, so a refused write undoes only its own commit and
        // one fsync makes them all durable.
        var pending = new PendingCommit(writes);
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

    private int _takenCommits;

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
        try
        {
            var connection = EnsureOpen();
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
                    // This commit's own fault (a refused transition, a conflict, a value that cannot be stored): undo
                    // it alone. A SQLite error (I/O, disk full, busy) fails the whole transaction instead.
                    transaction.Rollback("c");
                    transaction.Release("c");
                    outcomes[i] = e;
                }
            }
            transaction.Commit();
        }
        catch (Exception e)
        {
            // Nothing of this transaction was written: every commit in it fails with the cause.
            for (var i = 0; i < batch.Count; i++) outcomes[i] ??= e;
            for (var i = 0; i < batch.Count; i++) batch[i].Fail(outcomes[i]!);
            return;
        }
        for (var i = 0; i < batch.Count; i++)
        {
            if (outcomes[i] is { } refused) batch[i].Fail(refused);
            else batch[i].Succeed();
        }
    }

    private void Apply(SqliteTransaction transaction, IReadOnlyList<JournalWrite> writes)
    {
        foreach (var write in writes)
        {
            switch (write)
            {
                case InsertStep { Step: var step }:
                    Insert(transaction, step);
                    break;
                case UpdateStep { Step: var step }:
                    Update(transaction, step);
                    break;
                case UpdateRun { Run: var run }:
                    Update(transaction, run);
                    break;
            }
        }
    }

    /// <summary>One caller's commit waiting in the queue: claimed by a writer, or cancelled by its caller, not both.</summary>
    private sealed class PendingCommit(IReadOnlyList<JournalWrite> writes)
    {
        private const int Queued = 0, Claimed = 1, Cancelled = 2;
        private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _state;

        public IReadOnlyList<JournalWrite> Writes { get; } = writes;

        public Task Completion => _completion.Task;

        public bool TryClaim() => Interlocked.CompareExchange(ref _state, Claimed, Queued) == Queued;

        public void TryCancel()
        {
            if (Interlocked.CompareExchange(ref _state, Cancelled, Queued) == Queued) _completion.TrySetCanceled();
        }

        public void Succeed() => _completion.TrySetResult();

        public void Fail(Exception error) => _completion.TrySetException(error);
    }

    /// <summary>Closes the connection. The store cannot be used afterwards.</summary>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            CloseConnection();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Reads a PRAGMA on the store's own connection (per-connection settings such as <c>synchronous</c>), for tests and diagnostics.</summary>
    internal async ValueTask<string?> ReadPragmaAsync(string pragma, CancellationToken cancellationToken = default)
    {
        if (pragma.Length == 0 || !pragma.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            throw new ArgumentException($"'{pragma}' is not a PRAGMA name.", nameof(pragma));
        }
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = EnsureOpen();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA " + pragma;
            return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
        finally
        {
            _gate.Release();
        }
    }

    // ---- writes -------------------------------------------------------------------------------------------

    private void Insert(SqliteTransaction transaction, StepRecord step)
    {
        var insert = _insertStep!;
        insert.Transaction = transaction;
        BindStep(insert, step);
        if (Execute(insert, step) == 1)
        {
            return;
        }

        // Nothing inserted: either the run is not the tenant's, or the sequence (or step id) is taken.
        using var probe = transaction.Connection!.CreateCommand();
        probe.Transaction = transaction;
        probe.CommandText = $"""
            SELECT
                EXISTS (SELECT 1 FROM {RunsTable} WHERE id = $run_id AND tenant_id = $tenant_id),
                EXISTS (SELECT 1 FROM {StepsTable} WHERE run_id = $run_id AND sequence = $sequence)
            """;
        probe.Parameters.AddWithValue("$run_id", SqliteValues.Id(step.RunId));
        probe.Parameters.AddWithValue("$tenant_id", step.TenantId);
        probe.Parameters.AddWithValue("$sequence", step.Sequence);
        using var reader = probe.ExecuteReader();
        reader.Read();
        if (reader.GetInt64(0) == 0)
        {
            throw new JournalConflictException($"Step {step.Sequence} '{step.Name}' names run {step.RunId}, which tenant '{step.TenantId}' does not have.");
        }
        if (reader.GetInt64(1) != 0)
        {
            throw new JournalConflictException($"Run {step.RunId} already has a step at sequence {step.Sequence}; the recorded step was kept.");
        }
        throw new JournalConflictException($"A step with id {step.Id} is already recorded; step {step.Sequence} '{step.Name}' of run {step.RunId} was not inserted.");
    }

    private void Update(SqliteTransaction transaction, StepRecord step)
    {
        if (SqliteValues.EnumNames<StepStatus>.ToName.ContainsKey(step.Status))
        {
            var update = _updateStep[(int)step.Status] ??= Prepare(transaction.Connection!, UpdateStepSql(step.Status), AddStepParameters);
            update.Transaction = transaction;
            BindStep(update, step);
            if (Execute(update, step) == 1)
            {
                return;
            }
        }

        using var probe = transaction.Connection!.CreateCommand();
        probe.Transaction = transaction;
        probe.CommandText = $"SELECT id, status FROM {StepsTable} WHERE id = $id AND run_id = $run_id AND tenant_id = $tenant_id AND sequence = $sequence";
        probe.Parameters.AddWithValue("$id", SqliteValues.Id(step.Id));
        probe.Parameters.AddWithValue("$run_id", SqliteValues.Id(step.RunId));
        probe.Parameters.AddWithValue("$tenant_id", step.TenantId);
        probe.Parameters.AddWithValue("$sequence", step.Sequence);
        using var reader = probe.ExecuteReader();
        if (!reader.Read())
        {
            throw new JournalConflictException($"Run {step.RunId} has no step {step.Id} at sequence {step.Sequence}.");
        }
        var current = new SqliteRow(reader, StepsTable, 0).Enum<StepStatus>(1);
        throw IllegalTransitionException.For(step, current);
    }

    private void Update(SqliteTransaction transaction, RunRecord run)
    {
        if (SqliteValues.EnumNames<RunStatus>.ToName.ContainsKey(run.Status))
        {
            var update = _updateRun[(int)run.Status] ??= Prepare(transaction.Connection!, UpdateRunSql(run.Status), AddRunParameters);
            update.Transaction = transaction;
            BindRun(update, run);
            int changed;
            try
            {
                changed = update.ExecuteNonQuery();
            }
            catch (SqliteException e) when (e.SqliteErrorCode == SQLitePCL.raw.SQLITE_CONSTRAINT)
            {
                throw new JournalConflictException($"Run {run.Id} ({run.Workflow}) cannot be updated: {e.Message}");
            }
            if (changed == 1)
            {
                return;
            }
        }

        using var probe = transaction.Connection!.CreateCommand();
        probe.Transaction = transaction;
        probe.CommandText = $"SELECT id, status FROM {RunsTable} WHERE id = $id AND tenant_id = $tenant_id";
        probe.Parameters.AddWithValue("$id", SqliteValues.Id(run.Id));
        probe.Parameters.AddWithValue("$tenant_id", run.TenantId);
        using var reader = probe.ExecuteReader();
        if (!reader.Read())
        {
            throw new JournalConflictException($"Tenant '{run.TenantId}' has no run {run.Id}.");
        }
        var current = new SqliteRow(reader, RunsTable, 0).Enum<RunStatus>(1);
        throw IllegalTransitionException.For(run, current);
    }

    private static int Execute(SqliteCommand command, StepRecord step)
    {
        try
        {
            return command.ExecuteNonQuery();
        }
        catch (SqliteException e) when (e.SqliteErrorCode == SQLitePCL.raw.SQLITE_CONSTRAINT)
        {
            throw new JournalConflictException($"Step {step.Sequence} '{step.Name}' of run {step.RunId} cannot be written: {e.Message}");
        }
    }

    // What identifies a record, and what it was created as, is never rewritten by an update.
    private static string UpdateRunSql(RunStatus target) => $"""
        UPDATE {RunsTable} SET {SetList(RunColumnNames, "id", "tenant_id", "workflow", "idempotency_key", "created_at")}
        WHERE id = $id AND tenant_id = $tenant_id AND status IN ({SourceList(StatusTransitions.RunSources(target))})
        """;

    private static string UpdateStepSql(StepStatus target) => $"""
        UPDATE {StepsTable} SET {SetList(StepColumnNames, "id", "run_id", "tenant_id", "sequence", "name", "kind", "created_at")}
        WHERE id = $id AND run_id = $run_id AND tenant_id = $tenant_id AND sequence = $sequence
          AND status IN ({SourceList(StatusTransitions.StepSources(target))})
        """;

    private static string SetList(string[] columns, params string[] keys) =>
        string.Join(", ", columns.Where(c => !keys.Contains(c)).Select(c => $"{c} = ${c}"));

    // The sources are enum names, so they are written into the statement as literals (one statement per target).
    private static string SourceList<TEnum>(ReadOnlySpan<TEnum> sources) where TEnum : struct, Enum
    {
        if (sources.IsEmpty)
        {
            return "NULL";
        }
        var names = new List<string>(sources.Length);
        foreach (var source in sources)
        {
            names.Add("'" + SqliteValues.EnumNames<TEnum>.ToName[source] + "'");
        }
        return string.Join(", ", names);
    }

    // ---- binding ------------------------------------------------------------------------------------------

    private static void AddRunParameters(SqliteCommand command)
    {
        foreach (var column in RunColumnNames)
        {
            command.Parameters.Add("$" + column, column == "parent_step" ? SqliteType.Integer : SqliteType.Text);
        }
    }

    private static void AddStepParameters(SqliteCommand command)
    {
        foreach (var column in StepColumnNames)
        {
            var type = column is "sequence" or "position" or "attempt" or "duration_ms" or "input_tokens" or "output_tokens"
                ? SqliteType.Integer
                : SqliteType.Text;
            command.Parameters.Add("$" + column, type);
        }
    }

    // Parameter order is RunColumnNames'.
    private static void BindRun(SqliteCommand command, RunRecord run)
    {
        var p = command.Parameters;
        p[0].Value = SqliteValues.Id(run.Id);
        p[1].Value = run.TenantId;
        p[2].Value = run.Workflow;
        p[3].Value = run.SchemaVersion;
        p[4].Value = SqliteValues.Name(run.Status, nameof(RunRecord.Status));
        p[5].Value = SqliteValues.Id(run.ParentRunId);
        p[6].Value = SqliteValues.Integer(run.ParentStep);
        p[7].Value = SqliteValues.Text(run.Input);
        p[8].Value = SqliteValues.Text(run.Output);
        p[9].Value = SqliteValues.Error(run.Error);
        p[10].Value = SqliteValues.Text(run.IdempotencyKey);
        p[11].Value = SqliteValues.Timestamp(run.CreatedAt);
        p[12].Value = SqliteValues.Timestamp(run.StartedAt);
        p[13].Value = SqliteValues.Timestamp(run.CompletedAt);
        p[14].Value = SqliteValues.Timestamp(run.UpdatedAt);
        p[15].Value = SqliteValues.Text(run.Owner);
        p[16].Value = SqliteValues.Timestamp(run.LeaseExpiresAt);
    }

    // Parameter order is StepColumnNames'.
    private static void BindStep(SqliteCommand command, StepRecord step)
    {
        var p = command.Parameters;
        p[0].Value = SqliteValues.Id(step.Id);
        p[1].Value = SqliteValues.Id(step.RunId);
        p[2].Value = step.TenantId;
        p[3].Value = step.Sequence;
        p[4].Value = step.Position;
        p[5].Value = step.Name;
        p[6].Value = SqliteValues.Name(step.Kind, nameof(StepRecord.Kind));
        p[7].Value = SqliteValues.Name(step.Status, nameof(StepRecord.Status));
        p[8].Value = step.Attempt;
        p[9].Value = SqliteValues.Text(step.Input);
        p[10].Value = SqliteValues.Text(step.Output);
        p[11].Value = SqliteValues.Error(step.Error);
        p[12].Value = SqliteValues.Integer(step.DurationMs);
        p[13].Value = SqliteValues.Timestamp(step.CreatedAt);
        p[14].Value = SqliteValues.Timestamp(step.StartedAt);
        p[15].Value = SqliteValues.Timestamp(step.CompletedAt);
        p[16].Value = SqliteValues.Timestamp(step.UpdatedAt);
        p[17].Value = SqliteValues.Decimal(step.CostUsd);
        p[18].Value = SqliteValues.Integer(step.InputTokens);
        p[19].Value = SqliteValues.Integer(step.OutputTokens);
        p[20].Value = SqliteValues.Text(step.DebugMessages);
    }

    // ---- reading ------------------------------------------------------------------------------------------

    private static RunRecord? ReadSingleRun(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadRun(reader) : null;
    }

    // Column order is RunColumnNames'.
    private static RunRecord ReadRun(SqliteDataReader reader)
    {
        var row = new SqliteRow(reader, RunsTable, 0);
        return new RunRecord
        {
            Id = row.Id(0),
            TenantId = row.RequiredText(1),
            Workflow = row.RequiredText(2),
            SchemaVersion = row.RequiredText(3),
            Status = row.Enum<RunStatus>(4),
            ParentRunId = row.NullableId(5),
            ParentStep = row.NullableInt32(6),
            Input = row.Text(7),
            Output = row.Text(8),
            Error = row.Error(9),
            IdempotencyKey = row.Text(10),
            CreatedAt = row.Timestamp(11),
            StartedAt = row.NullableTimestamp(12),
            CompletedAt = row.NullableTimestamp(13),
            UpdatedAt = row.Timestamp(14),
            Owner = row.Text(15),
            LeaseExpiresAt = row.NullableTimestamp(16),
        };
    }

    // Column order is StepColumnNames'.
    private static StepRecord ReadStep(SqliteDataReader reader)
    {
        var row = new SqliteRow(reader, StepsTable, 0);
        return new StepRecord
        {
            Id = row.Id(0),
            RunId = row.Id(1),
            TenantId = row.RequiredText(2),
            Sequence = row.Int32(3),
            Position = row.Int32(4),
            Name = row.RequiredText(5),
            Kind = row.Enum<StepKind>(6),
            Status = row.Enum<StepStatus>(7),
            Attempt = row.Int32(8),
            Input = row.Text(9),
            Output = row.Text(10),
            Error = row.Error(11),
            DurationMs = row.NullableInt64(12),
            CreatedAt = row.Timestamp(13),
            StartedAt = row.NullableTimestamp(14),
            CompletedAt = row.NullableTimestamp(15),
            UpdatedAt = row.Timestamp(16),
            CostUsd = row.NullableDecimal(17),
            InputTokens = row.NullableInt32(18),
            OutputTokens = row.NullableInt32(19),
            DebugMessages = row.Text(20),
        };
    }

    // ---- connection ---------------------------------------------------------------------------------------

    /// <summary>Opens, configures and migrates the connection on first use. Call under the gate.</summary>
    private SqliteConnection EnsureOpen()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_connection is { } open)
        {
            return open;
        }

        if (_filePath is not null)
        {
            if (Directory.Exists(_filePath))
            {
                throw new IOException($"Cannot open the SQLite workflow store '{_filePath}': it is a directory, not a database file.");
            }
            var directory = System.IO.Path.GetDirectoryName(_filePath);
            if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
            {
                throw new DirectoryNotFoundException(
                    $"Cannot open the SQLite workflow store '{_filePath}': the directory '{directory}' does not exist.");
            }
        }

        var connection = new SqliteConnection(_connectionString);
        try
        {
            try
            {
                connection.Open();
            }
            catch (SqliteException e)
            {
                throw new IOException($"Cannot open the SQLite workflow store '{_displayName}': {e.Message}", e);
            }

            try
            {
                // busy_timeout first: the statements below may wait for another process's lock.
                ExecuteSetup(connection, "PRAGMA busy_timeout = " + _busyTimeoutMs.ToString(CultureInfo.InvariantCulture));
                var mode = ExecuteSetup(connection, "PRAGMA journal_mode = WAL");
                if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidOperationException(
                        $"The SQLite workflow store '{_displayName}' could not be switched to WAL mode (journal_mode is '{mode}'). The file system may not support it.");
                }
                ExecuteSetup(connection, "PRAGMA synchronous = FULL");
                ExecuteSetup(connection, "PRAGMA foreign_keys = ON");
                SqliteSchema.Migrate(connection);
            }
            catch (SqliteException e)
            {
                throw new InvalidOperationException($"Cannot initialize the SQLite workflow store '{_displayName}': {e.Message}", e);
            }

            _connection = connection;
            PrepareCommands(connection);
            return connection;
        }
        catch
        {
            CloseConnection();
            connection.Dispose();
            throw;
        }
    }

    private static string? ExecuteSetup(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private void PrepareCommands(SqliteConnection connection)
    {
        _insertRun = Prepare(connection,
            $"INSERT INTO {RunsTable} ({RunColumns}) VALUES ({string.Join(", ", RunColumnNames.Select(c => "$" + c))}) ON CONFLICT DO NOTHING",
            AddRunParameters);
        _selectRunById = Prepare(connection, $"SELECT {RunColumns} FROM {RunsTable} WHERE id = $id",
            c => c.Parameters.Add("$id", SqliteType.Text));
        _selectRunByKey = Prepare(connection,
            $"SELECT {RunColumns} FROM {RunsTable} WHERE tenant_id = $tenant_id AND workflow = $workflow AND idempotency_key = $key",
            c =>
            {
                c.Parameters.Add("$tenant_id", SqliteType.Text);
                c.Parameters.Add("$workflow", SqliteType.Text);
                c.Parameters.Add("$key", SqliteType.Text);
            });
        _getRun = Prepare(connection, $"SELECT {RunColumns} FROM {RunsTable} WHERE id = $id AND tenant_id = $tenant_id",
            c =>
            {
                c.Parameters.Add("$id", SqliteType.Text);
                c.Parameters.Add("$tenant_id", SqliteType.Text);
            });
        _getSteps = Prepare(connection,
            $"SELECT {StepColumns} FROM {StepsTable} WHERE run_id = $run_id AND tenant_id = $tenant_id ORDER BY sequence",
            c =>
            {
                c.Parameters.Add("$run_id", SqliteType.Text);
                c.Parameters.Add("$tenant_id", SqliteType.Text);
            });
        // Inserted only when the tenant has the run; a taken (run_id, sequence) or id inserts nothing, and the
        // caller then finds out which it was.
        _insertStep = Prepare(connection, $"""
            INSERT INTO {StepsTable} ({StepColumns})
            SELECT {string.Join(", ", StepColumnNames.Select(c => "$" + c))}
            WHERE EXISTS (SELECT 1 FROM {RunsTable} WHERE id = $run_id AND tenant_id = $tenant_id)
            ON CONFLICT DO NOTHING
            """, AddStepParameters);
    }

    private SqliteCommand Prepare(SqliteConnection connection, string sql, Action<SqliteCommand> addParameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        addParameters(command);
        command.Prepare();
        _prepared.Add(command);
        return command;
    }

    private void CloseConnection()
    {
        foreach (var command in _prepared)
        {
            command.Dispose();
        }
        _prepared.Clear();
        Array.Clear(_updateStep);
        Array.Clear(_updateRun);
        _insertRun = _selectRunById = _selectRunByKey = _getRun = _getSteps = _insertStep = null;
        _connection?.Dispose();
        _connection = null;
    }
}
