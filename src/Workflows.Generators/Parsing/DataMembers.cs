using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Workflows.Generators.Parsing;

/// <summary>
/// One public instance member a generated codec writes and reads: a property, or a field (journaled like a settable
/// property; a <c>readonly</c> one through a constructor parameter, as a get-only property is).
/// </summary>
internal sealed class DataMember
{
    private DataMember(ISymbol symbol, ITypeSymbol type)
    {
        Symbol = symbol;
        Type = type;
    }

    public static DataMember Of(IPropertySymbol property) => new(property, property.Type);

    public static DataMember Of(IFieldSymbol field) => new(field, field.Type);

    /// <summary>The property or field.</summary>
    public ISymbol Symbol { get; }

    public string Name => Symbol.Name;

    public ITypeSymbol Type { get; }

    public INamedTypeSymbol ContainingType => Symbol.ContainingType;

    public IPropertySymbol? Property => Symbol as IPropertySymbol;

    /// <summary>A <c>readonly</c> field: set only by a constructor (or its initializer).</summary>
    public bool IsReadOnlyField => Symbol is IFieldSymbol { IsReadOnly: true };

    /// <summary>Assignable from outside after construction or in an object initializer: a public setter or init accessor, or a field that is not readonly.</summary>
    public bool IsSettable => Symbol switch
    {
        IPropertySymbol property => property.SetMethod is { DeclaredAccessibility: Accessibility.Public },
        IFieldSymbol assignable => !assignable.IsReadOnly,
        _ => false,
    };

    /// <summary>Assignable after construction (not only in an object initializer): a public set accessor, or a field that is not readonly.</summary>
    public bool IsAssignableAfterConstruction => Symbol switch
    {
        IPropertySymbol property => property.SetMethod is { DeclaredAccessibility: Accessibility.Public, IsInitOnly: false },
        IFieldSymbol assignable => !assignable.IsReadOnly,
        _ => false,
    };

    /// <summary>Declared <c>required</c>.</summary>
    public bool IsRequiredMember => Symbol is IPropertySymbol { IsRequired: true } or IFieldSymbol { IsRequired: true };

    /// <summary>The initializer declared in source (<c>{ get; init; } = value;</c>, <c>public int Count = 1;</c>), if any.</summary>
    public ExpressionSyntax? Initializer
    {
        get
        {
            foreach (var reference in Symbol.DeclaringSyntaxReferences)
            {
                switch (reference.GetSyntax())
                {
                    case PropertyDeclarationSyntax { Initializer.Value: { } value }: return value;
                    case VariableDeclaratorSyntax { Initializer.Value: { } value }: return value;
                }
            }
            return null;
        }
    }

    /// <summary>
    /// Declared in source as plain storage with no value of its own: an auto-property or a field without an
    /// initializer. Only such a member of a non-nullable type can be required of a payload (nothing else gives it a value).
    /// </summary>
    public bool IsUninitializedStorage
    {
        get
        {
            if (Symbol.DeclaringSyntaxReferences.Length == 0) return false;
            foreach (var reference in Symbol.DeclaringSyntaxReferences)
            {
                switch (reference.GetSyntax())
                {
                    case VariableDeclaratorSyntax declarator:
                        if (declarator.Initializer is not null) return false;
                        break;
                    case PropertyDeclarationSyntax declaration:
                        if (declaration.Initializer is not null || declaration.ExpressionBody is not null || declaration.AccessorList is null) return false;
                        foreach (var accessor in declaration.AccessorList.Accessors)
                        {
                            if (accessor.Body is not null || accessor.ExpressionBody is not null) return false; // not an auto-property
                        }
                        break;
                    default:
                        return false;
                }
            }
            return true;
        }
    }
}

/// <summary>
/// Which members of a type the journal keeps: its public instance properties and fields, and, for a get-only view
/// that keeps nothing itself, the non-public state it reads (which the journal does not keep).
/// </summary>
internal static class DataMembers
{
    /// <summary>How deep <see cref="HiddenStateOf(IPropertySymbol)"/> follows non-public computed properties read by a view.</summary>
    private const int MaxViewDepth = 4;

