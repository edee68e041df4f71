using System.Globalization;
using System.Text;
using Workflows.Journal;
using Workflows.Serialization;
using static Workflows.Storage.Sql.JournalRows;

namespace Workflows.Storage.Sql;

/// <summary>
/// The journal's statements, shared by the SQL stores and built once per dialect: the state machines (every status write
/// conditional on the stored status being one of <see cref="StatusTransitions"/>' sources), the claim conditions
/// (<see cref="RunReadiness"/> in SQL), events and wake-ups, cancellation and retention. Instants compared in SQL are
/// bound as <see cref="SqlValueKind.Instant"/> parameters.
/// </summary>
internal sealed class JournalStatements
{
    private readonly SqlDialect _d;
    private readonly string[] _updateRun = new string[Enum.GetValues<RunStatus>().Length];
    private readonly string[] _updateStep = new string[Enum.GetValues<StepStatus>().Length];

    internal JournalStatements(SqlDialect dialect)
    {
        _d = dialect;
        RunList = List(dialect, RunColumns);
        StepList = List(dialect, StepColumns);
        EventList = List(dialect, EventColumns);

        InsertRun = $"INSERT INTO {RunsTable} ({RunList}) VALUES ({Parameters(dialect, RunColumns)}) ON CONFLICT DO NOTHING";
        // Inserted only when the tenant has the run; a taken (run_id, sequence) or id inserts nothing, and the caller then
        // finds out which it was.
        InsertStep = $"""
            INSERT INTO {StepsTable} ({StepList})
            SELECT {Parameters(dialect, StepColumns)}
            WHERE EXISTS (SELECT 1 FROM {RunsTable} WHERE id = @run_id AND tenant_id = @tenant_id)
            ON CONFLICT DO NOTHING
            """;
        foreach (var status in Enum.GetValues<RunStatus>())
        {
            _updateRun[(int)status] = $"""
                UPDATE {RunsTable} SET {SetList(dialect, RunColumns, RunColumnsNotUpdated)}
                WHERE id = @id AND tenant_id = @tenant_id AND status IN ({SourceList(StatusTransitions.RunSources(status))})
                """;
        }
        foreach (var status in Enum.GetValues<StepStatus>())
        {
            _updateStep[(int)status] = $"""
                UPDATE {StepsTable} SET {SetList(dialect, StepColumns, StepColumnsNotUpdated)}
                WHERE id = @id AND run_id = @run_id AND tenant_id = @tenant_id AND sequence = @sequence
                  AND status IN ({SourceList(StatusTransitions.StepSources(status))})
                """;
        }

        RunById = $"SELECT {RunList} FROM {RunsTable} WHERE id = @id";
        RunOfTenant = $"SELECT {RunList} FROM {RunsTable} WHERE id = @id AND tenant_id = @tenant_id";
        RunByKey = $"SELECT {RunList} FROM {RunsTable} WHERE tenant_id = @tenant_id AND workflow = @workflow AND idempotency_key = @key";
        StepsOfRun = $"SELECT {StepList} FROM {StepsTable} WHERE run_id = @run_id AND tenant_id = @tenant_id ORDER BY sequence";
        ClaimsOfRun = $"SELECT {List(dialect, ClaimColumns)} FROM {ClaimsTable} WHERE run_id = @run_id AND tenant_id = @tenant_id ORDER BY number";

        // The replay read: what ReplaySteps keeps of an ended step, and the whole row of one that has not ended; the columns
        // not read are NULL in the result, so they are not sent (nor, for values stored out of line, fetched).
        var whole = $"status IN ({SourceList<StepStatus>([.. Enum.GetValues<StepStatus>().Where(ReplaySteps.ReadsWhole)])})";
        var withInput = $"{whole} OR kind IN ({SourceList<StepKind>([.. Enum.GetValues<StepKind>().Where(ReplaySteps.ReadsInput)])})";
        var wholeOnly = string.Join(", ", ReplayWholeStepColumns.SelectMany(dialect.Physical).Select(c => $"CASE WHEN {whole} THEN {c} END AS {c}"));
        // The whole journal without a sequence bound: with one, PostgreSQL may scan and sort a table the run fills instead
        // of reading the (run_id, sequence) index in order.
        var replaySelect = $"SELECT {List(dialect, ReplayStepColumns)}, CASE WHEN {withInput} THEN input END AS input, {wholeOnly} FROM {StepsTable}";
        ReplayStepsOfRun = $"{replaySelect} WHERE run_id = @run_id AND tenant_id = @tenant_id ORDER BY sequence";
        ReplayStepsAfter = $"{replaySelect} WHERE run_id = @run_id AND tenant_id = @tenant_id AND sequence > @after_sequence ORDER BY sequence";

        // A snapshot replaces the run's previous one, only while @owner holds the run (the row locked against a takeover until
        // the statement's transaction ends) and the journal has the entry it reflects.
        var snapshotList = List(dialect, SnapshotColumns);
        PutSnapshot = $"""
            INSERT INTO {SnapshotsTable} ({snapshotList})
            SELECT {Parameters(dialect, SnapshotColumns)}
            WHERE EXISTS (SELECT 1 FROM {RunsTable} WHERE id = @run_id AND tenant_id = @tenant_id AND owner = @owner{dialect.LockRow})
              AND EXISTS (SELECT 1 FROM {StepsTable} WHERE run_id = @run_id AND sequence = @sequence)
            ON CONFLICT (run_id) DO UPDATE SET {string.Join(", ", SnapshotColumns.Where(c => c.Name is not ("run_id" or "tenant_id")).SelectMany(dialect.Physical).Select(c => $"{c} = excluded.{c}"))}
            """;
        SnapshotProbe = $"""
            SELECT
                CASE WHEN EXISTS (SELECT 1 FROM {RunsTable} WHERE id = @run_id AND tenant_id = @tenant_id) THEN 1 ELSE 0 END,
                (SELECT owner FROM {RunsTable} WHERE id = @run_id AND tenant_id = @tenant_id),
                CASE WHEN EXISTS (SELECT 1 FROM {StepsTable} WHERE run_id = @run_id AND sequence = @sequence) THEN 1 ELSE 0 END
            """;
        SnapshotOfRun = $"SELECT {snapshotList} FROM {SnapshotsTable} WHERE run_id = @run_id AND tenant_id = @tenant_id";

        ClaimSet = $"""
            status = 'Running', owner = @owner, {Assign("lease_expires_at", "lease")}, {AssignIfNull("started_at", "now")},
            {Null("wake_at")}, waiting_for = NULL, {Null("wake_requested_at")}, {Assign("updated_at", "now")}
            """;
        ClaimById = $"""
            UPDATE {RunsTable} SET {ClaimSet}
            WHERE id = @id AND tenant_id = @tenant_id AND {ReadyOrOwn}
            RETURNING {RunList}
            """;
        Release = $"UPDATE {RunsTable} SET owner = NULL, {Null("lease_expires_at")} WHERE id = @id AND tenant_id = @tenant_id AND owner = @owner";
        ParkUnreadable = $"""
            UPDATE {RunsTable} SET status = 'Parked', error = @error, owner = NULL, {Null("lease_expires_at")}, {Assign("updated_at", "now")}
            WHERE id = @id
            """;

        InsertEvent = $"INSERT INTO {EventsTable} ({EventList}) VALUES ({Parameters(dialect, EventColumns)})";
        EventByKey = $"SELECT {EventList} FROM {EventsTable} WHERE run_id = @run_id AND idempotency_key = @key ORDER BY {dialect.EventOrder} LIMIT 1";
        RequestWake = $"""
            UPDATE {RunsTable} SET {Assign("wake_requested_at", "at")}
            WHERE id = @id AND tenant_id = @tenant_id AND status NOT IN ('Succeeded', 'Failed', 'Cancelled')
            """;
        ConsumeEvent = $"""
            UPDATE {EventsTable} SET {Assign("consumed_at", "at")}, consumed_by_sequence = @sequence
            WHERE id = @id AND run_id = @run_id AND tenant_id = @tenant_id AND consumed_at IS NULL
            """;
        EventOfRun = $"SELECT {EventList} FROM {EventsTable} WHERE id = @id AND run_id = @run_id AND tenant_id = @tenant_id";

        RecordCancelRequest = $"UPDATE {RunsTable} SET {Assign("cancel_requested_at", "now")}, cancel_reason = @reason WHERE id = @id AND tenant_id = @tenant_id";
        CancelUnheld = $"""
            UPDATE {RunsTable} SET status = 'Cancelled', error = @error, {Assign("completed_at", "now")}, {Assign("updated_at", "now")},
                owner = NULL, {Null("lease_expires_at")}, {Null("wake_at")}, waiting_for = NULL, {Assign("cancel_requested_at", "now")}, cancel_reason = @reason
            WHERE id = @id AND tenant_id = @tenant_id AND status = @status
            """;
        CutShortSteps = $"""
            UPDATE {StepsTable} SET status = 'Failed', error = @error, {Assign("completed_at", "now")}, {Assign("updated_at", "now")}
            WHERE run_id = @id AND tenant_id = @tenant_id AND status IN ('Pending', 'Running')
            """;

        InsertStepProbe = $"""
            SELECT
                CASE WHEN EXISTS (SELECT 1 FROM {RunsTable} WHERE id = @run_id AND tenant_id = @tenant_id) THEN 1 ELSE 0 END,
                CASE WHEN EXISTS (SELECT 1 FROM {StepsTable} WHERE run_id = @run_id AND sequence = @sequence) THEN 1 ELSE 0 END
            """;
        StepStatusProbe = $"SELECT id, status FROM {StepsTable} WHERE id = @id AND run_id = @run_id AND tenant_id = @tenant_id AND sequence = @sequence";
        RunStatusProbe = $"SELECT id, status FROM {RunsTable} WHERE id = @id AND tenant_id = @tenant_id";
        OwnerOf = $"SELECT owner FROM {RunsTable} WHERE id = @id AND tenant_id = @tenant_id";

        SaveSchema = $"""
            INSERT INTO {SchemasTable} (workflow, schema_version, shape, {string.Join(", ", dialect.Physical(new JournalColumn("created_at", SqlValueKind.Timestamp)))})
            VALUES (@workflow, @version, @shape, {string.Join(", ", dialect.Physical(new JournalColumn("created_at", SqlValueKind.Timestamp)).Select(c => "@" + c))})
            ON CONFLICT DO NOTHING
            """;
        SchemaOf = $"""
            SELECT workflow, schema_version, shape, {string.Join(", ", dialect.Physical(new JournalColumn("created_at", SqlValueKind.Timestamp)))}
            FROM {SchemasTable} WHERE workflow = @workflow AND schema_version = @version
            """;
    }

