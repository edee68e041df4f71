using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Workflows.Hosting;

/// <summary>
/// The hosted worker: at start it initializes the engine (opens the store and starts the scheduler, which resumes
/// unfinished runs and claims ready ones), retrying with back-off while the store cannot be opened; at stop it disposes
/// the engine within the host's shutdown token (runs in flight are cancelled cooperatively and their claims released).
/// The container's later disposal of the engine is then a no-op.
/// </summary>
internal sealed class WorkflowsWorker(IServiceProvider services) : IHostedService
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(30);

    private readonly ILogger _logger = WorkflowsLog.Logger(services);
    private readonly CancellationTokenSource _stopping = new();
    private Task _starting = Task.CompletedTask;
    private Task _retention = Task.CompletedTask;
    private int _state; // 0 not started, 1 starting, 2 running, 3 stopped

    /// <summary>Whether the engine's scheduler runs: the store was opened and the host has not stopped.</summary>
    internal bool SchedulerRunning => Volatile.Read(ref _state) == 2;

    /// <summary>The last error that kept the store from opening at start, while it is retried.</summary>
    internal Exception? StartError { get; private set; }

    internal string State => Volatile.Read(ref _state) switch { 0 => "not started", 1 => "starting", 2 => "running", _ => "stopped" };

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var engine = services.GetRequiredService<WorkflowEngine>();
        Interlocked.CompareExchange(ref _state, 1, 0);
        try
        {
            await engine.InitializeAsync(cancellationToken).ConfigureAwait(false);
            Started(engine);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // An unreachable store does not stop the host: the health check reports it, and the worker keeps trying.
            StartError = e;
            WorkflowsLog.StartFailed(_logger, FirstRetry, e);
            _starting = Task.Run(() => RetryStartAsync(engine, _stopping.Token), CancellationToken.None);
        }
    }

    private async Task RetryStartAsync(WorkflowEngine engine, CancellationToken stopping)
    {
        var delay = FirstRetry;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(delay, stopping).ConfigureAwait(false);
                await engine.InitializeAsync(stopping).ConfigureAwait(false);
                Started(engine);
                return;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                StartError = e;
                delay = delay * 2 > LastRetry ? LastRetry : delay * 2;
                WorkflowsLog.StartFailed(_logger, delay, e);
            }
        }
    }

    private void Started(WorkflowEngine engine)
    {
        StartError = null;
        if (Interlocked.CompareExchange(ref _state, 2, 1) == 1)
        {
            WorkflowsLog.Started(_logger, engine.WorkerId);
            var options = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<WorkflowsOptions>>().Value;
            if (options.RetainEndedRunsFor is { } retain)
            {
                _retention = Task.Run(() => RetainAsync(engine, retain, options.RetentionInterval, _stopping.Token), CancellationToken.None);
            }
        }
    }

    /// <summary>Retention: deletes the runs that ended longer ago than <paramref name="retain"/> now, then every <paramref name="interval"/>.</summary>
    private async Task RetainAsync(WorkflowEngine engine, TimeSpan retain, TimeSpan interval, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await engine.DeleteEndedRunsAsync(retain, allTenants: true, cancellationToken: stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                WorkflowsLog.RetentionFailed(_logger, interval, e); // the next round tries again; nothing was half-deleted
            }
            try
            {
                await Task.Delay(interval, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _state, 3) == 3) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _starting.ConfigureAwait(false);
        await _retention.ConfigureAwait(false);
        var engine = services.GetRequiredService<WorkflowEngine>();
        WorkflowsLog.Stopping(_logger, engine.WorkerId);
        try
        {
            await engine.DisposeAsync().AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The engine goes on stopping (and disposes its store when done); the host does not wait past its timeout.
            WorkflowsLog.StopTimedOut(_logger, engine.WorkerId);
        }
        _stopping.Dispose();
    }
}
