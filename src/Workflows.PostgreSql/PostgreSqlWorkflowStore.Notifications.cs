using Npgsql;
using Workflows.Storage;
using Workflows.Storage.Sql;

namespace Workflows.PostgreSql;

/// <summary>
/// Wake-ups across processes: a commit that makes a run ready for another engine (a run created, an event sent, a child's
/// end waking its parent, a claim released) sends <c>NOTIFY</c> on the schema's channel in its own transaction, so the
/// notification goes out exactly when the change is visible. Each store that has subscribers keeps one connection
/// listening; it reconnects with back-off when the connection drops or the server restarts, and tells its subscribers
/// after every (re)connection, since anything sent while it was not listening was missed. Polling stays the fallback.
/// </summary>
public sealed partial class PostgreSqlWorkflowStore : IReadyRunNotifications, IRunEndNotifications
{
    /// <summary>The payload prefix of a run's end: "end:" and the run id (the engines' handles; the schedulers ignore it).</summary>
    internal const string EndedPayload = "end:";

    private static readonly TimeSpan FirstReconnectDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(5);

    private readonly string _listenConnectionString;
    private readonly Lock _listenGate = new();
    private Action[] _subscribers = [];
    private Action<Guid>[] _endedSubscribers = [];
    private CancellationTokenSource? _listening;
    private Task _listener = Task.CompletedTask;
    private int _listenConnections;

    /// <summary>The notification channel of the store's schema.</summary>
    internal string Channel { get; }

    /// <summary>How many times the listening connection was (re)established: lets tests see a reconnection.</summary>
    internal int ListenConnections => Volatile.Read(ref _listenConnections);

    /// <inheritdoc />
    public IDisposable SubscribeReady(Action onReady)
    {
        ArgumentNullException.ThrowIfNull(onReady);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        lock (_listenGate)
        {
            _subscribers = [.. _subscribers, onReady];
            ListenLocked();
        }
        return new Subscription(() => Unsubscribe(ref _subscribers, onReady));
    }

    /// <inheritdoc />
    public IDisposable SubscribeEnded(Action<Guid> onEnded)
    {
        ArgumentNullException.ThrowIfNull(onEnded);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        lock (_listenGate)
        {
            _endedSubscribers = [.. _endedSubscribers, onEnded];
            ListenLocked();
        }
        return new Subscription(() => Unsubscribe(ref _endedSubscribers, onEnded));
    }

    /// <summary>Starts the listening connection unless it runs. Under the gate.</summary>
    private void ListenLocked()
    {
        if (_listening is null)
        {
            _listening = new CancellationTokenSource();
            var stop = _listening.Token;
            _listener = Task.Run(() => ListenAsync(stop), CancellationToken.None);
        }
    }

    private void Unsubscribe<T>(ref T[] subscribers, T subscriber) where T : class
    {
        lock (_listenGate)
        {
            var index = Array.IndexOf(subscribers, subscriber);
            if (index >= 0) subscribers = [.. subscribers[..index], .. subscribers[(index + 1)..]];
        }
    }

    /// <summary>A notification: a run's end for the ended-subscribers, anything else (readiness) for the ready-subscribers.</summary>
    private void Dispatch(string payload)
    {
        if (payload.StartsWith(EndedPayload, StringComparison.Ordinal))
        {
            if (Guid.TryParse(payload.AsSpan(EndedPayload.Length), out var runId)) RaiseEnded(runId);
            return;
        }
        Raise();
    }


    private async Task StopListeningAsync()
    {
        Task listener;
        lock (_listenGate)
        {
            _listening?.Cancel();
            listener = _listener;
        }
        await listener.ConfigureAwait(false);
        _listening?.Dispose();
    }

    private void Raise() => Tell(Volatile.Read(ref _subscribers), static subscriber => subscriber());

    private void RaiseEnded(Guid runId) => Tell(Volatile.Read(ref _endedSubscribers), subscriber => subscriber(runId));

    private static void Tell<T>(T[] subscribers, Action<T> call)
    {
        foreach (var subscriber in subscribers)
        {
            try
            {
                call(subscriber);
            }
            catch (Exception)
            {
                // A subscriber's failure is its own; the others are still told.
            }
        }
    }

    /// <summary>A NOTIFY on the schema's channel, for a commit's batch (sent when, and only if, the batch commits).</summary>
    private NpgsqlBatchCommand Notification(string payload)
    {
        var command = new NpgsqlBatchCommand("SELECT pg_notify(@channel, @payload)");
        D.Bind(command.Parameters, "channel", SqlValueKind.Text, Channel);
        D.Bind(command.Parameters, "payload", SqlValueKind.Text, payload);
        return command;
    }

    private async Task ListenAsync(CancellationToken stop)
    {
        var delay = FirstReconnectDelay;
        var builder = new NpgsqlConnectionStringBuilder(_listenConnectionString)
        {
            Pooling = false, // the listening connection is the store's own, closed when it drops
            KeepAlive = 15,  // a query every 15 s of silence, so that a connection lost without a reset is noticed
        };
        await using var source = new NpgsqlSlimDataSourceBuilder(builder.ConnectionString).EnableTransportSecurity().Build();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await InitializeAsync(stop).ConfigureAwait(false);
                await using var connection = await source.OpenConnectionAsync(stop).ConfigureAwait(false);
                connection.Notification += (_, e) => Dispatch(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN \"{Channel}\"", connection))
                {
                    await listen.ExecuteNonQueryAsync(stop).ConfigureAwait(false);
                }
                Interlocked.Increment(ref _listenConnections);
                delay = FirstReconnectDelay;
                Raise(); // whatever was sent while nobody listened
                RaiseEnded(Guid.Empty);
                while (true)
                {
                    await connection.WaitAsync(stop).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                // The server is away or restarting, or the connection dropped: listen again after a pause; the engines poll meanwhile.
                try
                {
                    await Task.Delay(delay, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                delay = delay * 2 > MaxReconnectDelay ? MaxReconnectDelay : delay * 2;
            }
        }
    }

    /// <summary>Notifies listening engines when <paramref name="transaction"/> commits.</summary>
    private async Task NotifyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string? workflow, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, "SELECT pg_notify(@channel, @payload)");
        D.Bind(command, "channel", SqlValueKind.Text, Channel);
        D.Bind(command, "payload", SqlValueKind.Text, workflow ?? "");
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private sealed class Subscription(Action unsubscribe) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) unsubscribe();
        }
    }
}
