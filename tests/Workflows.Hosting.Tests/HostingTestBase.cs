using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Workflows.Hosting.Tests;

/// <summary>A temp directory per test with its SQLite journal, and hosts built on it.</summary>
public abstract class HostingTestBase : IDisposable
{
    protected HostingTestBase()
    {
        Directory = Path.Combine(Path.GetTempPath(), "workflows-hosting-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        DatabasePath = Path.Combine(Directory, "workflows.db");
    }

    protected string Directory { get; }

    protected string DatabasePath { get; }

    /// <summary>A Generic Host with AddWorkflows on the test's journal, fast polling and the test workflows added.</summary>
    protected IHost BuildHost(Probe probe, Action<WorkflowsOptions>? configure = null, Action<HostApplicationBuilder>? setup = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));
        builder.Services.AddSingleton(probe);
        builder.Services.AddScoped<ScopedThing>();
        builder.Services.AddHealthChecks().AddWorkflowsHealthCheck();
        builder.Services
            .AddWorkflows(o =>
            {
                o.UseSqlite(DatabasePath);
                o.PollInterval = TimeSpan.FromMilliseconds(50);
                o.LeaseDuration = TimeSpan.FromSeconds(5);
                configure?.Invoke(o);
            })
            .AddWorkflow(GreetWorkflow.Definition)
            .AddWorkflow(BlockingWorkflow.Definition)
            .AddWorkflow(ScopedWorkflow.Definition);
        setup?.Invoke(builder);
        return builder.Build();
    }

    protected static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var value = await read();
            if (done(value)) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out waiting for {what}; last value: {value}");
            await Task.Delay(25);
        }
    }

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
