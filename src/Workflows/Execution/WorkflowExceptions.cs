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
        : base($"Run {runId} of '{workflow}' was recorded under schema {recordedVersion}, but the code is schema {currentVersion} ({changes}). " +
               "It was not resumed. To resume it under the new code, resume it with acceptSchemaChange: true.")
    {
        RunId = runId;
        RecordedVersion = recordedVersion;
        CurrentVersion = currentVersion;
    }

    public Guid RunId { get; }
    public string RecordedVersion { get; }
    public string CurrentVersion { get; }
}

/// <summary>A run ended in failure; <see cref="Error"/> is what the journal recorded.</summary>
public sealed class WorkflowRunFailedException : Exception
{
    public WorkflowRunFailedException(Guid runId, string workflow, ErrorInfo error, Exception? inner = null)
        : base($"Run {runId} of '{workflow}' failed ({error.Kind}): {error.Message}", inner)
    {
        RunId = runId;
        Error = error;
    }

    public Guid RunId { get; }
    public ErrorInfo Error { get; }
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
