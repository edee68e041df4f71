using Microsoft.Data.Sqlite;
using Workflows.Journal;
using Workflows.Storage;
using Workflows.Storage.Sql;
using static Workflows.Storage.Sql.JournalRows;

namespace Workflows.Sqlite;

public sealed partial class SqliteWorkflowStore
{
    /// <inheritdoc />
    public ValueTask<RunRecord?> GetRunAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        return UseConnectionAsync(_ =>
        {
            var command = _getRun!;
            command.Transaction = null; // write paths use the same prepared command inside their transactions
            var i = 0;
            D.SetId(command.Parameters, ref i, runId);
            D.SetText(command.Parameters, ref i, tenantId);
            return ReadSingleRun(command);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StepRecord>> GetStepsAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        return UseConnectionAsync<IReadOnlyList<StepRecord>>(_ =>
        {
            var command = _getSteps!;
            command.Transaction = null;
            var i = 0;
            D.SetId(command.Parameters, ref i, runId);
            D.SetText(command.Parameters, ref i, tenantId);
            var steps = new List<StepRecord>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                steps.Add(ReadStep(D, reader));
            }
            return steps;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StepRecord>> GetReplayStepsAsync(string tenantId, Guid runId, int afterSequence = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        return UseConnectionAsync<IReadOnlyList<StepRecord>>(_ =>
        {
            var command = afterSequence == 0 ? _getReplaySteps! : _getReplayStepsAfter!;
            command.Transaction = null;
            var i = 0;
            D.SetId(command.Parameters, ref i, runId);
            D.SetText(command.Parameters, ref i, tenantId);
            if (afterSequence != 0) D.SetInteger(command.Parameters, ref i, afterSequence);
            var steps = new List<StepRecord>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                steps.Add(ReadReplayStep(D, reader, runId, tenantId));
            }
            return steps;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ClaimRecord>> GetClaimsAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        return UseConnectionAsync<IReadOnlyList<ClaimRecord>>(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = Sql.ClaimsOfRun;
            D.Bind(command, "run_id", SqlValueKind.Id, runId);
            D.Bind(command, "tenant_id", SqlValueKind.Text, tenantId);
            var claims = new List<ClaimRecord>();
            using var reader = command.ExecuteReader();
            while (reader.Read()) claims.Add(ReadClaim(D, reader));
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
        return await UseConnectionAsync<IReadOnlyList<RunRecord>>(connection =>
        {
            using var command = connection.CreateCommand();
            Sql.ListRuns(command, query, limit);
            return ReadRuns(command);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<SchemaRecord?> GetSchemaAsync(string workflow, string schemaVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        ArgumentNullException.ThrowIfNull(schemaVersion);
        return UseConnectionAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = Sql.SchemaOf;
            D.Bind(command, "workflow", SqlValueKind.Text, workflow);
            D.Bind(command, "version", SqlValueKind.Text, schemaVersion);
            using var reader = command.ExecuteReader();
            return reader.Read() ? ReadSchema(D, reader) : null;
        }, cancellationToken);
    }

    private SqliteCommand? _getRun;
    private SqliteCommand? _getSteps;
    // Replaced on every (re)opening by PrepareReads, like the others; disposed with the connection.
    private SqliteCommand? _getReplaySteps;
    private SqliteCommand? _getReplayStepsAfter;

    private void PrepareReads(SqliteConnection connection)
    {
        _getRun = Prepare(connection, Sql.RunOfTenant, Parameters(("id", SqlValueKind.Id), ("tenant_id", SqlValueKind.Text)));
        _getSteps = Prepare(connection, Sql.StepsOfRun, Parameters(("run_id", SqlValueKind.Id), ("tenant_id", SqlValueKind.Text)));
        _getReplaySteps = Prepare(connection, Sql.ReplayStepsOfRun, Parameters(("run_id", SqlValueKind.Id), ("tenant_id", SqlValueKind.Text)));
        _getReplayStepsAfter = Prepare(connection, Sql.ReplayStepsAfter,
            Parameters(("run_id", SqlValueKind.Id), ("tenant_id", SqlValueKind.Text), ("after_sequence", SqlValueKind.Int32)));
    }
}
