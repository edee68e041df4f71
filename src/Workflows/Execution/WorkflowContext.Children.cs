using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Workflows.Journal;
using Workflows.Serialization;
using Workflows.Storage;

namespace Workflows;

public sealed partial class WorkflowContext
{
    /// <summary>
    /// Starts a child run: journaled as a <see cref="StepKind.ChildWorkflow"/> entry (input: the child's id) that stays
    /// Running until the child ends and a wait on the handle records its outcome. The child's id is derived from this run's
    /// id and the entry's sequence, so a replay finds the child it started instead of starting another; it records this run
    /// as its parent and runs in this run's tenant.
    /// </summary>
    internal async Task<ChildWorkflowRun<TOutput>> StartChildAsync<TWorkflow, TInput, TOutput>(WorkflowDefinition<TWorkflow, TInput, TOutput> child,
        TInput input, TimeSpan? timeout)
        where TWorkflow : class
    {
        ArgumentNullException.ThrowIfNull(child);
        if (IsSuspending)
        {
            return await NeverAsync<ChildWorkflowRun<TOutput>>().ConfigureAwait(false);
        }
        var engine = Engine ?? throw new InvalidOperationException("Child runs need a run executed by a WorkflowEngine.");
        var sequence = NextSequence(child.Name, StepKind.ChildWorkflow, out var recorded);
        if (recorded is not null)
        {
            // The journal says which child this entry started: the replay follows it, whatever the id scheme is now.
            var childId = RecordedChildId(recorded);
            if (StatusTransitions.IsFinal(recorded.Status)) MarkReplayed(recorded);
            else TrackRunning(recorded);
            return new ChildWorkflowRun<TOutput>(this, sequence, childId, child.Name, child.OutputCodec);
        }
        return await StartNewChildAsync(engine, child, input, sequence, timeout).ConfigureAwait(false);
    }

    private async Task<ChildWorkflowRun<TOutput>> StartNewChildAsync<TWorkflow, TInput, TOutput>(WorkflowEngine engine,
        WorkflowDefinition<TWorkflow, TInput, TOutput> child, TInput input, int sequence, TimeSpan? timeout)
        where TWorkflow : class
    {
        var childId = ChildIdOf(RunId, sequence);
        var position = EnterWave();
        if (position < 0)
        {
            return await NeverAsync<ChildWorkflowRun<TOutput>>().ConfigureAwait(false);
        }
        try
        {
            await Task.Yield(); // an entry that runs never finishes within its call (see RunStepAsync)
            // What the child's input may come from (a step's outcome still held, a durable value) is committed before it.
            await CommitPendingAsync().ConfigureAwait(false);
            // The child first, then the entry: a crash in between leaves a child that the replay finds again by its id.
            await engine.StartChildAsync(child, input, childId, Run, sequence, timeout, CancellationToken).ConfigureAwait(false);
            var now = _clock.GetUtcNow();
            var record = NewRecord(sequence, position, child.Name, StepKind.ChildWorkflow, now) with
            {
                Input = JournalJson.Write(childId, static (writer, id) =>
                {
                    writer.WriteStartObject();
                    writer.WriteString("runId"u8, id);
                    writer.WriteEndObject();
                }),
            };
            TrackRunning(record);
            await CommitAsync(JournalWrite.Insert(record)).ConfigureAwait(false);
            lock (_gate)
            {
                _journal[sequence] = record;
            }
        }
        finally
        {
            LeaveWave();
        }
        return new ChildWorkflowRun<TOutput>(this, sequence, childId, child.Name, child.OutputCodec);
    }

    /// <summary>
    /// Waits for the child of entry <paramref name="sequence"/> to end and records its outcome on the entry: its output, or
    /// its error (then <see cref="ChildWorkflowFailedException"/>). While the child runs this run is suspended; the child's
    /// final commit wakes it.
    /// </summary>
    internal async Task<TOutput> AwaitChildAsync<TOutput>(int sequence, Guid childId, string workflow, JsonCodec<TOutput> output)
    {
        StepRecord record;
        lock (_gate)
        {
            record = _journal[sequence];
        }
        switch (record.Status)
        {
            case StepStatus.Succeeded:
                return ReadRecorded(record, json => output.Deserialize(json, Limits));
            case StepStatus.Failed or StepStatus.Skipped:
                throw ChildFailure(childId, workflow, record.Error);
        }
        if (IsSuspending)
        {
            return await NeverAsync<TOutput>().ConfigureAwait(false);
        }
        var position = EnterWave(resume: record.Position);
        if (position < 0)
        {
            return await NeverAsync<TOutput>().ConfigureAwait(false);
        }
        var suspended = false;
        try
        {
            await Task.Yield(); // an entry that runs never finishes within its call (see RunStepAsync)
            var child = await StoreRetry.RunAsync(() => _store.GetRunAsync(TenantId, childId, CancellationToken), CancellationToken).ConfigureAwait(false)
                ?? throw Park(new JournalCorruptException($"Run {RunId} entry {sequence} started child run {childId} of '{workflow}', which the journal does not hold."));
            var now = _clock.GetUtcNow();
            var duration = (long)Math.Max(0, (now - (record.StartedAt ?? now)).TotalMilliseconds);
            switch (child.Status)
            {
                case RunStatus.Succeeded:
                {
                    var value = ReadRecorded(record with { Output = child.Output }, json => output.Deserialize(json, Limits));
                    record = record with { Status = StepStatus.Succeeded, Output = child.Output ?? "null", DurationMs = duration, CompletedAt = now, UpdatedAt = now };
                    await CommitAsync(JournalWrite.Update(record)).ConfigureAwait(false);
                    Remember(record);
                    MarkExecuted(sequence);
                    return value;
                }
                case RunStatus.Failed or RunStatus.Cancelled:
                {
                    var error = new ErrorInfo(ErrorKind.ChildFailed, $"Child run {childId} of '{workflow}' ended {child.Status}: {child.Error?.Message ?? "no error recorded"}",
                        child.Error?.Type, BaseTypes: child.Error?.BaseTypes);
                    record = record with { Status = StepStatus.Failed, Error = error, DurationMs = duration, CompletedAt = now, UpdatedAt = now };
                    await CommitAsync(JournalWrite.Update(record)).ConfigureAwait(false);
                    Remember(record);
                    MarkExecuted(sequence);
                    throw new ChildWorkflowFailedException(childId, workflow, child.Status, child.Error ?? error);
                }
            }
            suspended = true;
            RequestSuspension(null, $"child:{childId}", DateTimeOffset.MaxValue);
            return await NeverAsync<TOutput>().ConfigureAwait(false);
        }
        finally
        {
            if (!suspended)
            {
                LeaveWave();
            }
        }
    }

