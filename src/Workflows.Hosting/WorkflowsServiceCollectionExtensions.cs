using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Workflows;
using Workflows.Hosting;
using Workflows.PostgreSql;
using Workflows.Sqlite;
using Workflows.Storage;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds Workflows to a service collection.</summary>
public static class WorkflowsServiceCollectionExtensions
{
    /// <summary>
    /// Adds a singleton <see cref="WorkflowEngine"/> (owning its store, a service scope per run execution), the hosted
    /// worker that runs its scheduler (resumes unfinished runs at start, stops the engine at shutdown) and
    /// <see cref="IWorkflowClient"/>. <see cref="WorkflowsOptions"/> are bound from the <c>"Workflows"</c> configuration
    /// section when an <c>IConfiguration</c> is registered, then <paramref name="configure"/> runs; they are validated
    /// when the host starts. Calling it again adds nothing more but the callback.
    /// </summary>
    /// <returns>A builder to add workflows with (<c>AddWorkflow</c>, or the generated <c>AddGeneratedWorkflows()</c>).</returns>
    public static WorkflowsBuilder AddWorkflows(this IServiceCollection services, Action<WorkflowsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = new WorkflowsBuilder(services);
        if (!services.Any(d => d.ServiceType == typeof(WorkflowsMarker)))
        {
            services.AddSingleton<WorkflowsMarker>();
            services.AddOptions<WorkflowsOptions>().ValidateOnStart();
            // Configuration first (registered before any callback), then the callbacks in order.
            services.AddSingleton<IConfigureOptions<WorkflowsOptions>, WorkflowsOptionsBinding>();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WorkflowsOptions>, WorkflowsOptionsValidation>());
            services.TryAddSingleton(CreateEngine);
            services.TryAddSingleton<IWorkflowClient, WorkflowClient>();
            services.TryAddSingleton<WorkflowsWorker>();
            services.AddHostedService(sp => sp.GetRequiredService<WorkflowsWorker>());
        }
        if (configure is not null)
        {
            services.Configure(configure);
        }
        return builder;
    }

    private static WorkflowEngine CreateEngine(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<WorkflowsOptions>>().Value;
        var engineOptions = options.ToEngineOptions(
            services,
            new WorkflowServiceScopeFactory(services.GetRequiredService<IServiceScopeFactory>()),
            // The engine logs its own events (runs, steps, claims, store back-off) through the container's loggers.
            services.GetService<ILoggerFactory>());
        IWorkflowStore store = options.PostgreSql is { } postgreSql
            ? new PostgreSqlWorkflowStore(postgreSql)
            : new SqliteWorkflowStore(options.SqliteOptions());
        WorkflowEngine engine;
        try
        {
            engine = new WorkflowEngine(store, engineOptions);
        }
        catch
        {
            store.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
        try
        {
            foreach (var registration in services.GetServices<WorkflowRegistration>().DistinctBy(r => r.Definition))
            {
                engine.Register(registration.Definition);
            }
        }
        catch
        {
            engine.DisposeAsync().AsTask().GetAwaiter().GetResult(); // disposes the store too: the engine owns it
            throw;
        }
        return engine;
    }

    /// <summary>Marks a collection that <see cref="AddWorkflows"/> has set up.</summary>
    private sealed class WorkflowsMarker;
}