    internal string RunList { get; }
    internal string StepList { get; }
    internal string EventList { get; }

    internal string InsertRun { get; }
    internal string InsertStep { get; }
    internal string RunById { get; }
    internal string RunOfTenant { get; }
    internal string RunByKey { get; }
    internal string StepsOfRun { get; }
    internal string ClaimsOfRun { get; }

    /// <summary>A run's steps as the replay reads them (JournalRows.ReadReplayStep).</summary>
    internal string ReplayStepsOfRun { get; }

    /// <summary><see cref="ReplayStepsOfRun"/>, only the steps after @after_sequence.</summary>
    internal string ReplayStepsAfter { get; }

    /// <summary>Stores a snapshot (JournalRows.BindSnapshot, and @owner), replacing the run's; changes no row when refused.</summary>
    internal string PutSnapshot { get; }

    /// <summary>Why a snapshot put changed nothing: (the tenant has the run as 0/1, its owner, the entry at @sequence is recorded as 0/1).</summary>
    internal string SnapshotProbe { get; }

    internal string SnapshotOfRun { get; }

    /// <summary>A run update to <paramref name="target"/>: applies only from one of its legal sources.</summary>
    internal string UpdateRun(RunStatus target) => _updateRun[(int)target];

    /// <summary>A step update to <paramref name="target"/>: applies only from one of its legal sources.</summary>
    internal string UpdateStep(StepStatus target) => _updateStep[(int)target];

