using System.Collections.Concurrent;

// The run methods tell the test's probe (an injected service) what they saw and how often they ran, again on every
// replay: the repetition WF0015 warns of, here on purpose, so the rule is off for this file.
#pragma warning disable WF0015

namespace Workflows.Tests.TestWorkflows.Execution;

/// <summary>
/// What the execution-core test workflows tell their tests, and what tests tell them: thread-safe counts of step-body
/// runs, named one-shot signals (raised by one side, awaited by the other), and switches. One per engine ("process")
/// unless a test shares one on purpose; <see cref="Name"/> tags step outputs with the engine that produced them.
/// </summary>
public sealed class ExecutionProbe(string name = "probe")
{
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _signals = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _switches = new(StringComparer.Ordinal);

    public string Name => name;

    /// <summary>Counts one call under <paramref name="key"/> and returns the count so far.</summary>
    public int Called(string key) => _calls.AddOrUpdate(key, 1, static (_, n) => n + 1);

    public int Calls(string key) => _calls.GetValueOrDefault(key);

    /// <summary>Every count, as a snapshot.</summary>
    public IReadOnlyDictionary<string, int> AllCalls => new Dictionary<string, int>(_calls, StringComparer.Ordinal);

    public bool IsOn(string @switch) => _switches.GetValueOrDefault(@switch);

    public ExecutionProbe Set(string @switch, bool on = true)
    {
        _switches[@switch] = on;
        return this;
    }

    public void Raise(string signal) => Signal(signal).TrySetResult();

    public Task WhenRaised(string signal) => Signal(signal).Task;

    public bool WasRaised(string signal) => Signal(signal).Task.IsCompleted;

    private TaskCompletionSource Signal(string signal) =>
        _signals.GetOrAdd(signal, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}

/// <summary>A step, a durable sleep, a step. Counts every execution of the run method under "run".</summary>
[Workflow("exec-sleeping")]
public partial class SleepingWorkflow(ExecutionProbe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(int sleepMilliseconds)
    {
        probe.Called("run");
        var before = await BeforeAsync();
        await Workflow.SleepAsync(TimeSpan.FromMilliseconds(sleepMilliseconds));
        var after = await AfterAsync();
        return before + "|" + after;
    }

    [Step("before")]
    private Task<string> BeforeAsync()
    {
        probe.Called("before");
        return Task.FromResult("before@" + probe.Name);
    }

    [Step("after")]
    private Task<string> AfterAsync()
    {
        probe.Called("after");
        return Task.FromResult("after@" + probe.Name);
    }
}

/// <summary>A held step and a durable sleep started in the same wave; the sleep is called while the step is in flight.</summary>
[Workflow("exec-sleep-beside-step")]
public partial class SleepBesideStepWorkflow(ExecutionProbe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(int sleepMilliseconds)
    {
        probe.Called("run");
        var held = HeldAsync();
        var sleep = Workflow.SleepAsync(TimeSpan.FromMilliseconds(sleepMilliseconds));
        probe.Raise("sleep-called");
        await Task.WhenAll(held, sleep);
        return await held;
    }

    [Step("held")]
    private async Task<string> HeldAsync()
    {
        probe.Called("held");
        probe.Raise("held-entered");
        await probe.WhenRaised("release-held");
        return "held@" + probe.Name;
    }
}

/// <summary>Three steps; the middle one waits on the run's cancellation token until it fires.</summary>
[Workflow("exec-cancellable")]
public partial class CancellableWorkflow(ExecutionProbe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(string input, CancellationToken cancellationToken)
    {
        var first = await FirstAsync(input);
        var blocked = await BlockAsync(first, cancellationToken);
        return await LastAsync(blocked);
    }

    [Step("first")]
    private Task<string> FirstAsync(string input)
    {
        probe.Called("first");
        return Task.FromResult(input + ">first");
    }

    [Step("block")]
    private async Task<string> BlockAsync(string input, CancellationToken cancellationToken)
    {
        probe.Called("block");
        probe.Raise("block-entered");
        await Task.Delay(Timeout.Infinite, cancellationToken);
        return input + ">block";
    }

    [Step("last")]
    private Task<string> LastAsync(string input)
    {
        probe.Called("last");
        return Task.FromResult(input + ">last");
    }
}

/// <summary>Prepare, charge (two attempts; fails while the "charge-broken" switch is on), finish.</summary>
[Workflow("exec-repairable")]
public partial class RepairableWorkflow(ExecutionProbe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(string order)
    {
        var prepared = await PrepareAsync(order);
        var charged = await ChargeAsync(prepared);
        return await FinishAsync(charged);
    }

    [Step("prepare")]
    private Task<string> PrepareAsync(string order)
    {
        probe.Called("prepare");
        return Task.FromResult(order + ">prepared");
    }

    [Step("charge", MaxAttempts = 2, RetryDelayMilliseconds = 1, BackoffFactor = 1.0)]
    private Task<string> ChargeAsync(string prepared)
    {
        var call = probe.Called("charge");
        if (probe.IsOn("charge-broken"))
        {
            throw new InvalidOperationException($"payment service down (call {call})");
        }
        return Task.FromResult(prepared + ">charged");
    }

    [Step("finish")]
    private Task<string> FinishAsync(string charged)
    {
        probe.Called("finish");
        return Task.FromResult(charged + ">finished");
    }
}

/// <summary>Four steps in a row; each output carries how often its body ran in this probe, so reuse is visible.</summary>
[Workflow("exec-forkable")]
public partial class ForkableWorkflow(ExecutionProbe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(string input)
    {
        var one = await OneAsync(input);
        var two = await TwoAsync(one);
        var three = await ThreeAsync(two);
        return await FourAsync(three);
    }

    [Step("one")]
    private Task<string> OneAsync(string input) => Task.FromResult($"{input}|one#{probe.Called("one")}");

    [Step("two")]
    private async Task<string> TwoAsync(string input)
    {
        var call = probe.Called("two");
        if (probe.IsOn("hold-two"))
        {
            probe.Raise("two-entered");
            await probe.WhenRaised("release-two");
        }
        return $"{input}|two#{call}";
    }

    [Step("three")]
    private Task<string> ThreeAsync(string input) => Task.FromResult($"{input}|three#{probe.Called("three")}");

    [Step("four")]
    private Task<string> FourAsync(string input) => Task.FromResult($"{input}|four#{probe.Called("four")}");
}

/// <summary>
/// Alpha then beta. <see cref="ReorderedDefinition"/> is a broken deploy of the same workflow: the same steps and
/// signatures (so the same schema version), called in the other order.
/// </summary>
[Workflow("exec-ordered")]
public partial class OrderedWorkflow(ExecutionProbe probe)
{
    private static readonly Lazy<WorkflowDefinition<OrderedWorkflow, string, string>> s_reordered = new(() =>
        new WorkflowDefinition<OrderedWorkflow, string, string>(
            Definition.Name,
            Definition.SchemaVersion,
            Definition.Steps,
            static services => new OrderedWorkflow(WorkflowServices.Resolve<ExecutionProbe>(services, "exec-ordered", "probe")),
            static (workflow, input, _) => workflow.ReorderedRunAsync(input),
            Definition.InputCodec,
            Definition.OutputCodec));

