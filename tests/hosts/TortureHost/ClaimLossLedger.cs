using Workflows;
using Workflows.Journal;
using Workflows.Storage;

namespace TortureHost;

/// <summary>
/// The real store, passed through unchanged, with every run this process learns it lost to another engine written to the
/// ledger (<see cref="LedgerKind.Lost"/>): a commit the fence refused, a renewal that found another owner. A process paused
/// past its lease (SIGSTOP) meets these when it goes on; the checker accepts a body of that run that ran again, or late,
/// only with that evidence.
/// </summary>
public sealed class ClaimLossLedger(IWorkflowStore inner, Ledger ledger) : DelegatingWorkflowStore(inner)
{
    public override async ValueTask CommitAsync(IReadOnlyList<JournalWrite> writes, CommitDurability durability, CancellationToken cancellationToken = default)
    {
        try
        {
            await Inner.CommitAsync(writes, durability, cancellationToken).ConfigureAwait(false);
        }
        catch (RunOwnershipLostException e)
        {
            ledger.Append(LedgerKind.Lost, e.RunId, "-", 0);
            throw;
        }
    }

    public override async ValueTask<IReadOnlyList<ClaimState>> RenewClaimsAsync(ClaimRenewal renewal, CancellationToken cancellationToken = default)
    {
        var states = await Inner.RenewClaimsAsync(renewal, cancellationToken).ConfigureAwait(false);
        foreach (var state in states)
        {
            if (!state.Held && state.CurrentOwner is not null && state.CurrentOwner != renewal.Owner)
            {
                ledger.Append(LedgerKind.Lost, state.RunId, "-", 0);
            }
        }
        return states;
    }
}
