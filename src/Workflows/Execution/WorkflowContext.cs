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
        if (s_runningStep.Value is { } outer)
        {
            throw new InvalidOperationException(
                $"Step '{step.Name}' was called inside the body of step '{outer.Name}'. A step body is not journaled step by step; call steps from the workflow's run method (WF0009).");
        }

        var sequence = Interlocked.Increment(ref _sequence);
        StepRecord? recorded;
        lock (_gate)
        {
            _journal.TryGetValue(sequence, out recorded);
        }

        if (recorded is not null)
        {
            if (!string.Equals(recorded.Name, step.Name, StringComparison.Ordinal) || recorded.Kind != step.Kind)
            {
                var error = new NonDeterminismException(RunId, sequence, recorded.Name, recorded.Kind, step.Name, step.Kind);
                Fatal ??= error;
                throw error;
            }
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
            record = new StepRecord
            {
                Id = Guid.CreateVersion7(now),
                RunId = RunId,
                TenantId = TenantId,
                Sequence = sequence,
                Position = position,
                Name = step.Name,
                Kind = step.Kind,
                Status = StepStatus.Running,
                Attempt = 1,
                Input = writeInput is null ? null : JournalJson.Write(writeInput, static (writer, write) => write(writer)),
                CreatedAt = now,
                StartedAt = now,
                UpdatedAt = now,
            };
            await _store.CommitAsync([JournalWrite.Insert(record)], CancellationToken).ConfigureAwait(false);
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
            await _store.CommitAsync([JournalWrite.Update(record)], CancellationToken).ConfigureAwait(false);
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
                    await _store.CommitAsync([JournalWrite.Update(record)], CancellationToken).ConfigureAwait(false);
                    MarkExecuted(sequence);
                    throw new StepFailedException(step.Name, sequence, attempt, error, e);
                }

                // The next attempt's number and start time are journaled before the backoff, so a crash resets neither.
                attempt++;
                var nextStart = failedAt + step.DelayBefore(attempt);
                record = record with { Status = StepStatus.Running, Attempt = attempt, Error = error, DurationMs = duration, StartedAt = nextStart, UpdatedAt = failedAt };
                await _store.CommitAsync([JournalWrite.Update(record)], CancellationToken).ConfigureAwait(false);
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
                throw new WorkflowSerializationException(output.TypeName, "(not written)", e);
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
            await _store.CommitAsync([JournalWrite.Update(record)], CancellationToken).ConfigureAwait(false);
            MarkExecuted(sequence);
            StepCommitted?.Invoke(record);
            return result;
        }
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
