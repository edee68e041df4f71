namespace TortureDriver;

/// <summary>A run row as the journal's table holds it.</summary>
internal sealed record RunRow(Guid Id, string Workflow, string Status, string? Output, string? IdempotencyKey, Guid? ParentRunId, int? ParentStep, string? Owner,
    string? Error = null);

/// <summary>
/// A step row as the journal's table holds it. <see cref="Output"/> holds the first 4096 characters of the output (all of
/// a short one; a large output is checked through the run's output, which workflow code computes from it);
/// <see cref="OutputLength"/> is always the whole length. <see cref="Nonce"/> is the nonce the whole output holds (a full
/// read only).
/// </summary>
internal sealed record StepRow(Guid Id, Guid RunId, int Sequence, string Name, string Kind, string Status, int Attempt, int FailedAttempts,
    int InterruptedAttempts, string? Input, string? Output, long? OutputLength, string? Nonce = null)
{
    /// <summary>What a later read must find again for this row once it has ended.</summary>
    public string Fingerprint => $"{Name}|{Kind}|{Status}|{OutputLength}|{(Output is null ? "" : Output[..Math.Min(Output.Length, JournalRows.PrefixLength)])}";
}

/// <summary>An event row (only what the orphan check needs).</summary>
internal sealed record EventRow(Guid Id, Guid RunId);

/// <summary>Every row of a journal's runs, steps and events, read straight from its tables.</summary>
internal sealed record JournalRows(IReadOnlyList<RunRow> Runs, IReadOnlyList<StepRow> Steps, IReadOnlyList<EventRow> Events)
{
    /// <summary>How much of each output a partial read (during the torture) keeps.</summary>
    public const int PrefixLength = 4096;

    /// <summary>
    /// The journal's name for a run, the same in every session: a top-level run's idempotency key, a child's its parent's
    /// name with the child entry's sequence (the child's own id derives from the parent's, which differs between sessions).
    /// </summary>
    public IReadOnlyDictionary<Guid, string> Names()
    {
        var byId = Runs.GroupBy(r => r.Id).ToDictionary(g => g.Key, g => g.First());
        var names = new Dictionary<Guid, string>();
        string Name(RunRow run, int depth)
        {
            if (names.TryGetValue(run.Id, out var known)) return known;
            var name = run.ParentRunId is { } parent && depth < 16
                ? byId.TryGetValue(parent, out var parentRow) ? $"{Name(parentRow, depth + 1)}/{run.Workflow}@{run.ParentStep}" : $"(orphan {run.Id:D})"
                : run.IdempotencyKey ?? $"(no key {run.Id:D})";
            names[run.Id] = name;
            return name;
        }
        foreach (var run in Runs)
        {
            Name(run, 0);
        }
        return names;
    }
}