    /// <summary>The run's owner (the fence), read inside the commit's transaction.</summary>
    internal string OwnerOf { get; }
    internal string Release { get; }

    /// <summary>The claimed form of a run (RunReadiness.Claimed): the claim takes the wake-up request.</summary>
    internal string ClaimSet { get; }
    internal string ClaimById { get; }
    internal string ParkUnreadable { get; }

    internal string InsertEvent { get; }
    /// <summary>The run's event with the idempotency key, if any (the first one sent with it: the key is unique per run).</summary>
    internal string EventByKey { get; }
    /// <summary>A wake-up request (an event sent, a child ended): every status but the final ones takes it. Only this column changes.</summary>
    internal string RequestWake { get; }
    /// <summary>Consumes an event of the run, once: nothing changes when it is missing, of another run, or consumed already.</summary>
    internal string ConsumeEvent { get; }
    /// <summary>An event of the tenant's run by id: why a consume did not apply.</summary>
    internal string EventOfRun { get; }

    internal string RecordCancelRequest { get; }
    internal string CancelUnheld { get; }
    /// <summary>The steps a store-side cancellation cuts short (RunCancellation.CutShort).</summary>
    internal string CutShortSteps { get; }

    /// <summary>Why a step insert did not apply: (the tenant has the run, the sequence is taken), as 0/1.</summary>
    internal string InsertStepProbe { get; }
    internal string StepStatusProbe { get; }
    internal string RunStatusProbe { get; }

