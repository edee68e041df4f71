using System.Globalization;

namespace TortureDriver;

/// <summary>What the checker found in one torture session: the figures it prints, and every violation it saw, named.</summary>
internal sealed class TortureReport
{
    private readonly List<string> _violations = [];

    public required string Store { get; init; }

    public required int Seed { get; init; }

    /// <summary>SIGKILLs of workers, or immediate restarts of the server.</summary>
    public int Crashes { get; set; }

    /// <summary>Workers SIGSTOPped past their lease (then continued).</summary>
    public int Pauses { get; set; }

    /// <summary>Top-level runs (each with a child run).</summary>
    public int Runs { get; set; }

    /// <summary>Records a read found missing or changed after they had been seen committed, or missing at the end.</summary>
    public int Lost { get; set; }

    /// <summary>Step bodies that began after the outcome the journal kept had been produced (and not by a paused owner).</summary>
    public int ReExecutedAfterRecord { get; set; }

    /// <summary>Executions of a step body beyond the one whose outcome the journal kept (and its deliberate failure).</summary>
    public int ExtraExecutions { get; set; }

    /// <summary>Failed attempts the journal counted that the body did not throw.</summary>
    public int RetryBudgetConsumedByCrashes { get; set; }

    /// <summary>Bodies a paused owner began after another engine had produced the kept outcome (its commit is then refused).</summary>
    public int LateExecutionsByPausedOwners { get; set; }

    /// <summary>Fails-once steps (MaxAttempts = 2) whose body a crash cut short at least once: they must still succeed.</summary>
    public int FlakyStepsHitByCrashes { get; set; }

    /// <summary>Durable sleeps whose wake-up time was checked against the ledger.</summary>
    public int SleepsChecked { get; set; }

    public IReadOnlyList<string> Violations => _violations;

    public bool Clean => _violations.Count == 0;

    public void Violation(string what) => _violations.Add(what);

    /// <summary>The figures, as build/torture.sh prints them.</summary>
    public string Summary() => string.Create(CultureInfo.InvariantCulture,
        $"{Store}: seed: {Seed}, crashes: {Crashes}, runs: {Runs}, lost: {Lost}, re-executed-after-record: {ReExecutedAfterRecord}, " +
        $"extra-executions: {ExtraExecutions}, retry-budget-consumed-by-crashes: {RetryBudgetConsumedByCrashes} " +
        $"(pauses: {Pauses}, late-executions-by-paused-owners: {LateExecutionsByPausedOwners}, fails-once-steps-hit-by-crashes: {FlakyStepsHitByCrashes}, sleeps-checked: {SleepsChecked}, violations: {_violations.Count})");

    public override string ToString() => Clean
        ? Summary()
        : Summary() + "\n" + string.Join("\n", _violations.Take(50).Select(v => "  VIOLATION " + v)) + (_violations.Count > 50 ? $"\n  ... {_violations.Count - 50} more" : "");
}
