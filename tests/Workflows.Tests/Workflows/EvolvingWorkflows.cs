namespace Workflows.Tests.TestWorkflows.Evolution;

// Several versions of one workflow in one assembly stand for successive deploys, each registered with its own engine;
// a real application has one (WF0011 says so), so the rule is off for this file only.
#pragma warning disable WF0011

// One workflow ("evolving") in several versions of its code, as successive deploys would have it: version 1 records a
// receipt, and each later version changes the receipt's type. A test runs version 1 until its second step ("ship")
// holds, stops that engine, and resumes the run with a later version.

public sealed record Receipt(string Id, decimal Amount);

public sealed record ReceiptWithNote(string Id, decimal Amount, string? Note = null);

public sealed record ReceiptWithoutAmount(string Id);

public sealed record ReceiptWithCurrency(string Id, decimal Amount, string Currency);

public sealed record ReceiptWithTotal(string Id, decimal Total);

/// <summary>Counts step bodies by name and holds "ship" while "hold-ship" is set (released when the run's token fires).</summary>
public sealed class EvolutionProbe
{
    private int _charges;
    private int _ships;

    public int Charges => Volatile.Read(ref _charges);
    public int Ships => Volatile.Read(ref _ships);
    public bool HoldShip { get; set; }
    public TaskCompletionSource ShipEntered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Charged() => Interlocked.Increment(ref _charges);

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

[Workflow("evolving")]
public partial class EvolvingV1(EvolutionProbe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(string order, CancellationToken cancellationToken)
    {
        var receipt = await ChargeAsync(order);
        await ShipAsync(receipt.Id, cancellationToken);
        return $"{receipt.Id}:{receipt.Amount}";
    }

    [Step("charge")]
    private Task<Receipt> ChargeAsync(string order)
    {
        probe.Charged();
        return Task.FromResult(new Receipt($"r-{order}", 12.5m));
    }

    [Step("ship")]
    private Task ShipAsync(string receiptId, CancellationToken cancellationToken) => probe.ShippedAsync(cancellationToken);
}

/// <summary>Adds an optional member: compatible.</summary>
[Workflow("evolving")]
public partial class EvolvingWithNote(EvolutionProbe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(string order, CancellationToken cancellationToken)
    {
        var receipt = await ChargeAsync(order);
        await ShipAsync(receipt.Id, cancellationToken);
        return $"{receipt.Id}:{receipt.Amount}:{receipt.Note ?? "no note"}";
    }

    [Step("charge")]
    private Task<ReceiptWithNote> ChargeAsync(string order)
    {
        probe.Charged();
        return Task.FromResult(new ReceiptWithNote($"r-{order}", 12.5m, "noted"));
    }

    [Step("ship")]
    private Task ShipAsync(string receiptId, CancellationToken cancellationToken) => probe.ShippedAsync(cancellationToken);
}

/// <summary>Removes a member: compatible.</summary>
[Workflow("evolving")]
public partial class EvolvingWithoutAmount(EvolutionProbe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(string order, CancellationToken cancellationToken)
    {
        var receipt = await ChargeAsync(order);
        await ShipAsync(receipt.Id, cancellationToken);
        return receipt.Id;
    }

    [Step("charge")]
    private Task<ReceiptWithoutAmount> ChargeAsync(string order)
    {
        probe.Charged();
        return Task.FromResult(new ReceiptWithoutAmount($"r-{order}"));
    }

    [Step("ship")]
    private Task ShipAsync(string receiptId, CancellationToken cancellationToken) => probe.ShippedAsync(cancellationToken);
}

/// <summary>Adds a required member: not compatible (the recorded receipt has no currency).</summary>
[Workflow("evolving")]
public partial class EvolvingWithCurrency(EvolutionProbe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(string order, CancellationToken cancellationToken)
    {
        var receipt = await ChargeAsync(order);
        await ShipAsync(receipt.Id, cancellationToken);
        return $"{receipt.Id}:{receipt.Amount}{receipt.Currency}";
    }

    [Step("charge")]
    private Task<ReceiptWithCurrency> ChargeAsync(string order)
    {
        probe.Charged();
        return Task.FromResult(new ReceiptWithCurrency($"r-{order}", 12.5m, "EUR"));
    }

    [Step("ship")]
    private Task ShipAsync(string receiptId, CancellationToken cancellationToken) => probe.ShippedAsync(cancellationToken);
}

/// <summary>Renames a member (Amount to Total): not compatible (the recorded receipt has no total).</summary>
[Workflow("evolving")]
public partial class EvolvingWithTotal(EvolutionProbe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(string order, CancellationToken cancellationToken)
    {
        var receipt = await ChargeAsync(order);
        await ShipAsync(receipt.Id, cancellationToken);
        return $"{receipt.Id}:{receipt.Total}";
    }

    [Step("charge")]
    private Task<ReceiptWithTotal> ChargeAsync(string order)
    {
        probe.Charged();
        return Task.FromResult(new ReceiptWithTotal($"r-{order}", 12.5m));
    }

    [Step("ship")]
    private Task ShipAsync(string receiptId, CancellationToken cancellationToken) => probe.ShippedAsync(cancellationToken);
}
