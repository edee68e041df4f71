using Microsoft.CodeAnalysis;

namespace Workflows.Generators.Diagnostics;

/// <summary>
/// Every diagnostic the Workflows analyzers report. Ids are stable forever; each has a page under
/// docs/diagnostics/ with the wrong code, the right code and why, and the descriptor's help link points to it.
/// </summary>
public static class DiagnosticDescriptors
{
    /// <summary>Where the rule pages live; a descriptor's help link is this plus "WFxxxx.md".</summary>
    public const string HelpLinkBase = "https://github.com/workflows-dotnet/workflows/blob/main/docs/diagnostics/";

    private const string Design = "Workflows.Design";
    private const string Serialization = "Workflows.Serialization";
    private const string Determinism = "Workflows.Determinism";
    private const string Usage = "Workflows.Usage";

    public static readonly DiagnosticDescriptor DuplicateStepName = Create(
        "WF0001", Design, DiagnosticSeverity.Error,
        "Duplicate step name",
        "Step name '{0}' of '{1}' is already used by '{2}' in workflow '{3}'; replay tells steps apart by name",
        "Two steps of one workflow share a journal name (explicit or defaulted from the method name, overloads included). Replay checks each recorded step by name, so the names must be unique.");

    public static readonly DiagnosticDescriptor StepResultNotSerializable = Create(
        "WF0002", Serialization, DiagnosticSeverity.Error,
        "Step result cannot round-trip through the journal",
        "The result of step '{0}' cannot round-trip through the journal: {1}",
        "A step's result is journaled and handed back on replay; a type that cannot be rebuilt exactly would replay as a different value.");

    public static readonly DiagnosticDescriptor ValueNotSerializable = Create(
        "WF0003", Serialization, DiagnosticSeverity.Error,
        "Step parameter or run input/result cannot round-trip through the journal",
        "{0} cannot round-trip through the journal: {1}",
        "Step parameters and the run method's input and result are journaled; a type that cannot be rebuilt exactly would be lost on resume.");

    public static readonly DiagnosticDescriptor InvalidWorkflowClass = Create(
        "WF0004", Design, DiagnosticSeverity.Error,
        "Invalid workflow class",
        "Workflow class '{0}' {1}",
        "The generator extends a workflow class with its definition and step wrappers: the class must be partial (as must every type it is nested in), and not generic, static or abstract.");

    public static readonly DiagnosticDescriptor InvalidStepSignature = Create(
        "WF0005", Design, DiagnosticSeverity.Error,
        "Invalid step signature",
        "Step '{0}' has an invalid signature: {1}",
        "A step returns Task, Task<T>, ValueTask or ValueTask<T>, takes its inputs by value, and is a non-generic instance method.");

    public static readonly DiagnosticDescriptor InvalidRunMethod = Create(
        "WF0006", Design, DiagnosticSeverity.Error,
        "Missing or invalid [WorkflowRun] method",
        "Workflow '{0}' {1}",
        "A workflow has exactly one [WorkflowRun] method: an instance method with at most one input besides a CancellationToken, returning Task, Task<T>, ValueTask or ValueTask<T>.");

    public static readonly DiagnosticDescriptor NonDeterministicCode = Create(
        "WF0007", Determinism, DiagnosticSeverity.Warning,
        "Non-deterministic code in a workflow",
        "{0} is not deterministic{1}; on replay it gives a different result. {2}",
        "Workflow code outside steps runs again on every replay and must give the same results each time. Move the call into a step, or use the Workflow API, which records the value.");

    public static readonly DiagnosticDescriptor StepNotRecordable = Create(
        "WF0008", Usage, DiagnosticSeverity.Warning,
        "Step used where it cannot be recorded",
        "Step '{0}' is {1}; only a direct call from its own workflow is journaled",
        "Calls of a step are intercepted only where the workflow's own code calls it directly. Used as a delegate, through reflection or from another class, the body runs without being journaled.");

    public static readonly DiagnosticDescriptor DurableOperationInStep = Create(
        "WF0009", Usage, DiagnosticSeverity.Error,
        "Durable operation inside a step body",
        "{0} inside the body of step '{1}' would not be journaled; call it from the workflow's run method",
        "A step body is journaled as one unit; steps and recording Workflow APIs (clock, guids, timers, events, published values, Random, child workflows) called inside it would run again on every retry and never be replayed.");

    public static readonly DiagnosticDescriptor InvalidName = Create(
        "WF0010", Design, DiagnosticSeverity.Error,
        "Invalid step or workflow name",
        "{0} name '{1}' is invalid: {2}",
        "Names are stored in the journal and compared on replay: they must be 1 to 100 characters, not white space only, with no control characters.");

    public static readonly DiagnosticDescriptor DuplicateWorkflowName = Create(
        "WF0011", Design, DiagnosticSeverity.Error,
        "Duplicate workflow name",
        "Workflow name '{0}' of '{1}' is already used by '{2}'",
        "The engine finds a run's workflow by name; two workflows with one name would resume each other's runs.",
        // Reported once every workflow of the compilation has been seen.
        WellKnownDiagnosticTags.CompilationEnd);

    public static readonly DiagnosticDescriptor StepMutatesWorkflowState = Create(
        "WF0012", Usage, DiagnosticSeverity.Warning,
        "Step body changes workflow state",
        "Step '{0}' assigns {1}, and the change is lost on replay; return the value from the step instead",
        "On replay a step's body does not run, so anything it assigns besides its result is missing afterwards. Return the value and assign it in the workflow.");

    public static readonly DiagnosticDescriptor CatchMissesStepFailure = Create(
        "WF0013", Usage, DiagnosticSeverity.Warning,
        "Catch clause can never catch a step's failure",
        "catch ({0}) can never catch the failure of {1}: a step's failure arrives as StepFailedException; use catch (StepFailedException {2}) when ({2}.Is<{0}>())",
        "In workflow code a step's failure always arrives as StepFailedException, on the first execution and on replay alike (a replay cannot rebuild the original exception object). A catch of the step's own exception type around the call never runs; catch StepFailedException and ask StepFailedException.Is<T>() in a filter.");

    public static readonly DiagnosticDescriptor CurrentStepOutsideStep = Create(
        "WF0014", Usage, DiagnosticSeverity.Warning,
        "CurrentStep used outside a step body",
        "CurrentStep.{0} is used in {1}, outside any step body, where it throws at run time; use it inside a [Step] method",
        "CurrentStep describes the step whose body is running (its attempt, idempotency key, usage, debug messages, skip). Workflow code between steps has no current step: there CurrentStep.ReportUsage, Debug, Skip, Attempt, IdempotencyKey and Name throw InvalidOperationException. CurrentStep.IsRunning may be asked anywhere.");

    public static readonly DiagnosticDescriptor IoOutsideStep = Create(
        "WF0015", Determinism, DiagnosticSeverity.Warning,
        "I/O call in workflow code outside a step",
        "'{0}' is I/O on {1} in workflow code{2}: it runs again on every replay; move it into a [Step] method",
        "Workflow code outside steps runs again on every replay: a call of an injected service (a constructor parameter of the workflow, or a field or property set from one) or of an I/O type (a stream, an HttpClient, a database connection or command) there charges, sends or writes again each time, and may return something else. Call it inside a [Step] method, whose result is journaled and replayed.");

    private static DiagnosticDescriptor Create(string id, string category, DiagnosticSeverity severity, string title, string message, string description, params string[] customTags) =>
        new(id, title, message, category, severity, isEnabledByDefault: true, description: description, helpLinkUri: HelpLinkBase + id + ".md", customTags: customTags);
}
