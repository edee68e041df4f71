using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Workflows.Diagnostics;
using Workflows.Journal;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows.Execution;
using Workflows.Tests.TestWorkflows.Messaging;

namespace Workflows.Tests.Execution;

/// <summary>
/// The engine's traces, metrics and logs, read the way OpenTelemetry reads them: an <see cref="ActivityListener"/> on the
/// "Workflows" source, a <see cref="MeterListener"/> on the "Workflows" meter, and an <see cref="ILoggerFactory"/>.
/// Other tests run at the same time, so everything is filtered by this test's run or workflow.
/// </summary>
public abstract class TelemetryTests : ExecutionTestBase
{
    private sealed class Spans : IDisposable
    {
        private readonly ActivityListener _listener;

        public Spans()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == WorkflowsTelemetry.Name,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity => Stopped.Enqueue(activity),
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public ConcurrentQueue<Activity> Stopped { get; } = new();

        public List<Activity> Of(Guid runId) => [.. Stopped.Where(a => a.GetTagItem("workflows.run.id") as string == runId.ToString())];

        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public async Task A_run_and_each_step_attempt_are_spans_in_the_callers_trace_with_their_attributes()
    {
        using var spans = new Spans();
        using var callerSource = new ActivitySource("Telemetry.Tests.Caller");
        using var listener = new ActivityListener { ShouldListenTo = s => s.Name == "Telemetry.Tests.Caller", Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded };
        ActivitySource.AddActivityListener(listener);
        var engine = await EngineAsync(definitions: [InterruptibleWorkflow.Definition]);

        WorkflowRun<string> handle;
        ActivityTraceId trace;
        using (var caller = callerSource.StartActivity("POST /orders")!)
        {
            trace = caller.TraceId;
            handle = await engine.StartAsync(InterruptibleWorkflow.Definition, "parcel");
        }
        await handle.GetResultAsync().WaitAsync(Guard);
        await WaitUntilAsync(() => spans.Of(handle.RunId).Any(a => a.OperationName.StartsWith("workflow.run", StringComparison.Ordinal)), "the run span to end");

        var ofRun = spans.Of(handle.RunId);
        var run = Assert.Single(ofRun, a => a.OperationName == "workflow.run exec-interruptible");
        Assert.Equal(trace, run.TraceId);
        Assert.Equal("exec-interruptible", run.GetTagItem("workflows.workflow"));
        Assert.Equal(Tenant, run.GetTagItem("workflows.tenant"));
        Assert.Equal("Succeeded", run.GetTagItem("workflows.run.status"));
        var step = Assert.Single(ofRun, a => a.OperationName == "workflow.step fragile");
        Assert.Equal(run.SpanId, step.ParentSpanId);
        Assert.Equal(trace, step.TraceId);
        Assert.Equal((1, 1, "Succeeded"), ((int)step.GetTagItem("workflows.step.sequence")!, (int)step.GetTagItem("workflows.step.attempt")!, step.GetTagItem("workflows.step.status")));
        Assert.Equal(Activity.Current?.TraceId ?? default, default); // nothing leaked into the test's flow
        Assert.NotNull((await GetRunAsync(handle.RunId)).TraceParent);
    }

    [Fact]
    public async Task A_run_resumed_by_another_engine_continues_the_trace_and_replayed_steps_are_not_spanned_again()
    {
        using var spans = new Spans();
        using var callerSource = new ActivitySource("Telemetry.Tests.Caller2");
        using var listener = new ActivityListener { ShouldListenTo = s => s.Name == "Telemetry.Tests.Caller2", Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded };
        ActivitySource.AddActivityListener(listener);
        var first = await EngineAsync(new ExecutionProbe(), [ApprovalWorkflow.Definition]);
        WorkflowRun<string> handle;
        ActivityTraceId trace;
        using (var caller = callerSource.StartActivity("POST /start")!)
        {
            trace = caller.TraceId;
            handle = await first.StartAsync(ApprovalWorkflow.Definition, "o-9");
        }
        await WaitForStatusAsync(handle.RunId, RunStatus.Waiting); // "prepare" ran; the run waits for its approval
        await StopAsync(first);

        var second = await EngineAsync(new ExecutionProbe("second"), [ApprovalWorkflow.Definition]);
        await second.SendEventAsync(handle.RunId, "approval", "yes");
        await (await second.GetRunAsync(handle.RunId)).Completion.WaitAsync(Guard);
        await WaitUntilAsync(() => spans.Of(handle.RunId).Count(a => a.OperationName.StartsWith("workflow.run", StringComparison.Ordinal)) >= 2, "both run spans to end");

        var runs = spans.Of(handle.RunId).Where(a => a.OperationName.StartsWith("workflow.run", StringComparison.Ordinal)).ToList();
        Assert.All(runs, r => Assert.Equal(trace, r.TraceId)); // the second engine continued the caller's trace
        var last = runs.Single(r => (string?)r.GetTagItem("workflows.run.status") == "Succeeded");
        Assert.True((int)last.GetTagItem("workflows.steps.replayed")! >= 1);
        Assert.Single(spans.Of(handle.RunId), a => a.OperationName == "workflow.step prepare"); // ran once, replayed once: one span
        Assert.Single(spans.Of(handle.RunId), a => a.OperationName == "workflow.step finish");
        Assert.Contains(runs, r => (string?)r.GetTagItem("workflows.run.status") == "Waiting");
    }

