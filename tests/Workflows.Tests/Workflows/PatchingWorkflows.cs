namespace Workflows.Tests.TestWorkflows.Patching;

// Versions of one workflow ("patching") as successive deploys: version 2 adds an "audit" step behind
// Workflow.Patched("audit"), version 3 keeps the call and drops the old branch. WF0011 is off for this file only.
#pragma warning disable WF0011

/// <summary>Counts step bodies and holds "ship" while <see cref="HoldShip"/> is set (released when the run's token fires).</summary>
public sealed class PatchProbe
{
    private int _charges;
    private int _audits;
    private int _ships;

    public int Charges => Volatile.Read(ref _charges);
    public int Audits => Volatile.Read(ref _audits);
    public int Ships => Volatile.Read(ref _ships);
    public bool HoldShip { get; set; }
    public bool? Took { get; set; }
    public TaskCompletionSource ShipEntered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Charged() => Interlocked.Increment(ref _charges);
    public void Audited() => Interlocked.Increment(ref _audits);

    public async Task ShippedAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _ships);
        if (HoldShip)
        {
            ShipEntered.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }
}

[Workflow("patching")]
public partial class PatchingV1(PatchProbe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(string order, CancellationToken cancellationToken)
    {
        var charged = await ChargeAsync(order);
        await ShipAsync(charged, cancellationToken);
        return charged;
    }

    [Step("charge")]
    private Task<string> ChargeAsync(string order)
    {
        probe.Charged();
        return Task.FromResult("charged-" + order);
    }

    [Step("ship")]
    private Task ShipAsync(string charged, CancellationToken cancellationToken) => probe.ShippedAsync(cancellationToken);
}

[Workflow("patching")]
public partial class PatchingV2(PatchProbe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(string order, CancellationToken cancellationToken)
    {
        var charged = await ChargeAsync(order);
        var took = Workflow.Patched("audit");
        probe.Took = took;
        if (took)
        {
            charged = await AuditAsync(charged);
        }
        await ShipAsync(charged, cancellationToken);
        return charged;
    }

    [Step("charge")]
    private Task<string> ChargeAsync(string order)
    {
        probe.Charged();
        return Task.FromResult("charged-" + order);
    }

    [Step("audit")]
    private Task<string> AuditAsync(string charged)
    {
        probe.Audited();
        return Task.FromResult(charged + "+audited");
    }

    [Step("ship")]
    private Task ShipAsync(string charged, CancellationToken cancellationToken) => probe.ShippedAsync(cancellationToken);
}

/// <summary>Version 3: no run recorded before the patch is left, so the old branch is gone; the call stays.</summary>
[Workflow("patching")]
public partial class PatchingV3(PatchProbe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(string order, CancellationToken cancellationToken)
    {
        var charged = await ChargeAsync(order);
        probe.Took = Workflow.Patched("audit");
        charged = await AuditAsync(charged);
        await ShipAsync(charged, cancellationToken);
        return charged;
    }

    [Step("charge")]
    private Task<string> ChargeAsync(string order)
    {
        probe.Charged();
        return Task.FromResult("charged-" + order);
    }

    [Step("audit")]
    private Task<string> AuditAsync(string charged)
    {
        probe.Audited();
        return Task.FromResult(charged + "+audited");
    }

    [Step("ship")]
    private Task ShipAsync(string charged, CancellationToken cancellationToken) => probe.ShippedAsync(cancellationToken);
}

/// <summary>Asks for a patch with the change id it is given.</summary>
[Workflow("patching-bad-id")]
public partial class PatchingBadId
{
    [WorkflowRun]
    public Task<bool> RunAsync(string changeId) => Task.FromResult(Workflow.Patched(changeId));
}
