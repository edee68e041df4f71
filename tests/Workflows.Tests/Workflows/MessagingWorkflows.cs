using Workflows.Tests.TestWorkflows.Execution;

namespace Workflows.Tests.TestWorkflows.Messaging;

/// <summary>A step, a wait for "approval" (10 minutes), a step. "hold-prepare" / "hold-finish" hold those bodies until released.</summary>
[Workflow("msg-approval")]
public partial class ApprovalWorkflow(ExecutionProbe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(string order, CancellationToken cancellationToken)
    {
        var prepared = await PrepareAsync(order);
        var decision = await Workflow.WaitForEventAsync<string>("approval", TimeSpan.FromMinutes(10));
        return await FinishAsync($"{prepared}:{decision}", cancellationToken);
    }

    [Step("prepare")]
    private async Task<string> PrepareAsync(string order)
    {
        probe.Called("prepare");
        if (probe.IsOn("hold-prepare"))
        {
            probe.Raise("prepare-entered");
            await probe.WhenRaised("release-prepare");
        }
        return $"prepared {order}";
    }

    [Step("finish")]
    private async Task<string> FinishAsync(string state, CancellationToken cancellationToken)
    {
        probe.Called("finish");
        if (probe.IsOn("hold-finish"))
        {
            probe.Raise("finish-entered");
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        return $"{state} done";
    }
}

/// <summary>Waits for "ping" with a timeout in milliseconds; on a timeout, waits for the next "ping" as long as it takes.</summary>
[Workflow("msg-timeout")]
public partial class PingWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(int timeoutMilliseconds)
    {
        try
        {
            return "on time: " + await Workflow.WaitForEventAsync<string>("ping", TimeSpan.FromMilliseconds(timeoutMilliseconds));
        }
        catch (EventTimeoutException e)
        {
            var late = await Workflow.TryWaitForEventAsync<string>("ping", TimeSpan.FromHours(1));
            return $"timed out at wait {e.Sequence}, then: {late.Payload} ({late.Arrived})";
        }
    }
}

/// <summary>Takes <c>count</c> "item" events, one wait each, and joins them in the order taken.</summary>
[Workflow("msg-queue")]
public partial class QueueWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(int count)
    {
        var items = new List<int>();
        for (var i = 0; i < count; i++)
        {
            items.Add(await Workflow.WaitForEventAsync<int>("item"));
        }
        return string.Join(",", items);
    }
}

/// <summary>Publishes a payment link, waits for "paid", publishes the receipt, and counts its publications in "publish".</summary>
[Workflow("msg-checkout")]
public partial class CheckoutWorkflow(ExecutionProbe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(string cart)
    {
        var link = await LinkAsync(cart);
        await Workflow.SetEventAsync("payment-link", link);
        var paid = await Workflow.WaitForEventAsync<decimal>("paid");
        await Workflow.SetEventAsync("status", $"paid {paid}");
        return $"{cart} paid {paid}";
    }

    [Step("link")]
    private Task<string> LinkAsync(string cart)
    {
        probe.Called("link");
        return Task.FromResult($"https://pay.example/{cart}");
    }
}

/// <summary>A child that doubles its input, or fails on a negative one, or waits for "go" when the input is 0.</summary>
[Workflow("msg-child")]
public partial class ChildWorkflow(ExecutionProbe probe)
{
    [WorkflowRun]
    public async Task<int> RunAsync(int value)
    {
        if (value == 0)
        {
            return await Workflow.WaitForEventAsync<int>("go");
        }
        return await DoubleAsync(value);
    }

    [Step("double")]
    private Task<int> DoubleAsync(int value)
    {
        probe.Called("child-double");
        if (value < 0) throw new ArgumentOutOfRangeException(nameof(value), value, "negative input");
        return Task.FromResult(value * 2);
    }
}

/// <summary>Runs a child, then a step ("after", held by "hold-after"); a failed child is caught and reported.</summary>
[Workflow("msg-parent")]
public partial class ParentWorkflow(ExecutionProbe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(int value, CancellationToken cancellationToken)
    {
        string got;
        try
        {
            got = $"child gave {await Workflow.RunChildAsync(ChildWorkflow.Definition, value)}";
        }
        catch (ChildWorkflowFailedException e)
        {
            got = $"child {e.Status}: {e.Error.Message}";
        }
        return await AfterAsync(got, cancellationToken);
    }

    [Step("after")]
    private async Task<string> AfterAsync(string got, CancellationToken cancellationToken)
    {
        probe.Called("after");
        if (probe.IsOn("hold-after"))
        {
            probe.Raise("after-entered");
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        return got;
    }
}

/// <summary>Three children in one <c>Task.WhenAll</c>, each waiting for its own "go" (input 0), then their sum.</summary>
[Workflow("msg-fanout")]
public partial class FanOutWorkflow
{
    [WorkflowRun]
    public async Task<int> RunAsync(int width)
    {
        int[] results = await Task.WhenAll(Enumerable.Range(0, width).Select(_ => Workflow.RunChildAsync(ChildWorkflow.Definition, 0)));
        return results.Sum();
    }
}

/// <summary>A long durable sleep called first, then a step, in one wave: the step still starts in this execution.</summary>
[Workflow("msg-sleep-then-step")]
public partial class SleepThenStepWorkflow(ExecutionProbe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(int sleepMilliseconds)
    {
        var sleep = Workflow.SleepAsync(TimeSpan.FromMilliseconds(sleepMilliseconds));
        var step = MarkAsync();
        await Task.WhenAll(sleep, step);
        return await step;
    }

    [Step("mark")]
    private Task<string> MarkAsync()
    {
        probe.Called("mark");
        return Task.FromResult("marked");
    }
}

/// <summary>Three steps whose bodies finish at once, in one <c>Task.WhenAll</c>; then two more, one after the other.</summary>
[Workflow("msg-sync-wave")]
public partial class SynchronousWaveWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(int seed)
    {
        var wave = await Task.WhenAll(OneAsync(seed), TwoAsync(seed), ThreeAsync(seed));
        var four = await FourAsync(wave.Sum());
        var five = await FiveAsync(four);
        return $"{string.Join(",", wave)}|{four}|{five}";
    }

    [Step("one")] private Task<int> OneAsync(int seed) => Task.FromResult(seed + 1);
    [Step("two")] private Task<int> TwoAsync(int seed) => Task.FromResult(seed + 2);
    [Step("three")] private Task<int> ThreeAsync(int seed) => Task.FromResult(seed + 3);
    [Step("four")] private Task<int> FourAsync(int sum) => Task.FromResult(sum * 10);
    [Step("five")] private Task<int> FiveAsync(int four) => Task.FromResult(four + 5);
}
