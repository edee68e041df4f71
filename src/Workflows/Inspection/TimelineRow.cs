using Workflows.Journal;

namespace Workflows.Inspection;

/// <summary>
/// One journal entry as a timeline shows it: a run's own entry (<see cref="Depth"/> 0) or an entry of a child run, listed
/// under the <see cref="StepKind.ChildWorkflow"/> row that started it (<see cref="Depth"/> 1 and more).
/// </summary>
public sealed record TimelineRow
{
    /// <summary>The run the entry belongs to (a child's id for the child's entries).</summary>
    public required Guid RunId { get; init; }
    public required int Sequence { get; init; }
    /// <summary>0 for the run's own entries; 1 and more for entries of a child run (its nesting).</summary>
    public required int Depth { get; init; }
    /// <summary>The entry's name exactly as journaled.</summary>
    public required string Name { get; init; }
    public required StepKind Kind { get; init; }
    /// <summary>Null for a plain step; "sleep", "event", "child", "now", "guid", "random", "publish", "when-any" for the others.</summary>
    public string? KindLabel { get; init; }
    public required TimelineState State { get; init; }
    /// <summary>The execution wave: entries of one run started together share it.</summary>
    public required int Position { get; init; }
    /// <summary>Another entry of the same run has this <see cref="Position"/>: the entry ran in a parallel wave.</summary>
    public bool SharesPosition { get; init; }
    /// <summary>The attempt now running or last finished, from 1.</summary>
    public required int Attempt { get; init; }
    public long? DurationMs { get; init; }
    /// <summary><see cref="DurationMs"/> for reading: "43 ms", "2.0 s", "1 min 3 s"; "-" when unknown.</summary>
    public required string Duration { get; init; }
    public int? InputTokens { get; init; }
    public int? OutputTokens { get; init; }
    public decimal? CostUsd { get; init; }
    /// <summary>The entry's output as JSON indented by two spaces, for display; null when it has none.</summary>
    public string? OutputJson { get; init; }
    public ErrorInfo? Error { get; init; }
    /// <summary>
    /// One line about the entry: "StepFailed: message" for a failure, "skipped: reason", "payload …" for an event,
    /// "child run ID" for a child, "waiting for …" for an open wait, "running", "pending"; null for a plain succeeded step.
    /// </summary>
    public string? Detail { get; init; }
    /// <summary>The child run a <see cref="StepKind.ChildWorkflow"/> entry started.</summary>
    public Guid? ChildRunId { get; init; }
    /// <summary>"ran" or "replayed" (or "recorded") when the caller knows how this process came by the entry (the samples do); else null.</summary>
    public string? Origin { get; init; }
    /// <summary>The journal record the row shows (input, timestamps, attempt history, debug messages).</summary>
    public required StepRecord Step { get; init; }
}
