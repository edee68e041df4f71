using Microsoft.CodeAnalysis;
using Workflows.Generators.Parsing;

namespace Workflows.Generators.Analyzers;

/// <summary>
/// The signature rules a step and a [WorkflowRun] method share, phrased for messages. They mirror what
/// <see cref="WorkflowParser"/> leaves out of the model (static, generic, not awaitable, inputs not passed by value):
/// a method these rules accept is one the generator wraps, as far as its signature goes.
/// </summary>
internal static class WorkflowDeclarationSignatures
{
    /// <summary>Why the method as a whole cannot be wrapped, or null. The first problem found; parameters are separate.</summary>
    public static string? MethodProblem(IMethodSymbol method)
    {
        if (method.MethodKind != MethodKind.Ordinary) return $"it is {KindText(method.MethodKind)}, not an ordinary method of the workflow class";
        if (method.IsStatic) return "it is static; it must be an instance method of the workflow";
        if (method.IsGenericMethod) return "it is generic; the journal needs concrete types";
        if (method.IsAbstract) return "it is abstract; there is no body to run";
        if (WorkflowSymbols.ShapeOf(method.ReturnType) is null && method.ReturnType.TypeKind != TypeKind.Error)
        {
            return method.IsAsync && method.ReturnsVoid
                ? "it is async void; return Task or ValueTask so that its completion can be awaited and recorded"
                : $"it returns '{SerializableTypes.DisplayOf(method.ReturnType)}', not Task, Task<T>, ValueTask or ValueTask<T>";
        }
        return null;
    }

    /// <summary>Why a parameter cannot be journaled by value (how it is passed, or a type that cannot leave the stack), or null.</summary>
    public static string? ParameterProblem(IParameterSymbol parameter)
    {
        var problem = parameter.RefKind switch
        {
            RefKind.None => null,
            RefKind.Ref => "is passed by ref",
            RefKind.Out => "is an out parameter",
            RefKind.In => "is passed by in",
            _ => "is passed by reference",
        };
        problem ??= parameter.IsParams ? "is params"
            : parameter.Type is IPointerTypeSymbol or IFunctionPointerTypeSymbol ? "is a pointer"
            : parameter.Type.IsRefLikeType ? $"is a ref struct ('{SerializableTypes.DisplayOf(parameter.Type)}')"
            : null;
        return problem is null ? null : $"parameter '{parameter.Name}' {problem}; inputs are journaled by value";
    }

    /// <summary>Whether the parameter is journaled: everything but a CancellationToken.</summary>
    public static bool IsJournaled(IParameterSymbol parameter) => !WorkflowSymbols.IsCancellationToken(parameter.Type);

    private static string KindText(MethodKind kind) => kind switch
    {
        MethodKind.PropertyGet or MethodKind.PropertySet => "a property accessor",
        MethodKind.EventAdd or MethodKind.EventRemove or MethodKind.EventRaise => "an event accessor",
        MethodKind.UserDefinedOperator or MethodKind.Conversion => "an operator",
        MethodKind.ExplicitInterfaceImplementation => "an explicit interface implementation",
        MethodKind.Destructor => "a finalizer",
        MethodKind.LocalFunction => "a local function",
        MethodKind.AnonymousFunction => "a lambda",
        _ => "a special method",
    };
}