    /// <summary>The broken deploy (see the type's summary).</summary>
    public static WorkflowDefinition<OrderedWorkflow, string, string> ReorderedDefinition => s_reordered.Value;

    [WorkflowRun]
    public async Task<string> RunAsync(string input)
    {
        var alpha = await AlphaAsync(input);
        return await BetaAsync(alpha);
    }

    /// <summary>The broken deploy's run method.</summary>
    public async Task<string> ReorderedRunAsync(string input)
    {
        var beta = await BetaAsync(input);
        return await AlphaAsync(beta);
    }

    [Step("alpha")]
    private Task<string> AlphaAsync(string input)
    {
        probe.Called("alpha");
        return Task.FromResult(input + ">alpha@" + probe.Name);
    }

    [Step("beta")]
    private Task<string> BetaAsync(string input)
    {
        probe.Called("beta");
        return Task.FromResult(input + ">beta@" + probe.Name);
    }
}

/// <summary>A constructor service of <see cref="ServiceWorkflow"/>; engines that do not register one park its runs.</summary>
public interface IGreetingService
{
    string Greet(string name);
}

public sealed class GreetingService(string greeting) : IGreetingService
{
    public string Greet(string name) => $"{greeting}, {name}";
}

/// <summary>Needs <see cref="IGreetingService"/> to be built.</summary>
[Workflow("exec-needs-service")]
public partial class ServiceWorkflow(IGreetingService greetings, ExecutionProbe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(string name) => await GreetAsync(name);

    [Step("greet")]
    private Task<string> GreetAsync(string name)
    {
        probe.Called("greet");
        return Task.FromResult(greetings.Greet(name));
    }
}

/// <summary>One step doubling an int; held while the "hold-double" switch is on, until "release-double" is raised.</summary>
[Workflow("exec-doubling")]
public partial class DoublingWorkflow(ExecutionProbe probe)
{
    [WorkflowRun]
    public async Task<int> RunAsync(int value) => await DoubleAsync(value);

