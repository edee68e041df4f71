using System.Buffers;
using System.Text;
using System.Text.Json;
using Workflows.Journal;
using Workflows.Serialization;
using Workflows.Storage;

namespace Workflows;

/// <summary>
/// Snapshots of what a resume replays (<see cref="SnapshotRecord"/>): the journal's entries from sequence 1 up to the last
/// of an unbroken run of entries that ended for good (succeeded or skipped: a failed entry may be reopened in place), as
/// the replay reads them. A resume reads the run's snapshot and only the journal after it; a snapshot that does not fit the
/// run (another schema version, an unreadable payload, a journal that does not go on at its next sequence) is ignored and
/// the whole journal is read, so a snapshot can make a resume faster, never different.
/// </summary>
/// <remarks>
/// Taken at a resume (by the execution that read the journal, while it holds the run's claim), when the journal had at
/// least <see cref="WorkflowEngineOptions.SnapshotAfterSteps"/> such entries more than the snapshot it used: a run that is
/// resumed again and again (a long sleeper, an entity waiting for events) reads one row and its newest entries.
/// </remarks>
internal static class ReplaySnapshots
{
    /// <summary>The journal to replay, from the run's snapshot and the entries after it, or all of it.</summary>
    internal static async Task<ReplayJournal> ReadAsync(IWorkflowStore store, RunRecord run, CancellationToken cancellationToken)
    {
        var snapshot = await StoreRetry.RunAsync(() => store.GetSnapshotAsync(run.TenantId, run.Id, cancellationToken), cancellationToken).ConfigureAwait(false);
        if (snapshot is not null && snapshot.SchemaVersion == run.SchemaVersion && TryRead(snapshot, out var prefix))
        {
            var rest = await StoreRetry.RunAsync(() => store.GetReplayStepsAsync(run.TenantId, run.Id, snapshot.Sequence, cancellationToken), cancellationToken)
                .ConfigureAwait(false);
            if (rest.Count == 0 || rest[0].Sequence == snapshot.Sequence + 1)
            {
                prefix.AddRange(rest);
                return new ReplayJournal(prefix, snapshot.Sequence);
            }
        }
        var steps = await StoreRetry.RunAsync(() => store.GetReplayStepsAsync(run.TenantId, run.Id, 0, cancellationToken), cancellationToken).ConfigureAwait(false);
        return new ReplayJournal(steps, 0);
    }

    /// <summary>How many entries from sequence 1 a snapshot of <paramref name="steps"/> (in sequence order) may hold.</summary>
    internal static int SnapshotLength(IReadOnlyList<StepRecord> steps)
    {
        var count = 0;
        while (count < steps.Count && steps[count].Sequence == count + 1 && steps[count].Status is StepStatus.Succeeded or StepStatus.Skipped)
        {
            count++;
        }
        return count;
    }

