using System.Diagnostics;
using System.Text.Json;
using Workflows.Journal;
using Workflows.Serialization;
using Workflows.Storage;

namespace Workflows;

/// <summary>
/// The state of one execution of a run: its replay journal, the next sequence number and the current wave.
/// It flows with the workflow's async calls; generated step wrappers find it through <see cref="Current"/>.
/// </summary>
public sealed class WorkflowContext
{
    private static readonly AsyncLocal<WorkflowContext?> s_current = new();
    private static readonly AsyncLocal<StepDescriptor?> s_runningStep = new();

    private readonly IWorkflowStore _store;
    private readonly TimeProvider _clock;
    private readonly Dictionary<int, StepRecord> _journal;
    private readonly int _recordedCount;
    private readonly HashSet<int> _replayed = [];
    private readonly HashSet<int> _executed = [];
    private readonly Lock _gate = new();
    private int _sequence;
    private int _inFlight;
    private int _wave;
    private int _highestPosition;
    private object? _instance;
    // Records of durable values (now, guid) wait here and are committed with the next journal write, ahead of it:
    // nothing recorded later can be durable without them, and taking a value costs no round trip of its own.
    private List<JournalWrite> _pending = [];

    internal WorkflowContext(RunRecord run, IReadOnlyList<StepRecord> journal, IWorkflowStore store, TimeProvider clock, CancellationToken cancellationToken)
    {
        Run = run;
        _store = store;
        _clock = clock;
        CancellationToken = cancellationToken;
        _journal = new Dictionary<int, StepRecord>(journal.Count);
        foreach (var step in journal)
        {
            _journal[step.Sequence] = step;
        }
        _recordedCount = _journal.Count;
    }

    /// <summary>The context of the run executing on this async flow, or null outside any run.</summary>
    public static WorkflowContext? Current
    {
        get => s_current.Value;
        internal set => s_current.Value = value;
    }

    /// <summary>The run as it was when this execution began.</summary>
    public RunRecord Run { get; }

    public Guid RunId => Run.Id;
    public string TenantId => Run.TenantId;
    public CancellationToken CancellationToken { get; }

    /// <summary>The engine's clock.</summary>
    internal TimeProvider Clock => _clock;

    /// <summary>True while the code is still re-walking steps the journal already holds.</summary>
    public bool IsReplaying => Volatile.Read(ref _sequence) < _recordedCount;

    /// <summary>The first fatal replay error (non-determinism); it stops the run even if workflow code catches it.</summary>
    internal Exception? Fatal { get; private set; }

    internal IReadOnlyCollection<int> Replayed => _replayed;
    internal IReadOnlyCollection<int> Executed => _executed;

    internal void Bind(object instance) => _instance = instance;

    /// <summary>Whether calls on <paramref name="workflow"/> are the ones this run journals.</summary>
    public bool Owns(object workflow) => ReferenceEquals(_instance, workflow);

    /// <summary>
    /// Runs one step under the journal: replays it when recorded, otherwise runs its body with its retry policy
    /// and commits the outcome before returning it. Called by generated wrappers.
    /// </summary>
    public async Task<T> RunStepAsync<T>(StepDescriptor step, Action<Utf8JsonWriter>? writeInput, Func<Task<T>> body, JsonCodec<T> output)
    {
        var sequence = NextSequence(step.Name, step.Kind, out var recorded);
        if (recorded is not null)
        {
            switch (recorded.Status)
            {
                case StepStatus.Succeeded:
                    MarkReplayed(recorded);
                    return output.Deserialize(recorded.Output ?? "null");
                case StepStatus.Failed:
                case StepStatus.Skipped:
                    MarkReplayed(recorded);
                    throw new StepFailedException(recorded.Name, sequence, recorded.Attempt,
                        recorded.Error ?? new ErrorInfo(ErrorKind.StepFailed, "The step was recorded as failed without an error."));
            }
        }

        var position = EnterWave();
        try
        {
            return await ExecuteAsync(step, sequence, position, recorded, writeInput, body, output).ConfigureAwait(false);
        }
        finally
        {
            LeaveWave();
        }
    }

