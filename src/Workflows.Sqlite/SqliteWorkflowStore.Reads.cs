using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Workflows.Journal;
using Workflows.Storage;
using static Workflows.Sqlite.SqliteJournalRows;

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
            command.Parameters[0].Value = SqliteValues.Id(runId);
            command.Parameters[1].Value = tenantId;
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
            command.Parameters[0].Value = SqliteValues.Id(runId);
            command.Parameters[1].Value = tenantId;
            var steps = new List<StepRecord>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                steps.Add(ReadStep(reader));
            }
            return steps;
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
            var sql = new StringBuilder($"SELECT {RunColumns} FROM {RunsTable} WHERE 1 = 1");
            if (query.TenantId is not null)
            {
                sql.Append(" AND tenant_id = $tenant_id");
                command.Parameters.AddWithValue("$tenant_id", query.TenantId);
            }
            if (query.TenantIds is { } tenants)
            {
                if (tenants.Count > RunQuery.MaxLimit)
                {
                    throw new ArgumentException($"RunQuery.TenantIds names {tenants.Count} tenants; at most {RunQuery.MaxLimit} may be asked for at once.", nameof(query));
                }
                sql.Append(tenants.Count == 0 ? " AND 0 = 1" : $" AND tenant_id IN ({SqliteJournalSql.ParameterList("$tenant", tenants.Count)})");
                for (var i = 0; i < tenants.Count; i++)
                {
                    command.Parameters.AddWithValue("$tenant" + i.ToString(CultureInfo.InvariantCulture), tenants[i] ?? throw new ArgumentException("RunQuery.TenantIds contains null.", nameof(query)));
                }
            }
            if (query.Workflow is not null)
            {
                sql.Append(" AND workflow = $workflow");
                command.Parameters.AddWithValue("$workflow", query.Workflow);
            }
            if (query.Statuses is { Count: > 0 } statuses)
            {
                sql.Append(" AND status IN (");
                for (var i = 0; i < statuses.Count; i++)
                {
                    // A status that is not defined matches nothing, like it would in memory.
                    var name = SqliteValues.EnumNames<RunStatus>.ToName.GetValueOrDefault(statuses[i]);
                    sql.Append(i == 0 ? "" : ", ").Append("$status").Append(i.ToString(CultureInfo.InvariantCulture));
                    command.Parameters.AddWithValue("$status" + i.ToString(CultureInfo.InvariantCulture), (object?)name ?? DBNull.Value);
                }
                sql.Append(')');
            }
            // created_at keeps the offset it was written with, so instants are compared as instants (unix ticks), not as text.
            if (query.CreatedFrom is { } from)
            {
                sql.Append($" AND {SqliteJournalSql.InstantOf("created_at")} >= $created_from");
                command.Parameters.AddWithValue("$created_from", SqliteJournalSql.UnixTicks(from));
            }
            if (query.CreatedBefore is { } before)
            {
                sql.Append($" AND {SqliteJournalSql.InstantOf("created_at")} < $created_before");
                command.Parameters.AddWithValue("$created_before", SqliteJournalSql.UnixTicks(before));
            }
            if (query.RunIds is { } ids)
            {
                if (ids.Count > RunQuery.MaxLimit)
                {
                    throw new ArgumentException($"RunQuery.RunIds names {ids.Count} runs; at most {RunQuery.MaxLimit} may be asked for at once.", nameof(query));
                }
                sql.Append(ids.Count == 0 ? " AND 0 = 1" : $" AND id IN ({SqliteJournalSql.ParameterList("$run", ids.Count)})");
                for (var i = 0; i < ids.Count; i++)
                {
                    command.Parameters.AddWithValue("$run" + i.ToString(CultureInfo.InvariantCulture), SqliteValues.Id(ids[i]));
                }
            }
            if (query.ParentRunId is { } parent)
            {
                sql.Append(" AND parent_run_id = $parent_run_id");
                command.Parameters.AddWithValue("$parent_run_id", SqliteValues.Id(parent));
            }
            if (query.AfterId is { } after)
            {
                sql.Append(query.NewestFirst ? " AND id < $after_id" : " AND id > $after_id");
                command.Parameters.AddWithValue("$after_id", SqliteValues.Id(after));
            }
            sql.Append(query.NewestFirst ? " ORDER BY id DESC LIMIT $limit" : " ORDER BY id LIMIT $limit");
            command.Parameters.AddWithValue("$limit", limit);
            command.CommandText = sql.ToString();
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
            command.CommandText = "SELECT workflow, schema_version, shape, created_at FROM workflow_schemas WHERE workflow = $workflow AND schema_version = $version";
            command.Parameters.AddWithValue("$workflow", workflow);
            command.Parameters.AddWithValue("$version", schemaVersion);
            using var reader = command.ExecuteReader();
            if (!reader.Read()) return null;
            var row = new SqliteRow(reader, "workflow_schemas", 1);
            return new SchemaRecord(row.RequiredText(0), row.RequiredText(1), row.RequiredText(2), row.Timestamp(3));
        }, cancellationToken);
    }

    private SqliteCommand? _getRun;
    private SqliteCommand? _getSteps;

    private void PrepareReads(SqliteConnection connection)
    {
        _getRun = Prepare(connection, $"SELECT {RunColumns} FROM {RunsTable} WHERE id = $id AND tenant_id = $tenant_id",
            c =>
            {
                c.Parameters.Add("$id", SqliteType.Text);
                c.Parameters.Add("$tenant_id", SqliteType.Text);
            });
        _getSteps = Prepare(connection,
            $"SELECT {StepColumns} FROM {StepsTable} WHERE run_id = $run_id AND tenant_id = $tenant_id ORDER BY sequence",
            c =>
            {
                c.Parameters.Add("$run_id", SqliteType.Text);
                c.Parameters.Add("$tenant_id", SqliteType.Text);
            });
    }
}
