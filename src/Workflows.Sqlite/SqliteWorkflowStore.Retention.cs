using Workflows.Storage;
using Workflows.Storage.Sql;
using static Workflows.Storage.Sql.JournalRows;

namespace Workflows.Sqlite;

public sealed partial class SqliteWorkflowStore
{
    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Guid>> DeleteEndedRunsAsync(RetentionQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        return WriteAsync<IReadOnlyList<Guid>>(transaction =>
        {
            using var command = transaction.Connection!.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = Sql.DeleteEndedRuns(query.TenantId is not null);
            D.Bind(command, "ended_before", SqlValueKind.Int64, D.InstantParameter(query.EndedBefore));
            D.Bind(command, "limit", SqlValueKind.Int32, query.Limit);
            if (query.TenantId is { } tenant) D.Bind(command, "tenant_id", SqlValueKind.Text, tenant);
            var deleted = new List<Guid>();
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read()) deleted.Add(new JournalRowReader(reader, D, RunsTable).Id());
            }
            deleted.Sort();
            return deleted;
        }, cancellationToken);
    }
}
