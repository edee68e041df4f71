using Workflows.Serialization;

namespace Workflows;

/// <summary>
/// A workflow type as the engine knows it: name, schema version, steps, and how to build and run it.
/// The generator emits one per <c>[Workflow]</c> class as its static <c>Definition</c> property, so the engine
/// never reflects over user types.
/// </summary>
public abstract class WorkflowDefinition
{
    private protected WorkflowDefinition(string name, string schemaVersion, IReadOnlyList<StepDescriptor> steps, string? schemaShape)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(schemaVersion);
        Name = name;
        SchemaVersion = schemaVersion;
        Steps = steps;
        SchemaShape = schemaShape;
    }

    /// <summary>The journal name of the workflow.</summary>
    public string Name { get; }

    /// <summary>A hash of the workflow's step names and signatures; runs remember the one they began under.</summary>
    public string SchemaVersion { get; }

    /// <summary>The steps the workflow declares.</summary>
    public IReadOnlyList<StepDescriptor> Steps { get; }

    /// <summary>
    /// The text <see cref="SchemaVersion"/> is the hash of: one line per signature, step and run type with their shapes.
    /// The journal keeps it per version, so that a schema mismatch can say which step or type changed, and how.
    /// </summary>
    public string? SchemaShape { get; }

    /// <summary>Builds the workflow object and runs it from the journaled input; returns the output as JSON.</summary>
    internal abstract Task<string> ExecuteAsync(WorkflowContext context, string? input, IServiceProvider? services, CancellationToken cancellationToken);

    /// <summary>A typed handle on a run of this workflow.</summary>
    internal abstract WorkflowRun CreateHandle(WorkflowEngine engine, Journal.RunRecord run, bool created);
}

/// <summary>A typed workflow definition: the input and output types of its run method.</summary>
public sealed class WorkflowDefinition<TWorkflow, TInput, TOutput> : WorkflowDefinition where TWorkflow : class
{
    private readonly Func<IServiceProvider?, TWorkflow> _create;
    private readonly Func<TWorkflow, TInput, CancellationToken, Task<TOutput>> _run;

    public WorkflowDefinition(
        string name,
        string schemaVersion,
        IReadOnlyList<StepDescriptor> steps,
        Func<IServiceProvider?, TWorkflow> create,
        Func<TWorkflow, TInput, CancellationToken, Task<TOutput>> run,
        JsonCodec<TInput> inputCodec,
        JsonCodec<TOutput> outputCodec,
        string? schemaShape = null)
        : base(name, schemaVersion, steps, schemaShape)
    {
        _create = create ?? throw new ArgumentNullException(nameof(create));
        _run = run ?? throw new ArgumentNullException(nameof(run));
        InputCodec = inputCodec ?? throw new ArgumentNullException(nameof(inputCodec));
        OutputCodec = outputCodec ?? throw new ArgumentNullException(nameof(outputCodec));
    }

    /// <summary>Writes and reads the run's input.</summary>
    public JsonCodec<TInput> InputCodec { get; }

    /// <summary>Writes and reads the run's output.</summary>
    public JsonCodec<TOutput> OutputCodec { get; }

    /// <summary>The same workflow built by <paramref name="create"/> instead of from the engine's services.</summary>
    public WorkflowDefinition<TWorkflow, TInput, TOutput> WithFactory(Func<IServiceProvider?, TWorkflow> create) =>
        new(Name, SchemaVersion, Steps, create, _run, InputCodec, OutputCodec, SchemaShape);

    /// <summary>The same workflow under another schema, as another build of it would be (for tests of schema changes).</summary>
    internal WorkflowDefinition<TWorkflow, TInput, TOutput> WithSchema(string schemaVersion, string? schemaShape) =>
        new(Name, schemaVersion, Steps, _create, _run, InputCodec, OutputCodec, schemaShape);

    internal override async Task<string> ExecuteAsync(WorkflowContext context, string? input, IServiceProvider? services, CancellationToken cancellationToken)
    {
        TInput value;
        try
        {
            value = InputCodec.Deserialize(input ?? "null", context.Limits);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw context.Park(new JournalPayloadException(context.RunId, 0, "input", e));
        }
        TWorkflow workflow;
        try
        {
            workflow = _create(services);
        }
        catch (Exception e) when (e is not WorkflowConstructionException)
        {
            throw new WorkflowConstructionException(Name, e.Message, e);
        }
        context.Bind(workflow);
        var output = await _run(workflow, value, cancellationToken).ConfigureAwait(false);
        return OutputCodec.Serialize(output, context.Limits);
    }

    internal override WorkflowRun CreateHandle(WorkflowEngine engine, Journal.RunRecord run, bool created) =>
        new WorkflowRun<TOutput>(engine, run, created, json => OutputCodec.Deserialize(json, engine.Options.JournalLimits));
}
