namespace Workflows.Storage;

/// <summary>
/// Implemented by a store that can tell an engine, as it happens, that a run ended (or was parked) in another process, so
/// that the handles waiting for it here complete at once instead of at their next poll. Polling stays the fallback: a
/// missed or late notification only delays a handle, never loses its outcome.
/// </summary>
public interface IRunEndNotifications
{
    /// <summary>
    /// Calls <paramref name="onEnded"/> with the id of each run whose end (or parking) another process committed, and with
    /// <see cref="Guid.Empty"/> when any run may have ended unannounced (the store was not listening for a while), until the
    /// returned subscription is disposed. On any thread; must not throw; the callback must be quick.
    /// </summary>
    IDisposable SubscribeEnded(Action<Guid> onEnded);
}