    private async Task<T> ExecuteAsync<T>(StepDescriptor step, int sequence, int position, StepRecord? recorded,
        Action<Utf8JsonWriter>? writeInput, Func<Task<T>> body, JsonCodec<T> output)
    {
        var now = _clock.GetUtcNow();
        int attempt;
        StepRecord record;
        if (recorded is null)
        {
            attempt = 1;
            record = NewRecord(sequence, position, step.Name, step.Kind, now) with
            {
                Input = writeInput is null ? null : JournalJson.Write(writeInput, static (writer, write) => write(writer)),
            };
            await CommitAsync(JournalWrite.Insert(record)).ConfigureAwait(false);
        }
        else
        {
            // An unfinished record: a crash or shutdown came while an attempt was scheduled or running.
            // A retry whose backoff had not yet elapsed waits only for what is left and keeps its number;
            // an attempt that may have begun counts as spent, but a crash is not a failure of the step,
            // so the run gets the next attempt even past MaxAttempts.
            var scheduled = recorded.StartedAt ?? now;
            if (recorded.Status == StepStatus.Running && scheduled > now)
            {
                attempt = recorded.Attempt;
                await Task.Delay(scheduled - now, _clock, CancellationToken).ConfigureAwait(false);
                now = _clock.GetUtcNow();
            }
            else
            {
                attempt = recorded.Attempt + 1;
            }
            record = recorded with { Status = StepStatus.Running, Attempt = attempt, StartedAt = now, UpdatedAt = now };
            await CommitAsync(JournalWrite.Update(record)).ConfigureAwait(false);
        }

        while (true)
        {
            var started = Stopwatch.GetTimestamp();
            T result;
            try
            {
                result = await InvokeBodyAsync(step, body).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
            {
                throw; // the engine is stopping: the record stays Running and the step resumes later
            }
            catch (Exception e)
            {
                var failedAt = _clock.GetUtcNow();
                var error = ErrorInfo.From(ErrorKind.StepFailed, e);
                var duration = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (attempt >= step.MaxAttempts)
                {
                    record = record with { Status = StepStatus.Failed, Error = error, DurationMs = duration, CompletedAt = failedAt, UpdatedAt = failedAt };
                    await CommitAsync(JournalWrite.Update(record)).ConfigureAwait(false);
                    MarkExecuted(sequence);
                    throw new StepFailedException(step.Name, sequence, attempt, error, e);
                }

                // The next attempt's number and start time are journaled before the backoff, so a crash resets neither.
                attempt++;
                var nextStart = failedAt + step.DelayBefore(attempt);
                record = record with { Status = StepStatus.Running, Attempt = attempt, Error = error, DurationMs = duration, StartedAt = nextStart, UpdatedAt = failedAt };
                await CommitAsync(JournalWrite.Update(record)).ConfigureAwait(false);
                await Task.Delay(nextStart - failedAt, _clock, CancellationToken).ConfigureAwait(false);
                continue;
            }

            string json;
            try
            {
                json = output.Serialize(result);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The outcome is final either way: record it, so that no step is left Running under a failed run.
                var unwritable = new WorkflowSerializationException(output.TypeName, "(not written)", e);
                var failedAt = _clock.GetUtcNow();
                record = record with { Status = StepStatus.Failed, Error = ErrorInfo.From(ErrorKind.Serialization, unwritable), CompletedAt = failedAt, UpdatedAt = failedAt };
                await CommitAsync(JournalWrite.Update(record)).ConfigureAwait(false);
                MarkExecuted(sequence);
                throw unwritable;
            }
            var completedAt = _clock.GetUtcNow();
            record = record with
            {
                Status = StepStatus.Succeeded,
                Output = json,
                Error = null,
                DurationMs = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                CompletedAt = completedAt,
                UpdatedAt = completedAt,
            };
            await CommitAsync(JournalWrite.Update(record)).ConfigureAwait(false);
            MarkExecuted(sequence);
            StepCommitted?.Invoke(record);
            return result;
        }
    }

    /// <summary>Commits <paramref name="write"/> together with, and after, any durable values recorded since the last commit.</summary>
    private async Task CommitAsync(JournalWrite write)
    {
        List<JournalWrite>? batch = null;
        lock (_gate)
        {
            if (_pending.Count > 0)
            {
                batch = _pending;
                _pending = [];
            }
        }
        if (batch is null)
        {
            await _store.CommitAsync([write], CancellationToken).ConfigureAwait(false);
        }
        else
        {
            batch.Add(write);
            await _store.CommitAsync(batch, CancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Durable values recorded but not yet committed; the engine commits them with the run's last write.</summary>
    internal List<JournalWrite> TakePending()
    {
        lock (_gate)
        {
            var taken = _pending;
            _pending = [];
            return taken;
        }
    }

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
            return codec.Deserialize(recorded.Output ?? "null");
        }
        var value = produce();
        var now = _clock.GetUtcNow();
        var record = NewRecord(sequence, EnterWave(), name, kind, now) with
        {
            Status = StepStatus.Succeeded,
            Output = codec.Serialize(value),
            DurationMs = 0,
            CompletedAt = now,
        };
        LeaveWave();
        lock (_gate)
        {
            _pending.Add(recorded is null ? JournalWrite.Insert(record) : JournalWrite.Update(record with { Id = recorded.Id, CreatedAt = recorded.CreatedAt }));
            _executed.Add(sequence);
        }
        return value;
    }

    /// <summary>
    /// A durable timer: the wake-up time is journaled before waiting, so a restarted run waits only for what is left,
    /// and a timer that already fired is not waited for again.
    /// </summary>
    internal async Task SleepAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        if (duration < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(duration), duration, "A durable sleep cannot be negative.");
        var sequence = NextSequence("sleep", StepKind.Sleep, out var recorded);
        if (recorded is { Status: StepStatus.Succeeded })
        {
            MarkReplayed(recorded);
            return;
        }
        var now = _clock.GetUtcNow();
        var position = EnterWave();
        try
        {
            StepRecord record;
            DateTimeOffset wakeAt;
            if (recorded is null)
            {
                wakeAt = now + duration;
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
                await CommitAsync(JournalWrite.Insert(record)).ConfigureAwait(false);
            }
            else
            {
                record = recorded;
                wakeAt = ReadWakeAt(recorded);
            }

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(CancellationToken, cancellationToken);
            var remaining = wakeAt - _clock.GetUtcNow();
            if (remaining > TimeSpan.Zero)
            {
                await Task.Delay(remaining, _clock, linked.Token).ConfigureAwait(false);
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
            LeaveWave();
        }
    }

    private static DateTimeOffset ReadWakeAt(StepRecord record)
    {
        var json = record.Input ?? throw new WorkflowSerializationException("sleep", "(none)", new FormatException("The sleep record has no wake-up time."));
        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(json));
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("wakeAt"u8))
                {
                    reader.Read();
                    return JsonCodecs.DateTimeOffset.Read(ref reader);
                }
            }
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            throw new WorkflowSerializationException("sleep", json, e);
        }
        throw new WorkflowSerializationException("sleep", json, new FormatException("The sleep record has no wake-up time."));
    }

    /// <summary>A new journal entry of this run: a first attempt, running since <paramref name="now"/>.</summary>
    private StepRecord NewRecord(int sequence, int position, string name, StepKind kind, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        RunId = RunId,
        TenantId = TenantId,
        Sequence = sequence,
        Position = position,
        Name = name,
        Kind = kind,
        Status = StepStatus.Running,
        Attempt = 1,
        CreatedAt = now,
        StartedAt = now,
        UpdatedAt = now,
    };

    /// <summary>Takes the next sequence number and checks the journal's record at it against what the code does now.</summary>
    private int NextSequence(string name, StepKind kind, out StepRecord? recorded)
    {
        if (s_runningStep.Value is { } outer)
        {
            throw new InvalidOperationException(
                $"{kind} '{name}' was called inside the body of step '{outer.Name}'. A step body is not journaled step by step; call it from the workflow's run method (WF0009).");
        }
        var sequence = Interlocked.Increment(ref _sequence);
        lock (_gate)
        {
            _journal.TryGetValue(sequence, out recorded);
        }
        if (recorded is not null && (!string.Equals(recorded.Name, name, StringComparison.Ordinal) || recorded.Kind != kind))
        {
            var error = new NonDeterminismException(RunId, sequence, recorded.Name, recorded.Kind, name, kind);
            Fatal ??= error;
            throw error;
        }
        return sequence;
    }

    /// <summary>Raised after a step's outcome is durably committed (the sample's crash switch hooks here).</summary>
    internal Action<StepRecord>? StepCommitted { get; init; }

    private static async Task<T> InvokeBodyAsync<T>(StepDescriptor step, Func<Task<T>> body)
    {
        // Set in this frame only: the async method restores the caller's value when it returns.
        s_runningStep.Value = step;
        return await body().ConfigureAwait(false);
    }

    private int EnterWave()
    {
        lock (_gate)
        {
            if (_inFlight == 0)
            {
                _wave = _highestPosition + 1;
            }
            _inFlight++;
            _highestPosition = Math.Max(_highestPosition, _wave);
            return _wave;
        }
    }

    private void LeaveWave()
    {
        lock (_gate)
        {
            _inFlight--;
        }
    }

    private void MarkReplayed(StepRecord recorded)
    {
        lock (_gate)
        {
            _replayed.Add(recorded.Sequence);
            _highestPosition = Math.Max(_highestPosition, recorded.Position);
        }
    }

    private void MarkExecuted(int sequence)
    {
        lock (_gate)
        {
            _executed.Add(sequence);
        }
    }
}
