using Workflows.Journal;
using Workflows.Storage;
using Workflows.Storage.Sql;
using static Workflows.Storage.Sql.JournalRows;

namespace Workflows.PostgreSql;

public sealed partial class PostgreSqlWorkflowStore
{
    /// <inheritdoc />
    public ValueTask<RunRecord?> GetRunAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        return UseAsync(async (connection, ct) =>
        {
            await using var command = Command(connection, null, Sql.RunOfTenant);
            D.Bind(command, "id", SqlValueKind.Id, runId);
            D.Bind(command, "tenant_id", SqlValueKind.Text, tenantId);
            return await ReadSingleRunAsync(command, ct).ConfigureAwait(false);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StepRecord>> GetStepsAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        return UseAsync<IReadOnlyList<StepRecord>>(async (connection, ct) =>
        {
            await using var command = Command(connection, null, Sql.StepsOfRun);
            D.Bind(command, "run_id", SqlValueKind.Id, runId);
            D.Bind(command, "tenant_id", SqlValueKind.Text, tenantId);
            var steps = new List<StepRecord>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false)) steps.Add(ReadStep(D, reader));
            return steps;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StepRecord>> GetReplayStepsAsync(string tenantId, Guid runId, int afterSequence = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        return UseAsync<IReadOnlyList<StepRecord>>(async (connection, ct) =>
        {
            await using var command = Command(connection, null, afterSequence == 0 ? Sql.ReplayStepsOfRun : Sql.ReplayStepsAfter);
            D.Bind(command, "run_id", SqlValueKind.Id, runId);
            D.Bind(command, "tenant_id", SqlValueKind.Text, tenantId);
            if (afterSequence != 0) D.Bind(command, "after_sequence", SqlValueKind.Int32, afterSequence);
            var steps = new List<StepRecord>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false)) steps.Add(ReadReplayStep(D, reader, runId, tenantId));
            return steps;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ClaimRecord>> GetClaimsAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        return UseAsync<IReadOnlyList<ClaimRecord>>(async (connection, ct) =>
        {
            await using var command = Command(connection, null, Sql.ClaimsOfRun);
            D.Bind(command, "run_id", SqlValueKind.Id, runId);
            D.Bind(command, "tenant_id", SqlValueKind.Text, tenantId);
            var claims = new List<ClaimRecord>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false)) claims.Add(ReadClaim(D, reader));
            return claims;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<RunRecord>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var limit = Math.Min(query.Limit, RunQuery.MaxLimit);
        if (limit <= 0)
        {
            return [];
        }
        await using var command = new Npgsql.NpgsqlCommand();
        Sql.ListRuns(command, query, limit); // validates the query before anything is connected
        return await UseAsync<IReadOnlyList<RunRecord>>(async (connection, ct) =>
        {
            command.Connection = connection;
            return await ReadRunsAsync(command, ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<SchemaRecord?> GetSchemaAsync(string workflow, string schemaVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        ArgumentNullException.ThrowIfNull(schemaVersion);
        return UseAsync(async (connection, ct) =>
        {
            await using var command = Command(connection, null, Sql.SchemaOf);
            D.Bind(command, "workflow", SqlValueKind.Text, workflow);
            D.Bind(command, "version", SqlValueKind.Text, schemaVersion);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            return await reader.ReadAsync(ct).ConfigureAwait(false) ? ReadSchema(D, reader) : null;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask SaveSchemaAsync(SchemaRecord schema, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return new ValueTask(UseAsync(async (connection, ct) =>
        {
            await using var command = Command(connection, null, Sql.SaveSchema);
            D.Bind(command, "workflow", SqlValueKind.Text, schema.Workflow);
            D.Bind(command, "version", SqlValueKind.Text, schema.SchemaVersion);
            D.Bind(command, "shape", SqlValueKind.Text, schema.Shape);
            D.Bind(command, "created_at", SqlValueKind.Timestamp, schema.CreatedAt);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken).AsTask());
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<EventRecord>> GetEventsAsync(EventQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        return UseAsync<IReadOnlyList<EventRecord>>(async (connection, ct) =>
        {
            await using var command = Command(connection, null, Sql.Events(query.Name is not null, query.IncludeConsumed));
            D.Bind(command, "tenant_id", SqlValueKind.Text, query.TenantId);
            D.Bind(command, "run_id", SqlValueKind.Id, query.RunId);
            if (query.Name is not null) D.Bind(command, "name", SqlValueKind.Text, query.Name);
            D.Bind(command, "limit", SqlValueKind.Int32, query.Limit);
            return await ReadEventsAsync(command, ct).ConfigureAwait(false);
        }, cancellationToken);
    }
}
