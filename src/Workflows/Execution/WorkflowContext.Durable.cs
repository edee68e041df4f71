using System.Text.Json;
using Workflows.Journal;
using Workflows.Serialization;
using Workflows.Storage;

namespace Workflows;

public sealed partial class WorkflowContext
{
    private readonly TaskCompletionSource _suspended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _suspendRequests;
    private DateTimeOffset _suspendWakeAt = DateTimeOffset.MaxValue;
    private string _suspendReason = "";
    private int _suspensionBegun;
    private int _suspensionScheduled;

    /// <summary>
    /// How long a drained wave must stay quiet (no entry called) before the suspension begins: calls that the workflow
    /// makes in one go (the children of one <c>Task.WhenAll</c>, a step after a sleep's call) start in this execution,
    /// together, instead of after the wake-up. Not a correctness bound: a call made later simply waits for the next execution.
    /// </summary>
    private static readonly TimeSpan SuspendGrace = TimeSpan.FromMilliseconds(5);

    /// <summary>Completes once the run is durably <see cref="RunStatus.Waiting"/> and released; faults if that commit failed.</summary>
    internal Task Suspended => _suspended.Task;

    /// <summary>What the suspension waits for ("sleep:3", "event:scan, child:…"), once it has begun.</summary>
    internal string? WaitingFor
    {
        get
        {
            lock (_gate)
            {
                return _suspendReason.Length == 0 ? null : _suspendReason;
            }
        }
    }

    /// <summary>True once the run's suspension has begun: no further entry starts in this execution.</summary>
    internal bool IsSuspending => Volatile.Read(ref _suspensionBegun) != 0;

    /// <summary>
    /// Returns the value recorded at the next sequence number, or produces one, records it and returns it.
    /// Used for the durable primitives (the time, new guids): deterministic on replay, no round trip to the store.
    /// </summary>
    internal T RecordValue<T>(string name, StepKind kind, Func<T> produce, JsonCodec<T> codec)
    {
        var sequence = NextSequence(name, kind, out var recorded);
        if (recorded is { Status: StepStatus.Succeeded })
        {
            MarkReplayed(recorded);
            return ReadRecorded(recorded, json => codec.Deserialize(json, Limits));
        }
        var value = produce();
        var now = _clock.GetUtcNow();
        var position = EnterWave(bySegment: false);
        var record = NewRecord(sequence, position < 0 ? _highestPosition : position, name, kind, now) with
        {
            Status = StepStatus.Succeeded,
            Output = codec.Serialize(value),
            DurationMs = 0,
            CompletedAt = now,
        };
        if (position >= 0)
        {
            LeaveWave();
        }
        lock (_gate)
        {
            _pending.Add(recorded is null ? JournalWrite.Insert(record) : JournalWrite.Update(record with { Id = recorded.Id, CreatedAt = recorded.CreatedAt }));
            _executed.Add(sequence);
        }
        return value;
    }

    /// <summary>
    /// <see cref="Workflow.Patched(string)"/>: true, journaled, for a run that reaches the call first (nothing recorded at the
    /// next sequence) or that recorded this patch there; false, consuming nothing, for a run that recorded something else
    /// there (its old code did not ask).
    /// </summary>
    internal bool Patched(string changeId)
    {
        ArgumentException.ThrowIfNullOrEmpty(changeId);
        if (changeId.Length > 200 || changeId.Any(char.IsControl))
        {
            throw new ArgumentException($"A patch's change id is 1 to 200 characters without control characters: '{(changeId.Length > 60 ? changeId[..60] + "…" : changeId)}' is not.", nameof(changeId));
        }
        var name = "patch:" + changeId;
        StepRecord? next;
        lock (_gate)
        {
            _journal.TryGetValue(Volatile.Read(ref _sequence) + 1, out next);
        }
        if (next is not null && !(next.Kind == StepKind.Patch && string.Equals(next.Name, name, StringComparison.Ordinal)))
        {
            return false; // recorded before the change: its journal goes on with the old branch's entries
        }
        return RecordValue(name, StepKind.Patch, static () => true, JsonCodecs.Boolean);
    }

