using Workflows.Journal;
using Workflows.Storage;
using static Workflows.Sqlite.SqliteJournalRows;

namespace Workflows.Sqlite;

/// <summary>
/// The journal's statements: the state machines (every status write conditional on the stored status being one of
/// <see cref="StatusTransitions"/>' sources) and the claim conditions (<see cref="RunReadiness"/> in SQL).
/// </summary>
internal static class SqliteJournalSql
{
    internal static readonly string InsertRun =
        $"INSERT INTO {RunsTable} ({RunColumns}) VALUES ({string.Join(", ", RunColumnNames.Select(c => "$" + c))}) ON CONFLICT DO NOTHING";

    // Inserted only when the tenant has the run; a taken (run_id, sequence) or id inserts nothing, and the caller then
    // finds out which it was.
    internal static readonly string InsertStep = $"""
        INSERT INTO {StepsTable} ({StepColumns})
        SELECT {string.Join(", ", StepColumnNames.Select(c => "$" + c))}
        WHERE EXISTS (SELECT 1 FROM {RunsTable} WHERE id = $run_id AND tenant_id = $tenant_id)
        ON CONFLICT DO NOTHING
        """;

    internal static string UpdateRun(RunStatus target) => $"""
        UPDATE {RunsTable} SET {SetList(RunColumnNames, RunColumnsNotUpdated)}
        WHERE id = $id AND tenant_id = $tenant_id AND status IN ({SourceList(StatusTransitions.RunSources(target))})
        """;

    internal static string UpdateStep(StepStatus target) => $"""
        UPDATE {StepsTable} SET {SetList(StepColumnNames, StepColumnsNotUpdated)}
        WHERE id = $id AND run_id = $run_id AND tenant_id = $tenant_id AND sequence = $sequence
          AND status IN ({SourceList(StatusTransitions.StepSources(target))})
        """;

    internal static readonly string Fence = $"SELECT owner FROM {RunsTable} WHERE id = $id AND tenant_id = $tenant_id";

    internal static readonly string Release =
        $"UPDATE {RunsTable} SET owner = NULL, lease_expires_at = NULL WHERE id = $id AND tenant_id = $tenant_id AND owner = $owner";

    // A claim lapses at its lease: <= $now, as RunReadiness has it.
    private const string Unheld = "(owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at <= $now)";

    // A waiting run is due: a cancel request, a wake-up request (an event, a child's end), or its wake-up time has come.
    private const string WaitOver = "(cancel_requested_at IS NOT NULL OR wake_requested_at IS NOT NULL OR wake_at <= $now)";

    /// <summary>Ready to be claimed by anyone (RunReadiness.IsClaimable without the owner's own claims).</summary>
    internal const string Ready = $"""
        ((status IN ('Pending', 'Running') AND {Unheld})
          OR (status = 'Waiting' AND {WaitOver} AND {Unheld}))
        """;

    /// <summary>Ready, or already claimed by $owner.</summary>
    internal const string ReadyOrOwn = $"""
        ((status IN ('Pending', 'Running') AND ({Unheld} OR owner = $owner))
          OR (status = 'Waiting' AND {WaitOver} AND ({Unheld} OR owner = $owner)))
        """;

    /// <summary>The claimed form of a run (RunReadiness.Claimed): the claim takes the wake-up request.</summary>
    internal const string ClaimSet = """
        status = 'Running', owner = $owner, lease_expires_at = $lease, started_at = COALESCE(started_at, $now),
        wake_at = NULL, waiting_for = NULL, wake_requested_at = NULL, updated_at = $now
        """;

    internal static readonly string ClaimById = $"""
        UPDATE {RunsTable} SET {ClaimSet}
        WHERE id = $id AND tenant_id = $tenant_id AND {ReadyOrOwn}
        RETURNING {RunColumns}
        """;

    /// <summary>Claims ready runs of the workflows named $w0, $w1, … (<paramref name="workflows"/> of them), oldest first.</summary>
    internal static string ClaimReady(int workflows, int tenants) => $"""
        UPDATE {RunsTable} SET {ClaimSet}
        WHERE id IN (
            SELECT id FROM {RunsTable}
            WHERE workflow IN ({ParameterList("$w", workflows)}){TenantFilter(tenants)} AND {Ready}
            ORDER BY id
            LIMIT $limit)
        RETURNING id
        """;

    /// <summary>Parks a run whose row cannot be read, so that it stops being claimed (and blocking the claims of others).</summary>
    internal static readonly string ParkUnreadable = $"""
        UPDATE {RunsTable} SET status = 'Parked', error = $error, owner = NULL, lease_expires_at = NULL, updated_at = $now
        WHERE id = $id
        """;

    /// <summary>The earliest due moment among runs of the named workflows (RunReadiness.DueAt).</summary>
    internal static string NextDue(int workflows, int tenants) => $"""
        SELECT MIN(due) FROM (
            SELECT CASE WHEN owner IS NULL OR lease_expires_at IS NULL THEN '0001' ELSE lease_expires_at END AS due
            FROM {RunsTable} WHERE status IN ('Pending', 'Running') AND workflow IN ({ParameterList("$w", workflows)}){TenantFilter(tenants)}
            UNION ALL
            SELECT CASE WHEN cancel_requested_at IS NOT NULL OR wake_requested_at IS NOT NULL THEN '0001' ELSE wake_at END FROM {RunsTable}
            WHERE status = 'Waiting' AND (wake_at IS NOT NULL OR cancel_requested_at IS NOT NULL OR wake_requested_at IS NOT NULL)
              AND workflow IN ({ParameterList("$w", workflows)}){TenantFilter(tenants)})
        """;

