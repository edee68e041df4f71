using Npgsql;
using Workflows.Journal;
using Workflows.Storage;
using Workflows.Storage.Sql;
using static Workflows.Storage.Sql.JournalRows;

namespace Workflows.PostgreSql;

public sealed partial class PostgreSqlWorkflowStore
{
    /// <inheritdoc />
    public ValueTask<RunRecord?> ClaimRunAsync(RunClaim claim, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(claim);
        return UseAsync(async (connection, ct) =>
        {
            await using var command = Command(connection, null, Sql.ClaimById);
            D.Bind(command, "id", SqlValueKind.Id, claim.RunId);
            D.Bind(command, "tenant_id", SqlValueKind.Text, claim.TenantId);
            D.Bind(command, "owner", SqlValueKind.Text, claim.Owner);
            D.Bind(command, "now", SqlValueKind.Instant, claim.Now);
            D.Bind(command, "lease", SqlValueKind.Instant, claim.LeaseExpiresAt);
            return await ReadSingleRunAsync(command, ct).ConfigureAwait(false);
        }, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>Rows another worker's claim has locked are skipped, not waited for: concurrent claims take different runs.</remarks>
    public async ValueTask<IReadOnlyList<RunRecord>> ClaimReadyRunsAsync(ReadyRunsClaim claim, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(claim);
        if (claim.Limit <= 0 || claim.Workflows.Count == 0)
        {
            return [];
        }
        return await InTransactionAsync<IReadOnlyList<RunRecord>>(async (connection, transaction, ct) =>
        {
            await using var command = new NpgsqlCommand(null, connection, transaction);
            Sql.PrepareClaim(command, claim, claim.Limit, queue: null);
            var unreadable = new List<(Guid Id, JournalCorruptException Error)>();
            List<RunRecord> runs;
            await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                runs = ReadClaimed(D, reader, unreadable);
            }
            // Then the served queues, each within its room. The count and the claim of a queue run under a transaction-scoped
            // advisory lock of the queue, so that two workers counting at once cannot both fill the same room; queues are
            // locked in name order, so that claims never deadlock.
            foreach (var queue in claim.Queues.OrderBy(q => q.Name, StringComparer.Ordinal))
            {
                if (runs.Count >= claim.Limit) break;
                await using (var lockQueue = Command(connection, transaction, "SELECT pg_advisory_xact_lock(@key)"))
                {
                    D.Bind(lockQueue, "key", SqlValueKind.Int64, PostgreSqlSchema.LockKey(Schema + " queue " + queue.Name));
                    await lockQueue.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }
                int room;
                await using (var count = new NpgsqlCommand(null, connection, transaction))
                {
                    Sql.PrepareQueueCount(count, claim, queue.Name);
                    await using var reader = await count.ExecuteReaderAsync(ct).ConfigureAwait(false);
                    await reader.ReadAsync(ct).ConfigureAwait(false);
                    room = Math.Min(claim.Limit - runs.Count, queue.Room(
                        Convert.ToInt32(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture),
                        Convert.ToInt32(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture)));
                }
                if (room <= 0) continue;
                await using var take = new NpgsqlCommand(null, connection, transaction);
                Sql.PrepareClaim(take, claim, room, queue.Name);
                await using var claimed = await take.ExecuteReaderAsync(ct).ConfigureAwait(false);
                runs.AddRange(ReadClaimed(D, claimed, unreadable));
            }
            runs.Sort((a, b) => a.Id.CompareTo(b.Id));
            foreach (var (id, error) in unreadable)
            {
                await using var park = new NpgsqlCommand(null, connection, transaction);
                Sql.PrepareParkUnreadable(park, id, claim.Now, error);
                await park.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            return runs;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<ClaimState>> RenewClaimsAsync(ClaimRenewal renewal, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(renewal);
        if (renewal.RunIds.Count == 0)
        {
            return [];
        }
        var states = new List<ClaimState>(renewal.RunIds.Count);
        foreach (var chunk in renewal.RunIds.Chunk(1000))
        {
            states.AddRange(await UseAsync(async (connection, ct) =>
            {
                // One round trip: the renewal and the read of what it found, in one implicit transaction.
                await using var batch = new NpgsqlBatch(connection);
                var renew = new NpgsqlBatchCommand(Sql.Renew(chunk.Length));
                AddIds(renew.Parameters, chunk);
                D.Bind(renew.Parameters, "owner", SqlValueKind.Text, renewal.Owner);
                D.Bind(renew.Parameters, "lease", SqlValueKind.Instant, renewal.LeaseExpiresAt);
                var read = new NpgsqlBatchCommand(Sql.ClaimStates(chunk.Length));
                AddIds(read.Parameters, chunk);
                batch.BatchCommands.Add(renew);
                batch.BatchCommands.Add(read);
                var found = new Dictionary<Guid, ClaimState>();
                await using (var reader = await batch.ExecuteReaderAsync(ct).ConfigureAwait(false))
                {
                    // The renewal returns no rows; the read's are the only ones, wherever the reader starts.
                    do
                    {
                        while (await reader.ReadAsync(ct).ConfigureAwait(false))
                        {
                            var state = ReadClaimState(D, reader, renewal.Owner);
                            found[state.RunId] = state;
                        }
                    }
                    while (await reader.NextResultAsync(ct).ConfigureAwait(false));
                }
                return InRenewalOrder(chunk, found);
            }, cancellationToken).ConfigureAwait(false));
        }
        return states;
    }

    /// <inheritdoc />
    public async ValueTask<DateTimeOffset?> GetNextDueAsync(IReadOnlyCollection<string> workflows, DateTimeOffset now, IReadOnlyCollection<string>? tenants = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflows);
        if (workflows.Count == 0)
        {
            return null;
        }
        return await UseAsync<DateTimeOffset?>(async (connection, ct) =>
        {
            await using var command = new NpgsqlCommand(null, connection);
            Sql.PrepareNextDue(command, workflows, now, tenants);
            var due = await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
            return due is long ticks ? (ticks <= 0 ? DateTimeOffset.MinValue : new DateTimeOffset(ticks, TimeSpan.Zero)) : null;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<CancelResult> RequestCancelAsync(CancelRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return InTransactionAsync(async (connection, transaction, ct) =>
        {
            // The run's row is locked from the read to the commit: no engine can claim it in between.
            RunRecord? run;
            await using (var get = Command(connection, transaction, Sql.RunOfTenant + " FOR UPDATE"))
            {
                D.Bind(get, "id", SqlValueKind.Id, request.RunId);
                D.Bind(get, "tenant_id", SqlValueKind.Text, request.TenantId);
                run = await ReadSingleRunAsync(get, ct).ConfigureAwait(false);
            }
            if (run is null)
            {
                return new CancelResult(CancelOutcome.NotFound, null);
            }
            if (StatusTransitions.IsFinal(run.Status))
            {
                return new CancelResult(CancelOutcome.AlreadyEnded, run);
            }
            if (RunCancellation.IsHeld(run, request.Now))
            {
                await using var record = Command(connection, transaction, Sql.RecordCancelRequest);
                BindCancel(record, run, request);
                await record.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                return new CancelResult(CancelOutcome.Requested, run with { CancelRequestedAt = request.Now, CancelReason = request.Reason });
            }
            var cancelled = RunCancellation.Cancelled(run, request);
            await using (var cancel = Command(connection, transaction, Sql.CancelUnheld))
            {
                BindCancel(cancel, run, request);
                D.Bind(cancel, "status", SqlValueKind.Text, SqlDialect.Name(run.Status, nameof(RunRecord.Status)));
                D.Bind(cancel, "error", SqlValueKind.Text, Json(cancelled.Error));
                await cancel.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await using (var steps = Command(connection, transaction, Sql.CutShortSteps))
            {
                BindCancel(steps, run, request);
                D.Bind(steps, "error", SqlValueKind.Text, Json(cancelled.Error));
                await steps.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            return new CancelResult(CancelOutcome.Cancelled, cancelled);
        }, cancellationToken);
    }

    private static void BindCancel(NpgsqlCommand command, RunRecord run, CancelRequest request)
    {
        D.Bind(command, "id", SqlValueKind.Id, run.Id);
        D.Bind(command, "tenant_id", SqlValueKind.Text, run.TenantId);
        D.Bind(command, "now", SqlValueKind.Instant, request.Now);
        D.Bind(command, "reason", SqlValueKind.Text, request.Reason);
    }

    /// <inheritdoc />
    public ValueTask<SendEventResult> SendEventAsync(EventRecord ev, CancellationToken cancellationToken = default)
    {
        RunEvents.ValidateForSend(ev);
        return InTransactionAsync(async (connection, transaction, ct) =>
        {
            // The run's row is locked from the read to the commit: it cannot end, and no other send to it take the key, in between.
            RunStatus status;
            await using (var get = Command(connection, transaction, JournalStatements.RunStatusOf + " FOR UPDATE"))
            {
                D.Bind(get, "id", SqlValueKind.Id, ev.RunId);
                D.Bind(get, "tenant_id", SqlValueKind.Text, ev.TenantId);
                await using var reader = await get.ExecuteReaderAsync(ct).ConfigureAwait(false);
                if (!await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    return new SendEventResult(SendEventOutcome.RunNotFound, null, null);
                }
                status = new JournalRowReader(reader, D, RunsTable).Enum<RunStatus>();
            }
            if (!RunEvents.Accepts(status))
            {
                return new SendEventResult(SendEventOutcome.RunEnded, null, status);
            }
            if (ev.IdempotencyKey is not null)
            {
                await using var byKey = Command(connection, transaction, Sql.EventByKey);
                D.Bind(byKey, "run_id", SqlValueKind.Id, ev.RunId);
                D.Bind(byKey, "key", SqlValueKind.Text, ev.IdempotencyKey);
                if (await ReadEventsAsync(byKey, ct).ConfigureAwait(false) is [var first, ..])
                {
                    return new SendEventResult(SendEventOutcome.Duplicate, first, status);
                }
            }
            await using (var insert = Command(connection, transaction, Sql.InsertEvent))
            {
                AddParameters(D, insert, EventColumns);
                BindEvent(D, insert.Parameters, ev);
                try
                {
                    await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }
                catch (PostgresException e) when (e.SqlState.StartsWith("23", StringComparison.Ordinal) || e.SqlState.StartsWith("22", StringComparison.Ordinal))
                {
                    throw JournalRefusals.EventNotStored(ev, e.MessageText, e);
                }
            }
            await using (var wake = Command(connection, transaction, Sql.RequestWake))
            {
                D.Bind(wake, "id", SqlValueKind.Id, ev.RunId);
                D.Bind(wake, "tenant_id", SqlValueKind.Text, ev.TenantId);
                D.Bind(wake, "at", SqlValueKind.Instant, ev.CreatedAt);
                await wake.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await NotifyAsync(connection, transaction, null, ct).ConfigureAwait(false);
            return new SendEventResult(SendEventOutcome.Delivered, ev, status);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Guid>> DeleteEndedRunsAsync(RetentionQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        return UseAsync<IReadOnlyList<Guid>>(async (connection, ct) =>
        {
            await using var command = Command(connection, null, Sql.DeleteEndedRuns(query.TenantId is not null));
            D.Bind(command, "ended_before", SqlValueKind.Int64, D.InstantParameter(query.EndedBefore));
            D.Bind(command, "limit", SqlValueKind.Int32, query.Limit);
            if (query.TenantId is { } tenant) D.Bind(command, "tenant_id", SqlValueKind.Text, tenant);
            var deleted = new List<Guid>();
            await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false)) deleted.Add(new JournalRowReader(reader, D, RunsTable).Id());
            }
            deleted.Sort();
            return deleted;
        }, cancellationToken);
    }

    private static void AddIds(NpgsqlParameterCollection parameters, Guid[] ids)
    {
        for (var i = 0; i < ids.Length; i++)
        {
            D.Bind(parameters, "r" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), SqlValueKind.Id, ids[i]);
        }
    }
}
