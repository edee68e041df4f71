using System.Text.Json;
using Workflows.Journal;
using Workflows.Serialization;
using Workflows.Storage;

namespace Workflows;

public sealed partial class WorkflowContext
{
    // Events this execution has taken for a wait but not yet committed as consumed: two waits of one name in one wave
    // take two different events.
    private readonly HashSet<Guid> _takenEvents = [];
    private Random? _random;

    /// <summary>The engine executing the run (to start children and tell waiters of published values).</summary>
    internal WorkflowEngine? Engine { get; init; }

    /// <summary>
    /// Waits for an external event sent to this run (<c>WorkflowEngine.SendEventAsync</c>): journaled as an
    /// <see cref="StepKind.Event"/> entry whose output is the payload. An event sent before the wait began is delivered to
    /// it; several of one name are taken in the order they were sent, one per wait. While none is there the run is
    /// suspended (nothing of it in memory) until one is sent or the timeout passes; a timeout fails the entry and throws
    /// <see cref="EventTimeoutException"/>, and an event that arrives later is kept for the next wait of that name.
    /// </summary>
    internal async Task<T> WaitForEventAsync<T>(string name, TimeSpan? timeout, JsonCodec<T> codec)
    {
        EventNames.Validate(name, nameof(name));
        if (timeout is { } t && t < TimeSpan.Zero && t != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "An event wait's timeout cannot be negative.");
        }
        if (IsSuspending)
        {
            return await NeverAsync<T>().ConfigureAwait(false);
        }
        var sequence = NextSequence(name, StepKind.Event, out var recorded);
        switch (recorded?.Status)
        {
            case StepStatus.Succeeded:
                MarkReplayed(recorded);
                return ReadRecorded(recorded, json => codec.Deserialize(json, Limits));
            case StepStatus.Failed or StepStatus.Skipped:
                MarkReplayed(recorded);
                throw new EventTimeoutException(RunId, name, sequence, ReadTimeoutAt(recorded));
        }

