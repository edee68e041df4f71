// The run methods tell the test's probe (an injected service) what they saw and how often they ran, again on every
// replay: the repetition WF0015 warns of, here on purpose, so the rule is off for this file.
#pragma warning disable WF0015

namespace Workflows.Tests.TestWorkflows;

/// <summary>Two steps in a row; records the ambient run id and tenant, in the run method and in a step body.</summary>
[Workflow("greeter")]
public partial class GreeterWorkflow(Probe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(string name)
    {
        probe.Facts["run.IsRunning"] = Workflow.IsRunning;
        if (Workflow.IsRunning)
        {
            probe.Facts["run.RunId"] = Workflow.RunId;
            probe.Facts["run.TenantId"] = Workflow.TenantId;
        }
        var greeting = await GreetAsync(name);
        return await ShoutAsync(greeting);
    }

    /// <summary>Not a step: calls a step, so the call goes through the generated wrapper (used outside any run).</summary>
    public Task<string> GreetDirectlyAsync(string name) => GreetAsync(name);

    [Step("greet")]
    private async Task<string> GreetAsync(string name)
    {
        probe.Called("greet");
        probe.Facts["step.IsRunning"] = Workflow.IsRunning;
        if (Workflow.IsRunning)
        {
            probe.Facts["step.RunId"] = Workflow.RunId;
            probe.Facts["step.TenantId"] = Workflow.TenantId;
        }
        await probe.WaitIfHeldAsync();
        return "hello " + name;
    }

    [Step("shout")]
    private Task<string> ShoutAsync(string text)
    {
        probe.Called("shout");
        return Task.FromResult(text.ToUpperInvariant() + "!");
    }
}

/// <summary>A step that throws; the run method catches the failure and goes on.</summary>
[Workflow("failure")]
public partial class FailureWorkflow(Probe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(string input)
    {
        try
        {
            await ExplodeAsync(input);
            return "no failure";
        }
        catch (StepFailedException e)
        {
            probe.Saw("caught", e);
        }
        return await AfterAsync(input);
    }

    [Step("explode", MaxAttempts = 1)]
    private Task<int> ExplodeAsync(string input)
    {
        probe.Called("explode");
        throw new InvalidOperationException("boom: " + input);
    }

    [Step("after")]
    private Task<string> AfterAsync(string input)
    {
        probe.Called("after");
        return Task.FromResult("recovered from " + input);
    }
}

/// <summary>Retry policies: a step that succeeds on its third attempt and one that never does.</summary>
[Workflow("retries")]
public partial class RetryWorkflow(Probe probe)
{
    [WorkflowRun]
    public async Task<int> RunAsync(string mode) => mode switch
    {
        "flaky" => await FlakyAsync(),
        _ => await HopelessAsync(),
    };

    [Step("flaky", MaxAttempts = 3, RetryDelayMilliseconds = 1, BackoffFactor = 1.0)]
    private Task<int> FlakyAsync()
    {
        var attempt = probe.Called("flaky");
        return attempt < 3 ? throw new TimeoutException($"transient failure {attempt}") : Task.FromResult(attempt);
    }

    [Step("hopeless", MaxAttempts = 2, RetryDelayMilliseconds = 1)]
    private Task<int> HopelessAsync()
    {
        var attempt = probe.Called("hopeless");
        throw new ArgumentOutOfRangeException(nameof(attempt), attempt, "never works");
    }
}

/// <summary>Three steps started together, then one more.</summary>
[Workflow("fan-out")]
public partial class FanOutWorkflow(Probe probe)
{
    [WorkflowRun]
    public async Task<string[]> RunAsync(int unused)
    {
        var a = PartAsync("a");
        var b = PartAsync("b");
        var c = PartAsync("c");
        probe.Gate.TrySetResult(); // all three are in flight: let them finish
        var parts = await Task.WhenAll(a, b, c);
        var d = await PartAsync("d");
        return [.. parts, d];
    }

    [Step("part")]
    private async Task<string> PartAsync(string name)
    {
        probe.Called("part:" + name);
        await probe.Gate.Task;
        await Task.Yield();
        return name.ToUpperInvariant();
    }
}

