using Microsoft.Data.Sqlite;
using Workflows.Journal;
using Workflows.Storage;
using Workflows.Storage.Sql;
using static Workflows.Storage.Sql.JournalRows;

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
            using var status = Command(transaction, JournalStatements.RunStatusOf);
            D.Bind(status, "id", SqlValueKind.Id, ev.RunId);
            D.Bind(status, "tenant_id", SqlValueKind.Text, ev.TenantId);
            RunStatus runStatus;
            using (var reader = status.ExecuteReader())
            {
                if (!reader.Read())
                {
                    return new SendEventResult(SendEventOutcome.RunNotFound, null, null);
                }
                runStatus = new JournalRowReader(reader, D, RunsTable).Enum<RunStatus>();
            }
            if (!RunEvents.Accepts(runStatus))
            {
                return new SendEventResult(SendEventOutcome.RunEnded, null, runStatus);
            }
            if (ev.IdempotencyKey is not null)
            {
                using var byKey = Command(transaction, Sql.EventByKey);
                D.Bind(byKey, "run_id", SqlValueKind.Id, ev.RunId);
                D.Bind(byKey, "key", SqlValueKind.Text, ev.IdempotencyKey);
                if (ReadEvents(byKey) is [var first, ..])
                {
                    return new SendEventResult(SendEventOutcome.Duplicate, first, runStatus);
                }
            }
            using var insert = Command(transaction, Sql.InsertEvent);
            AddParameters(D, insert, EventColumns);
            BindEvent(D, insert.Parameters, ev);
            try
            {
                insert.ExecuteNonQuery();
            }
            catch (SqliteException e) when (e.SqliteErrorCode == SQLitePCL.raw.SQLITE_CONSTRAINT)
            {
                throw JournalRefusals.EventNotStored(ev, e.Message, e);
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
            command.CommandText = Sql.Events(query.Name is not null, query.IncludeConsumed);
            D.Bind(command, "tenant_id", SqlValueKind.Text, query.TenantId);
            D.Bind(command, "run_id", SqlValueKind.Id, query.RunId);
            if (query.Name is not null) D.Bind(command, "name", SqlValueKind.Text, query.Name);
            D.Bind(command, "limit", SqlValueKind.Int32, query.Limit);
            return ReadEvents(command);
        }, cancellationToken);
    }

    /// <summary>Sets the run's wake-up request unless it has ended or the tenant has no such run (then nothing changes).</summary>
    private static void RequestWake(SqliteTransaction transaction, Guid runId, string tenantId, DateTimeOffset at)
    {
        using var wake = Command(transaction, Sql.RequestWake);
        D.Bind(wake, "id", SqlValueKind.Id, runId);
        D.Bind(wake, "tenant_id", SqlValueKind.Text, tenantId);
        D.Bind(wake, "at", SqlValueKind.Instant, at);
        wake.ExecuteNonQuery();
    }

    /// <summary>Consumes an event inside a commit; anything but exactly one pending event of the run refuses the commit.</summary>
    private static void Consume(SqliteTransaction transaction, ConsumeEvent consume)
    {
        using var command = Command(transaction, Sql.ConsumeEvent);
        D.Bind(command, "id", SqlValueKind.Id, consume.EventId);
        D.Bind(command, "run_id", SqlValueKind.Id, consume.RunId);
        D.Bind(command, "tenant_id", SqlValueKind.Text, consume.TenantId);
        D.Bind(command, "at", SqlValueKind.Timestamp, consume.At);
        D.Bind(command, "sequence", SqlValueKind.Int32, consume.Sequence);
        if (command.ExecuteNonQuery() == 1)
        {
            return;
        }
        using var probe = Command(transaction, Sql.EventOfRun);
        D.Bind(probe, "id", SqlValueKind.Id, consume.EventId);
        D.Bind(probe, "run_id", SqlValueKind.Id, consume.RunId);
        D.Bind(probe, "tenant_id", SqlValueKind.Text, consume.TenantId);
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
