using Microsoft.Data.Sqlite;
using Workflows.Journal;

namespace Workflows.Sqlite;

/// <summary>
/// The row mapping of the journal tables: the column lists, and how a <see cref="RunRecord"/> or <see cref="StepRecord"/>
/// is bound to a statement's parameters and read back from a row. Parameter and column order is the column lists'.
/// </summary>
internal static class SqliteJournalRows
{
    internal const string RunsTable = "workflow_runs";
    internal const string StepsTable = "workflow_steps";
    internal const string EventsTable = "workflow_events";

    internal static readonly string[] RunColumnNames =
    [
        "id", "tenant_id", "workflow", "schema_version", "status", "parent_run_id", "parent_step", "input", "output", "error",
        "idempotency_key", "created_at", "started_at", "completed_at", "updated_at", "owner", "lease_expires_at",
        "wake_at", "waiting_for", "deadline_at", "cancel_requested_at", "cancel_reason", "forked_from_run_id",
        "wake_requested_at", "trace_parent",
    ];

    internal static readonly string[] StepColumnNames =
    [
        "id", "run_id", "tenant_id", "sequence", "position", "name", "kind", "status", "attempt", "input", "output", "error",
        "duration_ms", "created_at", "started_at", "completed_at", "updated_at", "cost_usd", "input_tokens", "output_tokens",
        "debug_messages", "failed_attempts", "interrupted_attempts", "attempt_history",
    ];

    internal static readonly string[] EventColumnNames =
        ["id", "run_id", "tenant_id", "name", "payload", "idempotency_key", "created_at", "consumed_at", "consumed_by_sequence"];

    /// <summary>What a run update never writes: the record's identity, what it was created as, and what only claims, cancel requests and wake-ups change.</summary>
    internal static readonly string[] RunColumnsNotUpdated =
        ["id", "tenant_id", "workflow", "idempotency_key", "created_at", "owner", "lease_expires_at", "cancel_requested_at", "cancel_reason", "forked_from_run_id", "wake_requested_at", "trace_parent"];

    /// <summary>What a step update never writes: the record's identity and what it was created as.</summary>
    internal static readonly string[] StepColumnsNotUpdated = ["id", "run_id", "tenant_id", "sequence", "name", "kind", "created_at"];

    internal static readonly string RunColumns = string.Join(", ", RunColumnNames);
    internal static readonly string StepColumns = string.Join(", ", StepColumnNames);
    internal static readonly string EventColumns = string.Join(", ", EventColumnNames);

    internal static void AddRunParameters(SqliteCommand command)
    {
        foreach (var column in RunColumnNames)
        {
            command.Parameters.Add("$" + column, column == "parent_step" ? SqliteType.Integer : SqliteType.Text);
        }
    }

    internal static void AddStepParameters(SqliteCommand command)
    {
        foreach (var column in StepColumnNames)
        {
            var type = column is "sequence" or "position" or "attempt" or "duration_ms" or "input_tokens" or "output_tokens" or "failed_attempts" or "interrupted_attempts"
                ? SqliteType.Integer
                : SqliteType.Text;
            command.Parameters.Add("$" + column, type);
        }
    }

    internal static void BindRun(SqliteCommand command, RunRecord run)
    {
        var p = command.Parameters;
        p[0].Value = SqliteValues.Id(run.Id);
        p[1].Value = run.TenantId;
        p[2].Value = run.Workflow;
        p[3].Value = run.SchemaVersion;
        p[4].Value = SqliteValues.Name(run.Status, nameof(RunRecord.Status));
        p[5].Value = SqliteValues.Id(run.ParentRunId);
        p[6].Value = SqliteValues.Integer(run.ParentStep);
        p[7].Value = SqliteValues.Text(run.Input);
        p[8].Value = SqliteValues.Text(run.Output);
        p[9].Value = SqliteValues.Error(run.Error);
        p[10].Value = SqliteValues.Text(run.IdempotencyKey);
        p[11].Value = SqliteValues.Timestamp(run.CreatedAt);
        p[12].Value = SqliteValues.Timestamp(run.StartedAt);
        p[13].Value = SqliteValues.Timestamp(run.CompletedAt);
        p[14].Value = SqliteValues.Timestamp(run.UpdatedAt);
        p[15].Value = SqliteValues.Text(run.Owner);
        // Instants the store compares in SQL are written in UTC, so that their text sorts like time.
        p[16].Value = SqliteValues.UtcTimestamp(run.LeaseExpiresAt);
        p[17].Value = SqliteValues.UtcTimestamp(run.WakeAt);
        p[18].Value = SqliteValues.Text(run.WaitingFor);
        p[19].Value = SqliteValues.UtcTimestamp(run.DeadlineAt);
        p[20].Value = SqliteValues.UtcTimestamp(run.CancelRequestedAt);
        p[21].Value = SqliteValues.Text(run.CancelReason);
        p[22].Value = SqliteValues.Id(run.ForkedFromRunId);
        p[23].Value = SqliteValues.UtcTimestamp(run.WakeRequestedAt);
        p[24].Value = SqliteValues.Text(run.TraceParent);
    }

