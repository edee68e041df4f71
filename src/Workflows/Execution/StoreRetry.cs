using Workflows.Storage;

namespace Workflows;

/// <summary>
/// Retries a store call while the store is unavailable (locked, busy, unreachable), with exponential backoff capped at two
/// seconds (real time, whatever the engine's clock), until it goes through or <c>cancellationToken</c> fires. An unavailable
/// store is never an error of a run.
/// </summary>
internal static class StoreRetry
{
    internal static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(50);
    internal static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(2);

    internal static async Task RunAsync(Func<ValueTask> call, CancellationToken cancellationToken)
    {
        var delay = FirstDelay;
        while (true)
        {
            try
            {
                await call().ConfigureAwait(false);
                return;
            }
            catch (StoreUnavailableException) when (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = Next(delay);
            }
        }
    }

    /// <summary><see cref="RunAsync(Func{ValueTask}, CancellationToken)"/> with the call's state passed in, for a hot path that allocates no closure.</summary>
    internal static async Task RunAsync<TState>(TState state, Func<TState, ValueTask> call, CancellationToken cancellationToken)
    {
        var delay = FirstDelay;
        while (true)
        {
            try
            {
                await call(state).ConfigureAwait(false);
                return;
            }
            catch (StoreUnavailableException) when (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = Next(delay);
            }
        }
    }

    internal static async Task<T> RunAsync<T>(Func<ValueTask<T>> call, CancellationToken cancellationToken)
    {
        var delay = FirstDelay;
        while (true)
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (StoreUnavailableException) when (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = Next(delay);
            }
        }
    }

    internal static TimeSpan Next(TimeSpan delay) => delay * 2 > MaxDelay ? MaxDelay : delay * 2;
}
