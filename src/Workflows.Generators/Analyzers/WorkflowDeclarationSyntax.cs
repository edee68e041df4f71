using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Workflows.Generators.Analyzers;

/// <summary>
/// Where declaration diagnostics point: identifiers, return and parameter types, an attribute's name argument. Every
/// lookup falls back to the symbol's own location (or none) rather than throw on half-typed code.
/// </summary>
internal static class WorkflowDeclarationSyntax
{
    /// <summary>Source order: file path, then position. Deterministic whatever order the symbols were analyzed in.</summary>
    public static readonly IComparer<Location> SourceOrder = Comparer<Location>.Create((x, y) =>
    {
        var byPath = string.CompareOrdinal(x.SourceTree?.FilePath ?? "", y.SourceTree?.FilePath ?? "");
        return byPath != 0 ? byPath : x.SourceSpan.Start.CompareTo(y.SourceSpan.Start);
    });

    /// <summary>A symbol's first source location: a type's or method's identifier.</summary>
    public static Location Identifier(ISymbol symbol) => symbol.Locations.FirstOrDefault(l => l.IsInSource) ?? Location.None;

    /// <summary>
    /// The identifier of the declaration that carries <paramref name="attribute"/> (of a type's partial declarations, the
    /// one the user marked), or the type's first location.
    /// </summary>
    public static Location TypeIdentifier(INamedTypeSymbol type, AttributeData? attribute, CancellationToken cancellationToken) =>
        attribute?.ApplicationSyntaxReference?.GetSyntax(cancellationToken).FirstAncestorOrSelf<BaseTypeDeclarationSyntax>() is { } declaration
            ? declaration.Identifier.GetLocation()
            : Identifier(type);

    /// <summary>The written return type of a method or local function.</summary>
    public static Location ReturnType(IMethodSymbol method, CancellationToken cancellationToken) =>
        Declaration(method, cancellationToken) switch
        {
            MethodDeclarationSyntax declaration => declaration.ReturnType.GetLocation(),
            LocalFunctionStatementSyntax declaration => declaration.ReturnType.GetLocation(),
            _ => Identifier(method),
        };

    /// <summary>The whole parameter (modifiers included), for problems of how it is passed.</summary>
    public static Location Parameter(IParameterSymbol parameter, CancellationToken cancellationToken) =>
        Declaration(parameter, cancellationToken) is ParameterSyntax syntax ? syntax.GetLocation() : Identifier(parameter);

    /// <summary>The written type of a parameter, for problems of what it carries.</summary>
    public static Location ParameterType(IParameterSymbol parameter, CancellationToken cancellationToken) =>
        Declaration(parameter, cancellationToken) is ParameterSyntax { Type: { } type } ? type.GetLocation() : Identifier(parameter);

    /// <summary>The expression of an attribute's positional name argument (<c>"charge"</c> in <c>[Step("charge")]</c>).</summary>
    public static Location? NameArgument(AttributeData attribute, CancellationToken cancellationToken) =>
        attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is AttributeSyntax { ArgumentList: { } arguments }
            && arguments.Arguments.FirstOrDefault(a => a.NameEquals is null) is { } argument
            ? argument.Expression.GetLocation()
            : null;

    private static SyntaxNode? Declaration(ISymbol symbol, CancellationToken cancellationToken) =>
        symbol.DeclaringSyntaxReferences.Length > 0 ? symbol.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) : null;
}