    /// <summary>
    /// The first of <paramref name="tasks"/> to finish, journaled as its index: a replay, where every replayed entry is
    /// finished at once, returns the one that finished first when the run first executed. The sequence is taken at the call
    /// (call order, as for any entry); the record is committed with the next journal write.
    /// </summary>
    internal async Task<Task> WhenAnyAsync(Task[] tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        if (tasks.Length == 0) throw new ArgumentException("Workflow.WhenAnyAsync needs at least one task.", nameof(tasks));
        if (tasks.Any(t => t is null)) throw new ArgumentException("Workflow.WhenAnyAsync was given a null task.", nameof(tasks));
        var sequence = NextSequence("when-any", StepKind.WhenAny, out var recorded);
        if (recorded is { Status: StepStatus.Succeeded })
        {
            MarkReplayed(recorded);
            var index = ReadRecorded(recorded, json => JsonCodecs.Int32.Deserialize(json, Limits));
            if (index < 0 || index >= tasks.Length)
            {
                throw Park(new NonDeterminismException(RunId, sequence, $"when-any of {index + 1}+ tasks", StepKind.WhenAny, $"when-any of {tasks.Length} tasks", StepKind.WhenAny));
            }
            var chosen = tasks[index];
            try
            {
                await chosen.ConfigureAwait(false);
            }
            catch
            {
                // the caller observes the winner's outcome by awaiting it, as with Task.WhenAny
            }
            return chosen;
        }
        var first = await Task.WhenAny(tasks).ConfigureAwait(false);
        var now = _clock.GetUtcNow();
        var record = NewRecord(sequence, _highestPosition, "when-any", StepKind.WhenAny, now) with
        {
            Status = StepStatus.Succeeded,
            Output = JsonCodecs.Int32.Serialize(Array.IndexOf(tasks, first)),
            DurationMs = 0,
            CompletedAt = now,
        };
        lock (_gate)
        {
            _pending.Add(recorded is null ? JournalWrite.Insert(record) : JournalWrite.Update(record with { Id = recorded.Id, CreatedAt = recorded.CreatedAt }));
            _executed.Add(sequence);
        }
        return first;
    }

