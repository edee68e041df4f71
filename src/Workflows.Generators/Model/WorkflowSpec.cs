using Workflows.Generators.Common;

namespace Workflows.Generators.Model;

// The generator's model: strings, primitives, enums and equatable arrays only, so that every transform's result
// compares by value and the pipeline caches. Types are named by fully qualified names; no ISymbol, SyntaxNode,
// Location or Compilation is held past the first transform (a test walks the model to prove it).

/// <summary>Everything emitted for one [Workflow] class apart from its interceptors.</summary>
internal sealed record WorkflowSpec(
    string HintName,
    string? Namespace,
    EquatableArray<ContainingTypeSpec> ContainingTypes,
    string TypeKeyword,
    string ClassName,
    string FullyQualifiedName,
    string WorkflowName,
    RunSpec? Run,
    EquatableArray<StepSpec> Steps,
    ConstructorSpec? Constructor,
    EquatableArray<TypeShape> Types,
    string SchemaVersion,
    string SchemaShape);

/// <summary>A type that encloses a nested workflow class: its keyword ("class", "record", "struct") and name.</summary>
internal sealed record ContainingTypeSpec(string Keyword, string Name);

/// <summary>The four awaitable returns a step or run method may have.</summary>
internal enum AsyncShape
{
    Task,
    TaskOfT,
    ValueTask,
    ValueTaskOfT,
}

/// <summary>The [WorkflowRun] method: its input (if any), its result (if any) and where the cancellation token goes.</summary>
internal sealed record RunSpec(
    string MethodName,
    AsyncShape Shape,
    string? OutputTypeId,
    EquatableArray<ParameterSpec> Parameters,
    bool InputNullable,
    bool OutputNullable);

/// <summary>One [Step] method with a supported signature and serializable types.</summary>
internal sealed record StepSpec(
    string MethodName,
    string WrapperName,
    string StepName,
    AsyncShape Shape,
    string? ResultTypeId,
    EquatableArray<ParameterSpec> Parameters,
    int MaxAttempts,
    int RetryDelayMilliseconds,
    double BackoffFactor,
    bool ResultNullable);

/// <summary>A parameter of a step or run method. A CancellationToken is passed through, never journaled.</summary>
internal sealed record ParameterSpec(string Name, string TypeId, bool IsCancellationToken);

/// <summary>The constructor the engine builds the workflow with: its parameters are resolved as services.</summary>
internal sealed record ConstructorSpec(EquatableArray<ParameterSpec> Parameters);
