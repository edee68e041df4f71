using System.Data.Common;
using Workflows.Journal;
using Workflows.Serialization;
using K = Workflows.Storage.Sql.SqlValueKind;

namespace Workflows.Storage.Sql;

/// <summary>
/// The journal tables' row mapping, shared by the SQL stores: the logical columns, and how a <see cref="RunRecord"/>,
/// <see cref="StepRecord"/> or <see cref="EventRecord"/> is bound to a statement's parameters and read back from a row.
/// Parameter and column order is the column lists' (expanded by the dialect).
/// </summary>
internal static class JournalRows
{
    internal const string RunsTable = "workflow_runs";
    internal const string StepsTable = "workflow_steps";
    internal const string EventsTable = "workflow_events";
    internal const string SchemasTable = "workflow_schemas";
    internal const string ClaimsTable = "workflow_claims";
    internal const string SnapshotsTable = "workflow_snapshots";

    internal static readonly JournalColumn[] RunColumns =
    [
        new("id", K.Id), new("tenant_id", K.Text), new("workflow", K.Text), new("schema_version", K.Text), new("status", K.Text),
        new("parent_run_id", K.Id), new("parent_step", K.Int32), new("input", K.Text), new("output", K.Text), new("error", K.Text),
        new("idempotency_key", K.Text), new("created_at", K.Timestamp), new("started_at", K.Timestamp), new("completed_at", K.Timestamp),
        new("updated_at", K.Timestamp), new("owner", K.Text), new("lease_expires_at", K.Instant), new("wake_at", K.Instant),
        new("waiting_for", K.Text), new("deadline_at", K.Instant), new("cancel_requested_at", K.Instant), new("cancel_reason", K.Text),
        new("forked_from_run_id", K.Id), new("wake_requested_at", K.Instant), new("trace_parent", K.Text),
        new("queue_name", K.Text), new("priority", K.Int32),
    ];

    internal static readonly JournalColumn[] StepColumns =
    [
        new("id", K.Id), new("run_id", K.Id), new("tenant_id", K.Text), new("sequence", K.Int32), new("position", K.Int32), new("name", K.Text),
        new("kind", K.Text), new("status", K.Text), new("attempt", K.Int32), new("input", K.Text), new("output", K.Text), new("error", K.Text),
        new("duration_ms", K.Int64), new("created_at", K.Timestamp), new("started_at", K.Timestamp), new("completed_at", K.Timestamp),
        new("updated_at", K.Timestamp), new("cost_usd", K.Decimal), new("input_tokens", K.Int32), new("output_tokens", K.Int32),
        new("debug_messages", K.Text), new("failed_attempts", K.Int32), new("interrupted_attempts", K.Int32), new("attempt_history", K.Text),
    ];

    internal static readonly JournalColumn[] EventColumns =
    [
        new("id", K.Id), new("run_id", K.Id), new("tenant_id", K.Text), new("name", K.Text), new("payload", K.Text), new("idempotency_key", K.Text),
        new("created_at", K.Timestamp), new("consumed_at", K.Timestamp), new("consumed_by_sequence", K.Int32),
    ];

    /// <summary>What the replay read (JournalStatements.ReplayStepsOfRun) reads of every step, in order; then the input (<see cref="ReplaySteps.ReadsInput"/>).</summary>
    internal static readonly JournalColumn[] ReplayStepColumns =
    [
        new("id", K.Id), new("sequence", K.Int32), new("position", K.Int32), new("name", K.Text), new("kind", K.Text), new("status", K.Text),
        new("attempt", K.Int32), new("failed_attempts", K.Int32), new("interrupted_attempts", K.Int32), new("output", K.Text), new("error", K.Text),
    ];

    /// <summary>What the replay read reads only of a step that has not ended (<see cref="ReplaySteps.ReadsWhole"/>), after the input.</summary>
    internal static readonly JournalColumn[] ReplayWholeStepColumns =
    [
        new("duration_ms", K.Int64), new("created_at", K.Timestamp), new("started_at", K.Timestamp), new("completed_at", K.Timestamp),
        new("updated_at", K.Timestamp), new("cost_usd", K.Decimal), new("input_tokens", K.Int32), new("output_tokens", K.Int32),
        new("debug_messages", K.Text), new("attempt_history", K.Text),
    ];

