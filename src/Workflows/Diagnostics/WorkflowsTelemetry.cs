using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Workflows.Diagnostics;

/// <summary>
/// The names OpenTelemetry listens to: one <see cref="ActivitySource"/> and one <see cref="Meter"/>, both named
/// <see cref="Name"/> ("Workflows"). Add them with <c>.AddSource(WorkflowsTelemetry.Name)</c> and <c>.AddMeter(WorkflowsTelemetry.Name)</c>.
/// </summary>
/// <remarks>
/// Spans: <c>workflow.run {workflow}</c> per run execution (a resumed run continues the trace of the caller that started
/// it: its <c>traceparent</c> is journaled with the run) and <c>workflow.step {step}</c> per step attempt that runs
/// (replayed steps are not spanned again; the run span's <c>workflows.steps.replayed</c> says how many there were).
/// Metrics: see the instrument names below; all durations are in milliseconds.
/// </remarks>
public static class WorkflowsTelemetry
{
    /// <summary>The name of the activity source and of the meter.</summary>
    public const string Name = "Workflows";

    internal static readonly ActivitySource Source = new(Name, typeof(WorkflowsTelemetry).Assembly.GetName().Version?.ToString());
    internal static readonly Meter Meter = new(Name, typeof(WorkflowsTelemetry).Assembly.GetName().Version?.ToString());

    internal static readonly Counter<long> RunsStarted = Meter.CreateCounter<long>("workflows.runs.started", "{run}", "Runs created.");
    internal static readonly Counter<long> RunsCompleted = Meter.CreateCounter<long>("workflows.runs.completed", "{run}",
        "Run executions that ended the run or parked it, by workflows.run.status.");
    internal static readonly Counter<long> RunsSuspended = Meter.CreateCounter<long>("workflows.runs.suspended", "{run}", "Run executions that suspended the run.");
    internal static readonly Counter<long> Steps = Meter.CreateCounter<long>("workflows.steps", "{step}", "Step attempts that ran, by workflows.step.status.");
    internal static readonly Counter<long> Retries = Meter.CreateCounter<long>("workflows.steps.retries", "{attempt}", "Failed step attempts that will be retried.");
    internal static readonly Counter<long> Replays = Meter.CreateCounter<long>("workflows.steps.replayed", "{step}", "Journal entries replayed instead of run.");
    internal static readonly Counter<long> ClaimsLost = Meter.CreateCounter<long>("workflows.claims.lost", "{run}", "Runs this engine lost to another owner.");
    internal static readonly Histogram<double> StepDuration = Meter.CreateHistogram<double>("workflows.step.duration", "ms", "The duration of step attempts that ran.");
    internal static readonly Histogram<double> RunDuration = Meter.CreateHistogram<double>("workflows.run.duration", "ms", "From a run's start to its end, for runs that ended.");
    internal static readonly Histogram<double> CommitDuration = Meter.CreateHistogram<double>("workflows.journal.commit.duration", "ms", "The latency of journal commits.");

    private static readonly List<WeakReference<WorkflowEngine>> s_engines = [];

    static WorkflowsTelemetry()
    {
        Meter.CreateObservableGauge("workflows.runs.in_memory", () => Observe(engine => engine.RunsInMemory), "{run}",
            "Runs executing in this process's engines.");
        Meter.CreateObservableGauge("workflows.runs.waiting", () => Observe(engine => engine.RunsSuspendedHere), "{run}",
            "Runs this process's engines suspended and have not executed again since.");
    }

    internal static void Track(WorkflowEngine engine)
    {
        lock (s_engines)
        {
            s_engines.RemoveAll(r => !r.TryGetTarget(out _));
            s_engines.Add(new WeakReference<WorkflowEngine>(engine));
        }
    }

    private static long Observe(Func<WorkflowEngine, long> read)
    {
        long total = 0;
        lock (s_engines)
        {
            foreach (var reference in s_engines)
            {
                if (reference.TryGetTarget(out var engine) && !engine.IsDisposed) total += read(engine);
            }
        }
        return total;
    }
}
