using System.Collections.Concurrent;

namespace Workflows.Tests.TestWorkflows;

/// <summary>
/// What a test workflow tells its test: how often each step body ran, the values its run method saw, and facts it
/// observed. Handed to the workflow through the engine's services, one per engine (one per "process").
/// </summary>
public sealed class Probe
{
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<object?>> _seen = new(StringComparer.Ordinal);

    /// <summary>Facts the workflow records (run ids, caught exceptions, ...).</summary>
    public ConcurrentDictionary<string, object?> Facts { get; } = new(StringComparer.Ordinal);

    /// <summary>Released by the test (or the workflow) to let held steps go on.</summary>
    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Set when a held step body has started.</summary>
    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>When true, steps that honour it wait for <see cref="Gate"/>.</summary>
    public bool Hold { get; set; }

    /// <summary>Counts one run of a step body and returns the count so far.</summary>
    public int Called(string step) => _calls.AddOrUpdate(step, 1, static (_, n) => n + 1);

    public int Calls(string step) => _calls.GetValueOrDefault(step);

    public int TotalCalls => _calls.Values.Sum();

    public async Task WaitIfHeldAsync()
    {
        if (!Hold) return;
        Entered.TrySetResult();
        await Gate.Task.ConfigureAwait(false);
    }

    /// <summary>Records a value the run method got back from a step, under a label.</summary>
    public void Saw<T>(string label, T value)
    {
        lock (_gate)
        {
            if (!_seen.TryGetValue(label, out var list))
            {
                _seen[label] = list = [];
            }
            list.Add(value);
        }
    }

    /// <summary>The values seen under a label, in call order.</summary>
    public IReadOnlyList<T> Seen<T>(string label)
    {
        lock (_gate)
        {
            return _seen.TryGetValue(label, out var list) ? list.Select(v => (T)v!).ToList() : [];
        }
    }

    public IReadOnlyCollection<string> Labels
    {
        get
        {
            lock (_gate)
            {
                return _seen.Keys.ToList();
            }
        }
    }
}

/// <summary>A minimal service provider: the first instance assignable to the requested type.</summary>
public sealed class TestServices(params object[] services) : IServiceProvider
{
    public object? GetService(Type serviceType) => services.FirstOrDefault(serviceType.IsInstanceOfType);
}
