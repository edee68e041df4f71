using System.Collections.Concurrent;

namespace Workflows.Dashboard.Tests;

/// <summary>One-shot gates a test opens to let a held step finish, and signals that a step was entered.</summary>
public sealed class Gates
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new(StringComparer.Ordinal);

    public Task WaitAsync(string key) => Gate(key).Task;

    public void Open(string key) => Gate(key).TrySetResult();

    public bool IsOpen(string key) => Gate(key).Task.IsCompleted;

    private TaskCompletionSource Gate(string key) =>
        _gates.GetOrAdd(key, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}

public sealed record ShowcaseOrder(string Id, string Customer, IReadOnlyList<OrderLine> Lines, decimal Total);

public sealed record OrderLine(string Sku, int Quantity);

public sealed record Approval(bool Approved, string By);

/// <summary>
/// Every kind of row the run page shows: a plain step with an object output, a parallel wave of two steps, an agent
/// step reporting tokens and cost, a step that skips itself, an event wait, a child run, and a last step whose failure
/// fails the run.
/// </summary>
[Workflow("dash-showcase")]
public partial class ShowcaseWorkflow
{
    public const string Declined = "card declined: insufficient funds (order ord-42)";

    [WorkflowRun]
    public async Task<string> RunAsync(string customer)
    {
        var order = await PrepareAsync(customer);
        var wave = await Task.WhenAll(CheckStockAsync(order), CheckFraudAsync(order));
        var note = await SummarizeAsync(order);
        await AuditAsync(order);
        var approval = await Workflow.WaitForEventAsync<Approval>("approval");
        var label = await Workflow.RunChildAsync(LabelWorkflow.Definition, order.Id);
        return await ChargeAsync(order, wave[0] && wave[1] && approval.Approved, note + label);
    }

    [Step("prepare-order")]
    private Task<ShowcaseOrder> PrepareAsync(string customer) =>
        Task.FromResult(new ShowcaseOrder("ord-42", customer, [new OrderLine("sku-1", 2), new OrderLine("sku-2", 1)], 129.90m));

    [Step("check-stock")]
    private Task<bool> CheckStockAsync(ShowcaseOrder order) => Task.FromResult(order.Lines.Count > 0);

    [Step("check-fraud")]
    private Task<bool> CheckFraudAsync(ShowcaseOrder order) => Task.FromResult(order.Total < 1000m);

    [Step("summarize")]
    private Task<string> SummarizeAsync(ShowcaseOrder order)
    {
        CurrentStep.ReportUsage(1200, 340, 0.0042m);
        return Task.FromResult($"{order.Lines.Count} lines for {order.Customer}");
    }

    [Step("audit")]
    private Task<bool> AuditAsync(ShowcaseOrder order)
    {
        CurrentStep.Skip("orders under 1000 are not audited");
        return Task.FromResult(false);
    }

    [Step("charge-card")]
    private Task<string> ChargeAsync(ShowcaseOrder order, bool ok, string note) => throw new InvalidOperationException(Declined);
}

/// <summary>The showcase's child run: one step.</summary>
[Workflow("dash-label")]
public partial class LabelWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(string orderId) => await PrintLabelAsync(orderId);

    [Step("print-label")]
    private Task<string> PrintLabelAsync(string orderId) => Task.FromResult("LBL-" + orderId);
}

/// <summary>A step, a step held until the test opens its gate, a last step.</summary>
[Workflow("dash-held")]
public partial class HeldWorkflow(Gates gates)
{
    [WorkflowRun]
    public async Task<string> RunAsync(string key)
    {
        var first = await FirstAsync(key);
        var held = await HeldAsync(first);
        return await LastAsync(held);
    }

    [Step("first")]
    private Task<string> FirstAsync(string key) => Task.FromResult(key);

    [Step("held")]
    private async Task<string> HeldAsync(string key)
    {
        await gates.WaitAsync(key);
        return key + ">held";
    }

    [Step("last")]
    private Task<string> LastAsync(string value) => Task.FromResult(value + ">last");
}

/// <summary>One step, for lists.</summary>
[Workflow("dash-greet")]
public partial class GreetWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(string name) => await ComposeAsync(name);

    [Step("compose")]
    private Task<string> ComposeAsync(string name) => Task.FromResult($"Hello, {name}!");
}

/// <summary>A step, then a wait for the "go" event (the run is Waiting, suspended), then a step with the payload.</summary>
[Workflow("dash-waiting")]
public partial class WaitingWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(string name)
    {
        var greeting = await GreetAsync(name);
        var go = await Workflow.WaitForEventAsync<Approval>("go");
        return await FinishAsync(greeting, go.By);
    }

    [Step("greet")]
    private Task<string> GreetAsync(string name) => Task.FromResult("hi " + name);

    [Step("finish")]
    private Task<string> FinishAsync(string greeting, string by) => Task.FromResult(greeting + " by " + by);
}

/// <summary>A step, then a step that fails (one attempt) until the test opens its gate: the run fails, and a resume after the fix succeeds.</summary>
[Workflow("dash-flaky")]
public partial class FlakyWorkflow(Gates gates)
{
    [WorkflowRun]
    public async Task<string> RunAsync(string key)
    {
        var first = await FirstAsync(key);
        return await FlakyAsync(first);
    }

    [Step("first")]
    private Task<string> FirstAsync(string key) => Task.FromResult(key);

    [Step("flaky")]
    private Task<string> FlakyAsync(string key) =>
        gates.IsOpen(key) ? Task.FromResult(key + " fixed") : throw new InvalidOperationException("the backend is down");
}
