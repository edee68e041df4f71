using TortureDriver;
using TortureHost;

namespace Workflows.Torture.Tests;

/// <summary>
/// One crash-free session, whose journal and ledger the checker finds clean; then each test damages a copy of the journal
/// (or the ledger) the way a broken engine or store would, and the checker must report it, by name.
/// </summary>
public sealed class CheckerTests(CrashFreeSession session) : IClassFixture<CrashFreeSession>
{
    [Fact]
    public async Task The_crash_free_session_checked_against_itself_is_clean()
    {
        var report = await CheckAsync(session.Ledger);
        Assert.True(report.Clean, report.ToString());
        Assert.Equal(2, report.Runs);
        Assert.Equal(0, report.ExtraExecutions);
    }

    [Fact]
    public async Task A_journal_with_a_deleted_step_record_is_reported_lost()
    {
        var report = await CheckAsync(session.Ledger, "DELETE FROM workflow_steps WHERE name = 'wave-b' AND run_id = (SELECT id FROM workflow_runs WHERE idempotency_key = 'torture-1')");
        Assert.Equal(1, report.Lost);
        Assert.Contains(report.Violations, v => v.StartsWith("record lost: entry ", StringComparison.Ordinal) && v.Contains("wave-b", StringComparison.Ordinal) && v.Contains("torture-1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_ledger_with_a_later_execution_of_a_committed_step_is_reported_re_executed_after_its_record()
    {
        var run = await session.RunIdAsync("torture-0");
        var committed = session.Ledger.Last(l => l.RunId == run && l.Step == "prepare" && l.Kind == LedgerKind.End);
        // Another process, never killed nor paused, ran the body again a second after the outcome it recorded.
        LedgerLine[] later =
        [
            committed with { Ticks = committed.Ticks + TimeSpan.TicksPerSecond, Pid = 999_999, Kind = LedgerKind.Begin, Attempt = 2, Nonce = null },
            committed with { Ticks = committed.Ticks + 2 * TimeSpan.TicksPerSecond, Pid = 999_999, Kind = LedgerKind.End, Attempt = 2, Nonce = Guid.NewGuid().ToString("N") },
        ];
        var report = await CheckAsync([.. session.Ledger, .. later]);
        Assert.Equal(1, report.ReExecutedAfterRecord);
        Assert.Contains(report.Violations, v => v.Contains("(prepare) of run torture-0", StringComparison.Ordinal) && v.Contains("after the recorded outcome", StringComparison.Ordinal));
        Assert.Contains(report.Violations, v => v.Contains("although that process was neither killed nor paused", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_rewritten_run_output_is_reported_as_differing_from_the_crash_free_run()
    {
        var report = await CheckAsync(session.Ledger, "UPDATE workflow_runs SET output = '\"0|forged\"' WHERE idempotency_key = 'torture-0'");
        Assert.Contains(report.Violations, v => v.StartsWith("run torture-0 ", StringComparison.Ordinal) && v.Contains("\"0|forged\"", StringComparison.Ordinal)
                                                 && v.Contains("differs from the crash-free run", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_rewritten_step_output_is_reported_as_a_nonce_no_execution_returned()
    {
        var report = await CheckAsync(session.Ledger,
            "UPDATE workflow_steps SET output = '{\"value\":1,\"nonce\":\"0000\"}' WHERE name = 'summarize' AND run_id = (SELECT id FROM workflow_runs WHERE idempotency_key = 'torture-1')");
        Assert.Contains(report.Violations, v => v.Contains("(summarize) of run torture-1", StringComparison.Ordinal) && v.Contains("the recorded nonce 0000 is returned by 0 executions", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failed_attempt_the_body_never_threw_is_reported_as_retry_budget_consumed()
    {
        var report = await CheckAsync(session.Ledger,
            "UPDATE workflow_steps SET failed_attempts = failed_attempts + 1 WHERE name = 'flaky' AND run_id = (SELECT id FROM workflow_runs WHERE idempotency_key = 'torture-0')");
        Assert.Equal(1, report.RetryBudgetConsumedByCrashes);
    }

    [Fact]
    public async Task A_sleep_whose_next_step_began_before_the_wake_up_time_is_reported()
    {
        var report = await CheckAsync(session.Ledger,
            "UPDATE workflow_steps SET input = '{\"wakeAt\":\"2999-01-01T00:00:00.0000000+00:00\"}' WHERE kind = 'Sleep' AND run_id = (SELECT id FROM workflow_runs WHERE idempotency_key = 'torture-0')");
        Assert.Contains(report.Violations, v => v.Contains("before its wake-up time 2999", StringComparison.Ordinal));
        Assert.Contains(report.Violations, v => v.Contains($"step {TortureWorkload.AfterSleepStep} after the sleep began", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_duplicated_step_row_is_reported()
    {
        var report = await CheckAsync(session.Ledger,
            "INSERT INTO workflow_steps (id, run_id, tenant_id, sequence, position, name, kind, status, attempt, input, output, created_at, updated_at) " +
            "SELECT '00000000-0000-0000-0000-000000000001', run_id, tenant_id, 99, position, name, kind, status, attempt, input, output, created_at, updated_at " +
            "FROM workflow_steps WHERE name = 'prepare' AND run_id = (SELECT id FROM workflow_runs WHERE idempotency_key = 'torture-0')");
        Assert.Contains(report.Violations, v => v.StartsWith("duplicate step rows: 2 rows named prepare", StringComparison.Ordinal));
        Assert.Contains(report.Violations, v => v.StartsWith("orphan step row: 99 (Step prepare) of run torture-0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_record_seen_committed_after_one_crash_and_gone_after_the_next_is_reported_lost()
    {
        await using var copy = await session.CopyJournalAsync();
        var checker = new TortureChecker(new TortureReport { Store = "test", Seed = 0 });
        checker.Observe(await copy.ReadRowsAsync(full: false), "ok", "crash 1");
        await copy.ExecuteAsync("DELETE FROM workflow_steps WHERE name = 'large' AND run_id = (SELECT id FROM workflow_runs WHERE idempotency_key = 'torture-0')");
        checker.Observe(await copy.ReadRowsAsync(full: false), "ok", "crash 2");
        Assert.Equal(1, checker.Report.Lost);
        Assert.Contains(checker.Report.Violations, v => v.StartsWith("record lost: step ", StringComparison.Ordinal) && v.EndsWith("is gone after crash 2", StringComparison.Ordinal));
    }

    [Fact]
    public void An_integrity_check_that_is_not_ok_is_reported()
    {
        var checker = new TortureChecker(new TortureReport { Store = "test", Seed = 0 });
        checker.Observe(new JournalRows([], [], []), "row 3 missing from index ix_workflow_runs_status", "crash 7");
        Assert.Equal(["integrity check after crash 7: row 3 missing from index ix_workflow_runs_status"], checker.Report.Violations);
    }

    /// <summary>The checker on a copy of the session's journal, damaged by <paramref name="damage"/>, with this ledger.</summary>
    private async Task<TortureReport> CheckAsync(IReadOnlyList<LedgerLine> ledger, string? damage = null)
    {
        await using var copy = await session.CopyJournalAsync();
        if (damage is not null)
        {
            Assert.Equal(1, await copy.ExecuteAsync(damage));
        }
        var checker = new TortureChecker(new TortureReport { Store = "test", Seed = 0 });
        return checker.Check(await copy.ReadRowsAsync(full: true), ledger, session.Reference, new Interruptions());
    }
}

/// <summary>A crash-free SQLite session of two runs, its reference (itself) and its ledger, shared by the checker's tests.</summary>
public sealed class CrashFreeSession : IAsyncLifetime
{
    private TortureSession? _session;
    private int _copies;

    internal CrashFreeReference Reference { get; private set; } = null!;

    internal IReadOnlyList<LedgerLine> Ledger { get; private set; } = [];

    public async Task InitializeAsync()
    {
        _session = await TortureSession.CreateAsync(new TortureSettings { Mode = TortureMode.Sqlite, Crashes = 0, Seed = 1, MinRuns = 2, InFlight = 2 });
        await _session.RunAsync();
        Assert.True(_session.Report.Clean, _session.Report.ToString());
        Reference = CrashFreeReference.From(await _session.ReadRowsAsync(full: true));
        Ledger = _session.Ledger.ReadAll();
        // Everything into the main file, so that a copy of it is the whole journal.
        await _session.Journal.ExecuteAsync("PRAGMA wal_checkpoint(TRUNCATE)");
    }

    /// <summary>A copy of the session's journal file, to damage.</summary>
    internal Task<SqliteJournal> CopyJournalAsync()
    {
        var path = Path.Combine(_session!.Directory, $"copy-{Interlocked.Increment(ref _copies)}.db");
        File.Copy(Path.Combine(_session.Directory, "journal.db"), path);
        return Task.FromResult(new SqliteJournal(path));
    }

    internal async Task<Guid> RunIdAsync(string key) => (await _session!.ReadRowsAsync(full: false)).Runs.Single(r => r.IdempotencyKey == key).Id;

    public async Task DisposeAsync()
    {
        if (_session is not null)
        {
            await _session.DisposeAsync();
        }
    }
}
