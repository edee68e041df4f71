using Workflows.Journal;

namespace Workflows;

/// <summary>A step failed on its last allowed attempt; on replay, the recorded failure is rethrown as this.</summary>
public sealed class StepFailedException : Exception
{
    public StepFailedException(string stepName, int sequence, int attempts, ErrorInfo error, Exception? inner = null)
        : base($"Step '{stepName}' (sequence {sequence}) failed after {attempts} attempt(s): {error.Message}", inner)
    {
        StepName = stepName;
        Sequence = sequence;
        Attempts = attempts;
        Error = error;
    }

    public string StepName { get; }
    public int Sequence { get; }
    public int Attempts { get; }

    /// <summary>The error as journaled: the original exception's type, message and stack.</summary>
    public ErrorInfo Error { get; }

    /// <summary>
    /// Whether the step failed with a <typeparamref name="TException"/> (or a type derived from it), answered from the
    /// journal's record, so that the first execution and a replay agree. A step's failure always arrives as a
    /// <see cref="StepFailedException"/> (a replay cannot rebuild the original exception object): catch it with
    /// <c>catch (StepFailedException e) when (e.Is&lt;TException&gt;())</c>.
    /// </summary>
    public bool Is<TException>() where TException : Exception =>
        typeof(TException) == typeof(Exception) || Error.IsOfType(typeof(TException).FullName ?? typeof(TException).Name);
}

/// <summary>
/// The code called a different step than the journal recorded at that sequence number. The run is stopped,
/// not failed: nothing recorded is changed, and it resumes once the code matches its journal again.
/// </summary>
public sealed class NonDeterminismException : Exception
{
    public NonDeterminismException(Guid runId, int sequence, string recordedName, StepKind recordedKind, string currentName, StepKind currentKind)
        : base($"Run {runId} is not deterministic at sequence {sequence}: the journal recorded {recordedKind} '{recordedName}' " +
               $"but the code now calls {currentKind} '{currentName}'. The run was stopped; its journal is unchanged.")
    {
        RunId = runId;
        Sequence = sequence;
        RecordedName = recordedName;
        CurrentName = currentName;
    }

    public Guid RunId { get; }
    public int Sequence { get; }
    public string RecordedName { get; }
    public string CurrentName { get; }
}

/// <summary>A run recorded under another schema version of its workflow was not resumed.</summary>
public sealed class SchemaMismatchException : Exception
{
    public SchemaMismatchException(Guid runId, string workflow, string recordedVersion, string currentVersion, string changes)
        : this(runId, workflow, recordedVersion, currentVersion, changes, [], SchemaChangePolicy.Exact)
    {
    }

    public SchemaMismatchException(Guid runId, string workflow, string recordedVersion, string currentVersion, string changes,
        IReadOnlyList<string> incompatibleChanges, SchemaChangePolicy policy)
        : base(MessageOf(runId, workflow, recordedVersion, currentVersion, changes, incompatibleChanges, policy))
    {
        RunId = runId;
        RecordedVersion = recordedVersion;
        CurrentVersion = currentVersion;
        IncompatibleChanges = incompatibleChanges;
    }

    public Guid RunId { get; }
    public string RecordedVersion { get; }
    public string CurrentVersion { get; }

    /// <summary>The changes that the reading rules do not allow (empty when every change is compatible, or none could be checked).</summary>
    public IReadOnlyList<string> IncompatibleChanges { get; }

    private static string MessageOf(Guid runId, string workflow, string recordedVersion, string currentVersion, string changes,
        IReadOnlyList<string> incompatible, SchemaChangePolicy policy)
    {
        var verdict = incompatible.Count > 0
            ? $" Not compatible: {string.Join("; ", incompatible)}."
            : policy == SchemaChangePolicy.Exact
                ? " Every change is compatible: an engine with SchemaChanges = SchemaChangePolicy.AcceptCompatible resumes it."
                : "";
        return $"Run {runId} of '{workflow}' was recorded under schema {recordedVersion}, but the code is schema {currentVersion} ({changes})." +
               verdict + " It was not resumed. To resume it under the new code, resume it with acceptSchemaChange: true.";
    }
}

/// <summary>
/// Why a handle's run did not produce a result: it failed, was cancelled, or was parked. <see cref="Error"/> is what the
/// journal recorded; catch this type for all three.
/// </summary>
public abstract class WorkflowRunException : Exception
{
    private protected WorkflowRunException(Guid runId, string workflow, ErrorInfo error, string message, Exception? inner)
        : base(message, inner)
    {
        RunId = runId;
        Workflow = workflow;
        Error = error;
    }

