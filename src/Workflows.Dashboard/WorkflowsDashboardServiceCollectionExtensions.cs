using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Workflows.Dashboard;

/// <summary>Registers the dashboard's services; map its pages with <see cref="WorkflowsDashboardEndpointRouteBuilderExtensions.MapWorkflowsDashboard"/>.</summary>
public static class WorkflowsDashboardServiceCollectionExtensions
{
    /// <summary>
    /// Adds the dashboard over the <see cref="WorkflowEngine"/> that <c>AddWorkflows</c> registers: its options
    /// (validated at start), antiforgery for its actions and authorization (for <see cref="WorkflowsDashboardOptions.ActionsPolicy"/>).
    /// </summary>
    public static IServiceCollection AddWorkflowsDashboard(this IServiceCollection services, Action<WorkflowsDashboardOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<WorkflowsDashboardOptions>();
        if (configure is not null) options.Configure(configure);
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WorkflowsDashboardOptions>, WorkflowsDashboardOptionsValidation>());
        services.AddAntiforgery();
        // The full authorization services (policy evaluator included): WebApplication adds the authorization middleware when they are registered.
        services.AddAuthorization();
        services.TryAddSingleton<DashboardMarker>();
        return services;
    }
}

/// <summary>Present once AddWorkflowsDashboard ran: MapWorkflowsDashboard checks for it.</summary>
internal sealed class DashboardMarker;
