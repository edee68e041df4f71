using System.Globalization;
using System.Text.Json;
using TortureHost;

namespace TortureDriver;

/// <summary>
/// The one checker of the torture, shared by build/torture.sh's long runs, CI's short ones and the checker's own tests. It
/// compares the journal (its rows, read straight from the tables) with the ledger (what step bodies really did) and with a
/// crash-free session of the same runs:
/// <list type="bullet">
/// <item>after every crash (<see cref="Observe"/>): the database's integrity check is clean, and every step outcome and run
/// end seen committed before is still there, unchanged (else it was lost);</item>
/// <item>at the end (<see cref="Check"/>): every run of the reference is there, ended once, Succeeded with the reference's
/// output and exactly its entries (no record lost, no duplicate or orphan row); the nonce each step outcome recorded is the
/// one its kept execution returned, and no body began after that execution had produced it; every other execution of a
/// body is explained by a kill (at most one per killed process) or a pause, or is the step's deliberate failure; the
/// journal counts no failed attempt the body did not throw (kills never consume the retry budget); durable sleeps never
/// ended, and the step after them never began, before the wake-up time.</item>
/// </list>
/// </summary>
internal sealed class TortureChecker
{
    private readonly Dictionary<(Guid RunId, int Sequence), string> _committed = [];
    private readonly Dictionary<Guid, string> _endedRuns = [];
    private readonly HashSet<string> _reportedLost = [];

    public TortureChecker(TortureReport report) => Report = report;

    public TortureReport Report { get; }

    /// <summary>After a crash: the integrity check and the journal as it is now, against everything seen committed before.</summary>
    public void Observe(JournalRows rows, string integrity, string after)
    {
        if (integrity != "ok")
        {
            Report.Violation($"integrity check after {after}: {integrity}");
        }
        var steps = rows.Steps.GroupBy(s => (s.RunId, s.Sequence)).ToDictionary(g => g.Key, g => g.First());
        foreach (var (key, fingerprint) in _committed)
        {
            if (!steps.TryGetValue(key, out var now) || now.Fingerprint != fingerprint)
            {
                Lost($"step {key.Sequence} of run {key.RunId:D}", $"step {key.Sequence} of run {key.RunId:D} committed as [{Short(fingerprint)}] is {(now is null ? "gone" : $"now [{Short(now.Fingerprint)}]")} after {after}");
            }
        }
        var runs = rows.Runs.GroupBy(r => r.Id).ToDictionary(g => g.Key, g => g.First());
        foreach (var (id, ended) in _endedRuns)
        {
            if (!runs.TryGetValue(id, out var now) || $"{now.Status}|{now.Output}" != ended)
            {
                Lost($"run {id:D}", $"run {id:D} ended as [{Short(ended)}] is {(now is null ? "gone" : $"now [{Short($"{now.Status}|{now.Output}")}]")} after {after}");
            }
        }
        foreach (var step in rows.Steps.Where(s => s.Status == "Succeeded"))
        {
            _committed.TryAdd((step.RunId, step.Sequence), step.Fingerprint);
        }
        foreach (var run in rows.Runs.Where(r => r.Status is "Succeeded" or "Failed" or "Cancelled"))
        {
            _endedRuns.TryAdd(run.Id, $"{run.Status}|{run.Output}");
        }
    }