    /// <summary>" AND tenant_id IN ($t0, …)" for an engine that serves <paramref name="tenants"/> tenants; nothing for every tenant (-1).</summary>
    private static string TenantFilter(int tenants) => tenants < 0 ? "" : tenants == 0 ? " AND 0 = 1" : $" AND tenant_id IN ({ParameterList("$t", tenants)})";

    // ---- events and wake-ups (RunEvents) ----------------------------------------------------------------

    /// <summary>The status of the tenant's run, read under the write lock by a send.</summary>
    internal static readonly string RunStatusOf = $"SELECT status FROM {RunsTable} WHERE id = $id AND tenant_id = $tenant_id";

    /// <summary>The run's event with the idempotency key, if any (the first one sent with it: the key is unique per run).</summary>
    internal static readonly string EventByKey =
        $"SELECT {EventColumns} FROM {EventsTable} WHERE run_id = $run_id AND idempotency_key = $key ORDER BY rowid LIMIT 1";

    internal static readonly string InsertEvent =
        $"INSERT INTO {EventsTable} ({EventColumns}) VALUES ({string.Join(", ", EventColumnNames.Select(c => "$" + c))})";

    /// <summary>
    /// A wake-up request (an event sent, a child ended): every status but the final ones takes it. Only this column changes.
    /// </summary>
    internal static readonly string RequestWake = $"""
        UPDATE {RunsTable} SET wake_requested_at = $at
        WHERE id = $id AND tenant_id = $tenant_id AND status NOT IN ('Succeeded', 'Failed', 'Cancelled')
        """;

    /// <summary>Consumes an event of the run, once: nothing changes when it is missing, of another run, or consumed already.</summary>
    internal static readonly string ConsumeEvent = $"""
        UPDATE {EventsTable} SET consumed_at = $at, consumed_by_sequence = $sequence
        WHERE id = $id AND run_id = $run_id AND tenant_id = $tenant_id AND consumed_at IS NULL
        """;

    /// <summary>An event of the tenant's run by id: why a consume did not apply.</summary>
    internal static readonly string EventOfRun =
        $"SELECT {EventColumns} FROM {EventsTable} WHERE id = $id AND run_id = $run_id AND tenant_id = $tenant_id";

    /// <summary>A run's events in the order they were sent, with the optional name ($name) and pending-only filters.</summary>
    internal static string Events(bool byName, bool includeConsumed) => $"""
        SELECT {EventColumns} FROM {EventsTable}
        WHERE tenant_id = $tenant_id AND run_id = $run_id{(byName ? " AND name = $name" : "")}{(includeConsumed ? "" : " AND consumed_at IS NULL")}
        ORDER BY rowid
        LIMIT $limit
        """;

    internal static string Renew(int runs) =>
        $"UPDATE {RunsTable} SET lease_expires_at = $lease WHERE owner = $owner AND id IN ({ParameterList("$r", runs)})";

    internal static string ClaimStates(int runs) =>
        $"SELECT id, owner, cancel_requested_at, cancel_reason FROM {RunsTable} WHERE id IN ({ParameterList("$r", runs)})";

    internal static readonly string RecordCancelRequest =
        $"UPDATE {RunsTable} SET cancel_requested_at = $now, cancel_reason = $reason WHERE id = $id AND tenant_id = $tenant_id";

    internal static readonly string CancelUnheld = $"""
        UPDATE {RunsTable} SET status = 'Cancelled', error = $error, completed_at = $now, updated_at = $now, owner = NULL, lease_expires_at = NULL,
            wake_at = NULL, waiting_for = NULL, cancel_requested_at = $now, cancel_reason = $reason
        WHERE id = $id AND tenant_id = $tenant_id AND status = $status
        """;

    /// <summary>The steps a store-side cancellation cuts short (RunCancellation.CutShort).</summary>
    internal static readonly string CutShortSteps = $"""
        UPDATE {StepsTable} SET status = 'Failed', error = $error, completed_at = $now, updated_at = $now
        WHERE run_id = $id AND tenant_id = $tenant_id AND status IN ('Pending', 'Running')
        """;

    /// <summary>
    /// A timestamp column (written as round-trip text with the offset it was given) as an instant: ticks since the Unix
    /// epoch, UTC, to compare with <see cref="UnixTicks"/> of a parameter.
    /// </summary>
    internal static string InstantOf(string column) =>
        $"(unixepoch(substr({column}, 1, 19) || substr({column}, 28)) * 10000000 + CAST(substr({column}, 21, 7) AS INTEGER))";

    /// <summary>The parameter value that <see cref="InstantOf"/> compares with.</summary>
    internal static long UnixTicks(DateTimeOffset instant) => instant.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;

    /// <summary>Retention: one batch of ended runs, deleted with their steps and events (ON DELETE CASCADE).</summary>
    internal static string DeleteEndedRuns(bool oneTenant) => $"""
        DELETE FROM {RunsTable} WHERE id IN (
            SELECT id FROM {RunsTable}
            WHERE status IN ('Succeeded', 'Failed', 'Cancelled') AND completed_at IS NOT NULL
              AND {InstantOf("completed_at")} < $ended_before{(oneTenant ? " AND tenant_id = $tenant_id" : "")}
            ORDER BY id LIMIT $limit)
        RETURNING id
        """;

    internal static string ParameterList(string prefix, int count) =>
        string.Join(", ", Enumerable.Range(0, count).Select(i => prefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    private static string SetList(string[] columns, string[] keys) =>
        string.Join(", ", columns.Where(c => !keys.Contains(c)).Select(c => $"{c} = ${c}"));

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
            names.Add("'" + SqliteValues.EnumNames<TEnum>.ToName[source] + "'");
        }
        return string.Join(", ", names);
    }
}
