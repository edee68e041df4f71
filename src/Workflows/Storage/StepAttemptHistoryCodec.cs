using System.Globalization;
using System.Text.Json;
using Workflows.Journal;
using Workflows.Serialization;

namespace Workflows.Storage;

/// <summary>
/// The journal's JSON form of <see cref="StepRecord.AttemptHistory"/>, for stores that keep it as text: an array of
/// <c>{"attempt":…,"error":{…},"startedAt":…,"durationMs":…}</c>, the error as <see cref="ErrorInfoCodec"/> writes it and
/// the start time as ISO-8601 round-trip text. Hand-written (no reflection) and strict: a missing attempt number or error
/// is an error, never a default.
/// </summary>
public sealed class StepAttemptHistoryCodec : JsonCodec<IReadOnlyList<StepAttempt>>
{
    /// <summary>The one instance.</summary>
    public static readonly StepAttemptHistoryCodec Instance = new();

    private StepAttemptHistoryCodec() { }

    /// <inheritdoc />
    public override string TypeName => "StepAttempt[]";

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, IReadOnlyList<StepAttempt> value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value is null)
        {
            writer.WriteNullValue();
            return;
        }
        writer.WriteStartArray();
        foreach (var attempt in value)
        {
            writer.WriteStartObject();
            writer.WriteNumber("attempt"u8, attempt.Attempt);
            writer.WritePropertyName("error"u8);
            ErrorInfoCodec.Instance.Write(writer, attempt.Error);
            if (attempt.StartedAt is { } started) writer.WriteString("startedAt"u8, started.ToString("O", CultureInfo.InvariantCulture));
            if (attempt.DurationMs is { } duration) writer.WriteNumber("durationMs"u8, duration);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    /// <inheritdoc />
    public override IReadOnlyList<StepAttempt> Read(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null) return null!;
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("The attempt history is not a JSON array.");
        var attempts = new List<StepAttempt>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            attempts.Add(ReadAttempt(ref reader, attempts.Count));
        }
        if (reader.TokenType != JsonTokenType.EndArray) throw new JsonException("The attempt history array is not closed.");
        return attempts;
    }

    private static StepAttempt ReadAttempt(ref Utf8JsonReader reader, int index)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException($"Attempt history item {index} is not a JSON object.");
        int? number = null;
        ErrorInfo? error = null;
        DateTimeOffset? startedAt = null;
        long? duration = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("attempt"u8))
            {
                reader.Read();
                number = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var n)
                    ? n
                    : throw new JsonException($"Attempt history item {index}: 'attempt' is not an integer.");
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                error = reader.TokenType == JsonTokenType.Null ? null : ErrorInfoCodec.Instance.Read(ref reader);
            }
            else if (reader.ValueTextEquals("startedAt"u8))
            {
                reader.Read();
                var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                startedAt = text is not null && DateTimeOffset.TryParseExact(text, "O", CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
                    ? at
                    : throw new JsonException($"Attempt history item {index}: 'startedAt' is not an ISO-8601 round-trip timestamp.");
            }
            else if (reader.ValueTextEquals("durationMs"u8))
            {
                reader.Read();
                duration = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var d)
                    ? d
                    : throw new JsonException($"Attempt history item {index}: 'durationMs' is not an integer.");
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject) throw new JsonException($"Attempt history item {index} is not closed.");
        return new StepAttempt(
            number ?? throw new JsonException($"Attempt history item {index} has no 'attempt'."),
            error ?? throw new JsonException($"Attempt history item {index} has no 'error'."),
            startedAt,
            duration);
    }
}
