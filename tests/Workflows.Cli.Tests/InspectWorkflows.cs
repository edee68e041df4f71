namespace Workflows.Cli.Tests;

public sealed record Prepared(string Order, int Lines);

public sealed record Half(string Side, int Lines);

public sealed record Answer(string Text);

public sealed record Approval(bool Approved, string By);

/// <summary>
/// Every kind of row <c>runs show</c> renders: a plain step, a wave of two, a skipped step, an agent step reporting
/// usage, an event wait answered by an event, a child run (two entries, one reporting usage), and last a step that fails
/// after its three attempts, so that the run fails.
/// </summary>
[Workflow("cli-inspect")]
public partial class InspectWorkflow
{
    public const string Name = "cli-inspect";

    [WorkflowRun]
    public async Task<string> RunAsync(string order)
    {
        var prepared = await PrepareAsync(order);
        var halves = await Task.WhenAll(LeftAsync(prepared), RightAsync(prepared));
        var extra = await OptionalAsync(order);
        var answer = await AskModelAsync(order);
        var approval = await Workflow.WaitForEventAsync<Approval>("approval");
        var section = await Workflow.RunChildAsync(SectionWorkflow.Definition, order);
        return await ChargeAsync($"{order}:{halves.Length}:{extra}:{answer.Text}:{approval.By}:{section}");
    }

    [Step("prepare")]
    private async Task<Prepared> PrepareAsync(string order)
    {
        await Task.Yield();
        return new Prepared(order, 3);
    }

    [Step("left")]
    private async Task<Half> LeftAsync(Prepared prepared)
    {
        await Task.Yield();
        return new Half("left", prepared.Lines);
    }

    [Step("right")]
    private async Task<Half> RightAsync(Prepared prepared)
    {
        await Task.Yield();
        return new Half("right", prepared.Lines + 1);
    }

    [Step("optional")]
    private Task<string> OptionalAsync(string order)
    {
        CurrentStep.Skip("not needed for " + order);
        return Task.FromResult("none");
    }

    [Step("ask-model")]
    private Task<Answer> AskModelAsync(string order)
    {
        CurrentStep.ReportUsage(inputTokens: 120, outputTokens: 30, costUsd: 0.0042m);
        CurrentStep.Debug("prompt: summarise " + order);
        return Task.FromResult(new Answer("fine"));
    }

    [Step("charge", MaxAttempts = 3, RetryDelayMilliseconds = 1, BackoffFactor = 1.0)]
    private Task<string> ChargeAsync(string summary) => throw new InvalidOperationException("card declined for " + summary.Split(':')[0]);
}

/// <summary>The child run: a drafting agent step and a plain one.</summary>
[Workflow("cli-section")]
public partial class SectionWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(string order)
    {
        var draft = await DraftAsync(order);
        return await PolishAsync(draft);
    }

    [Step("draft")]
    private Task<string> DraftAsync(string order)
    {
        CurrentStep.ReportUsage(inputTokens: 40, outputTokens: 10, costUsd: 0.0011m);
        return Task.FromResult("draft of " + order);
    }

    [Step("polish")]
    private Task<string> PolishAsync(string draft) => Task.FromResult(draft + ", polished");
}

/// <summary>Waits for an event "go" that the fixture never sends: the run stays Waiting.</summary>
[Workflow("cli-waiting")]
public partial class WaitingWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(string input)
    {
        var started = await StartAsync(input);
        var go = await Workflow.WaitForEventAsync<Approval>("go");
        return started + ":" + go.By;
    }

    [Step("start")]
    private Task<string> StartAsync(string input) => Task.FromResult("started " + input);
}

/// <summary>A service no container provides.</summary>
public sealed class MissingDependency;

/// <summary>Needs <see cref="MissingDependency"/>, which the engine has not: the run is parked (MissingService).</summary>
[Workflow("cli-parked")]
public partial class ParkedWorkflow(MissingDependency dependency)
{
    [WorkflowRun]
    public Task<string> RunAsync(string input) => UseAsync(input);

    [Step("use")]
    private Task<string> UseAsync(string input) => Task.FromResult(input + dependency.GetHashCode());
}
