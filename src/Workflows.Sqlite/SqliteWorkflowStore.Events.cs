using Microsoft.Data.Sqlite;
using Workflows.Journal;
using Workflows.Storage;
using static Workflows.Sqlite.SqliteJournalRows;

namespace Workflows.Sqlite;

public sealed partial class SqliteWorkflowStore
{
    /// <inheritdoc />
    public ValueTask<SendEventResult> SendEventAsync(EventRecord ev, CancellationToken cancellationToken = default)
    {
        RunEvents.ValidateForSend(ev);
        return WriteAsync(transaction =>
        {
            // Read and write under the write lock: the run cannot end, and no other send take the key, in between.
            using var status = Command(transaction, SqliteJournalSql.RunStatusOf);
            status.Parameters.AddWithValue("$id", SqliteValues.Id(ev.RunId));
            status.Parameters.AddWithValue("$tenant_id", ev.TenantId);
            RunStatus runStatus;
            using (var reader = status.ExecuteReader())
            {
                if (!reader.Read())
                {
                    return new SendEventResult(SendEventOutcome.RunNotFound, null, null);
                }
                runStatus = new SqliteRow(reader, RunsTable, 0).Enum<RunStatus>(0);
            }
            if (!RunEvents.Accepts(runStatus))
            {
                return new SendEventResult(SendEventOutcome.RunEnded, null, runStatus);
            }
            if (ev.IdempotencyKey is not null)
            {
                using var byKey = Command(transaction, SqliteJournalSql.EventByKey);
                byKey.Parameters.AddWithValue("$run_id", SqliteValues.Id(ev.RunId));
                byKey.Parameters.AddWithValue("$key", ev.IdempotencyKey);
                if (ReadEvents(byKey) is [var first, ..])
                {
                    return new SendEventResult(SendEventOutcome.Duplicate, first, runStatus);
                }
            }
            using var insert = Command(transaction, SqliteJournalSql.InsertEvent);
            AddEventParameters(insert);
            BindEvent(insert, ev);
            try
            {
                insert.ExecuteNonQuery();
            }
            catch (SqliteException e) when (e.SqliteErrorCode == SQLitePCL.raw.SQLITE_CONSTRAINT)
            {
                throw new JournalConflictException($"Event {ev.Id} '{ev.Name}' for run {ev.RunId} cannot be stored: {e.Message}");
            }
            RequestWake(transaction, ev.RunId, ev.TenantId, ev.CreatedAt);
            return new SendEventResult(SendEventOutcome.Delivered, ev, runStatus);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<EventRecord>> GetEventsAsync(EventQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        return UseConnectionAsync<IReadOnlyList<EventRecord>>(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = SqliteJournalSql.Events(query.Name is not null, query.IncludeConsumed);
            command.Parameters.AddWithValue("$tenant_id", query.TenantId);
            command.Parameters.AddWithValue("$run_id", SqliteValues.Id(query.RunId));
            if (query.Name is not null) command.Parameters.AddWithValue("$name", query.Name);
            command.Parameters.AddWithValue("$limit", query.Limit);
            return ReadEvents(command);
        }, cancellationToken);
    }

    /// <summary>Sets the run's wake-up request unless it has ended or the tenant has no such run (then nothing changes).</summary>
    private static void RequestWake(SqliteTransaction transaction, Guid runId, string tenantId, DateTimeOffset at)
    {
        using var wake = Command(transaction, SqliteJournalSql.RequestWake);
        wake.Parameters.AddWithValue("$id", SqliteValues.Id(runId));
        wake.Parameters.AddWithValue("$tenant_id", tenantId);
        wake.Parameters.AddWithValue("$at", SqliteValues.UtcTimestamp(at));
        wake.ExecuteNonQuery();
    }

    /// <summary>Consumes an event inside a commit; anything but exactly one pending event of the run refuses the commit.</summary>
    private static void Consume(SqliteTransaction transaction, ConsumeEvent consume)
    {
        using var command = Command(transaction, SqliteJournalSql.ConsumeEvent);
        command.Parameters.AddWithValue("$id", SqliteValues.Id(consume.EventId));
        command.Parameters.AddWithValue("$run_id", SqliteValues.Id(consume.RunId));
        command.Parameters.AddWithValue("$tenant_id", consume.TenantId);
        command.Parameters.AddWithValue("$at", SqliteValues.Timestamp(consume.At));
        command.Parameters.AddWithValue("$sequence", consume.Sequence);
        if (command.ExecuteNonQuery() == 1)
        {
            return;
        }
        using var probe = Command(transaction, SqliteJournalSql.EventOfRun);
        probe.Parameters.AddWithValue("$id", SqliteValues.Id(consume.EventId));
        probe.Parameters.AddWithValue("$run_id", SqliteValues.Id(consume.RunId));
        probe.Parameters.AddWithValue("$tenant_id", consume.TenantId);
        throw RunEvents.ConsumeRefused(consume, ReadEvents(probe) is [var stored] ? stored : null);
    }

    private static SqliteCommand Command(SqliteTransaction transaction, string sql)
    {
        var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }
}
