using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Workflows.Serialization;

/// <summary>
/// Writes and reads one type as JSON without reflection. The generator emits one per user type and
/// composes them with the built-in codecs in <see cref="JsonCodecs"/>.
/// </summary>
public abstract class JsonCodec<T>
{
    /// <summary>Writes <paramref name="value"/> as one JSON value.</summary>
    public abstract void Write(Utf8JsonWriter writer, T value);

    /// <summary>Reads one value; the reader is on its first token and is left on its last token.</summary>
    public abstract T Read(ref Utf8JsonReader reader);

    /// <summary>The name shown in errors: the C# type.</summary>
    public virtual string TypeName => typeof(T).Name;

    /// <summary>Writes <paramref name="value"/> as a JSON text, within the default <see cref="JournalLimits"/>.</summary>
    /// <exception cref="JournalWriteException">The value is nested too deep or is too large for the journal.</exception>
    public string Serialize(T value) => JournalJson.Write(this, value, JournalLimits.Default);

    /// <summary>Writes <paramref name="value"/> as a JSON text, within <paramref name="limits"/>.</summary>
    /// <exception cref="JournalWriteException">The value is nested too deep or is too large for the journal.</exception>
    public string Serialize(T value, JournalLimits limits) => JournalJson.Write(this, value, limits);

    /// <summary>Reads a JSON text written by <see cref="Serialize(T)"/>, within the default <see cref="JournalLimits"/>.</summary>
    /// <exception cref="WorkflowSerializationException">The text is not valid JSON for this type.</exception>
    public T Deserialize(string json) => JournalJson.Read(this, json, JournalLimits.Default);

    /// <summary>Reads a JSON text written within <paramref name="limits"/>.</summary>
    /// <exception cref="WorkflowSerializationException">The text is not valid JSON for this type.</exception>
    public T Deserialize(string json, JournalLimits limits) => JournalJson.Read(this, json, limits);
}

/// <summary>
/// The limits every journal payload is held to, by every writer and every reader alike, so that whatever was written can
/// be read back: a value nested deeper than <see cref="MaxDepth"/>, or larger than <see cref="MaxPayloadBytes"/> as JSON,
/// fails when it is first written (the step fails, naming itself), never later when it is replayed.
/// </summary>
public sealed record JournalLimits
{
    /// <summary>The default maximum nesting depth of a payload: 256 (System.Text.Json's reader alone would stop at 64).</summary>
    public const int DefaultMaxDepth = 256;

    /// <summary>The default maximum size of one payload as UTF-8 JSON: 4 MiB.</summary>
    public const int DefaultMaxPayloadBytes = 4 * 1024 * 1024;

    /// <summary>The limits used when none are configured.</summary>
    public static JournalLimits Default { get; } = new();

    /// <summary>How deep objects and arrays may nest, 1 to 1000.</summary>
    public int MaxDepth { get; init; } = DefaultMaxDepth;

    /// <summary>How many bytes of UTF-8 JSON one payload (a step's input or output, a run's input or output) may take, 1 to 1 GiB.</summary>
    public int MaxPayloadBytes { get; init; } = DefaultMaxPayloadBytes;

    internal void Validate()
    {
        if (MaxDepth is < 1 or > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDepth), MaxDepth, "JournalLimits.MaxDepth must be 1 to 1000.");
        }
        if (MaxPayloadBytes is < 1 or > 1 << 30)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxPayloadBytes), MaxPayloadBytes, "JournalLimits.MaxPayloadBytes must be 1 byte to 1 GiB.");
        }
    }
}

