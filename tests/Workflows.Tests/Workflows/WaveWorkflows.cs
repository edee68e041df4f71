using Workflows.Tests.TestWorkflows.Execution;

// The run methods tell the test's probe (an injected service) what they saw and how often they ran, again on every
// replay: the repetition WF0015 warns of, here on purpose, so the rule is off for this file.
#pragma warning disable WF0015

namespace Workflows.Tests.TestWorkflows.Waves;

/// <summary>
/// Three steps in one wave (<c>Task.WhenAll</c>), then one step after it. Every body yields first, as real work would, so
/// that each step is still in flight when the next is called. With "hold-a" on, a's body raises "a-entered" and waits for
/// "release-a" or the run's token (so a stopping engine cuts it short). Outputs depend on the input only.
/// </summary>
[Workflow("waves-three")]
public partial class ThreeStepWaveWorkflow(ExecutionProbe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(string input)
    {
        probe.Called("run");
        var results = await Task.WhenAll(AAsync(input, Workflow.CancellationToken), BAsync(input), CAsync(input));
        return await AfterAsync(string.Join(",", results));
    }

    [Step("a")]
    private async Task<string> AAsync(string input, CancellationToken cancellationToken)
    {
        probe.Called("a");
        await Task.Yield();
        if (probe.IsOn("hold-a"))
        {
            probe.Raise("a-entered");
            await probe.WhenRaised("release-a").WaitAsync(cancellationToken);
        }
        return "A(" + input + ")";
    }

    [Step("b")]
    private async Task<string> BAsync(string input)
    {
        probe.Called("b");
        await Task.Yield();
        return "B(" + input + ")";
    }

    [Step("c")]
    private async Task<string> CAsync(string input)
    {
        probe.Called("c");
        await Task.Yield();
        return "C(" + input + ")";
    }

    [Step("after")]
    private async Task<string> AfterAsync(string joined)
    {
        probe.Called("after");
        await Task.Yield();
        return "[" + joined + "]";
    }
}

/// <summary>
/// <c>Workflow.WhenAnyAsync</c> over two steps: "slow" waits until the workflow raises "release-slow" (after the race is decided),
/// "fast" finishes at once. The run returns the winner's output, after both have ended.
/// </summary>
[Workflow("waves-any")]
public partial class WhenAnyWorkflow(ExecutionProbe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(string input)
    {
        probe.Called("run");
        var slow = SlowAsync(input, Workflow.CancellationToken);
        var fast = FastAsync(input);
        var first = await Workflow.WhenAnyAsync(slow, fast);
        var winner = await first;
        probe.Raise("release-slow");
        await Task.WhenAll(slow, fast);
        return winner;
    }

    [Step("slow")]
    private async Task<string> SlowAsync(string input, CancellationToken cancellationToken)
    {
        probe.Called("slow");
        await probe.WhenRaised("release-slow").WaitAsync(cancellationToken);
        return "slow:" + input;
    }

    [Step("fast")]
    private async Task<string> FastAsync(string input)
    {
        probe.Called("fast");
        await Task.Yield();
        return "fast:" + input;
    }
}

/// <summary>A held step and a long durable sleep in one wave (<c>Task.WhenAll</c>), then a step after them.</summary>
[Workflow("waves-step-and-sleep")]
public partial class StepAndSleepWaveWorkflow(ExecutionProbe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(int sleepMilliseconds)
    {
        probe.Called("run");
        var held = HeldAsync(Workflow.CancellationToken);
        var sleep = Workflow.SleepAsync(TimeSpan.FromMilliseconds(sleepMilliseconds));
        probe.Raise("sleep-called");
        await Task.WhenAll(held, sleep);
        return await AfterAsync(await held);
    }

    [Step("held")]
    private async Task<string> HeldAsync(CancellationToken cancellationToken)
    {
        probe.Called("held");
        probe.Raise("held-entered");
        await probe.WhenRaised("release-held").WaitAsync(cancellationToken);
        return "held";
    }

    [Step("after")]
    private Task<string> AfterAsync(string input)
    {
        probe.Called("after");
        return Task.FromResult(input + ">after");
    }
}

/// <summary>
/// Draws from <see cref="Workflow.Random"/> (three numbers, the generator asked for twice), hands them to a step that
/// fails while "refuse" is on (its error names the numbers), and returns them.
/// </summary>
[Workflow("waves-random")]
public partial class RandomWorkflow(ExecutionProbe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(int bound)
    {
        probe.Called("run");
        var random = Workflow.Random;
        var x = random.Next();
        var y = random.Next(bound);
        var z = Workflow.Random.Next(); // the same generator, not a new seed
        return await CheckAsync($"{x},{y},{z}");
    }

    [Step("check")]
    private Task<string> CheckAsync(string drawn)
    {
        probe.Called("check");
        if (probe.IsOn("refuse")) throw new InvalidOperationException("refused " + drawn);
        return Task.FromResult(drawn);
    }
}

/// <summary>One step reporting usage twice and two debug messages.</summary>
[Workflow("outcome-usage")]
public partial class UsageWorkflow(ExecutionProbe probe)
{
    [WorkflowRun]
    public Task<string> RunAsync(string input) => CallModelAsync(input);