    public Guid RunId { get; }
    public string Workflow { get; }
    public ErrorInfo Error { get; }

    /// <summary>The run's record as it ended, when the engine that raised this had it.</summary>
    public Journal.RunRecord? EndedRun { get; init; }
}

/// <summary>A run ended in failure; <see cref="WorkflowRunException.Error"/> is what the journal recorded.</summary>
public sealed class WorkflowRunFailedException : WorkflowRunException
{
    public WorkflowRunFailedException(Guid runId, string workflow, ErrorInfo error, Exception? inner = null)
        : base(runId, workflow, error, $"Run {runId} of '{workflow}' failed ({error.Kind}): {error.Message}", inner)
    {
    }
}

/// <summary>The workflow object could not be built (for example, a constructor service is not registered).</summary>
public sealed class WorkflowConstructionException : Exception
{
    public WorkflowConstructionException(string workflow, string reason, Exception? inner = null)
        : base($"Cannot construct workflow '{workflow}': {reason}", inner) => Workflow = workflow;

    public string Workflow { get; }
}

/// <summary>A run id, workflow name or tenant that the engine does not know.</summary>
public sealed class WorkflowNotFoundException : Exception
{
    public WorkflowNotFoundException(string message) : base(message) { }
}

/// <summary>A journaled payload (a step's output, a sleep's wake-up time, the run's input) cannot be read by the current code: the run is parked.</summary>
public sealed class JournalPayloadException : Exception
{
    public JournalPayloadException(Guid runId, int sequence, string stepName, Exception inner)
        : base(sequence == 0
            ? $"The input of run {runId} cannot be read: {inner.Message}"
            : $"The recorded payload of step {sequence} '{stepName}' of run {runId} cannot be read: {inner.Message}", inner)
    {
        RunId = runId;
        Sequence = sequence;
        StepName = stepName;
    }

    public Guid RunId { get; }
    /// <summary>The step's sequence, or 0 for the run's input.</summary>
    public int Sequence { get; }
    public string StepName { get; }
}

/// <summary>
/// The run is parked: it stopped for something only a person can fix (see <see cref="WorkflowRunException.Error"/>; the
/// cause is the inner exception when this engine saw it). It is not final: fix the code or the data and resume it with
/// <see cref="WorkflowEngine.ResumeAsync(Guid, string?, bool, CancellationToken)"/>.
/// </summary>
public sealed class WorkflowRunParkedException : WorkflowRunException
{
    public WorkflowRunParkedException(Guid runId, string workflow, ErrorInfo error, Exception? inner = null)
        : base(runId, workflow, error, $"Run {runId} of '{workflow}' is parked ({error.Kind}): {error.Message}", inner)
    {
    }
}

/// <summary>The run was cancelled (<see cref="ErrorKind.Cancelled"/>, by request) or passed its deadline (<see cref="ErrorKind.Timeout"/>).</summary>
public sealed class WorkflowRunCancelledException : WorkflowRunException
{
    public WorkflowRunCancelledException(Guid runId, string workflow, ErrorInfo error)
        : base(runId, workflow, error,
            $"Run {runId} of '{workflow}' was {(error.Kind == ErrorKind.Timeout ? "stopped at its deadline" : "cancelled")}: {error.Message}", null)
    {
    }
}

/// <summary>A start reused an idempotency key with a different input: the key names another run's request.</summary>
public sealed class IdempotencyConflictException : Exception
{
    public IdempotencyConflictException(string key, string workflow, string tenantId, Guid existingRunId)
        : base($"Idempotency key '{key}' of workflow '{workflow}' in tenant '{tenantId}' was first used by run {existingRunId} with a different input. " +
               "Use a new key, or StartOptions.IdempotencyConflict = IdempotencyConflictBehavior.ReturnExisting to get the existing run.")
    {
        Key = key;
        ExistingRunId = existingRunId;
    }

    public string Key { get; }
    public Guid ExistingRunId { get; }
}

