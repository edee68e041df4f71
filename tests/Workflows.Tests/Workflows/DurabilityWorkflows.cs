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