        var now = _clock.GetUtcNow();
        var position = EnterWave();
        if (position < 0)
        {
            return await NeverAsync<T>().ConfigureAwait(false);
        }
        var suspended = false;
        try
        {
            await Task.Yield(); // an entry that runs never finishes within its call (see RunStepAsync)
            StepRecord record;
            DateTimeOffset? timeoutAt;
            if (recorded is null)
            {
                timeoutAt = timeout is { } span && span != Timeout.InfiniteTimeSpan ? (now + span).ToUniversalTime() : null;
                record = NewRecord(sequence, position, name, StepKind.Event, now) with
                {
                    Input = JournalJson.Write(timeoutAt, static (writer, at) =>
                    {
                        writer.WriteStartObject();
                        if (at is { } value)
                        {
                            writer.WritePropertyName("timeoutAt"u8);
                            JsonCodecs.DateTimeOffset.Write(writer, value);
                        }
                        writer.WriteEndObject();
                    }),
                };
            }
            else
            {
                record = recorded;
                timeoutAt = ReadTimeoutAt(recorded);
            }
            var write = recorded is null ? JournalWrite.Insert(record) : null;

            if (await TakeEventAsync(name).ConfigureAwait(false) is { } arrived)
            {
                T value;
                try
                {
                    value = codec.Deserialize(arrived.Payload ?? "null", Limits);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The event stays unconsumed: the run is parked until the code reads what was sent, or the run is cancelled.
                    throw Park(new JournalPayloadException(RunId, sequence, name,
                        new FormatException($"event {arrived.Id} sent to the run is not a {codec.TypeName}: {e.Message}", e)));
                }
                var done = _clock.GetUtcNow();
                record = record with
                {
                    Status = StepStatus.Succeeded,
                    Output = arrived.Payload ?? "null",
                    DurationMs = (long)Math.Max(0, (done - (record.StartedAt ?? done)).TotalMilliseconds),
                    CompletedAt = done,
                    UpdatedAt = done,
                };
                await CommitAsync([write is null ? JournalWrite.Update(record) : JournalWrite.Insert(record),
                    JournalWrite.ConsumeEvent(arrived.Id, RunId, TenantId, sequence, done)], CancellationToken).ConfigureAwait(false);
                MarkExecuted(sequence);
                return value;
            }

            if (timeoutAt is { } due && due <= now)
            {
                var error = new ErrorInfo(ErrorKind.EventTimeout, EventTimeoutException.MessageOf(RunId, name, sequence, due), typeof(EventTimeoutException).FullName);
                record = record with { Status = StepStatus.Failed, Error = error, DurationMs = (long)Math.Max(0, (now - (record.StartedAt ?? now)).TotalMilliseconds), CompletedAt = now, UpdatedAt = now };
                await CommitAsync([write is null ? JournalWrite.Update(record) : JournalWrite.Insert(record)], CancellationToken).ConfigureAwait(false);
                MarkExecuted(sequence);
                throw new EventTimeoutException(RunId, name, sequence, due);
            }

            // Nothing yet: suspended until an event is sent (the store marks the run to be woken) or the timeout passes. An
            // event sent after the look above and before the suspension commits is not missed: the mark outlives the commit.
            suspended = true;
            RequestSuspension(write, $"event:{name}", timeoutAt ?? DateTimeOffset.MaxValue);
            return await NeverAsync<T>().ConfigureAwait(false);
        }
        finally
        {
            if (!suspended)
            {
                LeaveWave();
            }
        }
    }

    /// <summary>The oldest unconsumed event of <paramref name="name"/> that no other wait of this execution has taken.</summary>
    private async Task<EventRecord?> TakeEventAsync(string name)
    {
        int taken;
        lock (_gate)
        {
            taken = _takenEvents.Count;
        }
        var pending = await StoreRetry.RunAsync(() => _store.GetEventsAsync(new EventQuery(TenantId, RunId) { Name = name, Limit = Math.Min(EventQuery.MaxLimit, taken + 1) }, CancellationToken),
            CancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            foreach (var ev in pending)
            {
                if (_takenEvents.Add(ev.Id)) return ev;
            }
        }
        return null;
    }

    private DateTimeOffset? ReadTimeoutAt(StepRecord record)
    {
        var json = record.Input;
        if (json is null) return null;
        try
        {
            var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(json));
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("timeoutAt"u8))
                {
                    reader.Read();
                    return JsonCodecs.DateTimeOffset.Read(ref reader);
                }
            }
            return null;
        }
        catch (Exception e) when (e is JsonException or FormatException or WorkflowSerializationException)
        {
            throw Park(new JournalPayloadException(RunId, record.Sequence, record.Name, e));
        }
    }

    /// <summary>
    /// Publishes a value under <paramref name="key"/> for the run's callers (<c>WorkflowEngine.GetEventAsync</c>):
    /// journaled (kind <see cref="StepKind.Publish"/>) and committed before it returns, so a replay does not publish it again;
    /// a later publication of the same key replaces it for readers.
    /// </summary>
    internal async Task PublishAsync<T>(string key, T value, JsonCodec<T> codec)
    {
        EventNames.Validate(key, nameof(key));
        if (IsSuspending)
        {
            await NeverAsync<bool>().ConfigureAwait(false);
        }
        var sequence = NextSequence(key, StepKind.Publish, out var recorded);
        if (recorded is { Status: StepStatus.Succeeded })
        {
            MarkReplayed(recorded);
            return;
        }
        var json = codec.Serialize(value, Limits);
        var now = _clock.GetUtcNow();
        var position = EnterWave();
        if (position < 0)
        {
            await NeverAsync<bool>().ConfigureAwait(false);
        }
        var record = NewRecord(sequence, position, key, StepKind.Publish, now) with
        {
            Status = StepStatus.Succeeded,
            Output = json,
            DurationMs = 0,
            CompletedAt = now,
        };
        try
        {
            await Task.Yield(); // an entry that runs never finishes within its call (see RunStepAsync)
            await CommitAsync([recorded is null ? JournalWrite.Insert(record) : JournalWrite.Update(record with { Id = recorded.Id, CreatedAt = recorded.CreatedAt })],
                CancellationToken).ConfigureAwait(false);
            MarkExecuted(sequence);
        }
        finally
        {
            LeaveWave();
        }
        Engine?.Published();
    }

    /// <summary>
    /// A random number generator seeded from the journal: the seed is recorded the first time an execution asks for it, so a
    /// replay draws the same numbers in the same order.
    /// </summary>
    internal Random Random
    {
        get
        {
            if (_random is { } random) return random;
            var seed = RecordValue("random", StepKind.Random, static () => System.Random.Shared.Next(), JsonCodecs.Int32);
            return _random = new Random(seed);
        }
    }
}

/// <summary>The rules for event and published-value names: 1 to 200 characters, no control characters.</summary>
internal static class EventNames
{
    internal static void Validate(string name, string parameter)
    {
        ArgumentNullException.ThrowIfNull(name, parameter);
        if (name.Length is 0 or > 200 || string.IsNullOrWhiteSpace(name) || name.Any(char.IsControl))
        {
            throw new ArgumentException($"Event name '{name}' is invalid: it must be 1 to 200 characters, not blank, with no control characters.", parameter);
        }
    }
}