/// <summary>
/// A step's attempts were cut short (its process died or stopped while the body ran) more often than
/// <see cref="WorkflowEngineOptions.MaxInterruptedAttempts"/> allows. The run is parked rather than crash every start;
/// resuming it gives the step one new attempt.
/// </summary>
public sealed class StepInterruptedException : Exception
{
    public StepInterruptedException(Guid runId, int sequence, string stepName, int interruptions)
        : base($"Step {sequence} '{stepName}' of run {runId} was cut short {interruptions} times (its process died or stopped while the body ran): " +
               "the run was parked so that it does not take the process down at every start. Fix the cause, then resume the run for one new attempt.")
    {
        RunId = runId;
        Sequence = sequence;
        StepName = stepName;
        Interruptions = interruptions;
    }

    public Guid RunId { get; }
    public int Sequence { get; }
    public string StepName { get; }
    public int Interruptions { get; }
}

/// <summary>No event of the awaited name arrived at the run before the wait's timeout. The wait's journal entry failed with it.</summary>
public sealed class EventTimeoutException : Exception
{
    public EventTimeoutException(Guid runId, string eventName, int sequence, DateTimeOffset? timeoutAt)
        : base(MessageOf(runId, eventName, sequence, timeoutAt))
    {
        RunId = runId;
        EventName = eventName;
        Sequence = sequence;
        TimeoutAt = timeoutAt;
    }

    public Guid RunId { get; }
    public string EventName { get; }
    public int Sequence { get; }
    public DateTimeOffset? TimeoutAt { get; }

    internal static string MessageOf(Guid runId, string eventName, int sequence, DateTimeOffset? timeoutAt) =>
        $"No event '{eventName}' arrived at run {runId} (wait {sequence}) by its timeout" +
        (timeoutAt is { } at ? $" ({at.ToString("O", System.Globalization.CultureInfo.InvariantCulture)})." : ".");
}

/// <summary>An event could not be sent: the run does not exist in the tenant, or it has ended.</summary>
public sealed class EventDeliveryException : Exception
{
    public EventDeliveryException(Guid runId, string tenantId, string eventName, Journal.RunStatus? status)
        : base(status is { } s
            ? $"Event '{eventName}' was not sent: run {runId} in tenant '{tenantId}' has ended ({s}); an ended run takes no events."
            : $"Event '{eventName}' was not sent: tenant '{tenantId}' has no run {runId}.")
    {
        RunId = runId;
        TenantId = tenantId;
        EventName = eventName;
        RunStatus = status;
    }

    public Guid RunId { get; }
    public string TenantId { get; }
    public string EventName { get; }

    /// <summary>The ended run's status, or null when there is no such run.</summary>
    public Journal.RunStatus? RunStatus { get; }
}

/// <summary>A run ended without publishing a value under the key a caller waited for.</summary>
public sealed class PublishedValueNotFoundException : Exception
{
    public PublishedValueNotFoundException(Guid runId, string key, Journal.RunStatus status)
        : base($"Run {runId} ended ({status}) without publishing a value under '{key}'.")
    {
        RunId = runId;
        Key = key;
        RunStatus = status;
    }

    public Guid RunId { get; }
    public string Key { get; }
    public Journal.RunStatus RunStatus { get; }
}

/// <summary>
/// A child run that the workflow awaited ended without a result: it failed, or was cancelled. <see cref="Error"/> is the
/// child's recorded error.
/// </summary>
public sealed class ChildWorkflowFailedException : Exception
{
    public ChildWorkflowFailedException(Guid childRunId, string workflow, Journal.RunStatus status, Journal.ErrorInfo error)
        : base($"Child run {childRunId} of '{workflow}' ended {status}: {error.Message}")
    {
        ChildRunId = childRunId;
        Workflow = workflow;
        Status = status;
        Error = error;
    }

    public Guid ChildRunId { get; }
    public string Workflow { get; }
    public Journal.RunStatus Status { get; }
    public Journal.ErrorInfo Error { get; }
}

/// <summary>
/// The store failed a commit of a run with an error that is neither a refusal of its writes nor its unavailability (a driver
/// fault, a bug): whether the commit was applied is unknown, so the execution was abandoned, not the run. Its claim was given
/// back (or lapses) and the next execution replays the journal. Reported through <see cref="WorkflowEngineOptions.OnBackgroundError"/>.
/// </summary>
public sealed class StoreFaultException(Guid runId, string workflow, Exception inner)
    : Exception($"The store failed a commit of run {runId} ('{workflow}') unexpectedly ({inner.GetType().Name}: {inner.Message}); the execution was abandoned and the run will be replayed from its journal.", inner)
{
    /// <summary>The run whose execution was abandoned.</summary>
    public Guid RunId { get; } = runId;
}