    /// <summary>
    /// A durable timer. The wake-up time is journaled first, so a restarted run waits only for what is left, and a timer
    /// that already fired is not waited for again. A wait longer than the engine's threshold suspends the run: it is
    /// journaled as <see cref="RunStatus.Waiting"/> until then, its claim released, and nothing of it stays in memory; the
    /// scheduler wakes it by replay. A sleep never ends before its recorded wake-up time.
    /// </summary>
    internal async Task SleepAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        if (duration < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(duration), duration, "A durable sleep cannot be negative.");
        if (IsSuspending)
        {
            await NeverAsync<bool>().ConfigureAwait(false);
        }
        var sequence = NextSequence("sleep", StepKind.Sleep, out var recorded);
        if (recorded is { Status: StepStatus.Succeeded })
        {
            MarkReplayed(recorded);
            return;
        }
        var now = _clock.GetUtcNow();
        var position = EnterWave();
        if (position < 0)
        {
            await NeverAsync<bool>().ConfigureAwait(false);
        }
        var suspended = false;
        try
        {
            await Task.Yield(); // an entry that runs never finishes within its call (see RunStepAsync)
            StepRecord record;
            DateTimeOffset wakeAt;
            bool inserted;
            if (recorded is null)
            {
                wakeAt = (now + duration).ToUniversalTime();
                record = NewRecord(sequence, position, "sleep", StepKind.Sleep, now) with
                {
                    Input = JournalJson.Write(wakeAt, static (writer, at) =>
                    {
                        writer.WriteStartObject();
                        writer.WritePropertyName("wakeAt"u8);
                        JsonCodecs.DateTimeOffset.Write(writer, at);
                        writer.WriteEndObject();
                    }),
                };
                inserted = false;
            }
            else
            {
                record = recorded;
                wakeAt = ReadWakeAt(recorded);
                inserted = true;
            }

            if (wakeAt - now > _suspendThreshold)
            {
                suspended = true;
                RequestSuspension(inserted ? null : JournalWrite.Insert(record), $"sleep:{sequence}", wakeAt);
                await NeverAsync<bool>().ConfigureAwait(false);
            }
            TrackRunning(record);
            if (!inserted)
            {
                await CommitAsync(JournalWrite.Insert(record)).ConfigureAwait(false);
            }

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(CancellationToken, cancellationToken);
            // A timer may fire a little early: the clock, not the timer, says when the wake-up time has come.
            for (var remaining = wakeAt - _clock.GetUtcNow(); remaining > TimeSpan.Zero; remaining = wakeAt - _clock.GetUtcNow())
            {
                await Task.Delay(remaining < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : remaining, _clock, linked.Token).ConfigureAwait(false);
            }
            var done = _clock.GetUtcNow();
            record = record with
            {
                Status = StepStatus.Succeeded,
                Output = JournalJson.Write(JsonCodecs.DateTimeOffset, done),
                DurationMs = (long)(done - (record.StartedAt ?? done)).TotalMilliseconds,
                CompletedAt = done,
                UpdatedAt = done,
            };
            await CommitAsync(JournalWrite.Update(record)).ConfigureAwait(false);
            MarkExecuted(sequence);
        }
        finally
        {
            if (!suspended)
            {
                LeaveWave();
            }
        }
    }

    /// <summary>
    /// Asks for the run to be suspended until <paramref name="wakeAt"/>, committing <paramref name="write"/> (the wait's own
    /// journal entry) with it. The suspension is committed once every other step in flight has finished (their outcomes must
    /// be journaled under this claim first); several waits in one wave suspend together, until the earliest of them.
    /// </summary>
    private void RequestSuspension(JournalWrite? write, string waitingFor, DateTimeOffset wakeAt)
    {
        bool drained;
        lock (_gate)
        {
            if (write is not null)
            {
                _pending.Add(write);
            }
            if (wakeAt < _suspendWakeAt)
            {
                _suspendWakeAt = wakeAt;
            }
            // Every wait of the wave is named, in the order they asked: "sleep:3", "event:scan", "child:<id>".
            _suspendReason = _suspendReason.Length == 0 ? waitingFor : $"{_suspendReason}, {waitingFor}";
            _suspendRequests++;
            drained = _inFlight == _suspendRequests;
        }
        if (drained)
        {
            ScheduleSuspension();
        }
    }

    /// <summary>Every entry in flight is a wait that asked to suspend: suspend once the wave has stayed quiet for <see cref="SuspendGrace"/>.</summary>
    private void ScheduleSuspension()
    {
        if (Interlocked.Exchange(ref _suspensionScheduled, 1) == 0)
        {
            _ = SuspendWhenQuietAsync();
        }
    }

    private async Task SuspendWhenQuietAsync()
    {
        var seen = Volatile.Read(ref _sequence);
        while (true)
        {
            await Task.Delay(SuspendGrace).ConfigureAwait(false);
            lock (_gate)
            {
                if (_inFlight != _suspendRequests)
                {
                    // An entry started meanwhile: its end (or its own wait) schedules the suspension again.
                    _suspensionScheduled = 0;
                    return;
                }
                var now = _sequence;
                if (now == seen)
                {
                    _suspensionBegun = 1; // under the gate: no entry can enter the wave from here on
                    break;
                }
                seen = now; // the workflow is still calling (replayed entries, values): wait for it to settle
            }
        }
        await SuspendAsync().ConfigureAwait(false);
    }

    private async Task SuspendAsync()
    {
        try
        {
            DateTimeOffset wakeAt;
            string waitingFor;
            lock (_gate)
            {
                wakeAt = _suspendWakeAt;
                waitingFor = _suspendReason;
            }
            if (Run.DeadlineAt is { } deadline && deadline < wakeAt)
            {
                wakeAt = deadline;
            }
            var now = _clock.GetUtcNow();
            // A wait with no time limit (an event without a timeout, a child) has no wake-up time: only its arrival wakes the run.
            var waiting = Run with { Status = RunStatus.Waiting, WakeAt = wakeAt == DateTimeOffset.MaxValue ? null : wakeAt, WaitingFor = waitingFor, UpdatedAt = now, Error = null };
            await CommitAsync([JournalWrite.Update(waiting), JournalWrite.ReleaseClaim(RunId, TenantId, _owner)], CancellationToken).ConfigureAwait(false);
            _suspended.TrySetResult();
        }
        catch (Exception e)
        {
            _suspended.TrySetException(e);
        }
    }

    /// <summary>
    /// A retry whose backoff is longer than the threshold suspends the run like a sleep: the step's next attempt is journaled
    /// Pending with its start time, the run Waiting until then, and the scheduler wakes it for that attempt.
    /// </summary>
    private Task<T> SuspendForRetryAsync<T>(StepRecord scheduled)
    {
        RequestSuspension(JournalWrite.Update(scheduled), $"retry:{scheduled.Sequence}", scheduled.StartedAt!.Value);
        return NeverAsync<T>();
    }

    /// <summary>A wait that never ends: the execution is over once the run is suspended, and what awaits this is collected.</summary>
    private static Task<T> NeverAsync<T>() => new TaskCompletionSource<T>().Task;

    private DateTimeOffset ReadWakeAt(StepRecord record)
    {
        var json = record.Input;
        try
        {
            if (json is null) throw new FormatException("The sleep record has no wake-up time.");
            var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(json));
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("wakeAt"u8))
                {
                    reader.Read();
                    return JsonCodecs.DateTimeOffset.Read(ref reader);
                }
            }
            throw new FormatException("The sleep record has no wake-up time.");
        }
        catch (Exception e) when (e is JsonException or FormatException or WorkflowSerializationException)
        {
            throw Park(new JournalPayloadException(RunId, record.Sequence, record.Name, e));
        }
    }
}