/// <summary>The one place journal payloads are turned into text and back.</summary>
public static class JournalJson
{
    /// <summary>Writer settings for every payload: compact, non-ASCII kept readable.</summary>
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
        MaxDepth = JournalLimits.DefaultMaxDepth,
    };

    private static JsonWriterOptions WriterOptionsFor(JournalLimits limits) =>
        limits.MaxDepth == JournalLimits.DefaultMaxDepth ? WriterOptions : WriterOptions with { MaxDepth = limits.MaxDepth };

    /// <summary>Runs <paramref name="write"/> against a fresh writer and returns the text, within the default limits.</summary>
    public static string Write<TState>(TState state, Action<Utf8JsonWriter, TState> write) => Write(state, write, JournalLimits.Default, "payload");

    /// <summary>
    /// Runs <paramref name="write"/> against an empty writer and returns the text, within <paramref name="limits"/>. The buffer
    /// and writer are the thread's own, reused from payload to payload: a payload costs its string, not its buffers.
    /// </summary>
    /// <exception cref="JournalWriteException">The payload is nested deeper or is larger than the limits allow.</exception>
    public static string Write<TState>(TState state, Action<Utf8JsonWriter, TState> write, JournalLimits limits, string what)
    {
        ArgumentNullException.ThrowIfNull(limits);
        // The thread's buffer and writer, reused (a write within a write, or a payload of other depth limits, gets fresh ones).
        var pooling = limits.MaxDepth == JournalLimits.DefaultMaxDepth;
        var pooled = pooling ? t_pooled : null;
        if (pooling) t_pooled = null;
        pooled ??= new PooledWriter();
        var buffer = pooled.Buffer;
        buffer.Reset(limits.MaxPayloadBytes);
        try
        {
            var writer = pooled.Writer ??= new Utf8JsonWriter(buffer, WriterOptionsFor(limits));
            write(writer, state);
            writer.Flush();
            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
        catch (PayloadTooLargeException)
        {
            throw JournalWriteException.TooLarge(what, buffer.Attempted, limits.MaxPayloadBytes);
        }
        catch (InvalidOperationException e) when (e.Message.Contains("depth", StringComparison.OrdinalIgnoreCase))
        {
            throw JournalWriteException.TooDeep(what, limits.MaxDepth, e);
        }
        finally
        {
            // Kept for the thread's next payload unless it grew past 256 KiB: a big payload's buffer is not held on to.
            if (pooling && buffer.Capacity <= PooledBufferBytes)
            {
                pooled.Writer?.Reset(buffer);
                t_pooled = pooled;
            }
            else if (pooled.Writer is { } writer)
            {
                // Disposing flushes what the writer still holds: into a buffer without a limit now, so that an oversized
                // payload's refusal above is not replaced by the buffer's own (internal) one.
                buffer.Reset(int.MaxValue);
                writer.Dispose();
            }
        }
    }

    private const int PooledBufferBytes = 256 * 1024;

    [ThreadStatic]
    private static PooledWriter? t_pooled;

    /// <summary>A thread's reusable payload buffer and the writer over it (default options).</summary>
    private sealed class PooledWriter
    {
        public readonly LimitedBufferWriter Buffer = new();
        public Utf8JsonWriter? Writer;
    }

    /// <summary>Serializes one value with its codec, within <paramref name="limits"/>.</summary>
    /// <exception cref="JournalWriteException">The value is nested deeper or is larger than the limits allow.</exception>
    public static string Write<T>(JsonCodec<T> codec, T value, JournalLimits limits) =>
        Write((codec, value), static (writer, state) => state.codec.Write(writer, state.value), limits, codec.TypeName);

    /// <summary>Serializes one value with its codec, within the default limits.</summary>
    public static string Write<T>(JsonCodec<T> codec, T value) => Write(codec, value, JournalLimits.Default);

    /// <summary>Deserializes one value with its codec, within the default limits, naming the type in any error.</summary>
    public static T Read<T>(JsonCodec<T> codec, string json) => Read(codec, json, JournalLimits.Default);

    /// <summary>Deserializes one value with its codec, within <paramref name="limits"/>, naming the type in any error.</summary>
    public static T Read<T>(JsonCodec<T> codec, string json, JournalLimits limits)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(limits);
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json), new JsonReaderOptions { MaxDepth = limits.MaxDepth });
            if (!reader.Read())
            {
                throw new JsonException("The payload is empty.");
            }
            var value = codec.Read(ref reader);
            if (reader.Read())
            {
                throw new JsonException($"Unexpected {reader.TokenType} after the value.");
            }
            return value;
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or OverflowException or ArgumentException)
        {
            throw new WorkflowSerializationException(codec.TypeName, json, e);
        }
    }
}

