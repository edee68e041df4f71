namespace Workflows.Serialization;

/// <summary>
/// The journal codec of each type, found without reflection: a static generic field per type, filled by the runtime for
/// the primitives and by generated code (a module initializer per workflow) for every type a workflow journals. The
/// generic <see cref="Workflow"/> and engine APIs that take no codec (events, published values) read it.
/// </summary>
public static class JsonCodecRegistry
{
    /// <summary>Registers <paramref name="codec"/> for <typeparamref name="T"/>, unless one is registered already (the first wins).</summary>
    public static void Register<T>(JsonCodec<T> codec)
    {
        ArgumentNullException.ThrowIfNull(codec);
        Interlocked.CompareExchange(ref Slot<T>.Codec, codec, null);
    }

    /// <summary>The codec registered for <typeparamref name="T"/>, or null.</summary>
    public static JsonCodec<T>? Find<T>() => Volatile.Read(ref Slot<T>.Codec) ?? Primitive<T>();

    /// <summary>The codec registered for <typeparamref name="T"/>.</summary>
    /// <exception cref="InvalidOperationException">None is: <typeparamref name="T"/> is not a type any workflow journals.</exception>
    public static JsonCodec<T> Get<T>(string usage) => Find<T>() ?? throw new InvalidOperationException(
        $"No journal codec is registered for {typeof(T)} ({usage}). Codecs are generated for the types a [Workflow] journals: " +
        "use the type in a workflow's step, run, event wait or published value, or pass a JsonCodec<T> explicitly.");

    private static JsonCodec<T>? Primitive<T>()
    {
        object? codec = Type.GetTypeCode(typeof(T)) switch
        {
            TypeCode.Boolean => JsonCodecs.Boolean,
            TypeCode.Int32 => JsonCodecs.Int32,
            TypeCode.Int64 => JsonCodecs.Int64,
            TypeCode.Double => JsonCodecs.Double,
            TypeCode.Decimal => JsonCodecs.Decimal,
            TypeCode.String => JsonCodecs.String,
            TypeCode.DateTime => JsonCodecs.DateTime,
            _ => null,
        };
        codec ??= typeof(T) == typeof(Guid) ? JsonCodecs.Guid
            : typeof(T) == typeof(DateTimeOffset) ? JsonCodecs.DateTimeOffset
            : typeof(T) == typeof(TimeSpan) ? JsonCodecs.TimeSpan
            : typeof(T) == typeof(Unit) ? JsonCodecs.Unit
            : null;
        // An enum's TypeCode is its underlying type's: only the exact type answers.
        return codec as JsonCodec<T>;
    }

    private static class Slot<T>
    {
        internal static JsonCodec<T>? Codec;
    }
}
