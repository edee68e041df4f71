using System.Collections.Concurrent;

namespace Workflows.Testing;

/// <summary>Where a <see cref="WorkflowFaults"/> fault can strike.</summary>
public enum FaultPoint
{
    /// <summary>A commit that records a step's outcome, before the store applies it: the store fails it.</summary>
    BeforeStepCommit,

    /// <summary>A commit that records a step's outcome, after the store applied it: its reply is lost.</summary>
    AfterStepCommit,

    /// <summary>The commit that ends a run (succeeded, failed, cancelled, parked), before the store applies it.</summary>
    BeforeRunEndCommit,

    /// <summary>The commit that ends a run, after the store applied it: its reply is lost.</summary>
    AfterRunEndCommit,

    /// <summary>A renewal of the engine's claims, before the store renews them.</summary>
    ClaimRenewal,

    /// <summary>
    /// Inside a store, on its connection, as a statement is about to run: the fault is the driver's own exception (an I/O
    /// error, a busy or locked database), which goes through the store's real error mapping.
    /// </summary>
    StoreConnection,
}

/// <summary>
/// Faults injected at named points of the engine and the stores, for tests of what a run does when its journal fails at the
/// worst moment. A test switch: it can be created only in a process that turned on the AppContext switch
/// <see cref="Switch"/> (a test project's <c>runtimeconfig</c>, or <c>AppContext.SetSwitch</c>), and it does nothing until
/// armed. Pass it as <see cref="WorkflowEngineOptions.Faults"/> (the engine's points) and to a store's options (its
/// <see cref="FaultPoint.StoreConnection"/> point).
/// </summary>
public sealed class WorkflowFaults
{
    /// <summary>The AppContext switch that allows fault injection in a process.</summary>
    public const string Switch = "Workflows.Testing.FaultInjection";

    private readonly ConcurrentDictionary<FaultPoint, Armed> _armed = new();
    private readonly ConcurrentDictionary<FaultPoint, int> _fired = new();

    /// <exception cref="InvalidOperationException">The process has not turned on <see cref="Switch"/>.</exception>
    public WorkflowFaults()
    {
        if (!AppContext.TryGetSwitch(Switch, out var enabled) || !enabled)
        {
            throw new InvalidOperationException(
                $"Fault injection is for tests: turn on the AppContext switch '{Switch}' in the test process " +
                $"(AppContext.SetSwitch(\"{Switch}\", true), or <RuntimeHostConfigurationOption Include=\"{Switch}\" Value=\"true\" /> in its project).");
        }
    }

    /// <summary>
    /// Arms <paramref name="point"/>: its next <paramref name="times"/> hits, after <paramref name="skip"/> hits that pass,
    /// throw what <paramref name="fault"/> makes. Re-arming a point replaces what it had.
    /// </summary>
    public WorkflowFaults Arm(FaultPoint point, Func<Exception> fault, int times = 1, int skip = 0)
    {
        ArgumentNullException.ThrowIfNull(fault);
        if (!Enum.IsDefined(point)) throw new ArgumentOutOfRangeException(nameof(point), point, "Not a fault point.");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(times);
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        _armed[point] = new Armed(fault, times, skip);
        return this;
    }

    /// <summary>Disarms <paramref name="point"/>.</summary>
    public void Disarm(FaultPoint point) => _armed.TryRemove(point, out _);

    /// <summary>How many faults <paramref name="point"/> has thrown.</summary>
    public int Fired(FaultPoint point) => _fired.TryGetValue(point, out var count) ? count : 0;

    /// <summary>
    /// A hit of <paramref name="point"/>: throws its fault when one is due. The engine and the stores call it at their points;
    /// a store of another package can call it at its own <see cref="FaultPoint.StoreConnection"/>.
    /// </summary>
    public void Hit(FaultPoint point)
    {
        if (_armed.TryGetValue(point, out var armed) && armed.Take() is { } fault)
        {
            _fired.AddOrUpdate(point, 1, static (_, n) => n + 1);
            throw fault();
        }
    }

    private sealed class Armed(Func<Exception> fault, int times, int skip)
    {
        private int _hits;

        /// <summary>The fault when this hit is one of the armed ones.</summary>
        public Func<Exception>? Take()
        {
            var hit = Interlocked.Increment(ref _hits);
            return hit > skip && hit <= skip + times ? fault : null;
        }
    }
}
