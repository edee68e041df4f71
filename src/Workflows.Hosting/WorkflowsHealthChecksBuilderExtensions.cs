using Microsoft.Extensions.Diagnostics.HealthChecks;
using Workflows.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the Workflows health check.</summary>
public static class WorkflowsHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check that is healthy when the workflow store answers a cheap read and the hosted worker's scheduler is
    /// running (the store opened at start and the host is not stopping). Requires <c>AddWorkflows</c>.
    /// </summary>
    /// <param name="name">The check's name.</param>
    /// <param name="failureStatus">What a failure reports; <see cref="HealthStatus.Unhealthy"/> when null.</param>
    /// <param name="tags">Tags to filter checks by (readiness, liveness).</param>
    /// <returns>The same builder.</returns>
    public static IHealthChecksBuilder AddWorkflowsHealthCheck(this IHealthChecksBuilder builder, string name = "workflows",
        HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HealthCheckRegistration(name, sp => new WorkflowsHealthCheck(sp), failureStatus, tags));
    }
}
