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

    /// <summary>Writes <paramref name="value"/> as a JSON text.</summary>
    public string Serialize(T value) => JournalJson.Write(this, value);

    /// <summary>Reads a JSON text written by <see cref="Serialize"/>.</summary>
    /// <exception cref="WorkflowSerializationException">The text is not valid JSON for this type.</exception>
    public T Deserialize(string json) => JournalJson.Read(this, json);
}

/// <summary>The one place journal payloads are turned into text and back.</summary>
public static class JournalJson
{
    /// <summary>Writer settings for every payload: compact, non-ASCII kept readable.</summary>
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    /// <summary>Runs <paramref name="write"/> against a fresh writer and returns the text.</summary>
    public static string Write<TState>(TState state, Action<Utf8JsonWriter, TState> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(writer, state);
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Serializes one value with its codec.</summary>
    public static string Write<T>(JsonCodec<T> codec, T value)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            codec.Write(writer, value);
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Deserializes one value with its codec, naming the type in any error.</summary>
    public static T Read<T>(JsonCodec<T> codec, string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
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
    }

    /// <summary>The C# type that was expected.</summary>
    public string TypeName { get; }

    /// <summary>The offending JSON text.</summary>
    public string Payload { get; }

    private static string Excerpt(string payload) => payload.Length <= 120 ? payload : payload[..117] + "...";
}
