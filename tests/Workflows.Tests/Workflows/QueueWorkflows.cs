using System.Collections.Concurrent;

namespace Workflows.Tests.TestWorkflows.Execution;

/// <summary>
/// Counts the runs inside <see cref="QueuedWorkflow"/>'s step at once (across every engine of a test) and holds each there
/// until the test lets it go.
/// </summary>
public sealed class QueueMeter
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _entered = new();
    private readonly Lock _gate = new();
    private int _inside;

    /// <summary>The most runs that were inside at once.</summary>
    public int MaxInside { get; private set; }

    public int Inside => Volatile.Read(ref _inside);

    /// <summary>The runs' inputs in the order they entered.</summary>
    public IReadOnlyList<string> Entered => [.. _entered];

    /// <summary>The inputs inside now.</summary>
    public IReadOnlyList<string> Holding => [.. _gates.Where(g => !g.Value.Task.IsCompleted).Select(g => g.Key).Where(k => _entered.Contains(k))];

    internal async Task EnterAsync(string input)
    {
        lock (_gate)
        {
            _inside++;
            MaxInside = Math.Max(MaxInside, _inside);
            _entered.Enqueue(input);
        }
        try
        {
            await Gate(input).Task;
        }
        finally
        {
            lock (_gate) _inside--;
        }
    }

    /// <summary>Lets the run with <paramref name="input"/> finish its step.</summary>
    public void Release(string input) => Gate(input).TrySetResult();

    private TaskCompletionSource Gate(string input) =>
        _gates.GetOrAdd(input, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}

/// <summary>One step that enters the meter and stays until released.</summary>
[Workflow("exec-queued")]
public partial class QueuedWorkflow(QueueMeter meter)
{
    [WorkflowRun]
    public async Task<string> RunAsync(string input) => await HoldAsync(input);

    [Step("hold")]
    private async Task<string> HoldAsync(string input)
    {
        await meter.EnterAsync(input);
        return "done:" + input;
    }
}