    internal static readonly JournalColumn[] SnapshotColumns =
    [
        new("run_id", K.Id), new("tenant_id", K.Text), new("sequence", K.Int32), new("schema_version", K.Text), new("payload", K.Text),
        new("created_at", K.Timestamp),
    ];

    /// <summary>The claim history's columns, written by the databases' triggers (migrations), only read by the stores.</summary>
    internal static readonly JournalColumn[] ClaimColumns =
    [
        new("run_id", K.Id), new("tenant_id", K.Text), new("number", K.Int32), new("owner", K.Text), new("claimed_at", K.Instant),
        new("lease_expires_at", K.Instant), new("ended_at", K.Instant), new("ended", K.Text),
    ];

    /// <summary>What a run update never writes: the record's identity, what it was created as, and what only claims, cancel requests and wake-ups change.</summary>
    internal static readonly string[] RunColumnsNotUpdated =
        ["id", "tenant_id", "workflow", "idempotency_key", "created_at", "owner", "lease_expires_at", "cancel_requested_at", "cancel_reason", "forked_from_run_id", "wake_requested_at", "trace_parent", "queue_name", "priority"];

    /// <summary>What a step update never writes: the record's identity and what it was created as.</summary>
    internal static readonly string[] StepColumnsNotUpdated = ["id", "run_id", "tenant_id", "sequence", "name", "kind", "created_at"];

    /// <summary>The physical column list of <paramref name="columns"/>, for SELECT and INSERT.</summary>
    internal static string List(SqlDialect dialect, JournalColumn[] columns) => string.Join(", ", columns.SelectMany(dialect.Physical));

    /// <summary>The parameters of <paramref name="columns"/>, in the same order.</summary>
    internal static string Parameters(SqlDialect dialect, JournalColumn[] columns) =>
        string.Join(", ", columns.SelectMany(dialect.Physical).Select(c => "@" + c));

    /// <summary>"c = @c, …" for every physical column of <paramref name="columns"/> but <paramref name="except"/>.</summary>
    internal static string SetList(SqlDialect dialect, JournalColumn[] columns, string[] except) =>
        string.Join(", ", columns.Where(c => !except.Contains(c.Name)).SelectMany(dialect.Physical).Select(c => $"{c} = @{c}"));

    /// <summary>Creates the parameters of every column of <paramref name="columns"/>, in order.</summary>
    internal static void AddParameters(SqlDialect dialect, DbCommand command, JournalColumn[] columns) => AddParameters(dialect, command.Parameters, columns);

    internal static void AddParameters(SqlDialect dialect, DbParameterCollection parameters, JournalColumn[] columns)
    {
        foreach (var column in columns)
        {
            dialect.AddParameters(parameters, column.Name, column.Kind);
        }
    }

    // ---- binding -------------------------------------------------------------------------------------------

    /// <summary>Sets a run's values on parameters created by AddParameters with <see cref="RunColumns"/>, from <paramref name="start"/>.</summary>
    internal static void BindRun(SqlDialect d, DbParameterCollection p, RunRecord run, int start = 0)
    {
        var i = start;
        d.SetId(p, ref i, run.Id);
        d.SetText(p, ref i, run.TenantId);
        d.SetText(p, ref i, run.Workflow);
        d.SetText(p, ref i, run.SchemaVersion);
        d.SetText(p, ref i, SqlDialect.Name(run.Status, nameof(RunRecord.Status)));
        d.SetId(p, ref i, run.ParentRunId);
        d.SetInteger(p, ref i, run.ParentStep);
        d.SetText(p, ref i, run.Input);
        d.SetText(p, ref i, run.Output);
        d.SetText(p, ref i, Json(run.Error));
        d.SetText(p, ref i, run.IdempotencyKey);
        d.SetTimestamp(p, ref i, run.CreatedAt, instant: false);
        d.SetTimestamp(p, ref i, run.StartedAt, instant: false);
        d.SetTimestamp(p, ref i, run.CompletedAt, instant: false);
        d.SetTimestamp(p, ref i, run.UpdatedAt, instant: false);
        d.SetText(p, ref i, run.Owner);
        d.SetTimestamp(p, ref i, run.LeaseExpiresAt, instant: true);
        d.SetTimestamp(p, ref i, run.WakeAt, instant: true);
        d.SetText(p, ref i, run.WaitingFor);
        d.SetTimestamp(p, ref i, run.DeadlineAt, instant: true);
        d.SetTimestamp(p, ref i, run.CancelRequestedAt, instant: true);
        d.SetText(p, ref i, run.CancelReason);
        d.SetId(p, ref i, run.ForkedFromRunId);
        d.SetTimestamp(p, ref i, run.WakeRequestedAt, instant: true);
        d.SetText(p, ref i, run.TraceParent);
        d.SetText(p, ref i, run.Queue);
        d.SetInteger(p, ref i, run.Priority);
    }

