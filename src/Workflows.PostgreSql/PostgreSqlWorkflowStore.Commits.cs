using System.Runtime.CompilerServices;
using Npgsql;
using Workflows.Journal;
using Workflows.Storage;
using Workflows.Storage.Sql;
using static Workflows.Storage.Sql.JournalRows;

namespace Workflows.PostgreSql;

public sealed partial class PostgreSqlWorkflowStore
{
    /// <summary>The SQLSTATE workflow_expect() raises: a write changed other rows than it expected.</summary>
    private const string ExpectationFailed = "WF001";

    // Commits whose reply was lost (the connection dropped after they were sent): when the engine retries one and a write
    // of it is refused, the store checks whether the first attempt was applied after all before calling it a refusal.
    private readonly ConditionalWeakTable<IReadOnlyList<JournalWrite>, object> _unknownOutcome = new();

    /// <inheritdoc />
    public ValueTask<CreateRunResult> CreateRunAsync(RunRecord run, IReadOnlyList<StepRecord>? steps = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        foreach (var step in steps ?? [])
        {
            if (step.RunId != run.Id || step.TenantId != run.TenantId) throw JournalRefusals.StepOfOtherRun(step, run);
        }
        if (steps is null or { Count: 0 })
        {
            return CreateRunAloneAsync(run, cancellationToken);
        }
        return InTransactionAsync(async (connection, transaction, ct) =>
        {
            await using (var insert = Command(connection, transaction, Sql.InsertRun))
            {
                AddParameters(D, insert, RunColumns);
                BindRun(D, insert.Parameters, run);
                // ON CONFLICT DO NOTHING covers both the id and the idempotency index: of two racing creates (in this
                // process or another), one inserts and the other waits for it, then finds its run below.
                if (await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1)
                {
                    foreach (var step in steps ?? [])
                    {
                        await using var insertStep = Command(connection, transaction, Sql.InsertStep);
                        AddParameters(D, insertStep, StepColumns);
                        BindStep(D, insertStep.Parameters, step);
                        if (await insertStep.ExecuteNonQueryAsync(ct).ConfigureAwait(false) != 1)
                        {
                            throw JournalRefusals.StepNotInserted(step, tenantHasRun: true, sequenceTaken: true);
                        }
                    }
                    if (run.Owner is null) await NotifyAsync(connection, transaction, run.Workflow, ct).ConfigureAwait(false);
                    return new CreateRunResult(run, Created: true);
                }
            }

            return await ExistingRunAsync(connection, transaction, run, ct).ConfigureAwait(false);
        }, cancellationToken);
    }

