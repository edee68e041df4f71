using Workflows.Storage;

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
            command.CommandText = SqliteJournalSql.DeleteEndedRuns(query.TenantId is not null);
            command.Parameters.AddWithValue("$ended_before", SqliteJournalSql.UnixTicks(query.EndedBefore));
            command.Parameters.AddWithValue("$limit", query.Limit);
            if (query.TenantId is { } tenant) command.Parameters.AddWithValue("$tenant_id", tenant);
            var deleted = new List<Guid>();
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read()) deleted.Add(Guid.ParseExact(reader.GetString(0), "D"));
            }
            deleted.Sort();
            return deleted;
        }, cancellationToken);
    }
}
