using Workflows.Journal;
using Workflows.Storage;

namespace EngineHost;

/// <summary>
/// The real store, passed through unchanged, with what an engine that lost a run meets printed on stdout: a commit refused
/// by the fence (FENCED), a renewal that found the claim gone (RENEW-LOST), a fenced commit given up because the execution
/// was cancelled before the store took it (COMMIT-CANCELLED).
/// </summary>
public sealed class LoggingStore(IWorkflowStore inner) : DelegatingWorkflowStore(inner)
{

    public override async ValueTask CommitAsync(IReadOnlyList<JournalWrite> writes, CancellationToken cancellationToken = default)
    {
        try
        {
            await Inner.CommitAsync(writes, cancellationToken).ConfigureAwait(false);
        }
        catch (RunOwnershipLostException e)
        {
            Output.Line($"FENCED run={e.RunId:D} expected={e.ExpectedOwner} current={e.CurrentOwner ?? "(none)"} writes={Describe(writes)} message={e.Message}");
            throw;
        }
        catch (OperationCanceledException) when (writes.OfType<RequireClaim>().FirstOrDefault() is { } fence)
        {
            Output.Line($"COMMIT-CANCELLED run={fence.RunId:D} owner={fence.Owner} writes={Describe(writes)}");
            throw;
        }
    }

    public override async ValueTask<IReadOnlyList<ClaimState>> RenewClaimsAsync(ClaimRenewal renewal, CancellationToken cancellationToken = default)
    {
        var states = await Inner.RenewClaimsAsync(renewal, cancellationToken).ConfigureAwait(false);
        foreach (var state in states.Where(s => !s.Held))
        {
            Output.Line($"RENEW-LOST run={state.RunId:D} owner={renewal.Owner} current={state.CurrentOwner ?? "(none)"}");
        }
        return states;
    }

    private static string Describe(IReadOnlyList<JournalWrite> writes) => string.Join(",", writes.Select(w => w switch
    {
        InsertStep i => $"insert:{i.Step.Name}:{i.Step.Status}:{i.Step.Attempt}",
        UpdateStep u => $"step:{u.Step.Name}:{u.Step.Status}:{u.Step.Attempt}",
        UpdateRun r => $"run:{r.Run.Status}",
        RequireClaim => "fence",
        ReleaseClaim => "release",
        _ => w.GetType().Name,
    }));
}
