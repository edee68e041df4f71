namespace Workflows.Journal;

/// <summary>
/// A run's snapshot: what the engine needs to resume it without replaying its journal entry by entry (its completed step
/// outputs and working state, in a format of the engine's), and the journal sequence number it reflects. A run has at most
/// one: storing another replaces it (<see cref="Storage.IWorkflowStore.PutSnapshotAsync"/>). It is a cache of the journal,
/// never the truth: a resume trusts it only while the journal's last entry is at <see cref="Sequence"/>, and replays the
/// journal otherwise.
/// </summary>
public sealed record SnapshotRecord
{
    /// <summary>The most <see cref="Payload"/> may be, in UTF-8 bytes, in every store.</summary>
    public const int MaxPayloadBytes = 16 * 1024 * 1024;

    public required Guid RunId { get; init; }

    /// <summary>The run's tenant; a snapshot is read only within it.</summary>
    public required string TenantId { get; init; }

    /// <summary>The sequence of the last journal entry the snapshot reflects, from 1: the run must have an entry there.</summary>
    public required int Sequence { get; init; }

    /// <summary>The schema version of the code that took it (a resume under another version should not trust its working state).</summary>
    public required string SchemaVersion { get; init; }

    /// <summary>The snapshot itself, opaque to the store (JSON text as the engine writes it), at most <see cref="MaxPayloadBytes"/>.</summary>
    public required string Payload { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
}
