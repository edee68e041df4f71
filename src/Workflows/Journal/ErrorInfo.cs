namespace Workflows.Journal;

/// <summary>Why a step or run failed, in the categories the journal distinguishes.</summary>
public enum ErrorKind
{
    /// <summary>A step's body threw on its last allowed attempt.</summary>
    StepFailed,
    /// <summary>Workflow code outside any step threw.</summary>
    WorkflowFailed,
    /// <summary>The run passed its deadline (<see cref="StartOptions.Timeout"/>).</summary>
    Timeout,
    /// <summary>The run was cancelled; the message says who asked and why.</summary>
    Cancelled,
    /// <summary>The code called a different step than the journal recorded at that sequence number.</summary>
    NonDeterminism,
    /// <summary>The run was recorded under another schema version of the workflow.</summary>
    SchemaMismatch,
    /// <summary>A journaled payload could not be read or written.</summary>
    Serialization,
    /// <summary>A fault of the engine or store.</summary>
    Internal,
    /// <summary>The workflow object could not be built: a constructor service is missing.</summary>
    MissingService,
    /// <summary>A step's attempts were cut short by crashes or stops more often than allowed: its body may be what kills the process.</summary>
    Interrupted,
}

/// <summary>A structured, journaled error: its kind, message, the CLR exception type and stack.</summary>
public sealed record ErrorInfo(ErrorKind Kind, string Message, string? Type = null, string? StackTrace = null)
{
    /// <summary>Captures an exception as an error of the given kind.</summary>
    public static ErrorInfo From(ErrorKind kind, Exception exception) =>
        new(kind, exception.Message, exception.GetType().FullName, exception.StackTrace);
}
