using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Workflows.Hosting.Tests;

public sealed class OptionsTests : HostingTestBase
{
    [Fact]
    public async Task A_bad_setting_fails_the_host_start_naming_it()
    {
        using var host = BuildHost(new Probe(), o => o.MaxConcurrentRuns = 0);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Workflows:MaxConcurrentRuns must be at least 1 (was 0)", error.Message);
    }

    [Fact]
    public async Task Bad_SQLite_store_settings_fail_the_host_start()
    {
        using var host = BuildHost(new Probe(), o => o.UseSqlite(DatabasePath, s => s.BusyTimeout = TimeSpan.FromSeconds(-1)));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("SqliteWorkflowStoreOptions.BusyTimeout", error.Message);
    }

    [Fact]
    public async Task Configuration_values_that_cannot_be_read_and_a_missing_store_are_named_by_their_keys()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration["Workflows:LeaseDuration"] = "soon";
        builder.Configuration["Workflows:DefaultTenantId"] = " ";
        builder.Services.AddWorkflows();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Workflows:LeaseDuration 'soon' is not a valid duration", error.Message);
        Assert.Contains("Workflows:SqlitePath is not set", error.Message);
        Assert.Contains("Workflows:DefaultTenantId must be 1 to 100 characters", error.Message);
    }

    [Fact]
    public async Task Options_are_bound_from_the_Workflows_section_then_the_callback()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration["Workflows:SqlitePath"] = DatabasePath;
        builder.Configuration["Workflows:WorkerId"] = "from-configuration";
        builder.Configuration["Workflows:MaxConcurrentRuns"] = "3";
        builder.Configuration["Workflows:PollInterval"] = "00:00:00.250";
        builder.Configuration["Workflows:SchemaChanges"] = "AcceptCompatible";
        builder.Configuration["Workflows:DefaultTenantId"] = "acme";
        builder.Configuration["Workflows:Tenants:0"] = "acme";
        builder.Configuration["Workflows:Tenants:1"] = "globex";
        builder.Configuration["Workflows:RetainEndedRunsFor"] = "30.00:00:00";
        builder.Services.AddSingleton(new Probe());
        builder.Services.AddWorkflows().AddWorkflow(GreetWorkflow.Definition);
        builder.Services.AddWorkflows(o => o.WorkerId = "from-code"); // a second call adds only its callback
        using var host = builder.Build();
        await host.StartAsync();

        var options = host.Services.GetRequiredService<IOptions<WorkflowsOptions>>().Value;
        Assert.Equal(DatabasePath, options.SqlitePath);
        Assert.Equal(3, options.MaxConcurrentRuns);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.PollInterval);
        Assert.Equal(SchemaChangePolicy.AcceptCompatible, options.SchemaChanges);
        Assert.Equal(["acme", "globex"], options.Tenants);
        Assert.Equal(TimeSpan.FromDays(30), options.RetainEndedRunsFor);
        var engine = host.Services.GetRequiredService<WorkflowEngine>();
        Assert.Equal(new[] { "acme", "globex" }.ToHashSet(), engine.ServedTenants);
        Assert.Equal("from-code", engine.WorkerId);
        Assert.Single(host.Services.GetServices<IHostedService>().OfType<WorkflowsWorker>());

        var run = await host.Services.GetRequiredService<IWorkflowClient>().StartAsync(GreetWorkflow.Definition, "Cy");
        Assert.Equal("acme", run.TenantId);
        Assert.Equal("Hello, Cy!", await run.GetResultAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        await host.StopAsync();
    }
}

public sealed class RegistrationTests : HostingTestBase
{
    [Fact]
    public async Task AddGeneratedWorkflows_adds_every_workflow_of_the_assembly_to_the_engine()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(new Probe());
        builder.Services.AddScoped<ScopedThing>();
        builder.Services.AddWorkflows(o => o.UseSqlite(DatabasePath))
            .AddGeneratedWorkflows()
            .AddWorkflow(GreetWorkflow.Definition); // the same definition again: registered once
        using var host = builder.Build();
        await host.StartAsync();

        var engine = host.Services.GetRequiredService<WorkflowEngine>();
        Assert.Equal(["hosting-blocking", "hosting-greet", "hosting-scoped"], engine.Definitions.Select(d => d.Name).Order(StringComparer.Ordinal));
        var run = await host.Services.GetRequiredService<IWorkflowClient>().StartAsync(GreetWorkflow.Definition, "Di");
        Assert.Equal("Hello, Di!", await run.GetResultAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        await host.StopAsync();
    }
}