    /// <summary>The final check of a session's journal (a full read) and ledger, against the crash-free reference.</summary>
    public TortureReport Check(JournalRows journal, IReadOnlyList<LedgerLine> ledger, CrashFreeReference reference, Interruptions interruptions)
    {
        var names = journal.Names();
        Report.Runs = journal.Runs.Count(r => r.ParentRunId is null);
        CheckRows(journal, names);

        var lost = ledger.Where(l => l.Kind == LedgerKind.Lost).Select(l => (l.Pid, l.RunId)).ToHashSet();
        bool PausedOrLost(int pid, Guid runId) => interruptions.Paused.Contains(pid) || lost.Contains((pid, runId));
        bool Interrupted(int pid, Guid runId) => interruptions.Killed.Contains(pid) || PausedOrLost(pid, runId);
        var byStep = ledger.Where(l => l.Kind is LedgerKind.Begin or LedgerKind.End or LedgerKind.Fail).ToLookup(l => (l.RunId, l.Step));
        var finishes = ledger.Where(l => l.Kind == LedgerKind.Finish).ToLookup(l => l.RunId);
        var journalRunIds = journal.Runs.Select(r => r.Id).ToHashSet();
        foreach (var orphan in ledger.Where(l => l.Kind != LedgerKind.Lost && !journalRunIds.Contains(l.RunId)).Select(l => l.RunId).Distinct())
        {
            Report.Violation($"the ledger names run {orphan:D}, which the journal does not hold");
        }

        var present = names.Values.ToHashSet(StringComparer.Ordinal);
        foreach (var (name, expected) in reference.Runs.Where(r => !present.Contains(r.Key)))
        {
            Lost($"run {name}", $"run {name} is not in the journal ({expected.Entries.Count} entries)");
        }
        foreach (var run in journal.Runs)
        {
            var name = names[run.Id];
            if (!reference.Runs.TryGetValue(name, out var expected))
            {
                Report.Violation($"run {name} ({run.Id:D}) is in the journal but a crash-free session has no such run");
                continue;
            }
            if (run.Status != "Succeeded")
            {
                Report.Violation($"run {name} ({run.Id:D}) ended {run.Status}, not Succeeded: {run.Error ?? "(no error recorded)"}");
            }
            else if (run.Output != expected.Output)
            {
                Report.Violation($"run {name} ({run.Id:D}) output {Short(run.Output)} differs from the crash-free run's {Short(expected.Output)}");
            }
            if (run.Owner is not null)
            {
                Report.Violation($"run {name} ({run.Id:D}) is still claimed by {run.Owner}");
            }
            var steps = journal.Steps.Where(s => s.RunId == run.Id).ToList();
            // A run that did not succeed stopped short of its later entries (its status is the violation); in one that
            // did, a missing entry was lost.
            foreach (var entry in run.Status == "Succeeded" ? expected.Entries : [])
            {
                if (!steps.Any(s => s.Sequence == entry.Sequence && s.Name == entry.Name && s.Kind == entry.Kind))
                {
                    Lost($"step {entry.Sequence} of run {run.Id:D}", $"entry {entry.Sequence} ({entry.Kind} {entry.Name}) of run {name} ({run.Id:D}) is not in the journal");
                }
            }
            foreach (var step in steps.Where(s => !expected.Entries.Contains((s.Sequence, s.Name, s.Kind))))
            {
                Report.Violation($"orphan step row: {step.Sequence} ({step.Kind} {step.Name}) of run {name} ({run.Id:D}), which a crash-free run does not have");
            }
            foreach (var step in steps.OrderBy(s => s.Sequence))
            {
                var at = $"step {step.Sequence} ({step.Name}) of run {name} ({run.Id:D})";
                if (step.Status != "Succeeded")
                {
                    Report.Violation($"{at} is {step.Status}, not Succeeded (attempt {step.Attempt}, failed {step.FailedAttempts}, interrupted {step.InterruptedAttempts})");
                }
                if (step.Kind == "Step")
                {
                    CheckBody(step, at, byStep[(run.Id, step.Name)].ToList(), Interrupted, PausedOrLost, interruptions);
                }
                else if (step.Kind == "Sleep")
                {
                    CheckSleep(step, at, steps, byStep);
                }
            }
            var done = finishes[run.Id].ToList();
            if (done.Count == 0)
            {
                Report.Violation($"run {name} ({run.Id:D}): no execution passed its last step");
            }
            if (done.Count(f => !Interrupted(f.Pid, run.Id)) > 1)
            {
                Report.Violation($"run {name} ({run.Id:D}) completed more than once: {string.Join(" | ", done)}");
            }
        }
        return Report;
    }

    /// <summary>Duplicates and orphans among the rows themselves.</summary>
    private void CheckRows(JournalRows journal, IReadOnlyDictionary<Guid, string> names)
    {
        var runIds = journal.Runs.Select(r => r.Id).ToHashSet();
        foreach (var duplicate in journal.Steps.GroupBy(s => (s.RunId, s.Sequence)).Where(g => g.Count() > 1))
        {
            Report.Violation($"duplicate step rows: {duplicate.Count()} rows for sequence {duplicate.Key.Sequence} of run {duplicate.Key.RunId:D}");
        }
        foreach (var duplicate in journal.Steps.GroupBy(s => (s.RunId, s.Name, s.Kind)).Where(g => g.Count() > 1))
        {
            Report.Violation($"duplicate step rows: {duplicate.Count()} rows named {duplicate.Key.Name} ({duplicate.Key.Kind}) in run {duplicate.Key.RunId:D}");
        }
        foreach (var orphan in journal.Steps.Where(s => !runIds.Contains(s.RunId)))
        {
            Report.Violation($"orphan step row {orphan.Id:D} ({orphan.Name}) of run {orphan.RunId:D}, which does not exist");
        }
        foreach (var orphan in journal.Events.Where(e => !runIds.Contains(e.RunId)))
        {
            Report.Violation($"orphan event row {orphan.Id:D} of run {orphan.RunId:D}, which does not exist");
        }
        foreach (var orphan in journal.Runs.Where(r => r.ParentRunId is { } parent && !runIds.Contains(parent)))
        {
            Report.Violation($"orphan child run {orphan.Id:D}: its parent {orphan.ParentRunId:D} does not exist");
        }
        foreach (var duplicate in names.GroupBy(n => n.Value).Where(g => g.Count() > 1))
        {
            Report.Violation($"run {duplicate.Key} is in the journal {duplicate.Count()} times");
        }
    }