    internal string SaveSchema { get; }
    internal string SchemaOf { get; }

    // ---- readiness ------------------------------------------------------------------------------------------

    // A claim lapses at its lease: <= @now, as RunReadiness has it.
    private const string Unheld = "(owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at <= @now)";

    // A waiting run is due: a cancel request, a wake-up request (an event, a child's end), or its wake-up time has come.
    private const string WaitOver = "(cancel_requested_at IS NOT NULL OR wake_requested_at IS NOT NULL OR wake_at <= @now)";

    /// <summary>Ready to be claimed by anyone (RunReadiness.IsClaimable without the owner's own claims).</summary>
    internal const string Ready = $"""
        ((status IN ('Pending', 'Running') AND {Unheld})
          OR (status = 'Waiting' AND {WaitOver} AND {Unheld}))
        """;

    /// <summary>Ready, or already claimed by @owner.</summary>
    internal const string ReadyOrOwn = $"""
        ((status IN ('Pending', 'Running') AND ({Unheld} OR owner = @owner))
          OR (status = 'Waiting' AND {WaitOver} AND ({Unheld} OR owner = @owner)))
        """;

    /// <summary>
    /// Claims ready runs of the workflows named @w0, @w1, … (<paramref name="workflows"/> of them), oldest first. The rows are
    /// picked once, in a materialized CTE: an IN (… LIMIT …) subquery may be run again by PostgreSQL's recheck of a row
    /// updated concurrently, and so claim more than the limit.
    /// </summary>
    internal string ClaimReady(int workflows, int tenants) => $"""
        WITH picked AS MATERIALIZED (
            SELECT id FROM {RunsTable}
            WHERE queue_name IS NULL AND workflow IN ({ParameterList("@w", workflows)}){TenantFilter(tenants)} AND {Ready}
            ORDER BY id
            LIMIT @limit{_d.LockSkipLocked})
        UPDATE {RunsTable} SET {ClaimSet}
        WHERE id IN (SELECT id FROM picked)
        RETURNING {RunList}
        """;

    /// <summary>How many runs of queue @queue execute now (a live claim), in all and under @owner.</summary>
    internal const string QueueExecuting = $"""
        SELECT count(*), COALESCE(SUM(CASE WHEN owner = @owner THEN 1 ELSE 0 END), 0) FROM {RunsTable}
        WHERE queue_name = @queue AND status = 'Running' AND owner IS NOT NULL AND lease_expires_at > @now
        """;

    /// <summary>Claims up to @limit ready runs of queue @queue (the caller computed the queue's room), lowest priority value first, then oldest (by creation instant, then id).</summary>
    internal string ClaimQueued(int workflows, int tenants) => $"""
        WITH picked AS MATERIALIZED (
            SELECT id FROM {RunsTable}
            WHERE queue_name = @queue AND workflow IN ({ParameterList("@w", workflows)}){TenantFilter(tenants)} AND {Ready}
            ORDER BY priority, {_d.InstantOf("created_at")}, id
            LIMIT @limit{_d.LockSkipLocked})
        UPDATE {RunsTable} SET {ClaimSet}
        WHERE id IN (SELECT id FROM picked)
        RETURNING {RunList}
        """;

