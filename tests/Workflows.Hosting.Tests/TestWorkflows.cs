using System.Collections.Concurrent;

namespace Workflows.Hosting.Tests;

/// <summary>What test workflows tell their tests: counts, one-shot signals and switches, shared through the container.</summary>
public sealed class Probe
{
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _signals = new(StringComparer.Ordinal);

    public ConcurrentQueue<string> Log { get; } = new();

    public bool Block { get; set; }

    public int Called(string key) => _calls.AddOrUpdate(key, 1, static (_, n) => n + 1);

    public int Calls(string key) => _calls.GetValueOrDefault(key);

    public void Raise(string signal) => Signal(signal).TrySetResult();

    public Task WhenRaised(string signal) => Signal(signal).Task.WaitAsync(TimeSpan.FromSeconds(30));

    private TaskCompletionSource Signal(string signal) =>
        _signals.GetOrAdd(signal, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}

/// <summary>A scoped service: one instance per run execution, disposed when the execution ends.</summary>
public sealed class ScopedThing(Probe probe) : IAsyncDisposable
{
    private static int _next;

    public int Id { get; } = Interlocked.Increment(ref _next);

    public bool Disposed { get; private set; }

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        probe.Log.Enqueue($"disposed:{Id}");
        return ValueTask.CompletedTask;
    }
}

/// <summary>Greets; one step.</summary>
[Workflow("hosting-greet")]
public partial class GreetWorkflow(Probe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(string name) => await ComposeAsync(name);

    [Step("compose")]
    private Task<string> ComposeAsync(string name)
    {
        probe.Called("compose");
        return Task.FromResult($"Hello, {name}!");
    }
}

/// <summary>A step, a step that blocks on the run's cancellation token while the probe says so, a last step.</summary>
[Workflow("hosting-blocking")]
public partial class BlockingWorkflow(Probe probe)
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
        if (probe.Block)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        return input + ">block";
    }

    [Step("last")]
    private Task<string> LastAsync(string input)
    {
        probe.Called("last");
        return Task.FromResult(input + ">last");
    }
}

/// <summary>Records its scoped service's id before and after a durable sleep long enough to suspend the run.</summary>
[Workflow("hosting-scoped")]
public partial class ScopedWorkflow(ScopedThing thing, Probe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(int sleepMilliseconds)
    {
        probe.Log.Enqueue($"constructed-with:{thing.Id}");
        var before = await BeforeAsync();
        await Workflow.SleepAsync(TimeSpan.FromMilliseconds(sleepMilliseconds));
        var after = await AfterAsync();
        return before + "|" + after;
    }

    [Step("before")]
    private Task<string> BeforeAsync()
    {
        probe.Log.Enqueue($"before:{thing.Id}:disposed={thing.Disposed}");
        return Task.FromResult(thing.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Step("after")]
    private Task<string> AfterAsync()
    {
        probe.Log.Enqueue($"after:{thing.Id}:disposed={thing.Disposed}");
        return Task.FromResult(thing.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