    /// <summary>One step's outcome against the executions of its body in the ledger.</summary>
    private void CheckBody(StepRow step, string at, List<LedgerLine> lines, Func<int, Guid, bool> interrupted, Func<int, Guid, bool> pausedOrLost,
        Interruptions interruptions)
    {
        var context = $"{at}: journal attempt {step.Attempt} (failed {step.FailedAttempts}, interrupted {step.InterruptedAttempts}); ledger:\n      {string.Join("\n      ", lines)}";
        var nonce = step.Nonce;
        var ends = lines.Where(l => l.Kind == LedgerKind.End && l.Nonce == nonce).ToList();
        if (nonce is null || ends.Count != 1)
        {
            Report.Violation($"{at}: the recorded nonce {nonce ?? "(none)"} is returned by {ends.Count} executions in the ledger, not 1 (a rewritten output?). {context}");
            return;
        }
        var keptEnd = ends[0];
        var keptBegin = lines.LastOrDefault(l => l.Kind == LedgerKind.Begin && l.Pid == keptEnd.Pid && l.Attempt == keptEnd.Attempt && l.Ticks <= keptEnd.Ticks);
        var failures = lines.Where(l => l.Kind == LedgerKind.Fail).ToList();
        if (step.FailedAttempts > failures.Count)
        {
            Report.RetryBudgetConsumedByCrashes += step.FailedAttempts - failures.Count;
            Report.Violation($"{at}: the journal counts {step.FailedAttempts} failed attempts, the body threw {failures.Count}. {context}");
        }
        var extraByKilledPid = new Dictionary<int, int>();
        var extras = 0;
        foreach (var begin in lines.Where(l => l.Kind == LedgerKind.Begin && l != keptBegin))
        {
            if (begin.Ticks > keptEnd.Ticks)
            {
                // A process paused past its lease (or that lost the run) may go on into a body it was about to begin, and
                // only then learn that another engine took the run over: counted apart. A killed process began nothing after
                // its kill, so a late body of one that had also been paused is that same case.
                if (pausedOrLost(begin.Pid, step.RunId))
                {
                    Report.LateExecutionsByPausedOwners++;
                }
                else
                {
                    Report.ReExecutedAfterRecord++;
                    Report.Violation($"{at}: a body began at {begin.At:O} (process {begin.Pid}, attempt {begin.Attempt}) after the recorded outcome was produced at {keptEnd.At:O}. {context}");
                }
            }
            if (failures.Any(f => f.Pid == begin.Pid && f.Attempt == begin.Attempt))
            {
                continue; // the step's deliberate failure
            }
            Report.ExtraExecutions++;
            extras++;
            if (!interrupted(begin.Pid, step.RunId))
            {
                Report.Violation($"{at}: the body ran again (process {begin.Pid}, attempt {begin.Attempt}) although that process was neither killed nor paused nor lost the run. {context}");
            }
            else if (interruptions.Killed.Contains(begin.Pid) && (extraByKilledPid[begin.Pid] = extraByKilledPid.GetValueOrDefault(begin.Pid) + 1) > 1)
            {
                Report.Violation($"{at}: more than one extra execution for one kill of process {begin.Pid}. {context}");
            }
        }
        if (step.Name == TortureWorkload.FlakyStep && extras > 0)
        {
            Report.FlakyStepsHitByCrashes++;
        }
    }

    /// <summary>A durable sleep: it ended no earlier than its wake-up time, and the step after it began no earlier either.</summary>
    private void CheckSleep(StepRow sleep, string at, List<StepRow> steps, ILookup<(Guid RunId, string Step), LedgerLine> byStep)
    {
        if (sleep.Input is null || sleep.Output is null)
        {
            Report.Violation($"{at}: a sleep without its wake-up time or its end ({sleep.Input ?? "no input"}, {sleep.Output ?? "no output"})");
            return;
        }
        DateTimeOffset wakeAt, endedAt;
        using (var input = JsonDocument.Parse(sleep.Input))
        using (var output = JsonDocument.Parse(sleep.Output))
        {
            wakeAt = DateTimeOffset.Parse(input.RootElement.GetProperty("wakeAt").GetString()!, CultureInfo.InvariantCulture);
            endedAt = DateTimeOffset.Parse(output.RootElement.GetString()!, CultureInfo.InvariantCulture);
        }
        Report.SleepsChecked++;
        if (endedAt < wakeAt)
        {
            Report.Violation($"{at}: the sleep ended at {endedAt:O}, before its wake-up time {wakeAt:O}");
        }
        if (steps.FirstOrDefault(s => s.Sequence == sleep.Sequence + 1) is { Kind: "Step" } next)
        {
            foreach (var early in byStep[(sleep.RunId, next.Name)].Where(l => l.Kind == LedgerKind.Begin && l.At < wakeAt))
            {
                Report.Violation($"{at}: step {next.Name} after the sleep began at {early.At:O} (process {early.Pid}), before the wake-up time {wakeAt:O}");
            }
        }
    }

    /// <summary>A lost record, counted once however many reads miss it (<paramref name="record"/> names it).</summary>
    private void Lost(string record, string what)
    {
        if (_reportedLost.Add(record))
        {
            Report.Lost++;
            Report.Violation("record lost: " + what);
        }
    }

    private static string Short(string? text) => text is null ? "(null)" : text.Length <= 160 ? text : text[..160] + $"... ({text.Length} chars)";
}
