using Microsoft.Data.Sqlite;
using Workflows.Journal;
using Workflows.Storage;
using static Workflows.Sqlite.SqliteJournalRows;

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
            p[0].Value = SqliteValues.Id(claim.RunId);
            p[1].Value = claim.TenantId;
            p[2].Value = claim.Owner;
            p[3].Value = SqliteValues.UtcTimestamp(claim.Now);
            p[4].Value = SqliteValues.UtcTimestamp(claim.LeaseExpiresAt);
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
            command.CommandText = SqliteJournalSql.ClaimReady(claim.Workflows.Count, claim.Tenants?.Count ?? -1);
            AddWorkflows(command, claim.Workflows);
            AddTenants(command, claim.Tenants);
            command.Parameters.AddWithValue("$owner", claim.Owner);
            command.Parameters.AddWithValue("$now", SqliteValues.UtcTimestamp(claim.Now));
            command.Parameters.AddWithValue("$lease", SqliteValues.UtcTimestamp(claim.LeaseExpiresAt));
            command.Parameters.AddWithValue("$limit", claim.Limit);
            var ids = new List<string>();
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read()) ids.Add(reader.GetString(0));
            }
            ids.Sort(StringComparer.Ordinal); // RETURNING gives no order; the contract's is id order (lower-case "D" text sorts like the ids)
            // Each claimed row is read on its own: one that cannot be read is parked with the reason, not handed out,
            // and does not stop the others from being claimed.
            var runs = new List<RunRecord>(ids.Count);
            var select = _selectRunById!;
            select.Transaction = transaction;
            try
            {
                foreach (var id in ids)
                {
                    select.Parameters[0].Value = id;
                    try
                    {
                        if (ReadSingleRun(select) is { } run) runs.Add(run);
                    }
                    catch (JournalCorruptException e)
                    {
                        using var park = transaction.Connection!.CreateCommand();
                        park.Transaction = transaction;
                        park.CommandText = SqliteJournalSql.ParkUnreadable;
                        park.Parameters.AddWithValue("$id", id);
                        park.Parameters.AddWithValue("$now", SqliteValues.UtcTimestamp(claim.Now));
                        park.Parameters.AddWithValue("$error", SqliteValues.Error(ErrorInfo.From(ErrorKind.Serialization, e)));
                        park.ExecuteNonQuery();
                    }
                }
            }
            finally
            {
                select.Transaction = null;
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
                renew.CommandText = SqliteJournalSql.Renew(chunk.Length);
                AddRunIds(renew, chunk);
                renew.Parameters.AddWithValue("$owner", renewal.Owner);
                renew.Parameters.AddWithValue("$lease", SqliteValues.UtcTimestamp(renewal.LeaseExpiresAt));
                renew.ExecuteNonQuery();

                using var read = transaction.Connection!.CreateCommand();
                read.Transaction = transaction;
                read.CommandText = SqliteJournalSql.ClaimStates(chunk.Length);
                AddRunIds(read, chunk);
                var found = new Dictionary<Guid, ClaimState>();
                using (var reader = read.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        var row = new SqliteRow(reader, RunsTable, 0);
                        var id = row.Id(0);
                        var owner = row.Text(1);
                        found[id] = new ClaimState(id, owner == renewal.Owner, owner, row.NullableTimestamp(2), row.Text(3));
                    }
                }
                return chunk.Select(id => found.TryGetValue(id, out var state) ? state : new ClaimState(id, false, null, null, null)).ToList();
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
            command.CommandText = SqliteJournalSql.NextDue(workflows.Count, tenants?.Count ?? -1);
            AddWorkflows(command, workflows);
            AddTenants(command, tenants);
            using var reader = command.ExecuteReader();
            if (!reader.Read() || reader.IsDBNull(0))
            {
                return null;
            }
            if (reader.GetString(0) == "0001")
            {
                return DateTimeOffset.MinValue;
            }
            return new SqliteRow(reader, RunsTable, 0).Timestamp(0);
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
            get.Parameters[0].Value = SqliteValues.Id(request.RunId);
            get.Parameters[1].Value = request.TenantId;
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
            command.Parameters.AddWithValue("$id", SqliteValues.Id(run.Id));
            command.Parameters.AddWithValue("$tenant_id", run.TenantId);
            command.Parameters.AddWithValue("$now", SqliteValues.UtcTimestamp(request.Now));
            command.Parameters.AddWithValue("$reason", request.Reason);
            if (RunCancellation.IsHeld(run, request.Now))
            {
                command.CommandText = SqliteJournalSql.RecordCancelRequest;
                command.ExecuteNonQuery();
                return new CancelResult(CancelOutcome.Requested, run with { CancelRequestedAt = request.Now, CancelReason = request.Reason });
            }
            var cancelled = RunCancellation.Cancelled(run, request);
            command.CommandText = SqliteJournalSql.CancelUnheld;
            command.Parameters.AddWithValue("$status", SqliteValues.Name(run.Status, nameof(RunRecord.Status)));
            command.Parameters.AddWithValue("$error", SqliteValues.Error(cancelled.Error));
            command.ExecuteNonQuery();
            command.CommandText = SqliteJournalSql.CutShortSteps;
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
        command.CommandText = $"UPDATE {RunsTable} SET lease_expires_at = $now WHERE owner = $owner AND (lease_expires_at IS NULL OR lease_expires_at > $now)";
        var nowParameter = command.Parameters.AddWithValue("$now", SqliteValues.UtcTimestamp(now));
        var ownerParameter = command.Parameters.Add("$owner", SqliteType.Text);
        foreach (var owner in gone)
        {
            ownerParameter.Value = owner;
            command.ExecuteNonQuery();
        }
    }

    private static void AddTenants(SqliteCommand command, IReadOnlyCollection<string>? tenants)
    {
        var i = 0;
        foreach (var tenant in tenants ?? [])
        {
            command.Parameters.AddWithValue("$t" + i++.ToString(System.Globalization.CultureInfo.InvariantCulture), tenant);
        }
    }

    private static void AddWorkflows(SqliteCommand command, IReadOnlyCollection<string> workflows)
    {
        var i = 0;
        foreach (var workflow in workflows)
        {
            command.Parameters.AddWithValue("$w" + i++.ToString(System.Globalization.CultureInfo.InvariantCulture), workflow);
        }
    }

    private static void AddRunIds(SqliteCommand command, Guid[] runIds)
    {
        for (var i = 0; i < runIds.Length; i++)
        {
            command.Parameters.AddWithValue("$r" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), SqliteValues.Id(runIds[i]));
        }
    }

    private void PrepareClaims(SqliteConnection connection)
    {
        _claimById = Prepare(connection, SqliteJournalSql.ClaimById, c =>
        {
            c.Parameters.Add("$id", SqliteType.Text);
            c.Parameters.Add("$tenant_id", SqliteType.Text);
            c.Parameters.Add("$owner", SqliteType.Text);
            c.Parameters.Add("$now", SqliteType.Text);
            c.Parameters.Add("$lease", SqliteType.Text);
        });
    }
}