    [Step("double")]
    private async Task<int> DoubleAsync(int value)
    {
        probe.Called("double");
        probe.Called($"double:{value}");
        if (probe.IsOn("hold-double"))
        {
            probe.Raise("double-entered");
            await probe.WhenRaised("release-double");
        }
        return value * 2;
    }
}

/// <summary>
/// Three short steps; every body run is counted under "{run id}/{step}" (the ledger that concurrency tests check) and
/// takes a moment, so that runs overlap.
/// </summary>
[Workflow("exec-counted")]
public partial class CountedWorkflow(ExecutionProbe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(int value)
    {
        var a = await AddOneAsync(value);
        var b = await TimesTenAsync(a);
        var c = await AddThreeAsync(b);
        return $"{value}->{c}";
    }

    [Step("add-one")]
    private async Task<int> AddOneAsync(int value)
    {
        probe.Called($"{Workflow.RunId}/add-one");
        await Task.Delay(10);
        return value + 1;
    }

    [Step("times-ten")]
    private async Task<int> TimesTenAsync(int value)
    {
        probe.Called($"{Workflow.RunId}/times-ten");
        await Task.Delay(10);
        return value * 10;
    }

    [Step("add-three")]
    private async Task<int> AddThreeAsync(int value)
    {
        probe.Called($"{Workflow.RunId}/add-three");
        await Task.Delay(10);
        return value + 3;
    }
}

/// <summary>Prepare, work (held while "hold-work" is on, until "release-work"), finish; outputs name the probe that ran them.</summary>
[Workflow("exec-takeover")]
public partial class TakeoverWorkflow(ExecutionProbe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(string input)
    {
        var prepared = await PrepareAsync(input);
        var worked = await WorkAsync(prepared);
        return await FinishAsync(worked);
    }

    [Step("prepare")]
    private Task<string> PrepareAsync(string input)
    {
        probe.Called("prepare");
        return Task.FromResult(input + ">prepare@" + probe.Name);
    }

    [Step("work")]
    private async Task<string> WorkAsync(string input)
    {
        probe.Called("work");
        if (probe.IsOn("hold-work"))
        {
            probe.Raise("work-entered");
            await probe.WhenRaised("release-work");
        }
        return input + ">work@" + probe.Name;
    }

    [Step("finish")]
    private Task<string> FinishAsync(string input)
    {
        probe.Called("finish");
        return Task.FromResult(input + ">finish@" + probe.Name);
    }
}

/// <summary>
/// One step with MaxAttempts = 3: with "block" on, its body waits on the run's token (so a stopping engine cuts it short);
/// with "fail-twice" on, its first two body runs in this probe throw.
/// </summary>
[Workflow("exec-interruptible")]
public partial class InterruptibleWorkflow(ExecutionProbe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(string input, CancellationToken cancellationToken) => await FragileAsync(input, cancellationToken);

    [Step("fragile", MaxAttempts = 3, RetryDelayMilliseconds = 1, BackoffFactor = 1.0)]
    private async Task<string> FragileAsync(string input, CancellationToken cancellationToken)
    {
        var call = probe.Called("fragile");
        if (probe.IsOn("block"))
        {
            probe.Raise("fragile-entered");
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        if (probe.IsOn("fail-twice") && call <= 2)
        {
            throw new TimeoutException($"transient failure on call {call}");
        }
        return $"{input}: ok on call {call} @{probe.Name}";
    }
}

/// <summary>A step whose first attempt fails, retried after a backoff longer than the engine's suspend threshold.</summary>
[Workflow("exec-slow-retry")]
public partial class SlowRetryWorkflow(ExecutionProbe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(string input) => await FlakyAsync(input);

    [Step("flaky", MaxAttempts = 3, RetryDelayMilliseconds = 2000)]
    private Task<string> FlakyAsync(string input) =>
        probe.Called("flaky") == 1 ? throw new TimeoutException("the first attempt times out") : Task.FromResult(input + "@" + probe.Name);
}

/// <summary>A step whose result is as long as asked, then a step that must never run if the first cannot be journaled.</summary>
[Workflow("exec-big-output")]
public partial class BigOutputWorkflow(ExecutionProbe probe)
{
    [WorkflowRun]
    public async Task<int> RunAsync(int length)
    {
        var text = await ProduceAsync(length);
        return await MeasureAsync(text);
    }

    [Step("produce")]
    private Task<string> ProduceAsync(int length)
    {
        probe.Called("produce");
        return Task.FromResult(new string('x', length));
    }

    [Step("measure")]
    private Task<int> MeasureAsync(string text)
    {
        probe.Called("measure");
        return Task.FromResult(text.Length);
    }
}