    /// <summary>
    /// A run created without steps (every start but a fork's): its insert, and the notification of other engines when it is
    /// unclaimed, as one batch in one round trip and one implicit transaction. On a conflict, the run that holds the id or the
    /// key is read after it (ON CONFLICT DO NOTHING waits for a racing insert to commit, so the run found is committed).
    /// </summary>
    private ValueTask<CreateRunResult> CreateRunAloneAsync(RunRecord run, CancellationToken cancellationToken) =>
        UseAsync(async (connection, ct) =>
        {
            await using (var batch = new NpgsqlBatch(connection))
            {
                var insert = new NpgsqlBatchCommand(Sql.InsertRun);
                AddParameters(D, insert.Parameters, RunColumns);
                BindRun(D, insert.Parameters, run);
                batch.BatchCommands.Add(insert);
                if (run.Owner is null) batch.BatchCommands.Add(Notification(run.Workflow));
                await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                if (insert.RecordsAffected == 1)
                {
                    return new CreateRunResult(run, Created: true);
                }
            }
            return await ExistingRunAsync(connection, null, run, ct).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>The run that kept <paramref name="run"/> from being inserted: the one with its id (of its tenant), else with its key.</summary>
    private static async Task<CreateRunResult> ExistingRunAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, RunRecord run, CancellationToken ct)
    {
        await using (var byId = Command(connection, transaction, Sql.RunById))
        {
            D.Bind(byId, "id", SqlValueKind.Id, run.Id);
            if (await ReadSingleRunAsync(byId, ct).ConfigureAwait(false) is { } sameId)
            {
                return sameId.TenantId == run.TenantId ? new CreateRunResult(sameId, Created: false) : throw JournalRefusals.RunIdOfOtherTenant(run);
            }
        }
        if (run.IdempotencyKey is not null)
        {
            await using var byKey = Command(connection, transaction, Sql.RunByKey);
            D.Bind(byKey, "tenant_id", SqlValueKind.Text, run.TenantId);
            D.Bind(byKey, "workflow", SqlValueKind.Text, run.Workflow);
            D.Bind(byKey, "key", SqlValueKind.Text, run.IdempotencyKey);
            if (await ReadSingleRunAsync(byKey, ct).ConfigureAwait(false) is { } sameKey)
            {
                return new CreateRunResult(sameKey, Created: false);
            }
        }
        throw JournalRefusals.RunNotCreated(run);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The writes go to the server as one batch, in one round trip and one implicit transaction: the fence locks the run's
    /// row and checks its owner, and every state-machine write must change exactly one row, or workflow_expect() raises and
    /// the whole batch is rolled back. Only then does the store look at why (a second round trip, on the refusal path only).
    /// </remarks>
    public ValueTask CommitAsync(IReadOnlyList<JournalWrite> writes, CancellationToken cancellationToken = default) =>
        CommitAsync(writes, CommitDurability.Flushed, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// A buffered commit is the same batch with <c>synchronous_commit</c> off for its transaction only: the server applies it
    /// and replies without waiting for its write-ahead log to reach the disk (its WAL writer flushes it within
    /// <c>wal_writer_delay</c>, and any later flushed commit flushes it too, the log being one sequence). A server that
    /// crashes before that may lose it; a killed worker does not.
    /// </remarks>
    public async ValueTask CommitAsync(IReadOnlyList<JournalWrite> writes, CommitDurability durability, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writes);
        if (durability is not (CommitDurability.Flushed or CommitDurability.Buffered))
        {
            throw new ArgumentOutOfRangeException(nameof(durability), durability, "Not a commit durability.");
        }
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
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        await InitializeAsync(cancellationToken).ConfigureAwait(false);

        var sent = false;
        NpgsqlBatch? batch = null;
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            _faults?.Hit(Workflows.Testing.FaultPoint.StoreConnection);
            batch = Batch(connection, writes, durability, fuse: true, out var fused);
            Interlocked.Increment(ref _commitsSent);
            if (durability == CommitDurability.Buffered) Interlocked.Increment(ref _bufferedCommitsSent);
            sent = true;
            try
            {
                await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException e) when (fused && e.SqlState != ExpectationFailed && !IsUnavailable(e))
            {
                // A write of a fused commit broke a constraint: nothing was applied. The commit again as one statement per
                // write fails the same way, and tells which write did it.
                await batch.DisposeAsync().ConfigureAwait(false);
                batch = Batch(connection, writes, durability, fuse: false, out _);
                await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            _unknownOutcome.Remove(writes);
            return;
        }
        catch (PostgresException e) when (e.SqlState == ExpectationFailed && batch is not null)
        {
            var refused = writes[WriteOf(e, writes.Count)];
            if (_unknownOutcome.TryGetValue(writes, out _) && await AppliedAsync(writes, cancellationToken).ConfigureAwait(false))
            {
                _unknownOutcome.Remove(writes);
                return; // the first attempt went through; its reply was lost
            }
            throw await RefusalAsync(refused, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (batch is not null && e.BatchCommand is not null && !IsUnavailable(e))
        {
            // A constraint or a value the database cannot hold (23…, 22…): the write's own fault, nothing was applied.
            var write = writes[WriteOf(batch, e.BatchCommand)];
            throw write switch
            {
                InsertStep { Step: var step } => JournalRefusals.StepNotWritten(step, e.MessageText, e),
                UpdateStep { Step: var step } => JournalRefusals.StepNotWritten(step, e.MessageText, e),
                UpdateRun { Run: var run } => JournalRefusals.RunNotWritten(run, e.MessageText, e),
                _ => new JournalConflictException($"A {write.GetType().Name} write cannot be applied: {e.MessageText} (SQLSTATE {e.SqlState}).", e),
            };
        }
        catch (Exception e) when (IsUnavailable(e) && !cancellationToken.IsCancellationRequested)
        {
            if (sent && e is not PostgresException)
            {
                _unknownOutcome.AddOrUpdate(writes, writes); // the batch may have committed before the connection went
            }
            throw Unavailable(e);
        }
        finally
        {
            if (batch is not null) await batch.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>How many journal commits were sent to the server (each one round trip): lets tests count them.</summary>
    internal int CommitsSent => Volatile.Read(ref _commitsSent);
    private int _commitsSent;

    /// <summary>How many of <see cref="CommitsSent"/> were buffered (<c>synchronous_commit</c> off for the transaction).</summary>
    internal int BufferedCommitsSent => Volatile.Read(ref _bufferedCommitsSent);
    private int _bufferedCommitsSent;

    /// <summary>The write whose statement was refused: its label ends with the write's index ("update-run:3").</summary>
    private static int WriteOf(PostgresException e, int count) =>
        e.MessageText.LastIndexOf(':') is var colon and >= 0
        && int.TryParse(e.MessageText.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index)
        && index < count
            ? index
            : throw new InvalidOperationException($"The PostgreSQL workflow store cannot tell which write was refused: '{e.MessageText}'.", e);

    /// <summary>The write whose statement failed otherwise: statement i of the batch is write i (a notification comes last).</summary>
    private static int WriteOf(NpgsqlBatch batch, NpgsqlBatchCommand command) =>
        Math.Clamp(batch.BatchCommands.IndexOf(command), 0, batch.BatchCommands.Count - 1);

    /// <summary>
    /// The commit as one batch: statement i is write i; a notification of other engines comes last when the commit frees or
    /// wakes a run. With <paramref name="fuse"/>, a commit that fuses is one statement instead (<paramref name="fused"/>).
    /// </summary>
    private NpgsqlBatch Batch(NpgsqlConnection connection, IReadOnlyList<JournalWrite> writes, CommitDurability durability, bool fuse, out bool fused)
    {
        var batch = new NpgsqlBatch(connection);
        fused = false;
        if (fuse && PostgreSqlFusedCommit.TryCreate(Sql, writes) is { } statement)
        {
            // The hot path's step commit, one statement (a fence and step writes: nothing in it frees, wakes or ends a run).
            fused = true;
            batch.BatchCommands.Add(statement);
            if (durability == CommitDurability.Buffered) batch.BatchCommands.Add(new NpgsqlBatchCommand(SynchronousCommitOff));
            return batch;
        }
        var notify = false;
        for (var index = 0; index < writes.Count; index++)
        {
            try
            {
                batch.BatchCommands.Add(Command(writes, index, ref notify));
            }
            catch (ArgumentException e) when (e is not ArgumentOutOfRangeException)
            {
                throw NotWritable(writes[index], e);
            }
        }
        if (notify)
        {
            batch.BatchCommands.Add(Notification(""));
        }
        foreach (var write in writes)
        {
            // A run's end (or parking) tells the handles waiting for it in other engines; the schedulers ignore it.
            if (write is UpdateRun { Run: var ended } && StatusTransitions.HasEnded(ended.Status))
            {
                batch.BatchCommands.Add(Notification(EndedPayload + ended.Id.ToString("D")));
            }
        }
        if (durability == CommitDurability.Buffered)
        {
            // After the writes (statement i stays write i). Local to the batch's implicit transaction, read at its commit.
            batch.BatchCommands.Add(new NpgsqlBatchCommand(SynchronousCommitOff));
        }
        return batch;
    }

    /// <summary>Write <paramref name="index"/> of a commit as its statement (statement i is write i).</summary>
    private static NpgsqlBatchCommand Command(IReadOnlyList<JournalWrite> writes, int index, ref bool notify)
    {
        var command = new NpgsqlBatchCommand();
        var p = command.Parameters;
        switch (writes[index])
        {
            case RequireClaim fence:
                // Locks the run's row until the batch commits, so that no claim can take it over in between.
                command.CommandText = $"""
                    WITH held AS (SELECT owner FROM {RunsTable} WHERE id = @id AND tenant_id = @tenant_id FOR UPDATE)
                    SELECT workflow_expect((SELECT count(*) FROM held WHERE owner = @owner), 1, 'fence:{index.ToString(System.Globalization.CultureInfo.InvariantCulture)}')
                    """;
                D.Bind(p, "id", SqlValueKind.Id, fence.RunId);
                D.Bind(p, "tenant_id", SqlValueKind.Text, fence.TenantId);
                D.Bind(p, "owner", SqlValueKind.Text, fence.Owner);
                break;
            case ReleaseClaim release:
                command.CommandText = Sql.Release;
                D.Bind(p, "id", SqlValueKind.Id, release.RunId);
                D.Bind(p, "tenant_id", SqlValueKind.Text, release.TenantId);
                D.Bind(p, "owner", SqlValueKind.Text, release.Owner);
                // A released run that is still claimable (a graceful stop) is ready for another engine, a suspended one has a
                // new due time, and an ended queued run frees room in its queue; an ended run of no queue wakes nobody.
                notify |= !EndsUnqueued(writes, release.RunId);
                break;
            case InsertStep { Step: var step }:
                command.CommandText = Expect(Sql.InsertStep, "insert-step", index);
                AddParameters(D, p, StepColumns);
                BindStep(D, p, step);
                break;
            case UpdateStep { Step: var step }:
                _ = SqlDialect.Name(step.Status, nameof(StepRecord.Status)); // an undefined status is an ArgumentOutOfRangeException, before UpdateStep indexes by it
                command.CommandText = Expect(Sql.UpdateStep(step.Status), "update-step", index);
                AddParameters(D, p, StepColumns);
                BindStep(D, p, step);
                break;
            case UpdateRun { Run: var run }:
                _ = SqlDialect.Name(run.Status, nameof(RunRecord.Status)); // as above, before UpdateRun indexes by it
                command.CommandText = Expect(Sql.UpdateRun(run.Status), "update-run", index);
                AddParameters(D, p, RunColumns);
                BindRun(D, p, run);
                break;
            case ConsumeEvent consume:
                command.CommandText = Expect(Sql.ConsumeEvent, "consume-event", index);
                D.Bind(p, "id", SqlValueKind.Id, consume.EventId);
                D.Bind(p, "run_id", SqlValueKind.Id, consume.RunId);
                D.Bind(p, "tenant_id", SqlValueKind.Text, consume.TenantId);
                D.Bind(p, "at", SqlValueKind.Timestamp, consume.At);
                D.Bind(p, "sequence", SqlValueKind.Int32, consume.Sequence);
                break;
            case WakeRun wake:
                command.CommandText = Sql.RequestWake;
                D.Bind(p, "id", SqlValueKind.Id, wake.RunId);
                D.Bind(p, "tenant_id", SqlValueKind.Text, wake.TenantId);
                D.Bind(p, "at", SqlValueKind.Instant, wake.At);
                notify = true;
                break;
        }
        return command;
    }

    /// <summary>A write with a value the database cannot hold (<paramref name="reason"/>): refused as the record's own fault, before anything is sent.</summary>
    internal static Exception NotWritable(JournalWrite write, ArgumentException reason) => write switch
    {
        InsertStep { Step: var step } => JournalRefusals.StepNotWritten(step, reason.Message, reason),
        UpdateStep { Step: var step } => JournalRefusals.StepNotWritten(step, reason.Message, reason),
        UpdateRun { Run: var run } => JournalRefusals.RunNotWritten(run, reason.Message, reason),
        _ => new JournalConflictException($"A {write.GetType().Name} write cannot be applied: {reason.Message}", reason),
    };

    /// <summary>Local to the batch's implicit transaction, read at its commit.</summary>
    private const string SynchronousCommitOff = "SELECT set_config('synchronous_commit', 'off', true)";

    /// <summary>Whether the commit ends run <paramref name="runId"/> (final or parked) and the run is on no queue.</summary>
    private static bool EndsUnqueued(IReadOnlyList<JournalWrite> writes, Guid runId)
    {
        foreach (var write in writes)
        {
            if (write is UpdateRun { Run: var run } && run.Id == runId)
            {
                return run.Queue is null && StatusTransitions.HasEnded(run.Status);
            }
        }
        return false;
    }

    /// <summary>A write that must change exactly one row: anything else raises <see cref="ExpectationFailed"/> with the label.</summary>
    private static string Expect(string write, string label, int index) =>
        $"WITH written AS ({write} RETURNING 1) SELECT workflow_expect((SELECT count(*) FROM written), 1, '{label}:{index.ToString(System.Globalization.CultureInfo.InvariantCulture)}')";

    /// <summary>Why a write was refused, read after the batch rolled back: the typed error of the contract.</summary>
    private async Task<Exception> RefusalAsync(JournalWrite write, CancellationToken cancellationToken) =>
        await UseAsync<Exception>(async (connection, ct) =>
        {
            switch (write)
            {
                case RequireClaim fence:
                {
                    await using var command = Command(connection, null, Sql.OwnerOf);
                    D.Bind(command, "id", SqlValueKind.Id, fence.RunId);
                    D.Bind(command, "tenant_id", SqlValueKind.Text, fence.TenantId);
                    var owner = await command.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
                    return new RunOwnershipLostException(fence.RunId, fence.Owner, owner);
                }
                case InsertStep { Step: var step }:
                {
                    await using var command = Command(connection, null, Sql.InsertStepProbe);
                    D.Bind(command, "run_id", SqlValueKind.Id, step.RunId);
                    D.Bind(command, "tenant_id", SqlValueKind.Text, step.TenantId);
                    D.Bind(command, "sequence", SqlValueKind.Int32, step.Sequence);
                    await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                    await reader.ReadAsync(ct).ConfigureAwait(false);
                    return JournalRefusals.StepNotInserted(step, tenantHasRun: reader.GetInt32(0) != 0, sequenceTaken: reader.GetInt32(1) != 0);
                }
                case UpdateStep { Step: var step }:
                {
                    await using var command = Command(connection, null, Sql.StepStatusProbe);
                    D.Bind(command, "id", SqlValueKind.Id, step.Id);
                    D.Bind(command, "run_id", SqlValueKind.Id, step.RunId);
                    D.Bind(command, "tenant_id", SqlValueKind.Text, step.TenantId);
                    D.Bind(command, "sequence", SqlValueKind.Int32, step.Sequence);
                    await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                    StepStatus? current = await reader.ReadAsync(ct).ConfigureAwait(false) ? new JournalRowReader(reader, D, StepsTable, 0, start: 1).Enum<StepStatus>() : null;
                    return JournalRefusals.StepNotUpdated(step, current);
                }
                case UpdateRun { Run: var run }:
                {
                    await using var command = Command(connection, null, Sql.RunStatusProbe);
                    D.Bind(command, "id", SqlValueKind.Id, run.Id);
                    D.Bind(command, "tenant_id", SqlValueKind.Text, run.TenantId);
                    await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                    RunStatus? current = await reader.ReadAsync(ct).ConfigureAwait(false) ? new JournalRowReader(reader, D, RunsTable, 0, start: 1).Enum<RunStatus>() : null;
                    return JournalRefusals.RunNotUpdated(run, current);
                }
                case ConsumeEvent consume:
                {
                    await using var command = Command(connection, null, Sql.EventOfRun);
                    D.Bind(command, "id", SqlValueKind.Id, consume.EventId);
                    D.Bind(command, "run_id", SqlValueKind.Id, consume.RunId);
                    D.Bind(command, "tenant_id", SqlValueKind.Text, consume.TenantId);
                    var stored = await ReadEventsAsync(command, ct).ConfigureAwait(false);
                    return RunEvents.ConsumeRefused(consume, stored is [var only] ? only : null);
                }
                default:
                    return new JournalConflictException($"A {write.GetType().Name} write was refused.");
            }
        }, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Whether a commit whose reply was lost was applied: its first distinctive write is found as written (a step inserted
    /// with its id, a step or run at the status and update time written, an event consumed at that sequence). A commit of
    /// fences, releases and wake-ups only changes nothing a retry would not change again, so it counts as applied.
    /// </summary>
    private async Task<bool> AppliedAsync(IReadOnlyList<JournalWrite> writes, CancellationToken cancellationToken) =>
        await UseAsync(async (connection, ct) =>
        {
            foreach (var write in writes)
            {
                switch (write)
                {
                    case InsertStep { Step: var step }:
                        return await StepAsWrittenAsync(connection, step, ct).ConfigureAwait(false);
                    case UpdateStep { Step: var step }:
                        return await StepAsWrittenAsync(connection, step, ct).ConfigureAwait(false);
                    case UpdateRun { Run: var run }:
                    {
                        await using var command = Command(connection, null, Sql.RunOfTenant);
                        D.Bind(command, "id", SqlValueKind.Id, run.Id);
                        D.Bind(command, "tenant_id", SqlValueKind.Text, run.TenantId);
                        return await ReadSingleRunAsync(command, ct).ConfigureAwait(false) is { } stored
                            && stored.Status == run.Status && stored.UpdatedAt.Equals(run.UpdatedAt) && stored.UpdatedAt.Offset == run.UpdatedAt.Offset;
                    }
                    case ConsumeEvent consume:
                    {
                        await using var command = Command(connection, null, Sql.EventOfRun);
                        D.Bind(command, "id", SqlValueKind.Id, consume.EventId);
                        D.Bind(command, "run_id", SqlValueKind.Id, consume.RunId);
                        D.Bind(command, "tenant_id", SqlValueKind.Text, consume.TenantId);
                        return await ReadEventsAsync(command, ct).ConfigureAwait(false) is [var stored] && stored.ConsumedBySequence == consume.Sequence;
                    }
                }
            }
            return true;
        }, cancellationToken).ConfigureAwait(false);

    private static async Task<bool> StepAsWrittenAsync(NpgsqlConnection connection, StepRecord step, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, null, $"SELECT {Sql.StepList} FROM {StepsTable} WHERE id = @id AND run_id = @run_id AND tenant_id = @tenant_id");
        D.Bind(command, "id", SqlValueKind.Id, step.Id);
        D.Bind(command, "run_id", SqlValueKind.Id, step.RunId);
        D.Bind(command, "tenant_id", SqlValueKind.Text, step.TenantId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return false;
        var stored = ReadStep(D, reader);
        return stored.Sequence == step.Sequence && stored.Status == step.Status && stored.Attempt == step.Attempt
            && stored.UpdatedAt.Equals(step.UpdatedAt) && stored.UpdatedAt.Offset == step.UpdatedAt.Offset;
    }
}
