using Workflows.Generators.Common;

namespace Workflows.Generators.Model;

// The generator's model: strings, primitives, enums and equatable arrays only, so that every transform's result
// compares by value and the pipeline caches. Types are named by fully qualified names; no ISymbol, SyntaxNode,
// Location or Compilation is held past the first transform (a test walks the model to prove it).

/// <summary>Everything emitted for one [Workflow] class apart from its interceptors.</summary>
/// <param name="EventTypeIds">
/// The shape ids of the payload and published-value types of the workflow's <c>Workflow.WaitForEventAsync&lt;T&gt;</c>,
/// <c>TryWaitForEventAsync&lt;T&gt;</c> and <c>SetEventAsync&lt;T&gt;</c> calls (the overloads without a codec), ordinal order.
/// </param>
/// <param name="RegistersCodecs">
/// The consumer has <c>ModuleInitializerAttribute</c> and <c>JsonCodecRegistry</c>: the generated file registers its codecs.
/// </param>
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
    string SchemaShape,
    EquatableArray<string> EventTypeIds = default,
    bool RegistersCodecs = true);

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
