using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace Workflows.PostgreSql.Tests;

/// <summary>A message from the client (frontend) as the proxy framed it.</summary>
/// <param name="Type">Its type byte ('P' Parse, 'Q' Query, 'B' Bind, 'E' Execute, 'S' Sync, ...).</param>
/// <param name="Sql">For Parse and Query, its SQL text; otherwise null.</param>
/// <param name="Before">
/// The SQL the connection sent earlier in the same transaction (since the server last reported it idle, ReadyForQuery 'I').
/// </param>
public readonly record struct ClientMessage(char Type, string? Sql, IReadOnlyList<string> Before);

/// <summary>What the proxy did when it cut a connection.</summary>
/// <param name="Matched">The client message the cut was armed on.</param>
/// <param name="Swallowed">
/// The type bytes of the server's messages that never reached the client, in order ("1", "2", "n", "C", ..., "Z"); empty when
/// the request was dropped before the server saw it.
/// </param>
/// <param name="TransactionStatus">
/// The status byte of the swallowed ReadyForQuery: 'I' when the server ended its transaction (so it committed, unless
/// <see cref="Swallowed"/> holds an ErrorResponse 'E'); null when the request was dropped before the server saw it.
/// </param>
/// <param name="Statements">The SQL the connection sent in that transaction (the matched message's and the others).</param>
public sealed record CutReport(ClientMessage Matched, string Swallowed, char? TransactionStatus, IReadOnlyList<string> Statements)
{
    /// <summary>The server answered with an ErrorResponse: it refused the request (and rolled it back).</summary>
    public bool ServerReportedError => Swallowed.Contains('E', StringComparison.Ordinal);

    /// <summary>The server applied the request and committed its transaction; only the client never heard of it.</summary>
    public bool ServerCommitted => TransactionStatus == 'I' && !ServerReportedError;
}

/// <summary>
/// A TCP proxy on 127.0.0.1 between Npgsql and PostgreSQL that forwards both ways, framing the wire protocol (v3) as it goes,
/// and can be armed to act on one connection at a precise point (armings fire one after the other, in the order they were
/// armed; each on the first client message, on any connection, that matches it after the previous one fired):
/// <list type="bullet">
/// <item><see cref="CutReplyTo"/>: the first client message that matches (on any connection) goes to the server with the
/// rest of its request, but the server's whole reply to it, up to and including ReadyForQuery, is swallowed; then both
/// sockets are closed. The server received, executed and (for a Sync or a COMMIT, ReadyForQuery 'I') ended the transaction;
/// the client only sees its connection drop while it waits for CommandComplete/ReadyForQuery: a lost reply.</item>
/// <item><see cref="DropRequest"/>: the connection is closed instead of forwarding the matching message: the server never
/// sees the request (nothing applied), the client sees the same dropped connection.</item>
/// <item><see cref="HoldRequest"/>: the matching message (and whatever follows it on that connection) is held back until the
/// test releases it: the request reaches the server only then.</item>
/// <item><see cref="ReplyTo"/>: nothing is changed; the task completes when the server has answered the matching request and
/// ended its transaction (ReadyForQuery 'I' forwarded to the client).</item>
/// </list>
/// Waiting for ReadyForQuery instead of cutting at the first reply byte matters: PostgreSQL may flush part of a reply
/// before Sync (a full output buffer), and a backend whose client went away before it committed rolls back.
/// </summary>
public sealed class ReplyCuttingProxy : IAsyncDisposable
{
    private const int SslRequestCode = 80877103;
    private const int GssEncRequestCode = 80877104;

    private readonly TcpListener _listener;
    private readonly IPEndPoint _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Connection> _connections = [];
    private readonly Task _accepting;
    private readonly Queue<Arming> _armings = new(); // guarded by itself; only the head may fire
    private readonly System.Collections.Concurrent.ConcurrentQueue<Exception> _faults = new();
    private int _cuts;