    [Step("call-model")]
    private Task<string> CallModelAsync(string prompt)
    {
        probe.Called("call-model");
        CurrentStep.ReportUsage(inputTokens: 100, outputTokens: 20, costUsd: 0.25m);
        CurrentStep.Debug("prompt: " + prompt);
        CurrentStep.ReportUsage(inputTokens: 7, outputTokens: 3, costUsd: 0.125m);
        CurrentStep.Debug("reply: \"ok\"\nline two");
        return Task.FromResult("ok:" + prompt);
    }
}

/// <summary>One step (MaxAttempts = 2) that reports usage on every attempt and fails its first.</summary>
[Workflow("outcome-retry-usage")]
public partial class RetryUsageWorkflow(ExecutionProbe probe)
{
    [WorkflowRun]
    public Task<string> RunAsync(string input) => CallModelAsync(input);

    [Step("call-model", MaxAttempts = 2, RetryDelayMilliseconds = 1, BackoffFactor = 1.0)]
    private Task<string> CallModelAsync(string prompt)
    {
        var attempt = probe.Called("call-model");
        CurrentStep.ReportUsage(inputTokens: 10 * attempt, outputTokens: attempt, costUsd: 0.5m * attempt);
        CurrentStep.Debug($"attempt {CurrentStep.Attempt}");
        if (attempt == 1) throw new TimeoutException("the model timed out");
        return Task.FromResult("ok:" + prompt);
    }
}

/// <summary>One step (MaxAttempts = 3, tiny delay) that fails its first two attempts, naming them, and succeeds on the third.</summary>
[Workflow("outcome-flaky")]
public partial class FlakyThriceWorkflow(ExecutionProbe probe)
{
    [WorkflowRun]
    public Task<string> RunAsync(string input) => FlakyAsync(input);

    [Step("flaky", MaxAttempts = 3, RetryDelayMilliseconds = 1, BackoffFactor = 1.0)]
    private Task<string> FlakyAsync(string input)
    {
        probe.Called("flaky");
        var attempt = CurrentStep.Attempt;
        if (attempt < 3) throw new InvalidOperationException($"attempt {attempt} failed");
        return Task.FromResult($"{input}@{attempt}");
    }
}

/// <summary>A step that skips its work ("no data") and returns a placeholder, then a step that uses it.</summary>
[Workflow("outcome-skip")]
public partial class SkipWorkflow(ExecutionProbe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(string input)
    {
        probe.Called("run");
        var fetched = await FetchAsync(input);
        return await UseAsync(fetched);
    }

    [Step("fetch")]
    private Task<string> FetchAsync(string input)
    {
        probe.Called("fetch");
        CurrentStep.Skip("no data");
        return Task.FromResult("placeholder");
    }

    [Step("use")]
    private Task<string> UseAsync(string value)
    {
        probe.Called("use");
        return Task.FromResult("used:" + value);
    }
}

/// <summary>
/// Reads <see cref="CurrentStep"/> from the run method (outside any step body: the error message is returned), then runs a
/// plain step and a step (MaxAttempts = 2) whose first attempt fails with its idempotency key as the message and whose
/// second returns its key.
/// </summary>
[Workflow("outcome-keys")]
public partial class IdempotencyKeyWorkflow(ExecutionProbe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(string input)
    {
        string outside;
        try
        {
            // On purpose: the test checks that CurrentStep throws outside a step body, which WF0014 warns of.
#pragma warning disable WF0014
            outside = "no error: " + CurrentStep.IdempotencyKey;
#pragma warning restore WF0014
        }
        catch (InvalidOperationException e)
        {
            outside = e.Message;
        }
        var running = CurrentStep.IsRunning;
        await PlainAsync(input);
        var key = await KeyedAsync();
        return $"{outside}|{running}|{key}";
    }

    [Step("plain")]
    private Task<string> PlainAsync(string input)
    {
        probe.Called("plain");
        return Task.FromResult(input);
    }

    [Step("keyed", MaxAttempts = 2, RetryDelayMilliseconds = 1, BackoffFactor = 1.0)]
    private Task<string> KeyedAsync()
    {
        var key = CurrentStep.IdempotencyKey;
        if (probe.Called("keyed") == 1) throw new InvalidOperationException(key);
        return Task.FromResult($"{CurrentStep.Name}#{CurrentStep.Attempt}={key}");
    }
}

/// <summary>
/// Like <see cref="RetryUsageWorkflow"/>, but the retry's backoff (1.5 s) is past a 1 s suspend threshold: the second
/// attempt runs in a new execution, woken by replay.
/// </summary>
[Workflow("outcome-suspended-retry-usage")]
public partial class SuspendedRetryUsageWorkflow(ExecutionProbe probe)
{
    [WorkflowRun]
    public Task<string> RunAsync(string input)
    {
        probe.Called("run");
        return CallModelAsync(input);
    }

    [Step("call-model", MaxAttempts = 2, RetryDelayMilliseconds = 1500, BackoffFactor = 1.0)]
    private Task<string> CallModelAsync(string prompt)
    {
        var attempt = probe.Called("call-model");
        CurrentStep.ReportUsage(inputTokens: 10 * attempt, outputTokens: attempt, costUsd: 0.5m * attempt);
        CurrentStep.Debug($"attempt {CurrentStep.Attempt}");
        if (attempt == 1) throw new TimeoutException("the model timed out");
        return Task.FromResult("ok:" + prompt);
    }
}
