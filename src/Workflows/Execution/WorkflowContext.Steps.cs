using System.Diagnostics;
using System.Text.Json;
using Workflows.Journal;
using Workflows.Serialization;
using Workflows.Storage;

namespace Workflows;

public sealed partial class WorkflowContext
{
    /// <summary>
    /// Runs one step under the journal: replays it when recorded, otherwise runs its body with its retry policy
    /// and commits the outcome before returning it. Called by generated wrappers.
    /// </summary>
    public async Task<T> RunStepAsync<T>(StepDescriptor step, Action<Utf8JsonWriter>? writeInput, Func<Task<T>> body, JsonCodec<T> output)
    {
        if (IsSuspending)
        {
            return await NeverAsync<T>().ConfigureAwait(false);
        }
        var sequence = NextSequence(step.Name, step.Kind, out var recorded);
        if (recorded is not null)
        {
            switch (recorded.Status)
            {
                case StepStatus.Succeeded:
                case StepStatus.Skipped: // a skipped step returns what its body returned when it skipped
                    MarkReplayed(recorded);
                    return ReadRecorded(recorded, json => output.Deserialize(json, Limits));
                case StepStatus.Failed:
                    MarkReplayed(recorded);
                    throw new StepFailedException(recorded.Name, sequence, recorded.Attempt,
                        recorded.Error ?? new ErrorInfo(ErrorKind.StepFailed, "The step was recorded as failed without an error."));
            }
        }

        var position = EnterWave();
        if (position < 0)
        {
            return await NeverAsync<T>().ConfigureAwait(false);
        }
        try
        {
            // Never finish within the caller's call: a step that runs is awaited like real work, so a call made after
            // awaiting it is made in a later segment of workflow code, in a later wave.
            await Task.Yield();
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
        var scope = new StepScope(RunId, sequence, step, recorded);
        StepRecord record;
        if (recorded is null)
        {
            var input = writeInput is null ? null
                : JournalJson.Write(writeInput, static (writer, write) => write(writer), Limits, $"the input of step {sequence} '{step.Name}' of run {RunId}");
            record = NewRecord(sequence, position, step.Name, step.Kind, now, input);
            TrackRunning(record);
            await CommitStepStartAsync(JournalWrite.Insert(record)).ConfigureAwait(false);
        }
        else if (recorded.Status == StepStatus.Pending)
        {
            // An attempt that was scheduled but had not begun: a retry waiting out its backoff when the engine stopped (it
            // waits only for what is left and keeps its number), or a failed step reopened by a resume.
            record = recorded;
            TrackRunning(record);
            if (recorded.StartedAt is { } scheduled && scheduled > now)
            {
                if (scheduled - now > _suspendThreshold)
                {
                    return await SuspendForRetryAsync<T>(record).ConfigureAwait(false); // woken early (a resume): wait again, suspended
                }
                // A timer may fire a little early: the clock, not the timer, says when the attempt may begin.
                for (var remaining = scheduled - now; remaining > TimeSpan.Zero; remaining = scheduled - _clock.GetUtcNow())
                {
                    await Task.Delay(remaining < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : remaining, _clock, CancellationToken).ConfigureAwait(false);
                }
                now = _clock.GetUtcNow();
            }
            record = record with { Status = StepStatus.Running, StartedAt = now, CompletedAt = null, UpdatedAt = now };
            TrackRunning(record);
            await CommitStepStartAsync(JournalWrite.Update(record)).ConfigureAwait(false);
        }
        else
        {
            // Running: an attempt began and was cut short by a crash or a stop of the engine. It counts as interrupted,
            // not failed, so it does not use up MaxAttempts; but a body cut short too often may be what kills the process.
            if (recorded.InterruptedAttempts + 1 > _maxInterruptedAttempts)
            {
                throw Park(new StepInterruptedException(RunId, sequence, step.Name, recorded.InterruptedAttempts + 1));
            }
            record = recorded with
            {
                Status = StepStatus.Running,
                Attempt = recorded.Attempt + 1,
                InterruptedAttempts = recorded.InterruptedAttempts + 1,
                StartedAt = now,
                CompletedAt = null,
                UpdatedAt = now,
            };
            TrackRunning(record);
            await CommitStepStartAsync(JournalWrite.Update(record)).ConfigureAwait(false);
        }

        while (true)
        {
            var started = Stopwatch.GetTimestamp();
            T result;
            scope.Attempt = record.Attempt;
            // One span per attempt that runs (a replayed step is not spanned again), ended with the attempt's outcome, and a
            // log scope naming the step.
            using var activity = StartStepActivity(step, sequence, record.Attempt);
            using var log = Logger == Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance ? null
                : Logger.BeginScope(new Diagnostics.RunScope(RunId, Run.Workflow, TenantId, step.Name, sequence));
            try
            {
                result = await InvokeBodyAsync(step, scope, body).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
            {
                activity?.SetTag("workflows.step.status", "Interrupted");
                throw; // cancelled, stopping or lost: the engine decides what the record becomes
            }
            catch (Exception e)
            {
                activity?.SetStatus(ActivityStatusCode.Error, e.Message);
                var failedAt = _clock.GetUtcNow();
                var error = ErrorInfo.From(ErrorKind.StepFailed, e);
                var duration = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                var failures = record.FailedAttempts + 1;
                record = scope.Apply(record);
                if (failures >= step.MaxAttempts)
                {
                    record = record with { Status = StepStatus.Failed, FailedAttempts = failures, Error = error, DurationMs = duration, CompletedAt = failedAt, UpdatedAt = failedAt };
                    Observe(activity, record, duration);
                    Diagnostics.EngineLog.StepFailed(Logger, sequence, step.Name, RunId, record.Attempt, error.Message);
                    await CommitAsync(JournalWrite.Update(record)).ConfigureAwait(false);
                    MarkExecuted(sequence);
                    throw new StepFailedException(step.Name, sequence, record.Attempt, error, e);
                }

                // The next attempt's number and start time are journaled before the backoff (Pending: not begun), so a
                // crash resets neither and a crash during the backoff is not taken for an interrupted attempt.
                var nextStart = failedAt + step.DelayBefore(failures + 1);
                record = record with
                {
                    // Each failed attempt's error is kept: a later success does not erase it.
                    AttemptHistory = [.. record.AttemptHistory ?? [], new StepAttempt(record.Attempt, error, record.StartedAt, duration)],
                    Status = StepStatus.Pending,
                    Attempt = record.Attempt + 1,
                    FailedAttempts = failures,
                    Error = error,
                    DurationMs = duration,
                    StartedAt = nextStart,
                    UpdatedAt = failedAt,
                };
                Observe(activity, record with { Status = StepStatus.Failed, Attempt = record.Attempt - 1 }, duration);
                Diagnostics.WorkflowsTelemetry.Retries.Add(1, new KeyValuePair<string, object?>("workflows.step", step.Name));
                Diagnostics.EngineLog.StepRetried(Logger, sequence, step.Name, RunId, record.Attempt - 1, nextStart, error.Message);
                TrackRunning(record);
                if (nextStart - failedAt > _suspendThreshold)
                {
                    activity?.Dispose(); // the attempt's span ends here: the run is suspended until the next one
                    return await SuspendForRetryAsync<T>(record).ConfigureAwait(false);
                }
                await CommitAsync(JournalWrite.Update(record)).ConfigureAwait(false);
                await Task.Delay(nextStart - failedAt, _clock, CancellationToken).ConfigureAwait(false);
                var begun = _clock.GetUtcNow();
                record = record with { Status = StepStatus.Running, StartedAt = begun, UpdatedAt = begun };
                TrackRunning(record);
                await CommitStepStartAsync(JournalWrite.Update(record)).ConfigureAwait(false);
                continue;
            }

            string json;
            try
            {
                json = output.Serialize(result, Limits);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The outcome is final either way: record it, so that no step is left Running under a failed run.
                var unwritable = new JournalWriteException($"the result of step {sequence} '{step.Name}' of run {RunId} ({output.TypeName})",
                    (e as JournalWriteException)?.Reason ?? e.Message, e);
                var failedAt = _clock.GetUtcNow();
                record = record with { Status = StepStatus.Failed, Error = ErrorInfo.From(ErrorKind.Serialization, unwritable), CompletedAt = failedAt, UpdatedAt = failedAt };
                await CommitAsync(JournalWrite.Update(record)).ConfigureAwait(false);
                MarkExecuted(sequence);
                throw unwritable;
            }
            var completedAt = _clock.GetUtcNow();
            var skipped = scope.SkipReason;
            record = scope.Apply(record) with
            {
                Status = skipped is null ? StepStatus.Succeeded : StepStatus.Skipped,
                Output = json,
                Error = skipped is null ? null : new ErrorInfo(ErrorKind.Skipped, skipped),
                DurationMs = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                CompletedAt = completedAt,
                UpdatedAt = completedAt,
            };
            Observe(activity, record, record.DurationMs ?? 0);
            // Committed with the run's next write (the next step's start, most often) unless the window ends first.
            await CommitOutcomeAsync(JournalWrite.Update(record)).ConfigureAwait(false);
            MarkExecuted(sequence);
            return result;
        }
    }

    private Activity? StartStepActivity(StepDescriptor step, int sequence, int attempt)
    {
        var activity = Diagnostics.WorkflowsTelemetry.Source.StartActivity($"workflow.step {step.Name}");
        if (activity is null) return null;
        activity.SetTag("workflows.run.id", RunId.ToString());
        activity.SetTag("workflows.workflow", Run.Workflow);
        activity.SetTag("workflows.tenant", TenantId);
        activity.SetTag("workflows.step", step.Name);
        activity.SetTag("workflows.step.sequence", sequence);
        activity.SetTag("workflows.step.attempt", attempt);
        return activity;
    }

    /// <summary>An attempt's outcome on its span and in the metrics (status, duration, and the agent usage where reported).</summary>
    private static void Observe(Activity? activity, StepRecord record, long durationMs)
    {
        if (Diagnostics.WorkflowsTelemetry.Steps.Enabled || Diagnostics.WorkflowsTelemetry.StepDuration.Enabled)
        {
            var status = new KeyValuePair<string, object?>("workflows.step.status", record.Status.ToString());
            var name = new KeyValuePair<string, object?>("workflows.step", record.Name);
            Diagnostics.WorkflowsTelemetry.Steps.Add(1, status, name);
            Diagnostics.WorkflowsTelemetry.StepDuration.Record(durationMs, status, name);
        }
        if (activity is null) return;
        activity.SetTag("workflows.step.status", record.Status.ToString());
        if (record.InputTokens is { } input) activity.SetTag("workflows.usage.input_tokens", input);
        if (record.OutputTokens is { } output) activity.SetTag("workflows.usage.output_tokens", output);
        if (record.CostUsd is { } cost) activity.SetTag("workflows.usage.cost_usd", (double)cost);
    }

    private static async Task<T> InvokeBodyAsync<T>(StepDescriptor step, StepScope scope, Func<Task<T>> body)
    {
        // Set in this frame only: the async method restores the caller's value when it returns.
        scope.SkipReason = null; // a skip is the outcome of the attempt that asked for it
        CurrentStep.Current = scope;
        return await body().ConfigureAwait(false);
    }
}