    private ReplyCuttingProxy(string upstreamConnectionString)
    {
        var upstream = new NpgsqlConnectionStringBuilder(upstreamConnectionString);
        var host = upstream.Host ?? throw new ArgumentException("The upstream connection string names no Host.", nameof(upstreamConnectionString));
        if (host.Contains(',', StringComparison.Ordinal) || host.StartsWith('/'))
        {
            throw new ArgumentException($"The proxy forwards to one TCP host, not '{host}'.", nameof(upstreamConnectionString));
        }
        var address = IPAddress.TryParse(host, out var parsed)
            ? parsed
            : Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
              ?? throw new ArgumentException($"Host '{host}' has no IPv4 address.", nameof(upstreamConnectionString));
        _upstream = new IPEndPoint(address, upstream.Port);

        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;

        ConnectionString = new NpgsqlConnectionStringBuilder(upstreamConnectionString)
        {
            Host = "127.0.0.1",
            Port = Port,
            // Every open is a new physical connection through the proxy: a retry after a cut never reuses a connector, and
            // since no connection lives long enough to auto-prepare a statement, every Parse carries its SQL (what the
            // armed predicates look at).
            Pooling = false,
            // The proxy reads the protocol: no TLS or GSS session encryption between the client and the proxy.
            SslMode = SslMode.Disable,
            GssEncryptionMode = GssEncryptionMode.Disable,
        }.ConnectionString;

        _accepting = AcceptAsync();
    }

    /// <summary>A proxy to the server <paramref name="upstreamConnectionString"/> names, listening on a free port of 127.0.0.1.</summary>
    public static ReplyCuttingProxy Start(string upstreamConnectionString) => new(upstreamConnectionString);

    /// <summary>The port the proxy listens on (127.0.0.1).</summary>
    public int Port { get; }

    /// <summary>The upstream connection string pointed at the proxy: no pooling, no transport encryption.</summary>
    public string ConnectionString { get; }

    /// <summary>How many connections the proxy has cut.</summary>
    public int Cuts => Volatile.Read(ref _cuts);

    /// <summary>
    /// The first statement of a journal commit batch (a fence or a state-machine write: its SQL calls workflow_expect()), so
    /// that each commit matches once (its other statements call it too).
    /// </summary>
    public static bool JournalCommit(ClientMessage message) =>
        message is { Type: 'P', Sql: { } sql } && CallsExpect(sql) && !message.Before.Any(CallsExpect);

    private static bool CallsExpect(string sql) => sql.Contains("workflow_expect(", StringComparison.Ordinal);

    /// <summary>The COMMIT of an explicit transaction (Npgsql sends it as a simple Query).</summary>
    public static bool TransactionCommit(ClientMessage message) =>
        message is { Type: 'Q', Sql: { } sql } && sql.Trim().TrimEnd(';').Equals("COMMIT", StringComparison.OrdinalIgnoreCase);

    /// <summary>The COMMIT of a transaction that inserted a run (<c>CreateRunAsync</c>), not of a claim or any other transaction.</summary>
    public static bool RunCreationCommit(ClientMessage message) =>
        TransactionCommit(message) && message.Before.Any(sql => sql.TrimStart().StartsWith("INSERT INTO workflow_runs", StringComparison.Ordinal));

    /// <summary>
    /// What commits a run's creation: the run's INSERT sent as a batch of its own (a run created without steps, one implicit
    /// transaction), or the COMMIT of the explicit transaction that inserted a run with its steps.
    /// </summary>
    public static bool RunCreation(ClientMessage message) =>
        RunCreationCommit(message)
        || (message is { Type: 'P', Sql: { } sql } && sql.TrimStart().StartsWith("INSERT INTO workflow_runs", StringComparison.Ordinal)
            && !message.Before.Any(before => before.TrimStart().StartsWith("BEGIN", StringComparison.OrdinalIgnoreCase)));

    /// <summary>The scheduler's question for the earliest due run (<c>GetNextDueAsync</c>), asked once per scheduling pass, after its claim.</summary>
    public static bool NextDueQuery(ClientMessage message) =>
        message is { Type: 'P', Sql: { } sql } && sql.TrimStart().StartsWith("SELECT MIN(due) FROM (", StringComparison.Ordinal);

    /// <summary>
    /// Arms the proxy: the server's reply to the first client message matching <paramref name="request"/> after
    /// <paramref name="skip"/> earlier matches is swallowed, up to and including its ReadyForQuery, and the connection is cut.
    /// The task completes when the cut happened.
    /// </summary>
    public Task<CutReport> CutReplyTo(Func<ClientMessage, bool> request, int skip = 0) => Arm(request, skip, ArmingMode.CutReply).Cut.Task;

