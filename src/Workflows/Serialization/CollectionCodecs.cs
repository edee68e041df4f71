using System.Text.Json;

namespace Workflows.Serialization;

/// <summary><c>T?</c> for a value type: <c>null</c> or the value.</summary>
public sealed class NullableCodec<T>(JsonCodec<T> inner) : JsonCodec<T?> where T : struct
{
    public override string TypeName => inner.TypeName + "?";

    public override void Write(Utf8JsonWriter writer, T? value)
    {
        if (value is { } v) inner.Write(writer, v);
        else writer.WriteNullValue();
    }

    public override T? Read(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Null ? null : inner.Read(ref reader);
}

/// <summary>Reads and writes the elements of a JSON array; shared by the collection codecs.</summary>
internal static class JsonArrayElements
{
    public static void Write<T>(Utf8JsonWriter writer, IEnumerable<T> items, JsonCodec<T> element)
    {
        writer.WriteStartArray();
        switch (items)
        {
            case T[] array: // no enumerator to allocate
                foreach (var item in array) element.Write(writer, item);
                break;
            case List<T> list:
                foreach (var item in list) element.Write(writer, item);
                break;
            case IReadOnlyList<T> indexed:
                for (var i = 0; i < indexed.Count; i++) element.Write(writer, indexed[i]);
                break;
            default:
                foreach (var item in items) element.Write(writer, item);
                break;
        }
        writer.WriteEndArray();
    }

    /// <summary>Reads the elements; a null element is refused unless <paramref name="nullElements"/>, and a problem inside an element is named by its index.</summary>
    public static List<T>? Read<T>(ref Utf8JsonReader reader, JsonCodec<T> element, string typeName, bool nullElements)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.StartArray) throw JsonCodecs.Unexpected(ref reader, typeName);
        var list = new List<T>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (!nullElements && reader.TokenType == JsonTokenType.Null)
            {
                throw JournalMemberException.NullElement(typeName, JournalMemberException.IndexSegment(list.Count));
            }
            try
            {
                list.Add(element.Read(ref reader));
            }
            catch (JournalMemberException e)
            {
                throw e.Under(typeName, JournalMemberException.IndexSegment(list.Count));
            }
            catch (Exception e) when (JournalMemberException.IsReadError(e))
            {
                throw JournalMemberException.Invalid(typeName, JournalMemberException.IndexSegment(list.Count), e);
            }
        }
        return list;
    }
}

/// <summary><c>T[]</c> as a JSON array; a null element is refused unless <paramref name="nullElements"/>.</summary>
public sealed class ArrayCodec<T>(JsonCodec<T> element, bool nullElements = true) : JsonCodec<T[]>
{
    public override string TypeName => element.TypeName + "[]";

    public override void Write(Utf8JsonWriter writer, T[] value)
    {
        if (value is null) writer.WriteNullValue();
        else JsonArrayElements.Write(writer, value, element);
    }

    public override T[] Read(ref Utf8JsonReader reader) => JsonArrayElements.Read(ref reader, element, TypeName, nullElements)?.ToArray()!;
}

/// <summary>
/// A list-like type as a JSON array, read into a <see cref="List{T}"/> and handed on as
/// <typeparamref name="TCollection"/> (List, IReadOnlyList, IList, ICollection, IEnumerable, ...). A null element is
/// refused unless <paramref name="nullElements"/>.
/// </summary>
public sealed class ListCodec<TCollection, T>(JsonCodec<T> element, Func<List<T>, TCollection> fromList, string typeName, bool nullElements = true)
    : JsonCodec<TCollection> where TCollection : IEnumerable<T>
{
    public override string TypeName => typeName;

    public override void Write(Utf8JsonWriter writer, TCollection value)
    {
        if (value is null) writer.WriteNullValue();
        else JsonArrayElements.Write(writer, value, element);
    }

    public override TCollection Read(ref Utf8JsonReader reader)
    {
        var list = JsonArrayElements.Read(ref reader, element, TypeName, nullElements);
        return list is null ? default! : fromList(list);
    }
}

/// <summary>
/// A string-keyed dictionary as a JSON object, read into a <see cref="Dictionary{TKey,TValue}"/> and handed on
/// as <typeparamref name="TDictionary"/> (Dictionary, IDictionary, IReadOnlyDictionary). A null value is refused
/// unless <paramref name="nullValues"/>.
/// </summary>
public sealed class DictionaryCodec<TDictionary, T>(JsonCodec<T> value, Func<Dictionary<string, T>, TDictionary> fromDictionary, string typeName, bool nullValues = true)
    : JsonCodec<TDictionary> where TDictionary : IEnumerable<KeyValuePair<string, T>>
{
    public override string TypeName => typeName;

    public override void Write(Utf8JsonWriter writer, TDictionary map)
    {
        if (map is null)
        {
            writer.WriteNullValue();
            return;
        }
        writer.WriteStartObject();
        foreach (var pair in map)
        {
            JsonCodecs.EnsureWellFormed(pair.Key, "dictionary key");
            writer.WritePropertyName(pair.Key);
            value.Write(writer, pair.Value);
        }
        writer.WriteEndObject();
    }

    public override TDictionary Read(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null) return default!;
        if (reader.TokenType != JsonTokenType.StartObject) throw JsonCodecs.Unexpected(ref reader, TypeName);
        var result = new Dictionary<string, T>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var key = reader.GetString()!;
            reader.Read();
            if (!nullValues && reader.TokenType == JsonTokenType.Null)
            {
                throw JournalMemberException.NullElement(TypeName, JournalMemberException.KeySegment(key));
            }
            try
            {
                result[key] = value.Read(ref reader);
            }
            catch (JournalMemberException e)
            {
                throw e.Under(TypeName, JournalMemberException.KeySegment(key));
            }
            catch (Exception e) when (JournalMemberException.IsReadError(e))
            {
                throw JournalMemberException.Invalid(TypeName, JournalMemberException.KeySegment(key), e);
            }
        }
        return fromDictionary(result);
    }
}
