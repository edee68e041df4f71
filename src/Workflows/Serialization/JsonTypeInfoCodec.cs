using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Workflows.Serialization;

/// <summary>
/// Journals a type through a user's source-generated <c>JsonSerializerContext</c> (its <see cref="JsonTypeInfo{T}"/>):
/// for types outside the generator's own surface. No reflection: the metadata comes from the context.
/// </summary>
public sealed class JsonTypeInfoCodec<T> : JsonCodec<T>
{
    private readonly JsonTypeInfo<T> _info;

    public JsonTypeInfoCodec(JsonTypeInfo? info, string contextName)
    {
        _info = info as JsonTypeInfo<T> ?? throw new InvalidOperationException(
            $"The JsonSerializerContext '{contextName}' has no metadata for {typeof(T).FullName}; declare it with [JsonSerializable(typeof(...))].");
    }

    public override string TypeName => typeof(T).Name;

    public override void Write(Utf8JsonWriter writer, T value) => JsonSerializer.Serialize(writer, value, _info);

    public override T Read(ref Utf8JsonReader reader) => JsonSerializer.Deserialize(ref reader, _info)!;
}
