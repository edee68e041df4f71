using Workflows.Journal;
using Workflows.Storage;

namespace EngineHost;

/// <summary>
/// The real store, passed through unchanged, with what an engine that lost a run meets printed on stdout: a commit refused
/// by the fence (FENCED), a renewal that found the claim gone (RENEW-LOST), a fenced commit given up because the execution
/// was cancelled before the store took it (COMMIT-CANCELLED).
/// </summary>
public sealed class LoggingStore(IWorkflowStore inner) : IWorkflowStore
{
    public ValueTask InitializeAsync(CancellationToken cancellationToken = default) => inner.InitializeAsync(cancellationToken);

    public ValueTask<CreateRunResult> CreateRunAsync(RunRecord run, IReadOnlyList<StepRecord>? steps = null, CancellationToken cancellationToken = default) =>
        inner.CreateRunAsync(run, steps, cancellationToken);

    public ValueTask<RunRecord?> GetRunAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default) =>
        inner.GetRunAsync(tenantId, runId, cancellationToken);

    public ValueTask<IReadOnlyList<StepRecord>> GetStepsAsync(string tenantId, Guid runId, CancellationToken cancellationToken = default) =>
        inner.GetStepsAsync(tenantId, runId, cancellationToken);

    public ValueTask<IReadOnlyList<RunRecord>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default) =>
        inner.ListRunsAsync(query, cancellationToken);

    public async ValueTask CommitAsync(IReadOnlyList<JournalWrite> writes, CancellationToken cancellationToken = default)
    {
        try
        {
            await inner.CommitAsync(writes, cancellationToken).ConfigureAwait(false);
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

    public ValueTask<RunRecord?> ClaimRunAsync(RunClaim claim, CancellationToken cancellationToken = default) =>
        inner.ClaimRunAsync(claim, cancellationToken);

    public ValueTask<IReadOnlyList<RunRecord>> ClaimReadyRunsAsync(ReadyRunsClaim claim, CancellationToken cancellationToken = default) =>
        inner.ClaimReadyRunsAsync(claim, cancellationToken);

    public async ValueTask<IReadOnlyList<ClaimState>> RenewClaimsAsync(ClaimRenewal renewal, CancellationToken cancellationToken = default)
    {
        var states = await inner.RenewClaimsAsync(renewal, cancellationToken).ConfigureAwait(false);
        foreach (var state in states.Where(s => !s.Held))
        {
            Output.Line($"RENEW-LOST run={state.RunId:D} owner={renewal.Owner} current={state.CurrentOwner ?? "(none)"}");
        }
        return states;
    }

    public ValueTask<DateTimeOffset?> GetNextDueAsync(IReadOnlyCollection<string> workflows, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        inner.GetNextDueAsync(workflows, now, cancellationToken);

    public ValueTask<CancelResult> RequestCancelAsync(CancelRequest request, CancellationToken cancellationToken = default) =>
        inner.RequestCancelAsync(request, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();

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
