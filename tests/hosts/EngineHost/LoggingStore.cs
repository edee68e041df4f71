using Workflows.Journal;
using Workflows.Storage;

namespace EngineHost;

/// <summary>
/// The real store, passed through unchanged, with what an engine that lost a run meets printed on stdout: a commit refused
/// by the fence (FENCED), a renewal that found the claim gone (RENEW-LOST), a fenced commit given up because the execution
/// was cancelled before the store took it (COMMIT-CANCELLED).
/// </summary>
/// <remarks>
/// With <paramref name="stopOnRenewFile"/>, while that file exists the process stops itself (a real SIGSTOP) inside each
/// renewal, once the store has renewed its claims and before the engine hears the answer. Continued after its lease
/// lapsed and its runs were taken over, the engine believes it still holds them until its next renewal, a third of a
/// lease later: the commits it makes meanwhile reach the store, whose fence must refuse them.
/// </remarks>
public sealed class LoggingStore(IWorkflowStore inner, string? stopOnRenewFile = null) : DelegatingWorkflowStore(inner)
{
    private int _selfStops;

    public override async ValueTask CommitAsync(IReadOnlyList<JournalWrite> writes, CommitDurability durability, CancellationToken cancellationToken = default)
    {
        try
        {
            await Inner.CommitAsync(writes, durability, cancellationToken).ConfigureAwait(false);
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
        if (stopOnRenewFile is not null && File.Exists(stopOnRenewFile))
        {
            var stop = Interlocked.Increment(ref _selfStops);
            Output.Line($"SELF-STOP {stop} held={states.Count(s => s.Held)} runs={string.Join(",", states.Where(s => s.Held).Select(s => s.RunId.ToString("D")))}");
            using var kill = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/bin/kill", ["-STOP", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
            kill.WaitForExit();
            Output.Line($"SELF-CONT {stop}");
        }
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
