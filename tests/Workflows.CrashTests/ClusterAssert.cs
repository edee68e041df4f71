using Workflows.Journal;

namespace Workflows.CrashTests;

/// <summary>A step body that ran more than once: who ran it first (killed), and who ran the attempt the journal kept.</summary>
internal sealed record Rerun(Guid RunId, string Step, IReadOnlyList<LedgerEntry> Earlier, LedgerEntry Kept);

internal static class ClusterAssert
{
    /// <summary>
    /// Every run completed exactly once, as a crash-free run would have, and the ledgers agree with the journal:
    /// <list type="bullet">
    /// <item>each run Succeeded with the crash-free output, released, with exactly the expected steps (none duplicated), all Succeeded;</item>
    /// <item>each step's journaled output was computed by exactly one body execution in the ledger (the kept one: the
    /// process and attempt the output names, begun and ended once), and its attempt counters say every earlier attempt was
    /// interrupted, none failed;</item>
    /// <item>every other execution of that body was in an interrupted process (killed, or stopped past its lease), began
    /// before the kept one and had a lower attempt (its owner lost the run mid-body, before its outcome committed): no
    /// body ran twice where no owner was interrupted;</item>
    /// <item>workflow code passed the last step at most once in a live process.</item>
    /// </list>
    /// <paramref name="lostClaims"/> names the runs a live process reported it lost (its commit fenced, or its renewal
    /// finding the run taken over): a lease that lapsed because the process was starved of CPU is a takeover as legitimate
    /// as a kill, and is allowed only with that evidence.
    /// <paramref name="startMarkersMayBeLost"/>: the database itself crashed (an immediate restart), which may lose a buffered
    /// start marker after its body began (CommitDurability.Buffered: a killed process never loses one, a crashed database
    /// may); a body that then found its attempt uncommitted is allowed, everything else is checked as strictly.
    /// Returns the bodies that ran more than once.
    /// </summary>
    public static IReadOnlyList<Rerun> EveryRunCompletedOnce(
        IReadOnlyList<JournalRun> journal,
        IReadOnlyList<LedgerEntry> ledger,
        IReadOnlySet<int> interruptedPids,
        IReadOnlyDictionary<string, string> expectedOutputs,
        IReadOnlyList<string> stepNames,
        IReadOnlyCollection<(int Pid, Guid RunId)>? lostClaims = null,
        bool startMarkersMayBeLost = false)
    {
        lostClaims ??= [];
        bool Interrupted(int pid, Guid runId) => interruptedPids.Contains(pid) || lostClaims.Contains((pid, runId));
        var reruns = new List<Rerun>();
        var runIds = journal.Select(r => r.Run.Id).ToHashSet();
        Assert.All(ledger, e => Assert.Contains(e.RunId, runIds));
        Assert.Equal(expectedOutputs.Keys.Order(), journal.Select(r => r.Key).Order());

        foreach (var (run, steps) in journal)
        {
            var where = $"run {run.Id} ({run.IdempotencyKey})";
            Assert.True(run.Status == RunStatus.Succeeded, $"{where} is {run.Status}: {run.Error}");
            Assert.Equal(expectedOutputs[run.IdempotencyKey!], run.Output);
            Assert.Null(run.Owner);
            Assert.Equal(stepNames, steps.Select(s => s.Name));
            Assert.Equal(Enumerable.Range(1, stepNames.Count), steps.Select(s => s.Sequence));
            Assert.Equal(steps.Count, steps.Select(s => s.Id).Distinct().Count());

            foreach (var step in steps)
            {
                var at = $"{where} step {step.Name}";
                var lines = ledger.Where(e => e.RunId == run.Id && e.Step == step.Name).ToList();
                var context = $"{at}: journal attempt {step.Attempt} (interrupted {step.InterruptedAttempts}, failed {step.FailedAttempts}), output {step.Output}; interrupted pids {string.Join(",", interruptedPids)}; ledger:\n  {string.Join("\n  ", lines)}";
                Assert.True(step.Status == StepStatus.Succeeded && step.Kind == StepKind.Step, context);
                Assert.True(step.FailedAttempts == 0 && step.Attempt == step.InterruptedAttempts + 1, context);

                var output = StepOutput.Of(step);
                Assert.True(output.Attempt == step.Attempt, $"the output was computed by attempt {output.Attempt}, the journal says {step.Attempt}. {context}");
                Assert.True(startMarkersMayBeLost || lines.All(e => e.Kind != "uncommitted"), $"a body began before its attempt was committed. {context}");
                var begins = lines.Where(e => e.Kind == "begin").ToList();
                Assert.True(begins.All(b => b.Attempt >= 1), $"a body could not read its attempt. {context}");
                Assert.True(begins.Select(b => b.Attempt).Distinct().Count() == begins.Count, $"two executions of the body under one attempt number. {context}");
                Assert.True(begins.Count <= step.Attempt, $"more executions than attempts. {context}");

                var kept = begins.Where(b => b.Pid == output.Pid && b.Attempt == output.Attempt).ToList();
                Assert.True(kept.Count == 1, $"the kept output's execution is not in the ledger exactly once. {context}");
                Assert.True(lines.Count(e => e.Kind == "end" && e.Pid == output.Pid && e.Attempt == output.Attempt) == 1, $"the kept execution did not end once. {context}");

                var earlier = begins.Where(b => b != kept[0]).ToList();
                foreach (var other in earlier)
                {
                    Assert.True(Interrupted(other.Pid, run.Id), $"the body ran again although process {other.Pid} (attempt {other.Attempt}) was not interrupted. {context}");
                    // Attempts are numbered in commit order. A process paused between its attempt's commit and the body
                    // may begin the body only after it goes on, so after the kept execution in time: its claim was lost
                    // meanwhile, and its commits are refused.
                    Assert.True(other.Attempt < kept[0].Attempt, $"an execution under a later attempt than the kept one. {context}");
                    Assert.True(other.Ticks < kept[0].Ticks || lostClaims.Contains((other.Pid, run.Id)),
                        $"an execution after the kept one by a process that did not lose the run. {context}");
                }
                if (earlier.Count > 0)
                {
                    reruns.Add(new Rerun(run.Id, step.Name, earlier, kept[0]));
                }
            }

            var finishes = ledger.Where(e => e.RunId == run.Id && e.Kind == "finish").ToList();
            Assert.True(finishes.Count >= 1, $"{where}: no execution passed the last step");
            Assert.True(finishes.Count(f => !Interrupted(f.Pid, run.Id)) <= 1, $"{where}: two live executions passed the last step:\n  {string.Join("\n  ", finishes)}");
        }
        return reruns;
    }
}
