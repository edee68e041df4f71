using Workflows;

// Each run method tells the host's ledger when it reached its end (HostBehaviour.Finished), once per execution, replays
// included: the repetition WF0015 warns of, here on purpose (the tests count executions), so the rule is off for this file.
#pragma warning disable WF0015

namespace EngineHost;

public sealed record WorkInput(int Index);

public sealed record SleepInput(int Index, int SleepMs);

/// <summary>What a step body returns: a value that depends only on the input, and who computed it (process, attempt).</summary>
public sealed record StepResult(long Value, int Pid, int Attempt);

/// <summary>Five steps, each a function of the previous one: the output depends only on the input, never on who ran what.</summary>
[Workflow("cluster-work")]
public partial class ClusterWorkflow(HostBehaviour behaviour)
{
    [WorkflowRun]
    public async Task<string> RunAsync(WorkInput input)
    {
        var a = await S1Async(input.Index, input.Index + 1);
        var b = await S2Async(input.Index, a.Value);
        var c = await S3Async(input.Index, b.Value);
        var d = await S4Async(input.Index, c.Value);
        var e = await S5Async(input.Index, d.Value);
        behaviour.Finished();
        return $"{input.Index}:{a.Value}:{b.Value}:{c.Value}:{d.Value}:{e.Value}";
    }

    [Step("s1")]
    private Task<StepResult> S1Async(int index, long previous) => behaviour.BodyAsync("s1", index, previous);

    [Step("s2")]
    private Task<StepResult> S2Async(int index, long previous) => behaviour.BodyAsync("s2", index, previous);

    [Step("s3")]
    private Task<StepResult> S3Async(int index, long previous) => behaviour.BodyAsync("s3", index, previous);

    [Step("s4")]
    private Task<StepResult> S4Async(int index, long previous) => behaviour.BodyAsync("s4", index, previous);

    [Step("s5")]
    private Task<StepResult> S5Async(int index, long previous) => behaviour.BodyAsync("s5", index, previous);
}

/// <summary>
/// Ten steps, each a function of the previous one (as <see cref="ClusterWorkflow"/>): the output lists every value, so a
/// step that ran with another input, or twice with its second result kept, changes it.
/// </summary>
[Workflow("cluster-ten")]
public partial class TenStepWorkflow(HostBehaviour behaviour)
{
    [WorkflowRun]
    public async Task<string> RunAsync(WorkInput input)
    {
        var values = new List<long>(10);
        var previous = (long)input.Index + 1;
        previous = (await S1Async(input.Index, previous)).Value; values.Add(previous);
        previous = (await S2Async(input.Index, previous)).Value; values.Add(previous);
        previous = (await S3Async(input.Index, previous)).Value; values.Add(previous);
        previous = (await S4Async(input.Index, previous)).Value; values.Add(previous);
        previous = (await S5Async(input.Index, previous)).Value; values.Add(previous);
        previous = (await S6Async(input.Index, previous)).Value; values.Add(previous);
        previous = (await S7Async(input.Index, previous)).Value; values.Add(previous);
        previous = (await S8Async(input.Index, previous)).Value; values.Add(previous);
        previous = (await S9Async(input.Index, previous)).Value; values.Add(previous);
        previous = (await S10Async(input.Index, previous)).Value; values.Add(previous);
        behaviour.Finished();
        return $"{input.Index}:{string.Join(':', values)}";
    }

    [Step("s1")]
    private Task<StepResult> S1Async(int index, long previous) => behaviour.BodyAsync("s1", index, previous);

    [Step("s2")]
    private Task<StepResult> S2Async(int index, long previous) => behaviour.BodyAsync("s2", index, previous);

    [Step("s3")]
    private Task<StepResult> S3Async(int index, long previous) => behaviour.BodyAsync("s3", index, previous);

    [Step("s4")]
    private Task<StepResult> S4Async(int index, long previous) => behaviour.BodyAsync("s4", index, previous);

    [Step("s5")]
    private Task<StepResult> S5Async(int index, long previous) => behaviour.BodyAsync("s5", index, previous);

    [Step("s6")]
    private Task<StepResult> S6Async(int index, long previous) => behaviour.BodyAsync("s6", index, previous);

    [Step("s7")]
    private Task<StepResult> S7Async(int index, long previous) => behaviour.BodyAsync("s7", index, previous);

    [Step("s8")]
    private Task<StepResult> S8Async(int index, long previous) => behaviour.BodyAsync("s8", index, previous);

    [Step("s9")]
    private Task<StepResult> S9Async(int index, long previous) => behaviour.BodyAsync("s9", index, previous);

    [Step("s10")]
    private Task<StepResult> S10Async(int index, long previous) => behaviour.BodyAsync("s10", index, previous);
}

/// <summary>A step, a durable sleep (suspends the run when longer than the engine's threshold), a step.</summary>
[Workflow("cluster-sleep")]
public partial class SleepWorkflow(HostBehaviour behaviour)
{
    [WorkflowRun]
    public async Task<string> RunAsync(SleepInput input)
    {
        var a = await BeforeAsync(input.Index, input.Index + 1);
        await Workflow.SleepAsync(TimeSpan.FromMilliseconds(input.SleepMs));
        var b = await AfterAsync(input.Index, a.Value);
        behaviour.Finished();
        return $"{input.Index}:{a.Value}:{b.Value}";
    }

    [Step("s1")]
    private Task<StepResult> BeforeAsync(int index, long previous) => behaviour.BodyAsync("s1", index, previous);

    [Step("s2")]
    private Task<StepResult> AfterAsync(int index, long previous) => behaviour.BodyAsync("s2", index, previous);
}

/// <summary>
/// A child run's work: one step (c1) whose body can block (--block-step c1), so a test can kill the parent's process
/// while the child runs.
/// </summary>
[Workflow("cluster-child")]
public partial class ClusterChildWorkflow(HostBehaviour behaviour)
{
    [WorkflowRun]
    public async Task<string> RunAsync(WorkInput input)
    {
        var a = await C1Async(input.Index, input.Index + 1);
        behaviour.Finished();
        return $"child-{input.Index}:{a.Value}";
    }

    [Step("c1")]
    private Task<StepResult> C1Async(int index, long previous) => behaviour.BodyAsync("c1", index, previous);
}

/// <summary>
/// Runs a cluster-child (the definition registered with this process's engine, passed in) and then one step (p1) whose
/// body can block (--block-step p1): the output carries the child's result.
/// </summary>
[Workflow("cluster-parent")]
public partial class ClusterParentWorkflow(HostBehaviour behaviour, WorkflowDefinition<ClusterChildWorkflow, WorkInput, string> child)
{
    [WorkflowRun]
    public async Task<string> RunAsync(WorkInput input)
    {
        var got = await Workflow.RunChildAsync(child, input);
        var b = await P1Async(input.Index, got.Length);
        behaviour.Finished();
        return $"{input.Index}:[{got}]:{b.Value}";
    }

    [Step("p1")]
    private Task<StepResult> P1Async(int index, long previous) => behaviour.BodyAsync("p1", index, previous);
}