    internal static void BindStep(SqliteCommand command, StepRecord step)
    {
        var p = command.Parameters;
        p[0].Value = SqliteValues.Id(step.Id);
        p[1].Value = SqliteValues.Id(step.RunId);
        p[2].Value = step.TenantId;
        p[3].Value = step.Sequence;
        p[4].Value = step.Position;
        p[5].Value = step.Name;
        p[6].Value = SqliteValues.Name(step.Kind, nameof(StepRecord.Kind));
        p[7].Value = SqliteValues.Name(step.Status, nameof(StepRecord.Status));
        p[8].Value = step.Attempt;
        p[9].Value = SqliteValues.Text(step.Input);
        p[10].Value = SqliteValues.Text(step.Output);
        p[11].Value = SqliteValues.Error(step.Error);
        p[12].Value = SqliteValues.Integer(step.DurationMs);
        p[13].Value = SqliteValues.Timestamp(step.CreatedAt);
        p[14].Value = SqliteValues.Timestamp(step.StartedAt);
        p[15].Value = SqliteValues.Timestamp(step.CompletedAt);
        p[16].Value = SqliteValues.Timestamp(step.UpdatedAt);
        p[17].Value = SqliteValues.Decimal(step.CostUsd);
        p[18].Value = SqliteValues.Integer(step.InputTokens);
        p[19].Value = SqliteValues.Integer(step.OutputTokens);
        p[20].Value = SqliteValues.Text(step.DebugMessages);
        p[21].Value = step.FailedAttempts;
        p[22].Value = step.InterruptedAttempts;
        p[23].Value = SqliteValues.AttemptHistory(step.AttemptHistory);
    }

    internal static void AddEventParameters(SqliteCommand command)
    {
        foreach (var column in EventColumnNames)
        {
            command.Parameters.Add("$" + column, column == "consumed_by_sequence" ? SqliteType.Integer : SqliteType.Text);
        }
    }

    internal static void BindEvent(SqliteCommand command, EventRecord ev)
    {
        var p = command.Parameters;
        p[0].Value = SqliteValues.Id(ev.Id);
        p[1].Value = SqliteValues.Id(ev.RunId);
        p[2].Value = ev.TenantId;
        p[3].Value = ev.Name;
        p[4].Value = SqliteValues.Text(ev.Payload);
        p[5].Value = SqliteValues.Text(ev.IdempotencyKey);
        p[6].Value = SqliteValues.Timestamp(ev.CreatedAt);
        p[7].Value = SqliteValues.Timestamp(ev.ConsumedAt);
        p[8].Value = SqliteValues.Integer(ev.ConsumedBySequence);
    }

    internal static EventRecord ReadEvent(SqliteDataReader reader)
    {
        var row = new SqliteRow(reader, EventsTable, 0);
        return new EventRecord
        {
            Id = row.Id(0),
            RunId = row.Id(1),
            TenantId = row.RequiredText(2),
            Name = row.RequiredText(3),
            Payload = row.Text(4),
            IdempotencyKey = row.Text(5),
            CreatedAt = row.Timestamp(6),
            ConsumedAt = row.NullableTimestamp(7),
            ConsumedBySequence = row.NullableInt32(8),
        };
    }

    internal static List<EventRecord> ReadEvents(SqliteCommand command)
    {
        var events = new List<EventRecord>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            events.Add(ReadEvent(reader));
        }
        return events;
    }

    internal static RunRecord ReadRun(SqliteDataReader reader)
    {
        var row = new SqliteRow(reader, RunsTable, 0);
        return new RunRecord
        {
            Id = row.Id(0),
            TenantId = row.RequiredText(1),
            Workflow = row.RequiredText(2),
            SchemaVersion = row.RequiredText(3),
            Status = row.Enum<RunStatus>(4),
            ParentRunId = row.NullableId(5),
            ParentStep = row.NullableInt32(6),
            Input = row.Text(7),
            Output = row.Text(8),
            Error = row.Error(9),
            IdempotencyKey = row.Text(10),
            CreatedAt = row.Timestamp(11),
            StartedAt = row.NullableTimestamp(12),
            CompletedAt = row.NullableTimestamp(13),
            UpdatedAt = row.Timestamp(14),
            Owner = row.Text(15),
            LeaseExpiresAt = row.NullableTimestamp(16),
            WakeAt = row.NullableTimestamp(17),
            WaitingFor = row.Text(18),
            DeadlineAt = row.NullableTimestamp(19),
            CancelRequestedAt = row.NullableTimestamp(20),
            CancelReason = row.Text(21),
            ForkedFromRunId = row.NullableId(22),
            WakeRequestedAt = row.NullableTimestamp(23),
            TraceParent = row.Text(24),
        };
    }

    internal static StepRecord ReadStep(SqliteDataReader reader)
    {
        var row = new SqliteRow(reader, StepsTable, 0);
        var runId = row.Id(1);
        var sequence = row.Int32(3);
        return new StepRecord
        {
            Id = row.Id(0),
            RunId = runId,
            TenantId = row.RequiredText(2),
            Sequence = sequence,
            Position = row.Int32(4),
            Name = row.RequiredText(5),
            Kind = row.Enum<StepKind>(6),
            Status = row.Enum<StepStatus>(7),
            Attempt = row.Int32(8),
            Input = row.Text(9),
            Output = row.Text(10),
            Error = row.Error(11),
            DurationMs = row.NullableInt64(12),
            CreatedAt = row.Timestamp(13),
            StartedAt = row.NullableTimestamp(14),
            CompletedAt = row.NullableTimestamp(15),
            UpdatedAt = row.Timestamp(16),
            CostUsd = row.NullableDecimal(17),
            InputTokens = row.NullableInt32(18),
            OutputTokens = row.NullableInt32(19),
            DebugMessages = row.Text(20),
            FailedAttempts = row.Int32(21),
            InterruptedAttempts = row.Int32(22),
            AttemptHistory = row.AttemptHistory(23, runId, sequence),
        };
    }

    internal static RunRecord? ReadSingleRun(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadRun(reader) : null;
    }

    internal static List<RunRecord> ReadRuns(SqliteCommand command)
    {
        var runs = new List<RunRecord>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            runs.Add(ReadRun(reader));
        }
        return runs;
    }
}