    /// <summary>
    /// The earliest due moment among runs of the named workflows at @now (RunReadiness.DueAt(run, now)); the dialect's
    /// ready-now literal for "now". A queued run counts only with a future moment (its live lease, its wake-up time).
    /// </summary>
    internal string NextDue(int workflows, int tenants) => $"""
        SELECT MIN(due) FROM (
            SELECT CASE WHEN owner IS NULL OR lease_expires_at IS NULL THEN {_d.ReadyNowLiteral} ELSE lease_expires_at END AS due
            FROM {RunsTable} WHERE status IN ('Pending', 'Running') AND workflow IN ({ParameterList("@w", workflows)}){TenantFilter(tenants)}
              AND (queue_name IS NULL OR (owner IS NOT NULL AND lease_expires_at > @now))
            UNION ALL
            SELECT CASE WHEN cancel_requested_at IS NOT NULL OR wake_requested_at IS NOT NULL THEN {_d.ReadyNowLiteral} ELSE wake_at END FROM {RunsTable}
            WHERE status = 'Waiting' AND (wake_at IS NOT NULL OR cancel_requested_at IS NOT NULL OR wake_requested_at IS NOT NULL)
              AND workflow IN ({ParameterList("@w", workflows)}){TenantFilter(tenants)}
              AND (queue_name IS NULL OR (cancel_requested_at IS NULL AND wake_requested_at IS NULL AND wake_at > @now))) AS due_times
        """;

    /// <summary>" AND tenant_id IN (@t0, …)" for an engine that serves <paramref name="tenants"/> tenants; nothing for every tenant (-1).</summary>
    private static string TenantFilter(int tenants) => tenants < 0 ? "" : tenants == 0 ? " AND 0 = 1" : $" AND tenant_id IN ({ParameterList("@t", tenants)})";

    internal string Renew(int runs) =>
        $"UPDATE {RunsTable} SET {Assign("lease_expires_at", "lease")} WHERE owner = @owner AND id IN ({ParameterList("@r", runs)})";

    internal string ClaimStates(int runs) =>
        $"SELECT id, owner, {string.Join(", ", _d.Physical(new JournalColumn("cancel_requested_at", SqlValueKind.Instant)))}, cancel_reason FROM {RunsTable} WHERE id IN ({ParameterList("@r", runs)})";

    /// <summary>The status of the tenant's run, read inside a send's transaction.</summary>
    internal static string RunStatusOf => $"SELECT status FROM {RunsTable} WHERE id = @id AND tenant_id = @tenant_id";

    /// <summary>A run's events in the order they were sent, with the optional name (@name) and pending-only filters.</summary>
    internal string Events(bool byName, bool includeConsumed) => $"""
        SELECT {EventList} FROM {EventsTable}
        WHERE tenant_id = @tenant_id AND run_id = @run_id{(byName ? " AND name = @name" : "")}{(includeConsumed ? "" : " AND consumed_at IS NULL")}
        ORDER BY {_d.EventOrder}
        LIMIT @limit
        """;

    /// <summary>Retention: one batch of ended runs, deleted with their steps and events (ON DELETE CASCADE).</summary>
    internal string DeleteEndedRuns(bool oneTenant) => $"""
        WITH picked AS MATERIALIZED (
            SELECT id FROM {RunsTable}
            WHERE status IN ('Succeeded', 'Failed', 'Cancelled') AND completed_at IS NOT NULL
              AND {_d.InstantOf("completed_at")} < @ended_before{(oneTenant ? " AND tenant_id = @tenant_id" : "")}
            ORDER BY id LIMIT @limit{_d.LockSkipLocked})
        DELETE FROM {RunsTable} WHERE id IN (SELECT id FROM picked)
        RETURNING id
        """;

    // ---- claim statements with their parameters ---------------------------------------------------------

