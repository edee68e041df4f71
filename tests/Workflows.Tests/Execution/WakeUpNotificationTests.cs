using Workflows.Journal;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows.Execution;

namespace Workflows.Tests.Execution;

/// <summary>
/// LISTEN/NOTIFY (PostgreSQL): an engine that polls once an hour still claims at once a run another process made ready,
/// because the commit that made it ready notified it. Each run here is enqueued by a producer engine that executes none
/// (WorkerConcurrency 0) after the worker went idle, so only a notification can wake the worker in time.
/// </summary>
public sealed class PostgreSqlWakeUpNotificationTests : ExecutionTestBase
{
    protected override IJournalHarness CreateHarness() => new PostgreSqlJournal();

    /// <summary>An idle worker of queue "q" and a producer that enqueues and executes nothing, both polling once an hour.</summary>
    private async Task<(QueueMeter Meter, WorkflowEngine Producer)> WorkerAndProducerAsync()
    {
        var meter = new QueueMeter();
        var hour = TimeSpan.FromHours(1);
        var worker = await EngineAsync(workerId: "worker", definitions: [QueuedWorkflow.Definition], services: [meter],
            queues: [new WorkflowQueue("q", concurrency: 1)], pollInterval: hour);
        await worker.InitializeAsync();
        var producer = await EngineAsync(workerId: "producer", definitions: [QueuedWorkflow.Definition], services: [meter],
            queues: [new WorkflowQueue("q", concurrency: 1) { WorkerConcurrency = 0 }], pollInterval: hour);
        return (meter, producer);
    }

    [Fact]
    public async Task An_engine_polling_once_an_hour_claims_at_once_the_runs_another_process_enqueues()
    {
        var (meter, producer) = await WorkerAndProducerAsync();

        for (var i = 0; i < 3; i++)
        {
            var input = $"n{i}";
            var run = await producer.StartAsync(QueuedWorkflow.Definition, input, new StartOptions { Queue = "q" });
            await WaitUntilAsync(() => meter.Entered.Contains(input), $"the idle worker to claim {input}, of which only a notification told it", TimeSpan.FromSeconds(20));
            meter.Release(input);
            var done = await WaitForStatusAsync(run.RunId, RunStatus.Succeeded);
            Assert.Equal("\"done:" + input + "\"", done.Output);
        }
        Assert.Equal(["n0", "n1", "n2"], meter.Entered);
    }

    [Fact]
    public async Task A_handle_on_a_run_another_process_executes_completes_when_the_run_ends_not_at_its_hourly_poll()
    {
        var (meter, producer) = await WorkerAndProducerAsync();

        for (var i = 0; i < 2; i++)
        {
            var input = $"h{i}";
            var run = await producer.StartAsync(QueuedWorkflow.Definition, input, new StartOptions { Queue = "q" });
            await WaitUntilAsync(() => meter.Entered.Contains(input), $"the worker to claim {input}");
            meter.Release(input);
            // The producer's handle learns of the end from the run's final commit (its polls are an hour apart).
            Assert.Equal("done:" + input, await run.GetResultAsync().WaitAsync(TimeSpan.FromSeconds(20)));
            Assert.Equal(0, producer.RunsInMemory);
        }
    }
}
