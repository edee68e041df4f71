using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Workflows.Serialization;

/// <summary>
/// The built-in codecs. Every round trip is exact: decimal keeps its scale, doubles their full precision
/// (NaN and infinities as strings), DateTime its kind, DateTimeOffset its offset.
/// </summary>
public static class JsonCodecs
{
    public static readonly JsonCodec<bool> Boolean = new BooleanCodec();
    public static readonly JsonCodec<byte> Byte = new Int64Based<byte>("byte", v => v, v => checked((byte)v));
    public static readonly JsonCodec<sbyte> SByte = new Int64Based<sbyte>("sbyte", v => v, v => checked((sbyte)v));
    public static readonly JsonCodec<short> Int16 = new Int64Based<short>("short", v => v, v => checked((short)v));
    public static readonly JsonCodec<ushort> UInt16 = new Int64Based<ushort>("ushort", v => v, v => checked((ushort)v));
    public static readonly JsonCodec<int> Int32 = new Int32Codec();
    public static readonly JsonCodec<uint> UInt32 = new Int64Based<uint>("uint", v => v, v => checked((uint)v));
    public static readonly JsonCodec<long> Int64 = new Int64Based<long>("long", v => v, v => v);
    public static readonly JsonCodec<ulong> UInt64 = new UInt64Codec();
    public static readonly JsonCodec<float> Single = new SingleCodec();
    public static readonly JsonCodec<double> Double = new DoubleCodec();
    // Written and read as invariant text, so that trailing zeros (the scale) survive: 1.50 stays 1.50.
    // decimal.ToString drops the sign of a negative zero (-0.0m), which Parse keeps: it is written explicitly so that the
    // value round-trips bit for bit, as every other decimal does.
    public static readonly JsonCodec<decimal> Decimal = new DecimalCodec();
    public static readonly JsonCodec<string> String = new StringCodec();
    public static readonly JsonCodec<char> Char = new CharCodec();
    public static readonly JsonCodec<Guid> Guid = new FormattedText<Guid>("Guid", "D", s => System.Guid.ParseExact(s, "D"));
    public static readonly JsonCodec<DateTime> DateTime = new FormattedText<DateTime>("DateTime", "O",
        s => System.DateTime.ParseExact(s, "O", CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind));
    public static readonly JsonCodec<DateTimeOffset> DateTimeOffset = new FormattedText<DateTimeOffset>("DateTimeOffset", "O",
        s => System.DateTimeOffset.ParseExact(s, "O", CultureInfo.InvariantCulture, DateTimeStyles.None));
    public static readonly JsonCodec<TimeSpan> TimeSpan = new FormattedText<TimeSpan>("TimeSpan", "c",
        s => System.TimeSpan.ParseExact(s, "c", CultureInfo.InvariantCulture));
    public static readonly JsonCodec<DateOnly> DateOnly = new FormattedText<DateOnly>("DateOnly", "O", // ISO 8601, yyyy-MM-dd: the standard format is the fast one
        s => System.DateOnly.ParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture));
    public static readonly JsonCodec<TimeOnly> TimeOnly = new FormattedText<TimeOnly>("TimeOnly", "O",
        s => System.TimeOnly.ParseExact(s, "O", CultureInfo.InvariantCulture));
    public static readonly JsonCodec<Unit> Unit = new UnitCodec();
    public static readonly JsonCodec<nint> IntPtr = new Int64Based<nint>("nint", v => v, v => checked((nint)v));
    public static readonly JsonCodec<nuint> UIntPtr = new Raw<nuint>("nuint", v => v.ToString(CultureInfo.InvariantCulture), s => nuint.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture));
    public static readonly JsonCodec<Int128> Int128 = new Raw<Int128>("Int128", v => v.ToString(CultureInfo.InvariantCulture), s => System.Int128.Parse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
    public static readonly JsonCodec<UInt128> UInt128 = new Raw<UInt128>("UInt128", v => v.ToString(CultureInfo.InvariantCulture), s => System.UInt128.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture));
    public static readonly JsonCodec<Half> Half = new HalfCodec();
    /// <summary>
    /// Any JSON value, kept as it is: for payloads whose type the caller does not have (a CLI or dashboard sending an
    /// event, a tool reading an output). A default (undefined) element cannot be written.
    /// </summary>
    public static readonly JsonCodec<JsonElement> JsonElement = new JsonElementCodec();

    /// <summary>
    /// Refuses text with an unpaired surrogate: UTF-8 JSON cannot carry it, and the writer would silently replace it,
    /// so a replay would see another value than the first execution.
    /// </summary>
    public static void EnsureWellFormed(ReadOnlySpan<char> text, string what)
    {
        var first = text.IndexOfAnyInRange('\uD800', '\uDFFF'); // vectorized: most text has no surrogate at all
        if (first < 0) return;
        for (var i = first; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                throw new JsonException($"The {what} has an unpaired surrogate (U+{(int)text[i]:X4}) at index {i}; it cannot round-trip through the journal.");
            }
        }
    }

    /// <summary>
    /// The error every codec raises on a token it cannot take: a <see cref="JournalMemberException"/> that says what
    /// was expected and what was found ("is a JSON string where decimal was expected (at byte 11)"); the member and
    /// collection readers put it under the member path (<c>Payment.Amount</c>, <c>Order.Lines[1].Sku</c>).
    /// </summary>
    public static JsonException Unexpected(ref Utf8JsonReader reader, string typeName) =>
        JournalMemberException.WrongToken(typeName, reader.TokenType, reader.TokenStartIndex);

    private sealed class BooleanCodec : JsonCodec<bool>
    {
        public override string TypeName => "bool";
        public override void Write(Utf8JsonWriter writer, bool value) => writer.WriteBooleanValue(value);
        public override bool Read(ref Utf8JsonReader reader) => reader.TokenType switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            _ => throw Unexpected(ref reader, TypeName),
        };
    }

    private sealed class Int32Codec : JsonCodec<int>
    {
        public override string TypeName => "int";
        public override void Write(Utf8JsonWriter writer, int value) => writer.WriteNumberValue(value);
        public override int Read(ref Utf8JsonReader reader) =>
            reader.TokenType == JsonTokenType.Number ? reader.GetInt32() : throw Unexpected(ref reader, TypeName);
    }

    private sealed class Int64Based<T>(string name, Func<T, long> toLong, Func<long, T> fromLong) : JsonCodec<T>
    {
        public override string TypeName => name;
        public override void Write(Utf8JsonWriter writer, T value) => writer.WriteNumberValue(toLong(value));
        public override T Read(ref Utf8JsonReader reader) =>
            reader.TokenType == JsonTokenType.Number ? fromLong(reader.GetInt64()) : throw Unexpected(ref reader, TypeName);
    }

    private sealed class UInt64Codec : JsonCodec<ulong>
    {
        public override string TypeName => "ulong";
        public override void Write(Utf8JsonWriter writer, ulong value) => writer.WriteNumberValue(value);
        public override ulong Read(ref Utf8JsonReader reader) =>
            reader.TokenType == JsonTokenType.Number ? reader.GetUInt64() : throw Unexpected(ref reader, TypeName);
    }

    private sealed class SingleCodec : JsonCodec<float>
    {
        public override string TypeName => "float";
        public override void Write(Utf8JsonWriter writer, float value)
        {
            if (float.IsFinite(value)) writer.WriteNumberValue(value);
            else writer.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
        }
        public override float Read(ref Utf8JsonReader reader) => reader.TokenType switch
        {
            JsonTokenType.Number => reader.GetSingle(),
            JsonTokenType.String => float.Parse(reader.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture),
            _ => throw Unexpected(ref reader, TypeName),
        };
    }

    private sealed class DoubleCodec : JsonCodec<double>
    {
        public override string TypeName => "double";
        public override void Write(Utf8JsonWriter writer, double value)
        {
            if (double.IsFinite(value)) writer.WriteNumberValue(value);
            else writer.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
        }
        public override double Read(ref Utf8JsonReader reader) => reader.TokenType switch
        {
            JsonTokenType.Number => reader.GetDouble(),
            JsonTokenType.String => double.Parse(reader.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture),
            _ => throw Unexpected(ref reader, TypeName),
        };
    }

    private sealed class JsonElementCodec : JsonCodec<JsonElement>
    {
        public override string TypeName => "JSON value";
        public override void Write(Utf8JsonWriter writer, JsonElement value)
        {
            if (value.ValueKind == JsonValueKind.Undefined)
            {
                throw new ArgumentException("A default JsonElement holds no JSON value and cannot be written.", nameof(value));
            }
            value.WriteTo(writer);
        }
        public override JsonElement Read(ref Utf8JsonReader reader) => System.Text.Json.JsonElement.ParseValue(ref reader);
    }

    private sealed class StringCodec : JsonCodec<string>
    {
        public override string TypeName => "string";
        public override void Write(Utf8JsonWriter writer, string value)
        {
            if (value is null)
            {
                writer.WriteNullValue();
                return;
            }
            EnsureWellFormed(value, "string");
            writer.WriteStringValue(value);
        }
        public override string Read(ref Utf8JsonReader reader) => reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString()!,
            JsonTokenType.Null => null!,
            _ => throw Unexpected(ref reader, TypeName),
        };
    }

    private sealed class CharCodec : JsonCodec<char>
    {
        public override string TypeName => "char";
        public override void Write(Utf8JsonWriter writer, char value)
        {
            EnsureWellFormed([value], "char");
            writer.WriteStringValue([value]);
        }
        public override char Read(ref Utf8JsonReader reader)
        {
            var text = reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw Unexpected(ref reader, TypeName);
            return text.Length == 1 ? text[0] : throw new JsonException($"Expected one character but found {text.Length}.");
        }
    }

    /// <summary>A value written as invariant text in <paramref name="format"/>, formatted into a stack buffer (no string per value).</summary>
    private sealed class FormattedText<T>(string name, string format, Func<string, T> parse) : JsonCodec<T> where T : ISpanFormattable
    {
        public override string TypeName => name;

        public override void Write(Utf8JsonWriter writer, T value)
        {
            Span<char> text = stackalloc char[64]; // the longest, a DateTimeOffset in "O", is 33
            if (value.TryFormat(text, out var written, format, CultureInfo.InvariantCulture))
            {
                writer.WriteStringValue(text[..written]);
            }
            else
            {
                writer.WriteStringValue(value.ToString(format, CultureInfo.InvariantCulture));
            }
        }

        public override T Read(ref Utf8JsonReader reader) =>
            reader.TokenType == JsonTokenType.String ? parse(reader.GetString()!) : throw Unexpected(ref reader, TypeName);
    }

    /// <summary>A number written from and parsed as invariant text: for types Utf8JsonWriter has no overload for.</summary>
    private sealed class Raw<T>(string name, Func<T, string> format, Func<string, T> parse) : JsonCodec<T>
    {
        public override string TypeName => name;
        public override void Write(Utf8JsonWriter writer, T value) => writer.WriteRawValue(format(value), skipInputValidation: true);
        public override T Read(ref Utf8JsonReader reader)
        {
            if (reader.TokenType != JsonTokenType.Number) throw Unexpected(ref reader, TypeName);
            return parse(System.Text.Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan));
        }
    }

    /// <summary>A decimal as a JSON number with its scale, formatted and parsed as UTF-8 in place (no string per value).</summary>
    private sealed class DecimalCodec : JsonCodec<decimal>
    {
        public override string TypeName => "decimal";

        public override void Write(Utf8JsonWriter writer, decimal value)
        {
            Span<byte> text = stackalloc byte[64]; // 29 digits, a sign, a point: far less
            var start = 0;
            if (value == 0 && decimal.IsNegative(value))
            {
                text[start++] = (byte)'-'; // formatting drops the sign of a negative zero, which parsing keeps
            }
            if (!value.TryFormat(text[start..], out var written, default, CultureInfo.InvariantCulture))
            {
                throw new InvalidOperationException($"The decimal {value.ToString(CultureInfo.InvariantCulture)} did not fit its buffer.");
            }
            writer.WriteRawValue(text[..(start + written)], skipInputValidation: true);
        }

        public override decimal Read(ref Utf8JsonReader reader)
        {
            if (reader.TokenType != JsonTokenType.Number) throw Unexpected(ref reader, TypeName);
            return reader.HasValueSequence
                ? decimal.Parse(reader.ValueSequence.ToArray(), NumberStyles.Float, CultureInfo.InvariantCulture)
                : decimal.Parse(reader.ValueSpan, NumberStyles.Float, CultureInfo.InvariantCulture);
        }
    }

    private sealed class HalfCodec : JsonCodec<Half>
    {
        public override string TypeName => "Half";
        public override void Write(Utf8JsonWriter writer, Half value)
        {
            if (System.Half.IsFinite(value)) writer.WriteNumberValue((double)value);
            else writer.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
        }
        public override Half Read(ref Utf8JsonReader reader) => reader.TokenType switch
        {
            JsonTokenType.Number => (Half)reader.GetDouble(),
            JsonTokenType.String => System.Half.Parse(reader.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture),
            _ => throw Unexpected(ref reader, TypeName),
        };
    }

    private sealed class UnitCodec : JsonCodec<Unit>
    {
        public override string TypeName => "nothing";
        public override void Write(Utf8JsonWriter writer, Unit value) => writer.WriteNullValue();
        public override Unit Read(ref Utf8JsonReader reader)
        {
            reader.Skip();
            return default;
        }
    }
}