    /// <summary>Sets a step's values on parameters created with <see cref="StepColumns"/>, from <paramref name="start"/>.</summary>
    internal static void BindStep(SqlDialect d, DbParameterCollection p, StepRecord step, int start = 0)
    {
        var i = start;
        d.SetId(p, ref i, step.Id);
        d.SetId(p, ref i, step.RunId);
        d.SetText(p, ref i, step.TenantId);
        d.SetInteger(p, ref i, step.Sequence);
        d.SetInteger(p, ref i, step.Position);
        d.SetText(p, ref i, step.Name);
        d.SetText(p, ref i, SqlDialect.Name(step.Kind, nameof(StepRecord.Kind)));
        d.SetText(p, ref i, SqlDialect.Name(step.Status, nameof(StepRecord.Status)));
        d.SetInteger(p, ref i, step.Attempt);
        d.SetText(p, ref i, step.Input);
        d.SetText(p, ref i, step.Output);
        d.SetText(p, ref i, Json(step.Error));
        d.SetInteger(p, ref i, step.DurationMs);
        d.SetTimestamp(p, ref i, step.CreatedAt, instant: false);
        d.SetTimestamp(p, ref i, step.StartedAt, instant: false);
        d.SetTimestamp(p, ref i, step.CompletedAt, instant: false);
        d.SetTimestamp(p, ref i, step.UpdatedAt, instant: false);
        d.SetDecimal(p, ref i, step.CostUsd);
        d.SetInteger(p, ref i, step.InputTokens);
        d.SetInteger(p, ref i, step.OutputTokens);
        d.SetText(p, ref i, step.DebugMessages);
        d.SetInteger(p, ref i, step.FailedAttempts);
        d.SetInteger(p, ref i, step.InterruptedAttempts);
        d.SetText(p, ref i, step.AttemptHistory is null ? null : StepAttemptHistoryCodec.Instance.Serialize(step.AttemptHistory));
    }

    /// <summary>Sets an event's values on parameters created with <see cref="EventColumns"/>.</summary>
    internal static void BindEvent(SqlDialect d, DbParameterCollection p, EventRecord ev, int start = 0)
    {
        var i = start;
        d.SetId(p, ref i, ev.Id);
        d.SetId(p, ref i, ev.RunId);
        d.SetText(p, ref i, ev.TenantId);
        d.SetText(p, ref i, ev.Name);
        d.SetText(p, ref i, ev.Payload);
        d.SetText(p, ref i, ev.IdempotencyKey);
        d.SetTimestamp(p, ref i, ev.CreatedAt, instant: false);
        d.SetTimestamp(p, ref i, ev.ConsumedAt, instant: false);
        d.SetInteger(p, ref i, ev.ConsumedBySequence);
    }

    /// <summary>Adds and sets a snapshot's parameters, named as <see cref="SnapshotColumns"/>.</summary>
    internal static void BindSnapshot(SqlDialect d, DbParameterCollection p, SnapshotRecord snapshot)
    {
        d.Bind(p, "run_id", K.Id, snapshot.RunId);
        d.Bind(p, "tenant_id", K.Text, snapshot.TenantId);
        d.Bind(p, "sequence", K.Int32, snapshot.Sequence);
        d.Bind(p, "schema_version", K.Text, snapshot.SchemaVersion);
        d.Bind(p, "payload", K.Text, snapshot.Payload);
        d.Bind(p, "created_at", K.Timestamp, snapshot.CreatedAt);
    }

