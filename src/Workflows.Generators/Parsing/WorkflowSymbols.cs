using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Workflows.Generators.Common;
using Workflows.Generators.Model;

namespace Workflows.Generators.Parsing;

/// <summary>Questions about workflow and step symbols that the generator and analyzers answer the same way.</summary>
internal static class WorkflowSymbols
{
    public static AttributeData? FindAttribute(ISymbol symbol, string metadataName)
    {
        foreach (var attribute in symbol.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() == metadataName) return attribute;
        }
        return null;
    }

    public static bool IsStep(IMethodSymbol method) => FindAttribute(method, KnownNames.StepAttribute) is not null;

    public static bool IsWorkflow(INamedTypeSymbol type) => FindAttribute(type, KnownNames.WorkflowAttribute) is not null;

    /// <summary>The journal name of a workflow: the attribute's argument, or the class name.</summary>
    public static string WorkflowName(INamedTypeSymbol type) =>
        FindAttribute(type, KnownNames.WorkflowAttribute) is { } attribute && attribute.ConstructorArguments.Length == 1
            && attribute.ConstructorArguments[0].Value is string name
            ? name
            : type.Name;

    /// <summary>The journal name of a step: the attribute's argument, or the method name.</summary>
    public static string StepName(IMethodSymbol method) =>
        FindAttribute(method, KnownNames.StepAttribute) is { } attribute && attribute.ConstructorArguments.Length == 1
            && attribute.ConstructorArguments[0].Value is string name
            ? name
            : method.Name;

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

    public static bool IsCancellationToken(ITypeSymbol type) => type.ToDisplayString() == "System.Threading.CancellationToken";

    /// <summary>
    /// Whether a type and all its containing types are declared partial, non-generic and non-static, and reachable from
    /// a top-level class of the assembly (where interceptors live): what the emitter can extend.
    /// </summary>
    public static bool CanBeExtended(INamedTypeSymbol type)
    {
        if (type.IsGenericType || type.IsStatic || type.IsAbstract || type.TypeKind != TypeKind.Class) return false;
        for (var current = type; current is not null; current = current.ContainingType)
        {
            if (!IsPartial(current) || current.IsGenericType) return false;
            if (current.ContainingType is not null && !IsVisibleInAssembly(current)) return false;
        }
        return true;
    }

    /// <summary>Nested types must be public or internal for generated code outside them to name them.</summary>
    public static bool IsVisibleInAssembly(INamedTypeSymbol type) =>
        type.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal;

    public static bool IsPartial(INamedTypeSymbol type) =>
        type.DeclaringSyntaxReferences.Length > 0
        && type.DeclaringSyntaxReferences.Any(r => r.GetSyntax() is TypeDeclarationSyntax declaration
            && declaration.Modifiers.Any(m => m.Text == "partial"));
}
