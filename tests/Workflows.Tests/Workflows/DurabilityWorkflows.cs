namespace Workflows.Tests.TestWorkflows;

/// <summary>Takes a durable guid, then hands it to a step (as an idempotency key would be): the guid must be as durable as the step's start.</summary>
[Workflow("durability-guid-then-step")]
public partial class GuidThenStepWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(int value)
    {
        var key = Workflow.NewGuid();
        return await UseKeyAsync(key.ToString(), value);
    }

    [Step("use-key")]
    private Task<string> UseKeyAsync(string key, int value) => Task.FromResult($"{key}:{value}");
}

/// <summary>A step whose outcome is the child's input, then the child (it doubles it): the child must never see an outcome the journal could lose.</summary>
[Workflow("durability-step-then-child")]
public partial class StepThenChildWorkflow
{
    [WorkflowRun]
    public async Task<int> RunAsync(int value)
    {
        var prepared = await PrepareAsync(value);
        return await Workflow.RunChildAsync(Workflows.Tests.TestWorkflows.Messaging.ChildWorkflow.Definition, prepared);
    }

    [Step("prepare")]
    private Task<int> PrepareAsync(int value) => Task.FromResult(value + 1);
}

/// <summary>
/// A run resumed twice: <c>count</c> steps, a wait for "a", three more steps, a wait for "b". Every body is counted under
/// "add-{i}"; the output adds up the steps' indexes and both events' payloads.
/// </summary>
[Workflow("durability-long-waiter")]
public partial class LongWaiterWorkflow(Workflows.Tests.TestWorkflows.Execution.ExecutionProbe probe)
{
    [WorkflowRun]
    public async Task<long> RunAsync(int count)
    {
        long total = 0;
        for (var i = 0; i < count; i++) total = await AddAsync(i, total);
        total += await Workflow.WaitForEventAsync<int>("a");
        for (var i = 0; i < 3; i++) total = await AddAsync(1000 + i, total);
        total += await Workflow.WaitForEventAsync<int>("b");
        return total;
    }

    [Step("add")]
    private Task<long> AddAsync(int i, long total)
    {
        probe.Called($"add-{i}");
        return Task.FromResult(total + i);
    }
}
