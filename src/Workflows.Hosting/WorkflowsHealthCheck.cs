using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Workflows.Storage;

namespace Workflows.Hosting;

/// <summary>
/// Healthy when the store answers a cheap read (one run listed) and the hosted worker's engine is running its scheduler.
/// </summary>
internal sealed class WorkflowsHealthCheck(IServiceProvider services) : IHealthCheck
{
    private static readonly RunQuery OneRun = new() { Limit = 1 };

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var worker = services.GetRequiredService<WorkflowsWorker>();
        var engine = services.GetRequiredService<WorkflowEngine>();
        var data = new Dictionary<string, object>
        {
            ["workerId"] = engine.WorkerId,
            ["scheduler"] = worker.State,
            ["runsInMemory"] = engine.RunsInMemory,
        };
        try
        {
            await engine.Store.ListRunsAsync(OneRun, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus,
                $"The workflow store did not answer: {e.Message}", e, data);
        }
        if (!worker.SchedulerRunning)
        {
            return new HealthCheckResult(context.Registration.FailureStatus,
                $"The workflow scheduler is not running ({worker.State}).", worker.StartError, data);
        }
        return HealthCheckResult.Healthy("The workflow store answers and the scheduler is running.", data);
    }
}
