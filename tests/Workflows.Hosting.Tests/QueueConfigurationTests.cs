using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Workflows.Journal;

namespace Workflows.Hosting.Tests;

/// <summary>
/// Queues in hosting configuration: <c>Workflows:Queues:{name}:Concurrency</c> and <c>:WorkerConcurrency</c> declare the
/// engine's queues, merged with those declared in code (the code's callback last); bad values stop the start naming the key.
/// </summary>
public sealed class QueueConfigurationTests : HostingTestBase
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    /// <summary>A host whose settings all come from configuration (the journal, fast polling, the given keys under Workflows).</summary>
    private IHost ConfiguredHost(Probe probe, IReadOnlyDictionary<string, string?> settings, Action<WorkflowsOptions>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));
        builder.Configuration["Workflows:SqlitePath"] = DatabasePath;
        builder.Configuration["Workflows:PollInterval"] = "00:00:00.050";
        builder.Configuration["Workflows:LeaseDuration"] = "00:00:05";
        foreach (var (key, value) in settings)
        {
            builder.Configuration["Workflows:" + key] = value;
        }
        builder.Services.AddSingleton(probe);
        var workflows = configure is null ? builder.Services.AddWorkflows() : builder.Services.AddWorkflows(configure);
        workflows.AddWorkflow(GreetWorkflow.Definition).AddWorkflow(BlockingWorkflow.Definition);
        return builder.Build();
    }

    [Fact]
    public async Task A_host_built_from_configuration_runs_a_queued_run()
    {
        using var host = ConfiguredHost(new Probe(), new Dictionary<string, string?>
        {
            ["Queues:emails:Concurrency"] = "1",
            ["Queues:emails:WorkerConcurrency"] = "1",
        });
        await host.StartAsync();

        var options = host.Services.GetRequiredService<IOptions<WorkflowsOptions>>().Value;
        var emails = Assert.Single(options.Queues);
        Assert.Equal("emails", emails.Key);
        Assert.Equal(1, emails.Value.Concurrency);
        Assert.Equal(1, emails.Value.WorkerConcurrency);
        var client = host.Services.GetRequiredService<IWorkflowClient>();
        var run = await client.StartAsync(GreetWorkflow.Definition, "Cy", new StartOptions { Queue = "emails" });

        Assert.Equal("Hello, Cy!", await run.GetResultAsync().WaitAsync(Wait));
        var record = await run.GetRecordAsync();
        Assert.Equal(RunStatus.Succeeded, record.Status);
        Assert.Equal("emails", record.Queue);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_queues_concurrency_from_configuration_holds_its_next_run_pending_while_the_first_executes()
    {
        var probe = new Probe { Block = true };
        using var host = ConfiguredHost(probe, new Dictionary<string, string?>
        {
            ["Queues:one:Concurrency"] = "1",
            ["Queues:wide:Concurrency"] = "4",
        });
        await host.StartAsync();
        var client = host.Services.GetRequiredService<IWorkflowClient>();

        var first = await client.StartAsync(BlockingWorkflow.Definition, "a", new StartOptions { Queue = "one" });
        await probe.WhenRaised("block-entered");
        probe.Block = false; // a run that reaches the block step from now on goes through
        var second = await client.StartAsync(BlockingWorkflow.Definition, "b", new StartOptions { Queue = "one" });
        // A queued run is only ever claimed by the scheduler's claim pass, which takes each queue's room in one go: the
        // pass that claimed this later run of another queue also saw the second run ready, and found "one" full.
        var witness = await client.StartAsync(GreetWorkflow.Definition, "Wi", new StartOptions { Queue = "wide" });
        Assert.Equal("Hello, Wi!", await witness.GetResultAsync().WaitAsync(Wait));
        Assert.Equal(RunStatus.Pending, (await second.GetRecordAsync()).Status);
        Assert.Equal(1, probe.Calls("block"));

        // The first run ends (cancelled inside its block step): the room goes to the second, which completes.
        await first.CancelAsync("make room");
        await Assert.ThrowsAsync<WorkflowRunCancelledException>(() => first.GetResultAsync().WaitAsync(Wait));
        Assert.Equal("b>first>block>last", await second.GetResultAsync().WaitAsync(Wait));
        Assert.Equal(RunStatus.Cancelled, (await first.GetRecordAsync()).Status);
        var firstEnded = (await first.GetRecordAsync()).CompletedAt;
        var secondSteps = (await client.GetTimelineAsync(second.RunId)).Steps;
        Assert.All(secondSteps, s => Assert.True(s.StartedAt >= firstEnded, $"step {s.Name} of the second run started at {s.StartedAt:O}, before the first run ended at {firstEnded:O}"));
        await host.StopAsync();
    }

    [Fact]
    public async Task Queues_from_configuration_and_code_are_merged_the_codes_settings_last()
    {
        using var host = ConfiguredHost(new Probe(), new Dictionary<string, string?>
        {
            ["Queues:emails:Concurrency"] = "3",
            ["Queues:emails:WorkerConcurrency"] = "2",
            ["Queues:reports:Concurrency"] = "1",
        }, o =>
        {
            o.AddQueue(new WorkflowQueue("emails", 5)); // replaces both of configuration's settings for emails
            o.Queues["reports"].WorkerConcurrency = 1;  // adds one to configuration's reports
            o.AddQueue("exports", 2, workerConcurrency: 0);
            o.AddQueue("imports", 2);
        });
        await host.StartAsync();

        var options = host.Services.GetRequiredService<IOptions<WorkflowsOptions>>().Value;
        var engineQueues = options.ToEngineOptions(host.Services, new WorkflowServiceScopeFactory(host.Services.GetRequiredService<IServiceScopeFactory>()), null).Queues;
        Assert.Equal(
            [("emails", 5, (int?)null), ("exports", 2, 0), ("imports", 2, null), ("reports", 1, 1)],
            engineQueues.Select(q => (q.Name, q.Concurrency, q.WorkerConcurrency)));

        // The engine serves exactly those: runs on a queue it executes complete, a queue it does not declare is refused by
        // name, and a run on exports (WorkerConcurrency 0: this worker only enqueues) stays Pending through the claim
        // passes that took the later runs.
        var client = host.Services.GetRequiredService<IWorkflowClient>();
        var enqueued = await client.StartAsync(GreetWorkflow.Definition, "later", new StartOptions { Queue = "exports" });
        foreach (var queue in new[] { "emails", "imports", "reports" })
        {
            var run = await client.StartAsync(GreetWorkflow.Definition, queue, new StartOptions { Queue = queue });
            Assert.Equal($"Hello, {queue}!", await run.GetResultAsync().WaitAsync(Wait));
            Assert.Equal(queue, (await run.GetRecordAsync()).Queue);
        }
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => client.StartAsync(GreetWorkflow.Definition, "x", new StartOptions { Queue = "other" }));
        Assert.Contains("Queue 'other' is not one of this engine's queues ('emails', 'exports', 'imports', 'reports')", refused.Message);
        Assert.Equal(RunStatus.Pending, (await enqueued.GetRecordAsync()).Status);
        await host.StopAsync();
    }

    [Fact]
    public async Task Bad_queue_settings_stop_the_start_naming_each_key()
    {
        using var host = ConfiguredHost(new Probe(), new Dictionary<string, string?>
        {
            ["Queues:negative:Concurrency"] = "-1",
            ["Queues:negative:WorkerConcurrency"] = "-2",
            ["Queues:zero:Concurrency"] = "0",
            ["Queues:word:Concurrency"] = "four",
            ["Queues:word:WorkerConcurrency"] = "1.5",
            ["Queues:unlimited:WorkerConcurrency"] = "1",
            ["Queues:typo:Concurency"] = "2",
            ["Queues:plain"] = "3",
            ["Queues:Mixed:Concurrency"] = "1",
        }, o =>
        {
            o.AddQueue(" ", 1);
            o.AddQueue("mixed", 1);
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Workflows:Queues:negative:Concurrency must be at least 1 (was -1)", error.Message);
        Assert.Contains("Workflows:Queues:negative:WorkerConcurrency cannot be negative (was -2)", error.Message);
        Assert.Contains("Workflows:Queues:zero:Concurrency must be at least 1 (was 0)", error.Message);
        Assert.Contains("Workflows:Queues:word:Concurrency 'four' is not a valid integer", error.Message);
        Assert.Contains("Workflows:Queues:word:WorkerConcurrency '1.5' is not a valid integer", error.Message);
        Assert.DoesNotContain("Workflows:Queues:word:Concurrency is not set", error.Message); // it is set, to no number
        Assert.Contains("Workflows:Queues:unlimited:Concurrency is not set", error.Message);
        Assert.Contains("Workflows:Queues:typo:Concurency is not a queue setting (a queue has Concurrency and WorkerConcurrency)", error.Message);
        Assert.Contains("Workflows:Queues:typo:Concurrency is not set", error.Message);
        Assert.Contains("Workflows:Queues:plain '3' is not a queue's settings", error.Message);
        Assert.Contains("Workflows:Queues: : ' ' is not a queue name", error.Message);
        Assert.Contains("Workflows:Queues:Mixed and Workflows:Queues:mixed name queues that differ only in case", error.Message);
    }

    [Fact]
    public async Task A_queue_with_an_empty_name_and_queues_given_as_a_plain_value_are_named_by_their_keys()
    {
        using var host = ConfiguredHost(new Probe(), new Dictionary<string, string?> { ["Queues::Concurrency"] = "2", ["Queues"] = "emails" });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Workflows:Queues:: '' is not a queue name", error.Message);
        Assert.Contains("Workflows:Queues 'emails' is not a set of queues", error.Message);
    }
}
