using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Workflows;

namespace TortureHost;

// The workload counts, in its run method, every execution that passes its last step (the checker's "exactly once" ledger):
// a call on an injected service in workflow code that must run again on every replay, so WF0015 is off for this file.
#pragma warning disable WF0015

/// <summary>A torture run's input: its index (the output depends on nothing else) and the length of its durable sleep.</summary>
public sealed record TortureInput(int Index, int SleepMs);

/// <summary>What a step body returns: a value that depends only on the input, and a nonce of this execution alone.</summary>
public sealed record StepValue(long Value, string Nonce);

/// <summary>The large output: about 200 KB of text that depends only on the input, and this execution's nonce.</summary>
public sealed record LargeValue(string Text, string Nonce);

/// <summary>The constants the worker and the driver agree on.</summary>
public static class TortureWorkload
{
    /// <summary>The event every run waits for; the driver sends it.</summary>
    public const string EventName = "go";

    /// <summary>The name of the step that fails once, then succeeds (MaxAttempts = 2).</summary>
    public const string FlakyStep = "flaky";

    /// <summary>The step that runs right after the durable sleep: none of its bodies may begin before the wake-up time.</summary>
    public const string AfterSleepStep = "after-sleep";

    /// <summary>The size of the large output, in characters.</summary>
    public const int LargeSize = 200 * 1024;

    /// <summary>The idempotency key of the run with this index.</summary>
    public static string RunKey(int index) => string.Create(CultureInfo.InvariantCulture, $"torture-{index}");

    /// <summary>The payload the driver sends to the run with this index.</summary>
    public static string EventPayload(int index) => string.Create(CultureInfo.InvariantCulture, $"go-{index}");

    /// <summary>The large text of the run with this index.</summary>
    public static string LargeText(int index)
    {
        var text = new StringBuilder(LargeSize + 32);
        for (var i = 0; text.Length < LargeSize; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{index}.{i};");
        }
        return text.ToString(0, LargeSize);
    }

    /// <summary>A short digest of a text (workflow code: deterministic).</summary>
    public static string Digest(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
}

/// <summary>The step bodies of both workflows: each writes its begin and end (with the nonce it returns) to the ledger.</summary>
public sealed class StepBodies(Ledger ledger, int bodyMs)
{
    public async Task<StepValue> RunAsync(string step, long value, bool failOnce = false)
    {
        // The fails-once step takes longer, so that kills land in it too: they must not consume its retry budget.
        var attempt = await BeginAsync(step, failOnce ? 5 : 1);
        if (failOnce && !ledger.HasFailed(Workflow.RunId, step))
        {
            ledger.Append(LedgerKind.Fail, Workflow.RunId, step, attempt);
            throw new InvalidOperationException($"step '{step}' of run {Workflow.RunId} fails once, on purpose (attempt {attempt})");
        }
        return new StepValue(value, End(step, attempt));
    }

    public async Task<LargeValue> LargeAsync(string step, int index)
    {
        var attempt = await BeginAsync(step, 1);
        var text = TortureWorkload.LargeText(index);
        return new LargeValue(text, End(step, attempt));
    }

    /// <summary>Workflow code after the last step.</summary>
    public void Finished() => ledger.Append(LedgerKind.Finish, Workflow.RunId, "-", 0);

    private async Task<int> BeginAsync(string step, int slowness)
    {
        var attempt = CurrentStep.Attempt;
        ledger.Append(LedgerKind.Begin, Workflow.RunId, step, attempt);
        if (bodyMs > 0)
        {
            // Time inside the body, so that kills land there too.
            await Task.Delay(Random.Shared.Next(bodyMs * slowness + 1));
        }
        return attempt;
    }

    private string End(string step, int attempt)
    {
        var nonce = Guid.NewGuid().ToString("N");
        ledger.Append(LedgerKind.End, Workflow.RunId, step, attempt, nonce);
        return nonce;
    }
}

/// <summary>
/// The torture workload: steps returning records, a step that fails once and succeeds on its retry, a durable sleep (which
/// suspends the run), an event wait fed by the driver, a child workflow, a parallel wave of three steps and a large output.
/// The output depends only on the input: a crash-free run gives the same.
/// </summary>
[Workflow("torture")]
public partial class TortureWorkflow(StepBodies bodies, WorkflowDefinition<TortureChildWorkflow, TortureInput, string> child)
{
    [WorkflowRun]
    public async Task<string> RunAsync(TortureInput input)
    {
        var prepared = await PrepareAsync(input.Index + 1L);
        var flaky = await FlakyAsync(prepared.Value * 3);
        await Workflow.SleepAsync(TimeSpan.FromMilliseconds(input.SleepMs));
        var woke = await AfterSleepAsync(flaky.Value + 5);
        var signal = await Workflow.WaitForEventAsync<string>(TortureWorkload.EventName, TimeSpan.FromMinutes(30));
        var fromChild = await Workflow.RunChildAsync(child, input);
        var wave = await Task.WhenAll(WaveAAsync(woke.Value + 1), WaveBAsync(woke.Value + 2), WaveCAsync(woke.Value + 3));
        var large = await LargeAsync(input.Index);
        var summary = await SummarizeAsync(wave.Sum(v => v.Value) + large.Text.Length);
        bodies.Finished();
        return string.Create(CultureInfo.InvariantCulture,
            $"{input.Index}|{prepared.Value}|{flaky.Value}|{woke.Value}|{signal}|{fromChild}|{string.Join(',', wave.Select(v => v.Value))}|{large.Text.Length}:{TortureWorkload.Digest(large.Text)}|{summary.Value}");
    }

    [Step("prepare")]
    private Task<StepValue> PrepareAsync(long value) => bodies.RunAsync("prepare", value);

    [Step(TortureWorkload.FlakyStep, MaxAttempts = 2, RetryDelayMilliseconds = 20)]
    private Task<StepValue> FlakyAsync(long value) => bodies.RunAsync(TortureWorkload.FlakyStep, value, failOnce: true);

    [Step(TortureWorkload.AfterSleepStep)]
    private Task<StepValue> AfterSleepAsync(long value) => bodies.RunAsync(TortureWorkload.AfterSleepStep, value);

    [Step("wave-a")]
    private Task<StepValue> WaveAAsync(long value) => bodies.RunAsync("wave-a", value * 7);

    [Step("wave-b")]
    private Task<StepValue> WaveBAsync(long value) => bodies.RunAsync("wave-b", value * 11);

    [Step("wave-c")]
    private Task<StepValue> WaveCAsync(long value) => bodies.RunAsync("wave-c", value * 13);

    [Step("large")]
    private Task<LargeValue> LargeAsync(int index) => bodies.LargeAsync("large", index);

    [Step("summarize")]
    private Task<StepValue> SummarizeAsync(long value) => bodies.RunAsync("summarize", value);
}

/// <summary>The child run of every torture run: two steps.</summary>
[Workflow("torture-child")]
public partial class TortureChildWorkflow(StepBodies bodies)
{
    [WorkflowRun]
    public async Task<string> RunAsync(TortureInput input)
    {
        var first = await FirstAsync(input.Index * 100L);
        var second = await SecondAsync(first.Value + 1);
        bodies.Finished();
        return string.Create(CultureInfo.InvariantCulture, $"child-{input.Index}:{first.Value}:{second.Value}");
    }

    [Step("child-first")]
    private Task<StepValue> FirstAsync(long value) => bodies.RunAsync("child-first", value);

    [Step("child-second")]
    private Task<StepValue> SecondAsync(long value) => bodies.RunAsync("child-second", value);
}