    private void Remember(StepRecord record)
    {
        lock (_gate)
        {
            _journal[record.Sequence] = record;
        }
    }

    private static ChildWorkflowFailedException ChildFailure(Guid childId, string workflow, ErrorInfo? error)
    {
        var recorded = error ?? new ErrorInfo(ErrorKind.ChildFailed, $"Child run {childId} of '{workflow}' failed.");
        var status = recorded.Message.Contains(" ended Cancelled", StringComparison.Ordinal) ? RunStatus.Cancelled : RunStatus.Failed;
        return new ChildWorkflowFailedException(childId, workflow, status, recorded);
    }

    /// <summary>
    /// The id of the child started at <paramref name="sequence"/> of <paramref name="parent"/>, the same on every machine and
    /// replay: a UUID (version 8, RFC 9562) whose first 48 bits are the parent's (for a UUIDv7 parent, its creation time in
    /// milliseconds) and whose other bits come from SHA-256("{parent}:{sequence}"). So a child sorts right after its parent
    /// and before every later run, and lists in id order (oldest or newest first) keep a family together.
    /// </summary>
    internal static Guid ChildIdOf(Guid parent, int sequence)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{parent:D}:{sequence.ToString(System.Globalization.CultureInfo.InvariantCulture)}"), hash);
        Span<byte> parentBytes = stackalloc byte[16];
        parent.TryWriteBytes(parentBytes, bigEndian: true, out _);
        parentBytes[..6].CopyTo(hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // version 8
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // variant 10
        return new Guid(hash[..16], bigEndian: true);
    }

    /// <summary>The child run a recorded <see cref="StepKind.ChildWorkflow"/> entry started (its input: <c>{"runId": …}</c>).</summary>
    private Guid RecordedChildId(StepRecord recorded)
    {
        try
        {
            using var input = JsonDocument.Parse(recorded.Input ?? throw new JsonException("the entry has no input"));
            if (input.RootElement.ValueKind == JsonValueKind.Object && input.RootElement.TryGetProperty("runId"u8, out var id)
                && id.ValueKind == JsonValueKind.String && Guid.TryParseExact(id.GetString(), "D", out var childId))
            {
                return childId;
            }
            throw new JsonException($"the entry's input {recorded.Input} names no child run (expected {{\"runId\": \"<uuid>\"}})");
        }
        catch (JsonException e)
        {
            throw Park(new JournalPayloadException(RunId, recorded.Sequence, recorded.Name, e));
        }
    }
}

/// <summary>
/// A child run started by a workflow (<see cref="Workflow.StartChildAsync{TWorkflow, TInput, TOutput}"/>). Await
/// <see cref="GetResultAsync"/> in the workflow for its result: journaled, and the parent is suspended while it waits.
/// </summary>
public sealed class ChildWorkflowRun<TOutput>
{
    private readonly WorkflowContext _context;
    private readonly int _sequence;
    private readonly JsonCodec<TOutput> _output;

    internal ChildWorkflowRun(WorkflowContext context, int sequence, Guid runId, string workflow, JsonCodec<TOutput> output)
    {
        _context = context;
        _sequence = sequence;
        RunId = runId;
        Workflow = workflow;
        _output = output;
    }

    /// <summary>The child's run id (derived from the parent's id and the entry's sequence).</summary>
    public Guid RunId { get; }

    /// <summary>The child's workflow name.</summary>
    public string Workflow { get; }

    /// <summary>Waits for the child to end: its result, or a <see cref="ChildWorkflowFailedException"/> with its error.</summary>
    public Task<TOutput> GetResultAsync() => _context.AwaitChildAsync(_sequence, RunId, Workflow, _output);
}