    /// <summary>
    /// Sets up <paramref name="command"/> to claim up to <paramref name="limit"/> ready runs: unqueued ones when
    /// <paramref name="queue"/> is null, else the queue's (whose room the caller computed with <see cref="PrepareQueueCount"/>).
    /// </summary>
    internal void PrepareClaim(System.Data.Common.DbCommand command, ReadyRunsClaim claim, int limit, string? queue)
    {
        var tenants = claim.Tenants?.Count ?? -1;
        command.CommandText = queue is null ? ClaimReady(claim.Workflows.Count, tenants) : ClaimQueued(claim.Workflows.Count, tenants);
        BindNames(command, "w", claim.Workflows);
        BindNames(command, "t", claim.Tenants ?? []);
        _d.Bind(command, "owner", SqlValueKind.Text, claim.Owner);
        _d.Bind(command, "now", SqlValueKind.Instant, claim.Now);
        _d.Bind(command, "lease", SqlValueKind.Instant, claim.LeaseExpiresAt);
        _d.Bind(command, "limit", SqlValueKind.Int32, limit);
        if (queue is not null) _d.Bind(command, "queue", SqlValueKind.Text, queue);
    }

    /// <summary>Sets up <paramref name="command"/> to count the queue's executing runs (<see cref="QueueExecuting"/>) for the claim.</summary>
    internal void PrepareQueueCount(System.Data.Common.DbCommand command, ReadyRunsClaim claim, string queue)
    {
        command.CommandText = QueueExecuting;
        _d.Bind(command, "queue", SqlValueKind.Text, queue);
        _d.Bind(command, "owner", SqlValueKind.Text, claim.Owner);
        _d.Bind(command, "now", SqlValueKind.Instant, claim.Now);
    }

    /// <summary>Sets up <paramref name="command"/> to park a claimed run whose row cannot be read (<see cref="ParkUnreadable"/>).</summary>
    internal void PrepareParkUnreadable(System.Data.Common.DbCommand command, Guid runId, DateTimeOffset now, JournalCorruptException error)
    {
        command.CommandText = ParkUnreadable;
        _d.Bind(command, "id", SqlValueKind.Id, runId);
        _d.Bind(command, "now", SqlValueKind.Instant, now);
        _d.Bind(command, "error", SqlValueKind.Text, Json(ErrorInfo.From(ErrorKind.Serialization, error)));
    }

    /// <summary>Sets up <paramref name="command"/> to read the earliest due moment (<see cref="NextDue"/>).</summary>
    internal void PrepareNextDue(System.Data.Common.DbCommand command, IReadOnlyCollection<string> workflows, DateTimeOffset now, IReadOnlyCollection<string>? tenants)
    {
        command.CommandText = NextDue(workflows.Count, tenants?.Count ?? -1);
        BindNames(command, "w", workflows);
        BindNames(command, "t", tenants ?? []);
        _d.Bind(command, "now", SqlValueKind.Instant, now);
    }

    /// <summary>Binds @{prefix}0, @{prefix}1, … to <paramref name="names"/>.</summary>
    internal void BindNames(System.Data.Common.DbCommand command, string prefix, IReadOnlyCollection<string> names)
    {
        var i = 0;
        foreach (var name in names)
        {
            _d.Bind(command, prefix + i++.ToString(CultureInfo.InvariantCulture), SqlValueKind.Text, name);
        }
    }

    // ---- queries --------------------------------------------------------------------------------------------