    /// <summary>An error as the journal stores it (JSON text).</summary>
    internal static string? Json(ErrorInfo? error) => error is null ? null : ErrorInfoCodec.Instance.Serialize(error);

    // ---- reading -------------------------------------------------------------------------------------------

    internal static RunRecord ReadRun(SqlDialect dialect, DbDataReader reader)
    {
        var row = new JournalRowReader(reader, dialect, RunsTable);
        return new RunRecord
        {
            Id = row.Id(),
            TenantId = row.RequiredText(),
            Workflow = row.RequiredText(),
            SchemaVersion = row.RequiredText(),
            Status = row.Enum<RunStatus>(),
            ParentRunId = row.NullableId(),
            ParentStep = row.NullableInt32(),
            Input = row.Text(),
            Output = row.Text(),
            Error = row.Error(),
            IdempotencyKey = row.Text(),
            CreatedAt = row.Timestamp(),
            StartedAt = row.NullableTimestamp(),
            CompletedAt = row.NullableTimestamp(),
            UpdatedAt = row.Timestamp(),
            Owner = row.Text(),
            LeaseExpiresAt = row.NullableTimestamp(),
            WakeAt = row.NullableTimestamp(),
            WaitingFor = row.Text(),
            DeadlineAt = row.NullableTimestamp(),
            CancelRequestedAt = row.NullableTimestamp(),
            CancelReason = row.Text(),
            ForkedFromRunId = row.NullableId(),
            WakeRequestedAt = row.NullableTimestamp(),
            TraceParent = row.Text(),
            Queue = row.Text(),
            Priority = row.Int32(),
        };
    }

    internal static StepRecord ReadStep(SqlDialect dialect, DbDataReader reader)
    {
        var row = new JournalRowReader(reader, dialect, StepsTable);
        var id = row.Id();
        var runId = row.Id();
        var tenant = row.RequiredText();
        var sequence = row.Int32();
        return new StepRecord
        {
            Id = id,
            RunId = runId,
            TenantId = tenant,
            Sequence = sequence,
            Position = row.Int32(),
            Name = row.RequiredText(),
            Kind = row.Enum<StepKind>(),
            Status = row.Enum<StepStatus>(),
            Attempt = row.Int32(),
            Input = row.Text(),
            Output = row.Text(),
            Error = row.Error(),
            DurationMs = row.NullableInt64(),
            CreatedAt = row.Timestamp(),
            StartedAt = row.NullableTimestamp(),
            CompletedAt = row.NullableTimestamp(),
            UpdatedAt = row.Timestamp(),
            CostUsd = row.NullableDecimal(),
            InputTokens = row.NullableInt32(),
            OutputTokens = row.NullableInt32(),
            DebugMessages = row.Text(),
            FailedAttempts = row.Int32(),
            InterruptedAttempts = row.Int32(),
            AttemptHistory = row.AttemptHistory(runId, sequence),
        };
    }

    /// <summary>
    /// A row of JournalStatements.ReplayStepsOfRun: whole when the step has not ended, otherwise what
    /// <see cref="ReplaySteps.Of"/> keeps (the rest absent: null or default). The run and tenant are the query's.
    /// </summary>
    internal static StepRecord ReadReplayStep(SqlDialect dialect, DbDataReader reader, Guid runId, string tenantId)
    {
        var row = new JournalRowReader(reader, dialect, StepsTable);
        var id = row.Id();
        var sequence = row.Int32();
        var position = row.Int32();
        var name = row.RequiredText();
        var kind = row.Enum<StepKind>();
        var status = row.Enum<StepStatus>();
        var attempt = row.Int32();
        var failedAttempts = row.Int32();
        var interruptedAttempts = row.Int32();
        var output = row.Text();
        var error = row.Error();
        var input = row.Text();
        var lean = new StepRecord
        {
            Id = id, RunId = runId, TenantId = tenantId, Sequence = sequence, Position = position, Name = name, Kind = kind, Status = status,
            Attempt = attempt, FailedAttempts = failedAttempts, InterruptedAttempts = interruptedAttempts, Input = input, Output = output,
            Error = error, CreatedAt = default, UpdatedAt = default,
        };
        if (!ReplaySteps.ReadsWhole(status))
        {
            return lean;
        }
        return lean with // an entry the resume rewrites: the rest of its row too
        {
            DurationMs = row.NullableInt64(),
            CreatedAt = row.Timestamp(),
            StartedAt = row.NullableTimestamp(),
            CompletedAt = row.NullableTimestamp(),
            UpdatedAt = row.Timestamp(),
            CostUsd = row.NullableDecimal(),
            InputTokens = row.NullableInt32(),
            OutputTokens = row.NullableInt32(),
            DebugMessages = row.Text(),
            AttemptHistory = row.AttemptHistory(runId, sequence),
        };
    }

