using System.Text;
using Workflows.Journal;

namespace Workflows.Storage;

/// <summary>How every store checks a snapshot it is asked to store, and says why one was refused, so that they agree.</summary>
public static class RunSnapshots
{
    /// <summary>
    /// Refuses a snapshot that cannot be stored as it is, before anything is sent: no tenant, schema version, payload or
    /// owner, a sequence below 1, or a payload over <see cref="SnapshotRecord.MaxPayloadBytes"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A field is missing or out of range.</exception>
    /// <exception cref="SnapshotTooLargeException">The payload is over the limit.</exception>
    public static void ValidateForPut(SnapshotRecord snapshot, string owner)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(snapshot.TenantId, nameof(snapshot));
        ArgumentNullException.ThrowIfNull(snapshot.SchemaVersion, nameof(snapshot));
        ArgumentNullException.ThrowIfNull(snapshot.Payload, nameof(snapshot));
        if (snapshot.Sequence < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(snapshot), snapshot.Sequence,
                $"The snapshot of run {snapshot.RunId} names sequence {snapshot.Sequence}; a snapshot reflects a journal entry, from sequence 1.");
        }
        // A char is at least one UTF-8 byte and at most three: count only when the length alone does not decide.
        var payload = snapshot.Payload;
        if (payload.Length > SnapshotRecord.MaxPayloadBytes
            || (payload.Length > SnapshotRecord.MaxPayloadBytes / 3 && Encoding.UTF8.GetByteCount(payload) > SnapshotRecord.MaxPayloadBytes))
        {
            throw new SnapshotTooLargeException(snapshot.RunId, snapshot.Sequence, Encoding.UTF8.GetByteCount(payload));
        }
    }

    /// <summary>
    /// Why a put did not apply, from what the store found in the same transaction (or, for a store that probes after its one
    /// statement, just after): the tenant has no such run (another tenant's run is "no such run"), another owner (or none)
    /// holds it, or it has no journal entry at the snapshot's sequence.
    /// </summary>
    public static JournalException PutRefused(SnapshotRecord snapshot, string owner, bool tenantHasRun, string? currentOwner, bool entryRecorded)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (!tenantHasRun)
        {
            return new JournalConflictException($"Tenant '{snapshot.TenantId}' has no run {snapshot.RunId}; its snapshot was not stored.");
        }
        if (currentOwner != owner)
        {
            return new RunOwnershipLostException(snapshot.RunId, owner, currentOwner);
        }
        return entryRecorded
            ? new JournalConflictException($"The snapshot of run {snapshot.RunId} at sequence {snapshot.Sequence} was not stored, and no reason was found (the run changed meanwhile). Try again.")
            : new JournalConflictException($"Run {snapshot.RunId} has no journal entry at sequence {snapshot.Sequence}; a snapshot must reflect a recorded entry. It was not stored.");
    }
}
