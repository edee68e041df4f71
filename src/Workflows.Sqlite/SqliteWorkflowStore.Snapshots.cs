using Workflows.Journal;
using Workflows.Storage;
using Workflows.Storage.Sql;
using static Workflows.Storage.Sql.JournalRows;

namespace Workflows.Sqlite;

public sealed partial class SqliteWorkflowStore
{
    /// <inheritdoc />
    public ValueTask PutSnapshotAsync(SnapshotRecord snapshot, string owner, CancellationToken cancellationToken = default)
    {
        RunSnapshots.ValidateForPut(snapshot, owner);
        return new ValueTask(WriteAsync(transaction =>
        {
            // Under the write lock: the claim cannot change between the fence and the write, nor while the refusal is probed.
            using var put = Command(transaction, Sql.PutSnapshot);
            BindSnapshot(D, put.Parameters, snapshot);
            D.Bind(put, "owner", SqlValueKind.Text, owner);
            if (put.ExecuteNonQuery() == 1)
            {
                return true;
            }
            using var probe = Command(transaction, Sql.SnapshotProbe);
            D.Bind(probe, "run_id", SqlValueKind.Id, snapshot.RunId);
            D.Bind(probe, "tenant_id", SqlValueKind.Text, snapshot.TenantId);
            D.Bind(probe, "sequence", SqlValueKind.Int32, snapshot.Sequence);
            using var reader = probe.ExecuteReader();
            reader.Read();
            throw RunSnapshots.PutRefused(snapshot, owner, reader.GetInt64(0) == 1, reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt64(2) == 1);
        }, cancellationToken).AsTask());
    }

    /// <inheritdoc />
    public ValueTask<SnapshotRecord?> GetSnapshotAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        return UseConnectionAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = Sql.SnapshotOfRun;
            D.Bind(command, "run_id", SqlValueKind.Id, runId);
            D.Bind(command, "tenant_id", SqlValueKind.Text, tenantId);
            using var reader = command.ExecuteReader();
            return reader.Read() ? ReadSnapshot(D, reader) : null;
        }, cancellationToken);
    }
}
