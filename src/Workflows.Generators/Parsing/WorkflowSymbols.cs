using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Workflows.Generators.Common;
using Workflows.Generators.Model;

namespace Workflows.Generators.Parsing;

/// <summary>Questions about workflow and step symbols that the generator and analyzers answer the same way.</summary>
internal static class WorkflowSymbols
{
    /// <summary>The attribute of <paramref name="symbol"/> whose class has this name (the generator: no compilation-wide state).</summary>
    public static AttributeData? FindAttribute(ISymbol symbol, string metadataName)
    {
        foreach (var attribute in symbol.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() == metadataName) return attribute;
        }
        return null;
    }

    /// <summary>The attribute of <paramref name="symbol"/> of exactly this class (analyzers, which resolve it once per compilation).</summary>
    public static AttributeData? FindAttribute(ISymbol symbol, INamedTypeSymbol attributeClass)
    {
        foreach (var attribute in symbol.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, attributeClass)) return attribute;
        }
        return null;
    }

    public static bool IsStep(IMethodSymbol method) => FindAttribute(method, KnownNames.StepAttribute) is not null;

    public static bool IsWorkflow(INamedTypeSymbol type) => FindAttribute(type, KnownNames.WorkflowAttribute) is not null;

    /// <summary>The journal name of a workflow: the attribute's argument, or the class name.</summary>
    public static string WorkflowName(INamedTypeSymbol type) => WorkflowName(type, FindAttribute(type, KnownNames.WorkflowAttribute));

    /// <summary>The journal name of a workflow given its [Workflow] attribute.</summary>
    public static string WorkflowName(INamedTypeSymbol type, AttributeData? attribute) => ExplicitName(attribute) ?? type.Name;

    /// <summary>The journal name of a step: the attribute's argument, or the method name.</summary>
    public static string StepName(IMethodSymbol method) => StepName(method, FindAttribute(method, KnownNames.StepAttribute));

    /// <summary>The journal name of a step given its [Step] attribute.</summary>
    public static string StepName(IMethodSymbol method, AttributeData? attribute) => ExplicitName(attribute) ?? method.Name;

    /// <summary>The name a [Workflow] or [Step] attribute gives explicitly, or null when the name defaults to the member's.</summary>
    public static string? ExplicitName(AttributeData? attribute) =>
        attribute is not null && attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string name
            ? name
            : null;

    /// <summary>The longest step or workflow name the journal stores.</summary>
    public const int MaxNameLength = 100;

    /// <summary>Why a step or workflow name cannot be stored and compared on replay, or null when it can.</summary>
    public static string? NameProblem(string name)
    {
        if (name.Length == 0) return "it is empty";
        if (string.IsNullOrWhiteSpace(name)) return "it is only white space";
        if (name.Length > MaxNameLength)
        {
            return $"it is {name.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)} characters long; the limit is {MaxNameLength.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        }
        foreach (var c in name)
        {
            if (char.IsControl(c)) return $"it contains the control character U+{((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture)}";
        }
        return null;
    }

    /// <summary>
    /// The name of the generated wrapper a step's calls are routed to; overloads are told apart by their position
    /// among the type's steps of that name.
    /// </summary>
    public static string WrapperName(IMethodSymbol step)
    {
        var overloads = step.ContainingType.GetMembers(step.Name).OfType<IMethodSymbol>().Where(IsStep).ToList();
        var index = overloads.FindIndex(m => SymbolEqualityComparer.Default.Equals(m, step.OriginalDefinition));
        // The ordinal always ends the name, after the last underscore, so no two steps' wrappers can collide
        // (Send overload 1 is __Workflows_Send_1, a method Send_1 is __Workflows_Send_1_0).
        return "__Workflows_" + step.Name + "_" + (index < 0 ? 0 : index).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The awaitable shape of a return type, or null when it is not one the journal supports.</summary>
    public static AsyncShape? ShapeOf(ITypeSymbol returnType)
    {
        if (returnType is not INamedTypeSymbol named) return null;
        var name = named.OriginalDefinition.ToDisplayString();
        return name switch
        {
            "System.Threading.Tasks.Task" => AsyncShape.Task,
            "System.Threading.Tasks.Task<TResult>" => AsyncShape.TaskOfT,
            "System.Threading.Tasks.ValueTask" => AsyncShape.ValueTask,
            "System.Threading.Tasks.ValueTask<TResult>" => AsyncShape.ValueTaskOfT,
            _ => null,
        };
    }

    /// <summary>The result type of an awaitable with a value, or null for Task and ValueTask.</summary>
    public static ITypeSymbol? ResultOf(ITypeSymbol returnType, AsyncShape shape) =>
        shape is AsyncShape.TaskOfT or AsyncShape.ValueTaskOfT ? ((INamedTypeSymbol)returnType).TypeArguments[0] : null;

    /// <summary>The <c>Workflow</c> methods whose type argument is journaled with a codec found in <c>JsonCodecRegistry</c>.</summary>
    public static readonly IReadOnlyCollection<string> EventMethodNames = new[] { "WaitForEventAsync", "TryWaitForEventAsync", "SetEventAsync" };

    /// <summary>
    /// The journaled type of a call of <c>Workflow.WaitForEventAsync&lt;T&gt;</c>, <c>TryWaitForEventAsync&lt;T&gt;</c> or
    /// <c>SetEventAsync&lt;T&gt;</c> without a codec argument (the overloads whose codec comes from the registry, which
    /// the generated code fills): T, as the call uses it. Null for anything else, and for a T that is (or holds) a type
    /// parameter or a type the compiler could not resolve: no codec can be generated for it here.
    /// </summary>
    public static ITypeSymbol? EventTypeOf(IMethodSymbol? method)
    {
        if (method is null || !method.IsStatic || method.TypeArguments.Length != 1 || !EventMethodNames.Contains(method.Name)) return null;
        if (method.ContainingType is not { Name: "Workflow", ContainingType: null } api || api.ToDisplayString() != KnownNames.WorkflowApi) return null;
        foreach (var parameter in method.Parameters)
        {
            if (parameter.Type is INamedTypeSymbol { IsGenericType: true } named
                && named.OriginalDefinition.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) == "global::Workflows.Serialization.JsonCodec<T>")
            {
                return null;
            }
        }
        var type = method.TypeArguments[0];
        return IsOpenOrUnresolved(type) ? null : type;
    }

    private static bool IsOpenOrUnresolved(ITypeSymbol type) => type switch
    {
        { TypeKind: TypeKind.Error or TypeKind.TypeParameter } => true,
        IArrayTypeSymbol array => IsOpenOrUnresolved(array.ElementType),
        IPointerTypeSymbol or IFunctionPointerTypeSymbol or IDynamicTypeSymbol => false,
        INamedTypeSymbol named => named.TypeArguments.Any(IsOpenOrUnresolved) || (named.ContainingType is { } outer && IsOpenOrUnresolved(outer)),
        _ => false,
    };

    public static bool IsCancellationToken(ITypeSymbol type) => type.ToDisplayString() == "System.Threading.CancellationToken";

    /// <summary>
    /// Whether a type and all its containing types are declared partial, non-generic and non-static, and reachable from
    /// a top-level class of the assembly (where interceptors live) and from another file: what the emitter can extend.
    /// </summary>
    public static bool CanBeExtended(INamedTypeSymbol type) => ExtensionProblems(type).Count == 0;

    /// <summary>
    /// Why the emitter cannot extend <paramref name="type"/>, each as a phrase after the class name ("is not partial"),
    /// or nothing when it can. <see cref="CanBeExtended"/> is this list being empty, so the generator skips exactly
    /// the classes an analyzer reports.
    /// </summary>
    public static List<string> ExtensionProblems(INamedTypeSymbol type)
    {
        var problems = new List<string>();
        if (type.TypeKind != TypeKind.Class) problems.Add("is not a class");
        if (!IsPartial(type)) problems.Add("is not partial");
        if (type.Arity > 0) problems.Add("is generic");
        if (type.IsStatic) problems.Add("is static");
        if (type.IsAbstract && !type.IsStatic) problems.Add("is abstract");
        if (type.IsFileLocal) problems.Add("is file-local");
        if (type.ContainingType is not null && !IsVisibleInAssembly(type))
        {
            problems.Add($"is {AccessibilityText(type.DeclaredAccessibility)} (a nested workflow must be public or internal)");
        }
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            if (!IsPartial(outer)) problems.Add($"is nested in '{DisplayOf(outer)}', which is not partial");
            if (outer.Arity > 0) problems.Add($"is nested in '{DisplayOf(outer)}', which is generic");
            if (outer.IsFileLocal) problems.Add($"is nested in '{DisplayOf(outer)}', which is file-local");
            if (outer.ContainingType is not null && !IsVisibleInAssembly(outer))
            {
                problems.Add($"is nested in '{DisplayOf(outer)}', which is {AccessibilityText(outer.DeclaredAccessibility)}");
            }
        }
        return problems;
    }

    private static string DisplayOf(INamedTypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);

    private static string AccessibilityText(Accessibility accessibility) => accessibility switch
    {
        Accessibility.Private => "private",
        Accessibility.Protected => "protected",
        Accessibility.ProtectedAndInternal => "private protected",
        _ => "not public or internal",
    };

    /// <summary>Nested types must be public or internal for generated code outside them to name them.</summary>
    public static bool IsVisibleInAssembly(INamedTypeSymbol type) =>
        type.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal;

    public static bool IsPartial(INamedTypeSymbol type) =>
        type.DeclaringSyntaxReferences.Length > 0
        && type.DeclaringSyntaxReferences.Any(r => r.GetSyntax() is TypeDeclarationSyntax declaration
            && declaration.Modifiers.Any(m => m.Text == "partial"));
}
