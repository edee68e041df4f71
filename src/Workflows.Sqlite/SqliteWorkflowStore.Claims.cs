using Microsoft.Data.Sqlite;
using Workflows.Journal;
using Workflows.Storage;
using Workflows.Storage.Sql;
using static Workflows.Storage.Sql.JournalRows;

namespace Workflows.Sqlite;

public sealed partial class SqliteWorkflowStore
{
    private SqliteCommand? _claimById;

    /// <inheritdoc />
    public ValueTask<RunRecord?> ClaimRunAsync(RunClaim claim, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(claim);
        return WriteAsync(transaction =>
        {
            Announce(claim.Owner);
            LapseGoneOwners(transaction, claim.Now);
            var command = _claimById!;
            command.Transaction = transaction;
            var p = command.Parameters;
            var i = 0;
            D.SetId(p, ref i, claim.RunId);
            D.SetText(p, ref i, claim.TenantId);
            D.SetText(p, ref i, claim.Owner);
            D.SetTimestamp(p, ref i, claim.Now, instant: true);
            D.SetTimestamp(p, ref i, claim.LeaseExpiresAt, instant: true);
            return ReadSingleRun(command);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<RunRecord>> ClaimReadyRunsAsync(ReadyRunsClaim claim, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(claim);
        if (claim.Limit <= 0 || claim.Workflows.Count == 0)
        {
            return [];
        }
        return await WriteAsync<IReadOnlyList<RunRecord>>(transaction =>
        {
            Announce(claim.Owner);
            LapseGoneOwners(transaction, claim.Now);
            using var command = transaction.Connection!.CreateCommand();
            command.Transaction = transaction;
            Sql.PrepareClaim(command, claim, claim.Limit, queue: null);
            var unreadable = new List<(Guid Id, JournalCorruptException Error)>();
            List<RunRecord> runs;
            using (var reader = command.ExecuteReader())
            {
                runs = ReadClaimed(D, reader, unreadable);
            }
            // Then the served queues, each within its room (the write lock this transaction holds serializes the counts).
            foreach (var queue in claim.Queues.OrderBy(q => q.Name, StringComparer.Ordinal))
            {
                if (runs.Count >= claim.Limit) break;
                using var count = transaction.Connection!.CreateCommand();
                count.Transaction = transaction;
                Sql.PrepareQueueCount(count, claim, queue.Name);
                int room;
                using (var reader = count.ExecuteReader())
                {
                    reader.Read();
                    room = Math.Min(claim.Limit - runs.Count, queue.Room(reader.GetInt32(0), reader.GetInt32(1)));
                }
                if (room <= 0) continue;
                using var take = transaction.Connection!.CreateCommand();
                take.Transaction = transaction;
                Sql.PrepareClaim(take, claim, room, queue.Name);
                using var claimed = take.ExecuteReader();
                runs.AddRange(ReadClaimed(D, claimed, unreadable));
            }
            runs.Sort((a, b) => a.Id.CompareTo(b.Id));
            foreach (var (id, error) in unreadable)
            {
                using var park = transaction.Connection!.CreateCommand();
                park.Transaction = transaction;
                Sql.PrepareParkUnreadable(park, id, claim.Now, error);
                park.ExecuteNonQuery();
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
        // SQLite takes at most 32766 parameters per statement: renew in chunks.
        foreach (var chunk in renewal.RunIds.Chunk(500))
        {
            states.AddRange(await WriteAsync(transaction =>
            {
                using var renew = transaction.Connection!.CreateCommand();
                renew.Transaction = transaction;
                renew.CommandText = Sql.Renew(chunk.Length);
                AddRunIds(renew, chunk);
                D.Bind(renew, "owner", SqlValueKind.Text, renewal.Owner);
                D.Bind(renew, "lease", SqlValueKind.Instant, renewal.LeaseExpiresAt);
                renew.ExecuteNonQuery();

                using var read = transaction.Connection!.CreateCommand();
                read.Transaction = transaction;
                read.CommandText = Sql.ClaimStates(chunk.Length);
                AddRunIds(read, chunk);
                var found = new Dictionary<Guid, ClaimState>();
                using (var reader = read.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        var state = ReadClaimState(D, reader, renewal.Owner);
                        found[state.RunId] = state;
                    }
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
        return await UseConnectionAsync<DateTimeOffset?>(connection =>
        {
            using var command = connection.CreateCommand();
            Sql.PrepareNextDue(command, workflows, now, tenants);
            using var reader = command.ExecuteReader();
            if (!reader.Read() || reader.IsDBNull(0))
            {
                return null;
            }
            if (reader.GetString(0) == "0001")
            {
                return DateTimeOffset.MinValue;
            }
            return new JournalRowReader(reader, D, RunsTable).Timestamp();
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<CancelResult> RequestCancelAsync(CancelRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return WriteAsync(transaction =>
        {
            // Read and write under the write lock: no engine can claim the run between the two.
            var get = _getRun!;
            get.Transaction = transaction;
            var i = 0;
            D.SetId(get.Parameters, ref i, request.RunId);
            D.SetText(get.Parameters, ref i, request.TenantId);
            RunRecord? run;
            try
            {
                run = ReadSingleRun(get);
            }
            finally
            {
                get.Transaction = null;
            }
            if (run is null)
            {
                return new CancelResult(CancelOutcome.NotFound, null);
            }
            if (StatusTransitions.IsFinal(run.Status))
            {
                return new CancelResult(CancelOutcome.AlreadyEnded, run);
            }
            using var command = transaction.Connection!.CreateCommand();
            command.Transaction = transaction;
            D.Bind(command, "id", SqlValueKind.Id, run.Id);
            D.Bind(command, "tenant_id", SqlValueKind.Text, run.TenantId);
            D.Bind(command, "now", SqlValueKind.Instant, request.Now);
            D.Bind(command, "reason", SqlValueKind.Text, request.Reason);
            if (RunCancellation.IsHeld(run, request.Now))
            {
                command.CommandText = Sql.RecordCancelRequest;
                command.ExecuteNonQuery();
                return new CancelResult(CancelOutcome.Requested, run with { CancelRequestedAt = request.Now, CancelReason = request.Reason });
            }
            var cancelled = RunCancellation.Cancelled(run, request);
            command.CommandText = Sql.CancelUnheld;
            D.Bind(command, "status", SqlValueKind.Text, SqlDialect.Name(run.Status, nameof(RunRecord.Status)));
            D.Bind(command, "error", SqlValueKind.Text, Json(cancelled.Error));
            command.ExecuteNonQuery();
            command.CommandText = Sql.CutShortSteps;
            command.ExecuteNonQuery();
            return new CancelResult(CancelOutcome.Cancelled, cancelled);
        }, cancellationToken);
    }

    private void Announce(string owner) => _presence?.Announce(owner);

    /// <summary>The claims of owners whose process is gone lapse now: their runs are ready at once (see <see cref="SqliteOwnerPresence"/>).</summary>
    private void LapseGoneOwners(SqliteTransaction transaction, DateTimeOffset now)
    {
        if (_presence?.TakeGoneOwners() is not { Count: > 0 } gone) return;
        using var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"UPDATE {RunsTable} SET lease_expires_at = @now WHERE owner = @owner AND (lease_expires_at IS NULL OR lease_expires_at > @now)";
        D.Bind(command, "now", SqlValueKind.Instant, now);
        var ownerParameter = command.Parameters.Add("@owner", SqliteType.Text);
        foreach (var owner in gone)
        {
            ownerParameter.Value = owner;
            command.ExecuteNonQuery();
        }
    }

    private static void AddRunIds(SqliteCommand command, Guid[] runIds)
    {
        for (var i = 0; i < runIds.Length; i++)
        {
            D.Bind(command, "r" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), SqlValueKind.Id, runIds[i]);
        }
    }

    private void PrepareClaims(SqliteConnection connection)
    {
        _claimById = Prepare(connection, Sql.ClaimById, Parameters(("id", SqlValueKind.Id), ("tenant_id", SqlValueKind.Text),
            ("owner", SqlValueKind.Text), ("now", SqlValueKind.Instant), ("lease", SqlValueKind.Instant)));
    }
}