/// <summary>Three steps in a row; the second takes the run's cancellation token and may be held.</summary>
[Workflow("pipeline")]
public partial class PipelineWorkflow(Probe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(string input, CancellationToken cancellationToken)
    {
        var first = await FirstAsync(input);
        var second = await SecondAsync(first, cancellationToken);
        return await ThirdAsync(second);
    }

    [Step("first")]
    private Task<string> FirstAsync(string input)
    {
        probe.Called("first");
        return Task.FromResult(input + ">1");
    }

    [Step("second")]
    private async Task<string> SecondAsync(string input, CancellationToken cancellationToken)
    {
        var call = probe.Called("second");
        if (probe.Hold && call == 1)
        {
            probe.Entered.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken); // until the engine stops
        }
        return input + ">2";
    }

    [Step("third")]
    private Task<string> ThirdAsync(string input)
    {
        probe.Called("third");
        return Task.FromResult(input + ">3");
    }
}

/// <summary>Catches every exception of a step call, including the replay's non-determinism error.</summary>
[Workflow("swallower")]
public partial class SwallowingWorkflow(Probe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(string input)
    {
        try
        {
            return await OnlyAsync(input);
        }
        catch (Exception e)
        {
            probe.Saw("swallowed", e);
            return "swallowed";
        }
    }

    [Step("only")]
    private Task<string> OnlyAsync(string input)
    {
        probe.Called("only");
        return Task.FromResult(input);
    }
}

/// <summary>A step returning a record, for corrupt-payload tests; the run's result is a record too.</summary>
[Workflow("catalog")]
public partial class CatalogWorkflow(Probe probe)
{
    [WorkflowRun]
    public async Task<Item> RunAsync(string name)
    {
        var item = await MakeAsync(name);
        return item with { Quantity = item.Quantity + 1 };
    }

    [Step("make")]
    private Task<Item> MakeAsync(string name)
    {
        probe.Called("make");
        return Task.FromResult(new Item(name, 1, 1.50m, Color.Blue, new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)), null));
    }
}

/// <summary>A service no test registers.</summary>
public interface IMissingService
{
    string Name { get; }
}

/// <summary>A workflow whose constructor takes a service the engine does not have.</summary>
[Workflow("needs-service")]
public partial class NeedsServiceWorkflow(IMissingService missingService)
{
    [WorkflowRun]
    public async Task<string> RunAsync(string input) => await UseAsync(input);

    [Step("use")]
    private Task<string> UseAsync(string input) => Task.FromResult(missingService.Name + input);
}

/// <summary>Steps returning lone surrogates: not valid UTF-16 text, so not something JSON can carry exactly.</summary>
[Workflow("lone-surrogate")]
public partial class LoneSurrogateWorkflow(Probe probe)
{
    [WorkflowRun]
    public async Task<int> RunAsync(string input)
    {
        var c = await LoneSurrogateAsync();
        probe.Saw("char", c);
        probe.Saw("text", await LoneSurrogateTextAsync());
        return c;
    }

    [Step("lone-surrogate-text")]
    private Task<string> LoneSurrogateTextAsync()
    {
        probe.Called("lone-surrogate-text");
        return Task.FromResult("x\udc00y");
    }

    [Step("lone-surrogate")]
    private Task<char> LoneSurrogateAsync()
    {
        probe.Called("lone-surrogate");
        return Task.FromResult('\ud800');
    }
}

/// <summary>A type whose getter throws: its value cannot be written to the journal.</summary>
public sealed class Fragile
{
    private string? _value;

    public string Value
    {
        get => _value ?? throw new InvalidOperationException("Value was never loaded.");
        set => _value = value;
    }
}

/// <summary>A step whose result cannot be serialized.</summary>
[Workflow("fragile")]
public partial class FragileWorkflow(Probe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(string input)
    {
        await BreakAsync();
        return input;
    }

    [Step("break")]
    private Task<Fragile> BreakAsync()
    {
        probe.Called("break");
        return Task.FromResult(new Fragile());
    }
}