/// <summary>A journal payload could not be read as the type the code expects.</summary>
public sealed class WorkflowSerializationException : Exception
{
    public WorkflowSerializationException(string typeName, string payload, Exception inner)
        : base($"Cannot read {typeName} from the journal payload {Excerpt(payload)}: {inner.Message}", inner)
    {
        TypeName = typeName;
        Payload = payload;
        MemberPath = (inner as JournalMemberException)?.MemberPath;
    }

    /// <summary>Where in the payload the problem is (<c>Receipt.Amount</c>, <c>Order.Lines[2].Sku</c>), when the codec could tell.</summary>
    public string? MemberPath { get; }

    /// <summary>The C# type that was expected.</summary>
    public string TypeName { get; }

    /// <summary>The offending JSON text.</summary>
    public string Payload { get; }

    private static string Excerpt(string payload) => payload.Length <= 120 ? payload : payload[..117] + "...";
}

/// <summary>
/// A value could not be written to the journal: it is nested deeper, or is larger, than <see cref="JournalLimits"/> allow,
/// or its codec refused it. Raised when the value is first written, so that nothing unreadable is ever recorded.
/// </summary>
public sealed class JournalWriteException : Exception
{
    public JournalWriteException(string what, string reason, Exception? inner = null)
        : base($"Cannot write {what} to the journal: {reason}", inner)
    {
        What = what;
        Reason = reason;
    }

    /// <summary>What was being written (the C# type, or a step's input).</summary>
    public string What { get; }

    public string Reason { get; }

    /// <summary>The payload's size so far when it went over the limit, for a size refusal.</summary>
    public long? Size { get; private init; }

    public int? Limit { get; private init; }

    internal static JournalWriteException TooLarge(string what, long size, int limit) =>
        new(what, $"the payload reached {size.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} bytes, over the limit of " +
            $"{limit.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} (JournalLimits.MaxPayloadBytes)") { Size = size, Limit = limit };

    /// <summary>The same refusal, naming what the value was for (a run's input, an event's payload) instead of its type alone.</summary>
    internal JournalWriteException For(string what) => new($"{what} ({What})", Reason, this) { Size = Size, Limit = Limit };

    internal static JournalWriteException TooDeep(string what, int limit, Exception inner) =>
        new(what, $"it is nested deeper than {limit} levels (JournalLimits.MaxDepth)", inner) { Limit = limit };
}

/// <summary>An array buffer that refuses to grow past a size, so that an oversized payload fails early, not after it was built.</summary>
internal sealed class LimitedBufferWriter : IBufferWriter<byte>
{
    private readonly ArrayBufferWriter<byte> _inner = new(256);
    private int _limit;

    public long Attempted { get; private set; }

    public int Capacity => _inner.Capacity;

    /// <summary>Empty again, with a new limit: the buffer is reused.</summary>
    public void Reset(int limit)
    {
        _inner.ResetWrittenCount();
        Attempted = 0;
        _limit = limit;
    }

    public ReadOnlySpan<byte> WrittenSpan => _inner.WrittenSpan;

    public void Advance(int count)
    {
        Attempted = _inner.WrittenCount + (long)count;
        if (Attempted > _limit) throw new PayloadTooLargeException();
        _inner.Advance(count);
    }

    public Memory<byte> GetMemory(int sizeHint = 0) => _inner.GetMemory(sizeHint);

    public Span<byte> GetSpan(int sizeHint = 0) => _inner.GetSpan(sizeHint);
}

internal sealed class PayloadTooLargeException : Exception;
