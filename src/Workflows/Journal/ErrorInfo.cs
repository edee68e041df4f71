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
    /// <summary>Not an error: a skipped step's reason (<see cref="CurrentStep.Skip"/>).</summary>
    Skipped,
    /// <summary>No external event of the awaited name arrived before the wait's timeout.</summary>
    EventTimeout,
    /// <summary>A child run the workflow awaited ended without a result (failed or cancelled).</summary>
    ChildFailed,
}

/// <summary>
/// A structured, journaled error: its kind, message, the CLR exception type and stack, and the exception type's base
/// classes (so that a replay can answer "is it a T?" as the first execution did).
/// </summary>
/// <param name="BaseTypes">The full names of <paramref name="Type"/>'s base classes, nearest first, without <see cref="object"/>, separated by ';'.</param>
public sealed record ErrorInfo(ErrorKind Kind, string Message, string? Type = null, string? StackTrace = null, string? BaseTypes = null)
{
    /// <summary>Captures an exception as an error of the given kind.</summary>
    public static ErrorInfo From(ErrorKind kind, Exception exception)
    {
        var type = exception.GetType();
        var bases = new List<string>();
        for (var parent = type.BaseType; parent is not null && parent != typeof(object); parent = parent.BaseType)
        {
            bases.Add(parent.FullName ?? parent.Name);
        }
        return new(kind, exception.Message, type.FullName, exception.StackTrace, bases.Count == 0 ? null : string.Join(';', bases));
    }

    /// <summary>Whether the recorded exception was of the type named <paramref name="fullName"/> or derived from it.</summary>
    public bool IsOfType(string fullName) =>
        string.Equals(Type, fullName, StringComparison.Ordinal)
        || (BaseTypes is { } bases && bases.Split(';').Contains(fullName, StringComparer.Ordinal));
}