    /// <summary>
    /// The public instance properties (with a public getter, not indexers) and fields (neither <c>const</c> nor
    /// <c>static</c>) of <paramref name="type"/> and its base types, a derived member hiding a base one of its name.
    /// </summary>
    public static List<DataMember> Public(INamedTypeSymbol type)
    {
        var result = new List<DataMember>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var current = type; current is not null && current.SpecialType != SpecialType.System_Object && current.SpecialType != SpecialType.System_ValueType; current = current.BaseType)
        {
            foreach (var member in current.GetMembers())
            {
                if (member.IsStatic || member.IsImplicitlyDeclared || member.DeclaredAccessibility != Accessibility.Public) continue;
                switch (member)
                {
                    case IPropertySymbol { IsIndexer: false, GetMethod.DeclaredAccessibility: Accessibility.Public } property when seen.Add(property.Name):
                        result.Add(DataMember.Of(property));
                        break;
                    case IFieldSymbol { IsConst: false, AssociatedSymbol: null } field when seen.Add(field.Name):
                        result.Add(DataMember.Of(field));
                        break;
                }
            }
        }
        return result;
    }

    /// <summary>A get-only property of source code with no backing field is computed from other state: nothing of its own to keep.</summary>
    public static bool IsComputed(IPropertySymbol property)
    {
        if (property.SetMethod is not null || property.Locations.All(l => !l.IsInSource)) return false;
        return !property.ContainingType.GetMembers().OfType<IFieldSymbol>()
            .Any(f => SymbolEqualityComparer.Default.Equals(f.AssociatedSymbol, property));
    }

    /// <summary>
    /// The non-public state a computed property's getter reads (<c>public IReadOnlyList&lt;Item&gt; Items =&gt; _items;</c>),
    /// described for a message ("the private field '_items'"), or null when it reads only what the journal keeps.
    /// </summary>
    /// <remarks>
    /// State is a non-public instance field or auto-property of the property's type that something after construction
    /// can change: one that is not <c>readonly</c> (or has a setter), or one of a collection type, whose content can
    /// change whatever the field's modifiers. A <c>readonly</c> field of another type holds what construction gave it,
    /// which a replay's construction gives it again; a field that a public set or init accessor writes is the storage
    /// of a journaled property, restored through it. Non-public computed properties the getter reads are followed a
    /// few levels deep; methods it calls are not. The syntax is read, not the semantic model, so the generator and the
    /// analyzers decide alike.
    /// </remarks>
    public static string? HiddenStateOf(IPropertySymbol property) => HiddenStateOf(property, new HashSet<string>(StringComparer.Ordinal), 0);

    private static string? HiddenStateOf(IPropertySymbol property, HashSet<string> visited, int depth)
    {
        if (depth > MaxViewDepth || !visited.Add(property.Name)) return null;
        var type = property.ContainingType;
        foreach (var body in GetterBodies(property))
        {
            foreach (var name in body.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>())
            {
                if (!ReadsOwnMember(name)) continue;
                foreach (var member in type.GetMembers(name.Identifier.ValueText))
                {
                    if (member.IsStatic || member.DeclaredAccessibility == Accessibility.Public) continue;
                    switch (member)
                    {
                        case IFieldSymbol { IsConst: false } field when field.AssociatedSymbol is null && IsChangeable(field.IsReadOnly, field.Type)
                            && !IsBackingFieldOfSettable(type, field.Name):
                            return $"the {AccessibilityOf(field)} field '{field.Name}'";
                        case IPropertySymbol { IsIndexer: false } hidden when IsAutoProperty(hidden):
                            if (IsChangeable(hidden.SetMethod is null, hidden.Type)) return $"the {AccessibilityOf(hidden)} property '{hidden.Name}'";
                            break;
                        case IPropertySymbol { IsIndexer: false } computed when IsComputed(computed):
                            if (HiddenStateOf(computed, visited, depth + 1) is { } inner) return inner;
                            break;
                    }
                }
            }
        }
        return null;
    }

    /// <summary>
    /// Whether a public set or init accessor of the type writes the field (<c>set =&gt; _celsius = value;</c>): the field
    /// is then the hand-written storage of a journaled property, and reading it back through that property restores it.
    /// </summary>
    private static bool IsBackingFieldOfSettable(INamedTypeSymbol type, string fieldName)
    {
        foreach (var property in type.GetMembers().OfType<IPropertySymbol>())
        {
            if (property.IsStatic || property.DeclaredAccessibility != Accessibility.Public
                || property.SetMethod is not { DeclaredAccessibility: Accessibility.Public }) continue;
            foreach (var reference in property.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax() is not PropertyDeclarationSyntax { AccessorList: { } accessors }) continue;
                foreach (var accessor in accessors.Accessors)
                {
                    if (accessor.Keyword.ValueText is not ("set" or "init")) continue;
                    SyntaxNode? body = (SyntaxNode?)accessor.Body ?? accessor.ExpressionBody;
                    if (body is null) continue;
                    foreach (var assignment in body.DescendantNodesAndSelf().OfType<AssignmentExpressionSyntax>())
                    {
                        if (assignment.Left is IdentifierNameSyntax { Identifier.ValueText: var name } && name == fieldName) return true;
                        if (assignment.Left is MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name.Identifier.ValueText: var member } && member == fieldName) return true;
                    }
                }
            }
        }
        return false;
    }

    /// <summary>Whether state can change after construction: it is writable, or a collection whose content can change.</summary>
    private static bool IsChangeable(bool isReadOnly, ITypeSymbol type) => !isReadOnly || IsCollection(type);

    private static bool IsCollection(ITypeSymbol type)
    {
        if (type.SpecialType == SpecialType.System_String) return false;
        if (type is IArrayTypeSymbol) return true;
        if (type.SpecialType == SpecialType.System_Collections_IEnumerable) return true;
        return type.AllInterfaces.Any(i => i.SpecialType == SpecialType.System_Collections_IEnumerable);
    }

    private static bool IsAutoProperty(IPropertySymbol property) =>
        property.ContainingType.GetMembers().OfType<IFieldSymbol>().Any(f => SymbolEqualityComparer.Default.Equals(f.AssociatedSymbol, property));

    private static string AccessibilityOf(ISymbol symbol) => symbol.DeclaredAccessibility switch
    {
        Accessibility.Private => "private",
        Accessibility.Protected => "protected",
        Accessibility.Internal => "internal",
        Accessibility.ProtectedOrInternal => "protected internal",
        Accessibility.ProtectedAndInternal => "private protected",
        _ => "non-public",
    };

    /// <summary>The expression body or get accessor body of a property declared in source.</summary>
    private static IEnumerable<SyntaxNode> GetterBodies(IPropertySymbol property)
    {
        foreach (var reference in property.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is not PropertyDeclarationSyntax declaration) continue;
            if (declaration.ExpressionBody is { } expression) yield return expression;
            if (declaration.AccessorList is null) continue;
            foreach (var accessor in declaration.AccessorList.Accessors)
            {
                if (accessor.Keyword.ValueText != "get") continue;
                if (accessor.Body is { } block) yield return block;
                if (accessor.ExpressionBody is { } arrow) yield return arrow;
            }
        }
    }

    /// <summary>
    /// Whether an identifier names a member of the object itself: a simple name (<c>_items</c>) or one reached through
    /// <c>this.</c>, not a member of something else (<c>other._items</c>, <c>x?._items</c>) nor a named argument.
    /// </summary>
    private static bool ReadsOwnMember(IdentifierNameSyntax name) => name.Parent switch
    {
        MemberAccessExpressionSyntax access when access.Name == name => access.Expression is ThisExpressionSyntax or BaseExpressionSyntax,
        MemberBindingExpressionSyntax => false,
        NameColonSyntax or NameEqualsSyntax => false,
        QualifiedNameSyntax => false,
        _ => true,
    };
}