    [Fact]
    public async Task The_meter_counts_runs_steps_and_retries_and_records_durations()
    {
        var measurements = new ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == WorkflowsTelemetry.Name) listener.EnableMeasurementEvents(instrument);
            },
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var copy = new Dictionary<string, object?>();
            foreach (var tag in tags) copy[tag.Key] = tag.Value;
            measurements.Enqueue((instrument.Name, value, copy));
        }
        meters.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        meters.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        meters.Start();

        var probe = new ExecutionProbe().Set("fail-twice");
        var engine = await EngineAsync(probe, [InterruptibleWorkflow.Definition]);
        await engine.RunAsync(InterruptibleWorkflow.Definition, "metered").WaitAsync(Guard);
        meters.RecordObservableInstruments();

        List<(string Instrument, double Value, Dictionary<string, object?> Tags)> Of(string name, string tag, string value) =>
            [.. measurements.Where(m => m.Instrument == name && m.Tags.TryGetValue(tag, out var v) && Equals(v, value))];
        // Other tests run this workflow at the same time: at least this run's measurements are there.
        Assert.NotEmpty(Of("workflows.runs.started", "workflows.workflow", "exec-interruptible"));
        Assert.Contains(Of("workflows.runs.completed", "workflows.workflow", "exec-interruptible"), m => Equals(m.Tags["workflows.run.status"], "Succeeded"));
        Assert.True(Of("workflows.steps.retries", "workflows.step", "fragile").Count >= 2);
        Assert.Contains(Of("workflows.steps", "workflows.step", "fragile"), m => Equals(m.Tags["workflows.step.status"], "Failed"));
        Assert.Contains(Of("workflows.steps", "workflows.step", "fragile"), m => Equals(m.Tags["workflows.step.status"], "Succeeded"));
        Assert.NotEmpty(Of("workflows.step.duration", "workflows.step", "fragile"));
        Assert.NotEmpty(Of("workflows.run.duration", "workflows.workflow", "exec-interruptible"));
        Assert.Contains(measurements, m => m.Instrument == "workflows.journal.commit.duration" && m.Value >= 0);
        Assert.Contains(measurements, m => m.Instrument == "workflows.runs.in_memory");
    }

    [Fact]
    public async Task The_engine_logs_through_the_applications_logger_with_stable_event_ids_in_a_run_scope()
    {
        var logs = new CapturingLoggerProvider();
        using var factory = logs;
        var probe = new ExecutionProbe().Set("fail-twice");
        var store = Store;
        await using var engine = new WorkflowEngine(store, new WorkflowEngineOptions { LoggerFactory = factory, Services = new TestWorkflows.TestServices(probe) });
        var handle = await engine.StartAsync(InterruptibleWorkflow.Definition, "logged");
        await handle.GetResultAsync().WaitAsync(Guard);
        // The result is there once the final commit is; the execution logs its end a moment later, as it leaves memory.
        await WaitUntilAsync(() => engine.RunsInMemory == 0, "the execution to leave memory");

        var mine = logs.Entries.Where(e => e.Scopes.Any(s => s.Contains(handle.RunId.ToString(), StringComparison.Ordinal))).ToList();
        Assert.Contains(mine, e => e.EventId == 1001); // started
        Assert.Equal(2, mine.Count(e => e.EventId == 2001)); // two retries
        Assert.Contains(mine, e => e.EventId == 1005); // succeeded
        Assert.Contains(mine, e => e.EventId == 2001 && e.Message.Contains("'fragile'", StringComparison.Ordinal) && e.Level == LogLevel.Warning);
        Assert.All(mine, e => Assert.Equal("Workflows.Engine", e.Category));
        // A step's messages are inside a scope that names the step and its sequence as well.
        Assert.All(mine.Where(e => e.EventId == 2001), e => Assert.Contains(e.Scopes, s => s.EndsWith("step 1 'fragile'", StringComparison.Ordinal)));
    }

    /// <summary>An application's logging, reduced to what the test reads: every entry with its category, event id and scopes.</summary>
    private sealed class CapturingLoggerProvider : ILoggerFactory
    {
        private readonly IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

        public void AddProvider(ILoggerProvider provider) { }

        public ConcurrentQueue<(string Category, int EventId, LogLevel Level, string Message, List<string> Scopes)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose() { }

        private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var scopes = new List<string>();
                owner._scopes.ForEachScope((scope, list) => list.Add(scope?.ToString() ?? ""), scopes);
                owner.Entries.Enqueue((category, eventId.Id, logLevel, formatter(state, exception), scopes));
            }
        }
    }
}

public sealed class InMemoryTelemetryTests : TelemetryTests
{
    protected override IJournalHarness CreateHarness() => new InMemoryJournal();
}

public sealed class SqliteTelemetryTests : TelemetryTests
{
    protected override IJournalHarness CreateHarness() => new SqliteJournal();
}

public sealed class PostgreSqlTelemetryTests : TelemetryTests
{
    protected override IJournalHarness CreateHarness() => new PostgreSqlJournal();
}
