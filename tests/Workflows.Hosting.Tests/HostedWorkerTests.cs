using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Workflows.Journal;
using Workflows.Sqlite;

namespace Workflows.Hosting.Tests;

public sealed class HostedWorkerTests : HostingTestBase
{
    [Fact]
    public async Task The_hosted_worker_resumes_a_run_left_unfinished_in_the_journal()
    {
        // As a killed process leaves it: Running, its claim gone (no owner), nothing of it in any memory.
        var runId = Guid.CreateVersion7();
        await using (var store = new SqliteWorkflowStore(DatabasePath))
        {
            await store.InitializeAsync();
            var now = DateTimeOffset.UtcNow;
            var created = await store.CreateRunAsync(new RunRecord
            {
                Id = runId,
                TenantId = "default",
                Workflow = GreetWorkflow.Definition.Name,
                SchemaVersion = GreetWorkflow.Definition.SchemaVersion,
                Status = RunStatus.Running,
                Input = GreetWorkflow.Definition.InputCodec.Serialize("Ada"),
                CreatedAt = now,
                StartedAt = now,
                UpdatedAt = now,
            });
            Assert.True(created.Created);
        }

        var probe = new Probe();
        using var host = BuildHost(probe);
        await host.StartAsync();
        var client = host.Services.GetRequiredService<IWorkflowClient>();
        var run = await EventuallyAsync(() => client.GetTimelineAsync(runId), t => t.Run.Status == RunStatus.Succeeded, "the resumed run to succeed");

        Assert.Equal("Hello, Ada!", GreetWorkflow.Definition.OutputCodec.Deserialize(run.Run.Output!));
        Assert.Equal(1, probe.Calls("compose"));
        await host.StopAsync();
    }

    [Fact]
    public async Task Host_shutdown_mid_step_leaves_the_run_resumable_and_the_next_host_completes_it()
    {
        var first = new Probe { Block = true };
        Guid runId;
        var host = BuildHost(first);
        try
        {
            await host.StartAsync();
            var client = host.Services.GetRequiredService<IWorkflowClient>();
            var run = await client.StartAsync(BlockingWorkflow.Definition, "x");
            runId = run.RunId;
            await first.WhenRaised("block-entered");
            await host.StopAsync();
        }
        finally
        {
            await ((IAsyncDisposable)host).DisposeAsync(); // the container disposes the engine again: harmless
        }

        await using (var store = new SqliteWorkflowStore(DatabasePath))
        {
            var record = await store.GetRunAsync("default", runId);
            Assert.NotNull(record);
            Assert.Equal(RunStatus.Running, record.Status);
            Assert.Null(record.Owner); // the claim was released, not left to lapse
            var steps = await store.GetStepsAsync("default", runId);
            Assert.Contains(steps, s => s.Name == "first" && s.Status == StepStatus.Succeeded);
            Assert.DoesNotContain(steps, s => s.Name == "block" && s.Status == StepStatus.Succeeded);
        }

        var second = new Probe();
        using var next = BuildHost(second);
        await next.StartAsync();
        var nextClient = next.Services.GetRequiredService<IWorkflowClient>();
        var handle = await nextClient.GetRunAsync(BlockingWorkflow.Definition, runId);
        var result = await handle.GetResultAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("x>first>block>last", result);
        Assert.Equal(0, second.Calls("first")); // replayed from the journal
        Assert.Equal(1, second.Calls("block"));
        await next.StopAsync();
    }

    [Fact]
    public async Task Each_run_execution_gets_its_own_service_scope_disposed_when_it_ends()
    {
        var probe = new Probe();
        using var host = BuildHost(probe, o => o.SuspendThreshold = TimeSpan.FromMilliseconds(10));
        await host.StartAsync();
        var client = host.Services.GetRequiredService<IWorkflowClient>();

        var run = await client.StartAsync(ScopedWorkflow.Definition, 300);
        var result = await run.GetResultAsync().WaitAsync(TimeSpan.FromSeconds(30));

        var parts = result.Split('|');
        Assert.NotEqual(parts[0], parts[1]); // the sleep suspended the run: the second execution had a new scope
        var log = await EventuallyAsync(() => Task.FromResult(probe.Log.ToArray()), l => l.Contains($"disposed:{parts[1]}"), "the second scope's disposal");
        var list = log.ToList();
        Assert.Contains($"before:{parts[0]}:disposed=False", list);
        Assert.Contains($"after:{parts[1]}:disposed=False", list);
        // The first execution's scope was disposed when it suspended, before the second one was built.
        Assert.True(list.IndexOf($"disposed:{parts[0]}") < list.IndexOf($"constructed-with:{parts[1]}"), string.Join(", ", list));
        await host.StopAsync();
    }

    [Fact]
    public async Task The_container_disposes_the_engine_and_the_engine_disposes_its_store()
    {
        var probe = new Probe();
        var host = BuildHost(probe);
        await host.StartAsync();
        var engine = host.Services.GetRequiredService<WorkflowEngine>();
        var run = await host.Services.GetRequiredService<IWorkflowClient>().StartAsync(GreetWorkflow.Definition, "Bo");
        Assert.Equal("Hello, Bo!", await run.GetResultAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Same(engine, host.Services.GetRequiredService<WorkflowEngine>());
        await host.StopAsync();
        await ((IAsyncDisposable)host).DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => engine.Store.GetRunAsync("default", run.RunId).AsTask());
        // The file is closed: another store opens and reads it.
        await using var store = new SqliteWorkflowStore(DatabasePath);
        Assert.Equal(RunStatus.Succeeded, (await store.GetRunAsync("default", run.RunId))!.Status);
    }
}
