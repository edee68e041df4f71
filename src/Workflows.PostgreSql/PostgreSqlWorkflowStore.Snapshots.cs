using Workflows.Journal;
using Workflows.Storage;
using Workflows.Storage.Sql;
using static Workflows.Storage.Sql.JournalRows;

namespace Workflows.PostgreSql;

public sealed partial class PostgreSqlWorkflowStore
{
    /// <inheritdoc />
    /// <remarks>
    /// One statement, one round trip: the fence locks the run row (a takeover waits for the put, as for a journal commit) and
    /// the upsert replaces the run's snapshot. Only a refusal costs a second round trip, to say why.
    /// </remarks>
    public ValueTask PutSnapshotAsync(SnapshotRecord snapshot, string owner, CancellationToken cancellationToken = default)
    {
        RunSnapshots.ValidateForPut(snapshot, owner);
        return new ValueTask(UseAsync(async (connection, ct) =>
        {
            await using (var put = Command(connection, null, Sql.PutSnapshot))
            {
                BindSnapshot(D, put.Parameters, snapshot);
                D.Bind(put, "owner", SqlValueKind.Text, owner);
                if (await put.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1)
                {
                    return true;
                }
            }
            await using var probe = Command(connection, null, Sql.SnapshotProbe);
            D.Bind(probe, "run_id", SqlValueKind.Id, snapshot.RunId);
            D.Bind(probe, "tenant_id", SqlValueKind.Text, snapshot.TenantId);
            D.Bind(probe, "sequence", SqlValueKind.Int32, snapshot.Sequence);
            await using var reader = await probe.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await reader.ReadAsync(ct).ConfigureAwait(false);
            throw RunSnapshots.PutRefused(snapshot, owner, reader.GetInt32(0) == 1, reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt32(2) == 1);
        }, cancellationToken).AsTask());
    }

    /// <inheritdoc />
    public ValueTask<SnapshotRecord?> GetSnapshotAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        return UseAsync(async (connection, ct) =>
        {
            await using var command = Command(connection, null, Sql.SnapshotOfRun);
            D.Bind(command, "run_id", SqlValueKind.Id, runId);
            D.Bind(command, "tenant_id", SqlValueKind.Text, tenantId);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            return await reader.ReadAsync(ct).ConfigureAwait(false) ? ReadSnapshot(D, reader) : null;
        }, cancellationToken);
    }
}