    /// <summary>
    /// Arms the proxy: the connection that sends the first client message matching <paramref name="request"/> (after
    /// <paramref name="skip"/> earlier matches) is cut before that message reaches the server.
    /// </summary>
    public Task<CutReport> DropRequest(Func<ClientMessage, bool> request, int skip = 0) => Arm(request, skip, ArmingMode.Drop).Cut.Task;

    /// <summary>
    /// Arms the proxy: the first client message matching <paramref name="request"/> (after <paramref name="skip"/> earlier
    /// matches), and what follows it on its connection, is held back until <see cref="HeldRequest.Release"/>.
    /// </summary>
    public HeldRequest HoldRequest(Func<ClientMessage, bool> request, int skip = 0) => new(Arm(request, skip, ArmingMode.Hold));

    /// <summary>
    /// Arms the proxy to watch: the task completes when the server has answered the first client message matching
    /// <paramref name="request"/> (after <paramref name="skip"/> earlier matches) and ended its transaction, and the client
    /// has been sent that answer.
    /// </summary>
    public Task ReplyTo(Func<ClientMessage, bool> request, int skip = 0) => Arm(request, skip, ArmingMode.Observe).Answered.Task;

    private Arming Arm(Func<ClientMessage, bool> request, int skip, ArmingMode mode)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
        var arming = new Arming(request, skip, mode);
        lock (_armings)
        {
            _armings.Enqueue(arming);
        }
        return arming;
    }

    /// <summary>The arming <paramref name="message"/> fires (the head of the queue, if it matches), taken by exactly one caller.</summary>
    private Arming? Take(ClientMessage message)
    {
        lock (_armings)
        {
            if (!_armings.TryPeek(out var head) || !head.Matches(message)) return null;
            return _armings.Dequeue();
        }
    }

    /// <summary>A request the proxy holds back (<see cref="HoldRequest"/>).</summary>
    public sealed class HeldRequest
    {
        private readonly Arming _arming;

        internal HeldRequest(Arming arming) => _arming = arming;

        /// <summary>Completes when the matching message arrived and is being held (the server has not seen it).</summary>
        public Task Held => _arming.Fired.Task;

        /// <summary>Completes when, once released, the request was answered and its transaction ended (ReadyForQuery 'I' forwarded).</summary>
        public Task Answered => _arming.Answered.Task;

        /// <summary>Lets the held request go on to the server.</summary>
        public void Release() => _arming.Released.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Connection[] open;
        lock (_connections)
        {
            open = [.. _connections];
        }
        foreach (var connection in open)
        {
            connection.Close();
        }
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // stopped
        }
        lock (_armings)
        {
            while (_armings.TryDequeue(out var unfired)) unfired.Cancel();
        }
        _stop.Dispose();
        if (!_faults.IsEmpty)
        {
            throw new AggregateException("The proxy could not follow the protocol on some connection.", _faults);
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        try
        {
            await server.ConnectAsync(_upstream, _stop.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            client.Dispose(); // the client sees its connection refused, as with the server itself down
            server.Dispose();
            return;
        }
        var connection = new Connection(this, client, server);
        lock (_connections)
        {
            _connections.Add(connection);
        }
        try
        {
            await connection.RunAsync();
        }
        catch (Exception e)
        {
            _faults.Enqueue(e); // a stream the proxy could not frame: reported when the proxy is disposed
        }
        finally
        {
            lock (_connections)
            {
                _connections.Remove(connection);
            }
        }
    }

    internal enum ArmingMode { CutReply, Drop, Hold, Observe }

    internal sealed class Arming(Func<ClientMessage, bool> matches, int skip, ArmingMode mode)
    {
        private int _skip = skip;

        public ArmingMode Mode { get; } = mode;

        /// <summary>CutReply, Drop: the cut happened.</summary>
        public TaskCompletionSource<CutReport> Cut { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Hold: the matching message is being held.</summary>
        public TaskCompletionSource Fired { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Hold: the test let it go.</summary>
        public TaskCompletionSource Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Hold, Observe: the reply, up to ReadyForQuery 'I', was forwarded to the client.</summary>
        public TaskCompletionSource Answered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Called under the queue's lock, on the head only.</summary>
        public bool Matches(ClientMessage message) => matches(message) && --_skip == -1;

        public void Cancel()
        {
            Cut.TrySetCanceled();
            Fired.TrySetCanceled();
            Released.TrySetResult(); // a held request goes on (the connection is closing anyway)
            Answered.TrySetCanceled();
        }
    }

    /// <summary>A reply being swallowed: the arming that fired and the client message it fired on.</summary>
    private sealed record Cutting(Arming Arming, ClientMessage Matched);

    /// <summary>One proxied connection: two pumps, each forwarding whole protocol messages only.</summary>
    private sealed class Connection(ReplyCuttingProxy proxy, Socket client, Socket server)
    {
        private readonly StringBuilder _swallowed = new();
        private readonly List<string> _transaction = []; // SQL sent since the server last said idle (guarded by itself)
        private Cutting? _cutting; // set by the client pump before the matched message is forwarded
        private Arming? _observing; // a Hold or Observe arming waiting for the end of its request's transaction
        private int _closed;

        public async Task RunAsync()
        {
            try
            {
                await Task.WhenAll(PumpClientAsync(), PumpServerAsync());
            }
            finally
            {
                Close();
            }
        }

        public void Close()
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0) return;
            foreach (var socket in new[] { client, server })
            {
                try
                {
                    socket.Shutdown(SocketShutdown.Both);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    // already gone
                }
                socket.Dispose();
            }
        }

        private void Cut(Arming arming, ClientMessage matched, char? status)
        {
            // Reported before the sockets close: the client fails only after it, so whoever saw the failure sees the report.
            Interlocked.Increment(ref proxy._cuts);
            string[] statements;
            lock (_transaction)
            {
                statements = [.. _transaction];
            }
            arming.Cut.TrySetResult(new CutReport(matched, _swallowed.ToString(), status, statements));
            Close();
        }

        private async Task PumpClientAsync()
        {
            var buffer = new Frames();
            var startup = true; // the first message has no type byte
            try
            {
                while (true)
                {
                    var read = await client.ReceiveAsync(buffer.Free(), SocketFlags.None);
                    if (read == 0) return;
                    buffer.Advance(read);
                    var offset = 0;
                    while (Frames.TryFrame(buffer.Span[offset..buffer.Count], startup, out var length))
                    {
                        var message = buffer.Span.Slice(offset, length);
                        if (startup)
                        {
                            var code = BinaryPrimitives.ReadInt32BigEndian(message[4..]);
                            if (code is SslRequestCode or GssEncRequestCode)
                            {
                                // The server's one-byte answer is not a message, and an encrypted session cannot be read.
                                throw new InvalidDataException("The client asked the proxy for transport encryption: connect with its ConnectionString (SslMode and GssEncryptionMode Disable).");
                            }
                            startup = false; // a StartupMessage (or a CancelRequest, after which the connection ends)
                        }
                        else if (Describe(message) is var described && proxy.Take(described) is { } arming)
                        {
                            var matched = described;
                            if (arming.Mode == ArmingMode.Drop)
                            {
                                if (offset > 0) await SendAsync(server, buffer.Memory[..offset]);
                                Cut(arming, matched, status: null);
                                return;
                            }
                            if (arming.Mode == ArmingMode.CutReply)
                            {
                                Volatile.Write(ref _cutting, new Cutting(arming, matched)); // before any byte of the request reaches the server
                            }
                            else
                            {
                                Volatile.Write(ref _observing, arming); // before the request reaches the server
                                if (arming.Mode == ArmingMode.Hold)
                                {
                                    if (offset > 0)
                                    {
                                        await SendAsync(server, buffer.Memory[..offset]);
                                        buffer.Consume(offset);
                                        offset = 0;
                                    }
                                    arming.Fired.TrySetResult();
                                    await arming.Released.Task;
                                }
                            }
                        }
                        offset += length;
                    }
                    if (offset > 0)
                    {
                        await SendAsync(server, buffer.Memory[..offset]);
                        buffer.Consume(offset);
                    }
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
            {
                // the connection was cut or closed
            }
            finally
            {
                Close();
            }
        }

        private async Task PumpServerAsync()
        {
            var buffer = new Frames();
            try
            {
                while (true)
                {
                    var read = await server.ReceiveAsync(buffer.Free(), SocketFlags.None);
                    if (read == 0) return;
                    buffer.Advance(read);
                    var offset = 0;
                    Cutting? cutting = null;
                    Arming? answered = null;
                    char? status = null;
                    while (offset < buffer.Count)
                    {
                        if (!Frames.TryFrame(buffer.Span[offset..buffer.Count], startup: false, out var length)) break;
                        cutting ??= Volatile.Read(ref _cutting);
                        if (cutting is not null)
                        {
                            // The reply to the matched request: never forwarded.
                            var type = (char)buffer.Span[offset];
                            _swallowed.Append(type);
                            if (type == 'Z')
                            {
                                status = (char)buffer.Span[offset + 5];
                                break;
                            }
                            buffer.Consume(length, at: offset);
                            continue;
                        }
                        if (buffer.Span[offset] == (byte)'Z' && buffer.Span[offset + 5] == (byte)'I')
                        {
                            TransactionEnded(); // before the client can see it and send its next request
                            answered ??= Interlocked.Exchange(ref _observing, null);
                        }
                        offset += length;
                    }
                    if (offset > 0)
                    {
                        await SendAsync(client, buffer.Memory[..offset]);
                        buffer.Consume(offset);
                    }
                    answered?.Answered.TrySetResult(); // sent: the client has the answer (or is about to read it)
                    if (status is { } ready && cutting is { } cut)
                    {
                        Cut(cut.Arming, cut.Matched, ready);
                        return;
                    }
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
            {
                // the connection was cut or closed
            }
            finally
            {
                Close();
            }
        }

        private static async Task SendAsync(Socket socket, ReadOnlyMemory<byte> bytes)
        {
            while (bytes.Length > 0)
            {
                var sent = await socket.SendAsync(bytes, SocketFlags.None);
                bytes = bytes[sent..];
            }
        }

        /// <summary>A typed client message: its type, its SQL text for Parse and Query, and the SQL before it in its transaction.</summary>
        private ClientMessage Describe(ReadOnlySpan<byte> message)
        {
            var type = (char)message[0];
            var body = message[5..];
            string? sql = null;
            switch (type)
            {
                case 'Q':
                    sql = CString(body, out _);
                    break;
                case 'P':
                    CString(body, out var nameLength); // the statement's name
                    sql = CString(body[nameLength..], out _);
                    break;
            }
            lock (_transaction)
            {
                var before = _transaction.ToArray();
                if (sql is not null) _transaction.Add(sql);
                return new ClientMessage(type, sql, before);
            }
        }

        /// <summary>The server said it is idle (ReadyForQuery 'I'): the next request begins another transaction.</summary>
        private void TransactionEnded()
        {
            lock (_transaction)
            {
                _transaction.Clear();
            }
        }

        /// <summary>A NUL-terminated UTF-8 string at the start of <paramref name="bytes"/>; <paramref name="length"/> counts the NUL.</summary>
        private static string CString(ReadOnlySpan<byte> bytes, out int length)
        {
            var end = bytes.IndexOf((byte)0);
            if (end < 0) throw new InvalidDataException("A protocol string has no terminating NUL.");
            length = end + 1;
            return Encoding.UTF8.GetString(bytes[..end]);
        }
    }

    /// <summary>Bytes received and not forwarded yet, framed into protocol messages.</summary>
    private sealed class Frames
    {
        private byte[] _bytes = new byte[16 * 1024];

        public int Count { get; private set; }

        public Span<byte> Span => _bytes.AsSpan();

        public Memory<byte> Memory => _bytes.AsMemory();

        public Memory<byte> Free()
        {
            if (Count == _bytes.Length) Array.Resize(ref _bytes, _bytes.Length * 2);
            return _bytes.AsMemory(Count);
        }

        public void Advance(int read) => Count += read;

        /// <summary>Drops <paramref name="length"/> bytes at <paramref name="at"/>, moving what follows down.</summary>
        public void Consume(int length, int at = 0)
        {
            Buffer.BlockCopy(_bytes, at + length, _bytes, at, Count - at - length);
            Count -= length;
        }

        /// <summary>
        /// Whether <paramref name="bytes"/> starts with a whole message, and its length: a startup-phase message is an
        /// Int32 length (counting itself) and a body; every other message a type byte, then such a length and a body.
        /// </summary>
        public static bool TryFrame(ReadOnlySpan<byte> bytes, bool startup, out int length)
        {
            length = 0;
            var header = startup ? 4 : 5;
            if (bytes.Length < header) return false;
            var declared = BinaryPrimitives.ReadInt32BigEndian(bytes[(header - 4)..]);
            if (declared < 4) throw new InvalidDataException($"A protocol message declares length {declared}.");
            length = header - 4 + declared;
            return bytes.Length >= length;
        }
    }
}