    internal static SnapshotRecord ReadSnapshot(SqlDialect dialect, DbDataReader reader)
    {
        var row = new JournalRowReader(reader, dialect, SnapshotsTable);
        return new SnapshotRecord
        {
            RunId = row.Id(),
            TenantId = row.RequiredText(),
            Sequence = row.Int32(),
            SchemaVersion = row.RequiredText(),
            Payload = row.RequiredText(),
            CreatedAt = row.Timestamp(),
        };
    }

    internal static EventRecord ReadEvent(SqlDialect dialect, DbDataReader reader)
    {
        var row = new JournalRowReader(reader, dialect, EventsTable);
        return new EventRecord
        {
            Id = row.Id(),
            RunId = row.Id(),
            TenantId = row.RequiredText(),
            Name = row.RequiredText(),
            Payload = row.Text(),
            IdempotencyKey = row.Text(),
            CreatedAt = row.Timestamp(),
            ConsumedAt = row.NullableTimestamp(),
            ConsumedBySequence = row.NullableInt32(),
        };
    }

    internal static ClaimRecord ReadClaim(SqlDialect dialect, DbDataReader reader)
    {
        var row = new JournalRowReader(reader, dialect, ClaimsTable);
        return new ClaimRecord
        {
            RunId = row.Id(),
            TenantId = row.RequiredText(),
            Number = row.Int32(),
            Owner = row.RequiredText(),
            ClaimedAt = row.Timestamp(),
            LeaseExpiresAt = row.NullableTimestamp(),
            EndedAt = row.NullableTimestamp(),
            End = row.NullableEnum<ClaimEnd>(),
        };
    }

    /// <summary>
    /// Reads claimed runs (rows of <see cref="RunColumns"/>) in id order; a row that cannot be read is not handed out but
    /// listed with the reason, for the store to park it (so that it stops being claimed, and blocking the claims of others).
    /// </summary>
    internal static List<RunRecord> ReadClaimed(SqlDialect dialect, DbDataReader reader, List<(Guid Id, JournalCorruptException Error)> unreadable)
    {
        var runs = new List<RunRecord>();
        while (reader.Read())
        {
            try
            {
                runs.Add(ReadRun(dialect, reader));
            }
            catch (JournalCorruptException e) when (dialect.TryReadId(reader, 0, out var id, out _))
            {
                unreadable.Add((id, e));
            }
        }
        runs.Sort((a, b) => a.Id.CompareTo(b.Id)); // RETURNING gives no order; the contract's is id order
        return runs;
    }

    /// <summary>A row of <see cref="JournalStatements.ClaimStates"/> as what a renewal by <paramref name="owner"/> found.</summary>
    internal static ClaimState ReadClaimState(SqlDialect dialect, DbDataReader reader, string owner)
    {
        var row = new JournalRowReader(reader, dialect, RunsTable);
        var id = row.Id();
        var current = row.Text();
        return new ClaimState(id, current == owner, current, row.NullableTimestamp(), row.Text());
    }

    /// <summary>One state per renewed run, in the renewal's order; a run not found is not held.</summary>
    internal static List<ClaimState> InRenewalOrder(IEnumerable<Guid> runIds, Dictionary<Guid, ClaimState> found) =>
        [.. runIds.Select(id => found.TryGetValue(id, out var state) ? state : new ClaimState(id, false, null, null, null))];

    internal static SchemaRecord ReadSchema(SqlDialect dialect, DbDataReader reader)
    {
        var row = new JournalRowReader(reader, dialect, SchemasTable);
        return new SchemaRecord(row.RequiredText(), row.RequiredText(), row.RequiredText(), row.Timestamp());
    }
}
