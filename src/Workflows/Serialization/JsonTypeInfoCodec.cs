using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Workflows.Serialization;

/// <summary>
/// Journals a type through a user's source-generated <c>JsonSerializerContext</c> (its <see cref="JsonTypeInfo{T}"/>):
/// for types outside the generator's own surface. No reflection: the metadata comes from the context.
/// </summary>
/// <remarks>
/// Reads are as strict as System.Text.Json allows: when the context's options do not already turn them on, the journal
/// reads with <see cref="JsonSerializerOptions.RespectRequiredConstructorParameters"/> and
/// <see cref="JsonSerializerOptions.RespectNullableAnnotations"/> (a missing constructor parameter without a default,
/// or a null for a non-nullable member, is an error). The context's own options cannot be changed once it is in use,
/// so the reading metadata comes from a copy of them resolved through the same context; writes use the context as it
/// is. <c>required</c> members are always enforced by System.Text.Json. Each refusal is a
/// <see cref="WorkflowSerializationException"/> naming the type (the engine adds the step and sequence), whose message is
/// System.Text.Json's: it names the member (<c>'Amount'</c>, <c>'Memo'</c>) and, for a null, the JSON path (<c>$.Memo</c>).
/// <para>
/// The limits, which are System.Text.Json's: a missing non-nullable property that is neither a constructor parameter
/// nor <c>required</c> reads as its initializer's value (or its default), never as an error; a constructor parameter
/// with a default value is optional; nullability is known only where the context was compiled with nullable
/// annotations on, and is not checked for the elements of collections nor for generic type arguments (a null element of
/// a <c>List&lt;string&gt;</c> is read as null); member names are the context's (its naming policy), and unknown members
/// are ignored unless the context says otherwise. <see cref="JsonCodec{T}.TypeName"/> here is the bare CLR name, and
/// <see cref="WorkflowSerializationException.MemberPath"/> is not set.
/// </para>
/// </remarks>
public sealed class JsonTypeInfoCodec<T> : JsonCodec<T>
{
    private readonly JsonTypeInfo<T> _info;
    private readonly JsonTypeInfo<T> _readInfo;

    public JsonTypeInfoCodec(JsonTypeInfo? info, string contextName)
    {
        _info = info as JsonTypeInfo<T> ?? throw new InvalidOperationException(
            $"The JsonSerializerContext '{contextName}' has no metadata for {typeof(T).FullName}; declare it with [JsonSerializable(typeof(...))].");
        _readInfo = StrictReadInfo(_info);
    }

    public override string TypeName => typeof(T).Name;

    public override void Write(Utf8JsonWriter writer, T value) => JsonSerializer.Serialize(writer, value, _info);

    public override T Read(ref Utf8JsonReader reader) => JsonSerializer.Deserialize(ref reader, _readInfo)!;

    private static JsonTypeInfo<T> StrictReadInfo(JsonTypeInfo<T> info)
    {
        var options = info.Options;
        if (options.RespectNullableAnnotations && options.RespectRequiredConstructorParameters) return info;
        if (options.TypeInfoResolver is null) return info;
        try
        {
            var strict = new JsonSerializerOptions(options)
            {
                RespectNullableAnnotations = true,
                RespectRequiredConstructorParameters = true,
            };
            return strict.GetTypeInfo(typeof(T)) as JsonTypeInfo<T> ?? info;
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException)
        {
            // The context cannot give metadata for other options: read as it is configured.
            return info;
        }
    }
}
