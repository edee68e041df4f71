namespace Workflows.Storage;

/// <summary>
/// Implemented by a store that can tell an engine, as it happens, that runs may have become ready through another process:
/// a run created, an event sent, a child's end waking its parent, a claim released. The engine then claims at once instead
/// of at its next poll; polling stays the fallback, so a missed or late notification only delays work, never loses it.
/// </summary>
public interface IReadyRunNotifications
{
    /// <summary>
    /// Calls <paramref name="onReady"/> whenever runs may have become ready (on any thread, perhaps spuriously, perhaps
    /// several changes at once), until the returned subscription is disposed. Must not throw; the callback must be quick.
    /// </summary>
    IDisposable SubscribeReady(Action onReady);
}