    /// <summary>Builds the statement and parameters of a <see cref="RunQuery"/> (the caller checked the limit).</summary>
    internal void ListRuns(System.Data.Common.DbCommand command, RunQuery query, int limit)
    {
        var sql = new StringBuilder($"SELECT {RunList} FROM {RunsTable} WHERE 1 = 1");
        if (query.TenantId is not null)
        {
            sql.Append(" AND tenant_id = @tenant_id");
            _d.Bind(command, "tenant_id", SqlValueKind.Text, query.TenantId);
        }
        if (query.TenantIds is { } tenants)
        {
            if (tenants.Count > RunQuery.MaxLimit)
            {
                throw new ArgumentException($"RunQuery.TenantIds names {tenants.Count} tenants; at most {RunQuery.MaxLimit} may be asked for at once.", nameof(query));
            }
            sql.Append(tenants.Count == 0 ? " AND 0 = 1" : $" AND tenant_id IN ({ParameterList("@tenant", tenants.Count)})");
            for (var i = 0; i < tenants.Count; i++)
            {
                _d.Bind(command, "tenant" + i.ToString(CultureInfo.InvariantCulture), SqlValueKind.Text,
                    tenants[i] ?? throw new ArgumentException("RunQuery.TenantIds contains null.", nameof(query)));
            }
        }
        if (query.Workflow is not null)
        {
            sql.Append(" AND workflow = @workflow");
            _d.Bind(command, "workflow", SqlValueKind.Text, query.Workflow);
        }
        if (query.Statuses is { Count: > 0 } statuses)
        {
            sql.Append(" AND status IN (");
            for (var i = 0; i < statuses.Count; i++)
            {
                // A status that is not defined matches nothing, like it would in memory.
                var name = SqlDialect.EnumNames<RunStatus>.ToName.GetValueOrDefault(statuses[i]);
                var parameter = "status" + i.ToString(CultureInfo.InvariantCulture);
                sql.Append(i == 0 ? "" : ", ").Append('@').Append(parameter);
                _d.Bind(command, parameter, SqlValueKind.Text, name);
            }
            sql.Append(')');
        }
        // created_at keeps the offset it was written with, so instants are compared as instants, not as written.
        if (query.CreatedFrom is { } from)
        {
            sql.Append($" AND {_d.InstantOf("created_at")} >= @created_from");
            _d.Bind(command, "created_from", SqlValueKind.Int64, _d.InstantParameter(from));
        }
        if (query.CreatedBefore is { } before)
        {
            sql.Append($" AND {_d.InstantOf("created_at")} < @created_before");
            _d.Bind(command, "created_before", SqlValueKind.Int64, _d.InstantParameter(before));
        }
        if (query.RunIds is { } ids)
        {
            if (ids.Count > RunQuery.MaxLimit)
            {
                throw new ArgumentException($"RunQuery.RunIds names {ids.Count} runs; at most {RunQuery.MaxLimit} may be asked for at once.", nameof(query));
            }
            sql.Append(ids.Count == 0 ? " AND 0 = 1" : $" AND id IN ({ParameterList("@run", ids.Count)})");
            for (var i = 0; i < ids.Count; i++)
            {
                _d.Bind(command, "run" + i.ToString(CultureInfo.InvariantCulture), SqlValueKind.Id, ids[i]);
            }
        }
        if (query.ParentRunId is { } parent)
        {
            sql.Append(" AND parent_run_id = @parent_run_id");
            _d.Bind(command, "parent_run_id", SqlValueKind.Id, parent);
        }
        if (query.AfterId is { } after)
        {
            sql.Append(query.NewestFirst ? " AND id < @after_id" : " AND id > @after_id");
            _d.Bind(command, "after_id", SqlValueKind.Id, after);
        }
        sql.Append(query.NewestFirst ? " ORDER BY id DESC LIMIT @limit" : " ORDER BY id LIMIT @limit");
        _d.Bind(command, "limit", SqlValueKind.Int32, limit);
        command.CommandText = sql.ToString();
    }

    // ---- fragments ------------------------------------------------------------------------------------------

    /// <summary>"col = @param" (with the offset column when timestamps are split).</summary>
    internal string Assign(string column, string parameter) =>
        _d.SplitsTimestamps ? $"{column} = @{parameter}, {column}_offset = @{parameter}_offset" : $"{column} = @{parameter}";

    /// <summary>Sets the column to @param only when it is null (the offset column follows the same test).</summary>
    private string AssignIfNull(string column, string parameter) =>
        _d.SplitsTimestamps
            ? $"{column}_offset = CASE WHEN {column} IS NULL THEN @{parameter}_offset ELSE {column}_offset END, {column} = COALESCE({column}, @{parameter})"
            : $"{column} = COALESCE({column}, @{parameter})";

    private string Null(string column) => _d.SplitsTimestamps ? $"{column} = NULL, {column}_offset = NULL" : $"{column} = NULL";

    internal static string ParameterList(string prefix, int count) =>
        string.Join(", ", Enumerable.Range(0, count).Select(i => prefix + i.ToString(CultureInfo.InvariantCulture)));

    // The sources are enum names, so they are written into the statement as literals (one statement per target).
    private static string SourceList<TEnum>(ReadOnlySpan<TEnum> sources) where TEnum : struct, Enum
    {
        if (sources.IsEmpty)
        {
            return "NULL";
        }
        var names = new List<string>(sources.Length);
        foreach (var source in sources)
        {
            names.Add("'" + SqlDialect.EnumNames<TEnum>.ToName[source] + "'");
        }
        return string.Join(", ", names);
    }
}
