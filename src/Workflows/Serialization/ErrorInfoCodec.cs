using System.Text.Json;
using Workflows.Journal;

namespace Workflows.Serialization;

/// <summary>The journal's JSON form of <see cref="ErrorInfo"/>: <c>{"kind":…,"message":…,"type":…,"stack":…,"bases":…}</c>.</summary>
public sealed class ErrorInfoCodec : JsonCodec<ErrorInfo>
{
    public static readonly ErrorInfoCodec Instance = new();

    public override string TypeName => nameof(ErrorInfo);

    public override void Write(Utf8JsonWriter writer, ErrorInfo value)
    {
        if (value is null)
        {
            writer.WriteNullValue();
            return;
        }
        writer.WriteStartObject();
        writer.WriteString("kind"u8, value.Kind.ToString());
        writer.WriteString("message"u8, value.Message);
        if (value.Type is not null) writer.WriteString("type"u8, value.Type);
        if (value.StackTrace is not null) writer.WriteString("stack"u8, value.StackTrace);
        if (value.BaseTypes is not null) writer.WriteString("bases"u8, value.BaseTypes);
        writer.WriteEndObject();
    }

    public override ErrorInfo Read(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null) return null!;
        if (reader.TokenType != JsonTokenType.StartObject) throw JsonCodecs.Unexpected(ref reader, TypeName);
        ErrorKind? kind = null;
        string message = "", type = null!, stack = null!, bases = null!;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("kind"u8))
            {
                reader.Read();
                var text = reader.GetString();
                kind = Enum.TryParse<ErrorKind>(text, ignoreCase: false, out var k) && Enum.IsDefined(k)
                    ? k
                    : throw new JsonException($"Unknown error kind '{text}'.");
            }
            else if (reader.ValueTextEquals("message"u8)) { reader.Read(); message = reader.GetString() ?? ""; }
            else if (reader.ValueTextEquals("type"u8)) { reader.Read(); type = reader.GetString()!; }
            else if (reader.ValueTextEquals("stack"u8)) { reader.Read(); stack = reader.GetString()!; }
            else if (reader.ValueTextEquals("bases"u8)) { reader.Read(); bases = reader.GetString()!; }
            else { reader.Read(); reader.Skip(); }
        }
        return new ErrorInfo(kind ?? throw new JsonException("The error has no kind."), message, type, stack, bases);
    }
}
