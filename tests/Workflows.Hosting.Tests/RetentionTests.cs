using Microsoft.Extensions.DependencyInjection;
using Workflows.Journal;
using Workflows.Sqlite;
using Workflows.Storage;

namespace Workflows.Hosting.Tests;

public sealed class RetentionTests : HostingTestBase
{
    private static RunRecord Run(string tenant, RunStatus status, DateTimeOffset at, string workflow = "retention-old") => new()
    {
        Id = Guid.CreateVersion7(at),
        TenantId = tenant,
        Workflow = workflow,
        SchemaVersion = "v1",
        Status = status,
        CreatedAt = at,
        UpdatedAt = at,
        CompletedAt = StatusTransitions.IsFinal(status) ? at : null,
        WakeAt = status == RunStatus.Waiting ? at.AddYears(5) : null,
    };

    [Fact]
    public async Task The_worker_deletes_runs_of_every_tenant_that_ended_longer_ago_than_configured_and_keeps_the_rest()
    {
        var old = DateTimeOffset.UtcNow.AddDays(-3);
        var endedHere = Run("default", RunStatus.Succeeded, old);
        var endedThere = Run("acme", RunStatus.Failed, old);
        var parked = Run("default", RunStatus.Parked, old);
        var waiting = Run("default", RunStatus.Waiting, old);
        var endedRecently = Run("default", RunStatus.Cancelled, DateTimeOffset.UtcNow.AddHours(-1));
        await using (var store = new SqliteWorkflowStore(DatabasePath))
        {
            foreach (var run in new[] { endedHere, endedThere, parked, waiting, endedRecently })
            {
                Assert.True((await store.CreateRunAsync(run)).Created);
            }
        }

        using var host = BuildHost(new Probe(), o => o.RetainEndedRunsFor = TimeSpan.FromDays(1));
        await host.StartAsync();
        var engine = host.Services.GetRequiredService<WorkflowEngine>();
        await EventuallyAsync(async () => await engine.Store.ListRunsAsync(new RunQuery()), runs => runs.Count == 3, "retention to delete the two old ended runs");

        var left = (await engine.Store.ListRunsAsync(new RunQuery())).Select(r => r.Id).Order();
        Assert.Equal(new[] { parked.Id, waiting.Id, endedRecently.Id }.Order(), left);
        await host.StopAsync();
    }

    [Fact]
    public async Task Without_a_retention_period_nothing_is_deleted_and_a_negative_one_fails_the_start_naming_it()
    {
        var ended = Run("default", RunStatus.Succeeded, DateTimeOffset.UtcNow.AddYears(-1));
        await using (var store = new SqliteWorkflowStore(DatabasePath))
        {
            Assert.True((await store.CreateRunAsync(ended)).Created);
        }
        using (var host = BuildHost(new Probe()))
        {
            await host.StartAsync();
            var engine = host.Services.GetRequiredService<WorkflowEngine>();
            // A run started and finished after start proves the worker is up; the old run is still there.
            var run = await host.Services.GetRequiredService<IWorkflowClient>().StartAsync(GreetWorkflow.Definition, "Ada");
            await run.GetResultAsync();
            Assert.NotNull(await engine.Store.GetRunAsync("default", ended.Id));
            await host.StopAsync();
        }

        using var bad = BuildHost(new Probe(), o => o.RetainEndedRunsFor = TimeSpan.FromDays(-1));
        var error = await Assert.ThrowsAnyAsync<Exception>(() => bad.StartAsync());
        Assert.Contains("Workflows:RetainEndedRunsFor", error.Message);
    }
}