    /// <summary>A snapshot of the first <paramref name="count"/> entries of <paramref name="steps"/>; null when it would exceed the size limit.</summary>
    internal static SnapshotRecord? Take(RunRecord run, IReadOnlyList<StepRecord> steps, int count, DateTimeOffset now)
    {
        var buffer = new ArrayBufferWriter<byte>(Math.Max(256, count * 96));
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            writer.WriteStartObject();
            writer.WriteNumber("v"u8, 1);
            writer.WriteStartArray("entries"u8);
            for (var i = 0; i < count; i++)
            {
                var step = steps[i];
                writer.WriteStartObject();
                writer.WriteString("id"u8, step.Id);
                writer.WriteNumber("position"u8, step.Position);
                writer.WriteString("name"u8, step.Name);
                writer.WriteString("kind"u8, SqlNames.Of(step.Kind));
                writer.WriteString("status"u8, SqlNames.Of(step.Status));
                writer.WriteNumber("attempt"u8, step.Attempt);
                if (step.FailedAttempts != 0) writer.WriteNumber("failed"u8, step.FailedAttempts);
                if (step.InterruptedAttempts != 0) writer.WriteNumber("interrupted"u8, step.InterruptedAttempts);
                if (step.Input is { } input) writer.WriteString("input"u8, input);
                if (step.Output is { } output) writer.WriteString("output"u8, output);
                if (step.Error is { } error)
                {
                    writer.WritePropertyName("error"u8);
                    ErrorInfoCodec.Instance.Write(writer, error);
                }
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        if (buffer.WrittenCount > SnapshotRecord.MaxPayloadBytes) return null;
        return new SnapshotRecord
        {
            RunId = run.Id,
            TenantId = run.TenantId,
            Sequence = count,
            SchemaVersion = run.SchemaVersion,
            Payload = Encoding.UTF8.GetString(buffer.WrittenSpan),
            CreatedAt = now,
        };
    }

    /// <summary>The entries of <paramref name="snapshot"/>, as the replay reads them; false when its payload is not one this engine wrote.</summary>
    internal static bool TryRead(SnapshotRecord snapshot, out List<StepRecord> steps)
    {
        steps = new List<StepRecord>(Math.Max(0, snapshot.Sequence));
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(snapshot.Payload), new JsonReaderOptions { MaxDepth = 16 });
            Expect(ref reader, JsonTokenType.StartObject);
            var version = 0;
            while (Next(ref reader) == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("v"u8))
                {
                    reader.Read();
                    version = reader.GetInt32();
                }
                else if (reader.ValueTextEquals("entries"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartArray) return false;
                    while (Next(ref reader) == JsonTokenType.StartObject)
                    {
                        steps.Add(ReadEntry(ref reader, snapshot, steps.Count + 1));
                    }
                }
                else
                {
                    return false;
                }
            }
            return version == 1 && steps.Count == snapshot.Sequence;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException)
        {
            return false; // not a snapshot this engine can read: the journal is replayed instead
        }
    }

    private static StepRecord ReadEntry(ref Utf8JsonReader reader, SnapshotRecord snapshot, int sequence)
    {
        Guid? id = null;
        int? position = null, attempt = null;
        int failed = 0, interrupted = 0;
        string? name = null, input = null, output = null;
        StepKind? kind = null;
        StepStatus? status = null;
        ErrorInfo? error = null;
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8)) { reader.Read(); id = reader.GetGuid(); }
            else if (reader.ValueTextEquals("position"u8)) { reader.Read(); position = reader.GetInt32(); }
            else if (reader.ValueTextEquals("name"u8)) { reader.Read(); name = reader.GetString(); }
            else if (reader.ValueTextEquals("kind"u8)) { reader.Read(); kind = SqlNames.Parse<StepKind>(reader.GetString()); }
            else if (reader.ValueTextEquals("status"u8)) { reader.Read(); status = SqlNames.Parse<StepStatus>(reader.GetString()); }
            else if (reader.ValueTextEquals("attempt"u8)) { reader.Read(); attempt = reader.GetInt32(); }
            else if (reader.ValueTextEquals("failed"u8)) { reader.Read(); failed = reader.GetInt32(); }
            else if (reader.ValueTextEquals("interrupted"u8)) { reader.Read(); interrupted = reader.GetInt32(); }
            else if (reader.ValueTextEquals("input"u8)) { reader.Read(); input = reader.GetString(); }
            else if (reader.ValueTextEquals("output"u8)) { reader.Read(); output = reader.GetString(); }
            else if (reader.ValueTextEquals("error"u8)) { reader.Read(); error = ErrorInfoCodec.Instance.Read(ref reader); }
            else throw new JsonException("An unknown member in a snapshot entry.");
        }
        if (id is null || position is null || name is null || kind is null || status is not (StepStatus.Succeeded or StepStatus.Skipped) || attempt is null)
        {
            throw new JsonException("A snapshot entry lacks a member, or did not end for good.");
        }
        return new StepRecord
        {
            Id = id.Value,
            RunId = snapshot.RunId,
            TenantId = snapshot.TenantId,
            Sequence = sequence,
            Position = position.Value,
            Name = name,
            Kind = kind.Value,
            Status = status.Value,
            Attempt = attempt.Value,
            FailedAttempts = failed,
            InterruptedAttempts = interrupted,
            Input = input,
            Output = output,
            Error = error,
            CreatedAt = default, // as the lean read leaves them: a replayed entry is never written back
            UpdatedAt = default,
        };
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader) => reader.Read() ? reader.TokenType : throw new JsonException("A snapshot ends early.");

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType token)
    {
        if (Next(ref reader) != token) throw new JsonException($"A snapshot has {reader.TokenType} where {token} belongs.");
    }

    /// <summary>The names the journal stores enums under (the members' names), for the snapshot's payload.</summary>
    private static class SqlNames
    {
        internal static string Of<TEnum>(TEnum value) where TEnum : struct, Enum => value.ToString();

        internal static TEnum Parse<TEnum>(string? name) where TEnum : struct, Enum =>
            Enum.TryParse<TEnum>(name, ignoreCase: false, out var value) && Enum.IsDefined(value) && !char.IsDigit(name![0])
                ? value
                : throw new FormatException($"'{name}' is not a {typeof(TEnum).Name}.");
    }
}

/// <summary>The journal a resume replays, and how many of its entries came from the run's snapshot (0: none).</summary>
internal sealed record ReplayJournal(IReadOnlyList<StepRecord> Steps, int FromSnapshot);
