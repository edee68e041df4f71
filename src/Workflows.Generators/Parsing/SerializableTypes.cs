using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Workflows.Generators.Common;
using Workflows.Generators.Model;

namespace Workflows.Generators.Parsing;

/// <summary>
/// The one model of what can round-trip exactly through the journal, shared by the generator (which emits codecs
/// for what it accepts) and the analyzers (which report what it rejects, with the member path and the reason).
/// </summary>
internal sealed class SerializableTypes
{
    private static readonly SymbolDisplayFormat s_fullName = SymbolDisplayFormat.FullyQualifiedFormat
        .WithMiscellaneousOptions(SymbolDisplayFormat.FullyQualifiedFormat.MiscellaneousOptions
            & ~SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    private static readonly SymbolDisplayFormat s_annotatedName = SymbolDisplayFormat.FullyQualifiedFormat
        .WithMiscellaneousOptions(SymbolDisplayFormat.FullyQualifiedFormat.MiscellaneousOptions
            | SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    private static readonly SymbolDisplayFormat s_shortName = SymbolDisplayFormat.MinimallyQualifiedFormat
        .WithMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.UseSpecialTypes | SymbolDisplayMiscellaneousOptions.ExpandNullable);

    private readonly Dictionary<string, TypeShape> _shapes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _rejected = new(StringComparer.Ordinal);
    private readonly HashSet<string> _inProgress = new(StringComparer.Ordinal);
    private readonly string? _jsonContext;
    private readonly string? _jsonContextProblem;
    private readonly HashSet<string> _jsonContextTypes = new(StringComparer.Ordinal);
    private readonly Compilation? _compilation;

    /// <summary>
    /// A model for one workflow; <paramref name="jsonContext"/> is its own JsonSerializerContext, if it names one;
    /// <paramref name="compilation"/>, when given, evaluates property initializers (a member's declared default).
    /// </summary>
    public SerializableTypes(INamedTypeSymbol? jsonContext = null, Compilation? compilation = null)
    {
        _compilation = compilation;
        if (jsonContext is null) return;
        _jsonContext = IdOf(jsonContext);
        if (!InheritsFrom(jsonContext, "System.Text.Json.Serialization.JsonSerializerContext"))
        {
            _jsonContextProblem = $"'{DisplayOf(jsonContext)}' is not a JsonSerializerContext";
            return;
        }
        foreach (var attribute in jsonContext.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() == "System.Text.Json.Serialization.JsonSerializableAttribute"
                && attribute.ConstructorArguments.Length > 0
                && attribute.ConstructorArguments[0].Value is ITypeSymbol declared)
            {
                _jsonContextTypes.Add(IdOf(declared));
            }
        }
    }

    /// <summary>The JsonSerializerContext a workflow names in <c>[Workflow(JsonSerializerContext = typeof(...))]</c>, if any.</summary>
    public static INamedTypeSymbol? JsonContextOf(INamedTypeSymbol workflow)
    {
        foreach (var attribute in workflow.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() != "Workflows.WorkflowAttribute") continue;
            foreach (var argument in attribute.NamedArguments)
            {
                if (argument.Key == "JsonSerializerContext" && argument.Value.Value is INamedTypeSymbol context) return context;
            }
        }
        return null;
    }

    /// <summary>Every shape accepted so far, in ordinal order of id.</summary>
    public EquatableArray<TypeShape> Shapes
    {
        get
        {
            // A type accepted inside a cycle whose outer type was rejected later would refer to a missing codec: prune.
            var kept = new Dictionary<string, TypeShape>(_shapes, StringComparer.Ordinal);
            bool pruned;
            do
            {
                pruned = false;
                foreach (var shape in kept.Values.ToList())
                {
                    var references = shape.ElementId is { } element ? new[] { element } : shape.Properties.Select(p => p.TypeId);
                    if (references.Any(r => !kept.ContainsKey(r)))
                    {
                        kept.Remove(shape.Id);
                        pruned = true;
                    }
                }
            }
            while (pruned);
            return kept.Values.OrderBy(s => s.Id, StringComparer.Ordinal).ToEquatableArray();
        }
    }

    /// <summary>The fully qualified name used as a type's id (no nullable-reference marks).</summary>
    public static string IdOf(ITypeSymbol type) => type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(s_fullName);

    /// <summary>
    /// The id of a type's shape: its fully qualified name with the nullable annotations of the reference types inside
    /// it (<c>List&lt;string?&gt;</c>), not of itself; a use's own nullability is the member's, step's or element's.
    /// </summary>
    public static string ShapeIdOf(ITypeSymbol type) => type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(s_annotatedName);

    /// <summary>A short name for messages.</summary>
    public static string DisplayOf(ITypeSymbol type) => type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(s_shortName);

    /// <summary>
    /// Accepts <paramref name="type"/> (and everything it contains) or explains why not.
    /// </summary>
    /// <returns>null when the type round-trips; otherwise the reason, prefixed by the member path that fails.</returns>
    public string? Check(ITypeSymbol type) => Visit(type, out _);

    /// <summary>Accepts <paramref name="type"/> and returns its id, or null when it cannot round-trip.</summary>
    public string? Accept(ITypeSymbol type) => Visit(type, out var id) is null ? id : null;

    /// <summary>
    /// What a value of <paramref name="actual"/> loses when it is journaled as <paramref name="declared"/>: the codec of a
    /// concrete, unsealed class writes and rebuilds that class, so a subtype comes back as the base type, without its
    /// own members and without its type. Null when nothing is lost: <paramref name="actual"/> is no strict subtype, or
    /// <paramref name="declared"/> is not journaled by the generator's member codec (a type the workflow's
    /// JsonSerializerContext declares governs its own polymorphism; a type that cannot round-trip is reported already).
    /// </summary>
    /// <remarks>
    /// A subtype that adds no journaled member is reported too: the value comes back as the base type, so a type test
    /// (<c>result is Dog</c>) takes another branch on replay than it took the first time.
    /// </remarks>
    public string? SubtypeLoss(ITypeSymbol declared, ITypeSymbol actual)
    {
        if (declared is not INamedTypeSymbol { TypeKind: TypeKind.Class, IsAbstract: false, IsSealed: false } baseType
            || actual is not INamedTypeSymbol { TypeKind: TypeKind.Class } derived
            || SymbolEqualityComparer.Default.Equals(baseType, derived)
            || !DerivesFrom(derived, baseType))
        {
            return null;
        }
        if (Visit(baseType, out var id) is not null || !_shapes.TryGetValue(id, out var shape) || shape.Kind != ShapeKind.Object) return null;

        var declaredDisplay = DisplayOf(baseType);
        var actualDisplay = DisplayOf(derived);
        var kept = new HashSet<string>(DataMembers.Public(baseType).Select(m => m.Name), StringComparer.Ordinal);
        var lost = DataMembers.Public(derived)
            .Where(m => !kept.Contains(m.Name) && !(m.Property is { } view && DataMembers.IsComputed(view) && DataMembers.HiddenStateOf(view) is null))
            .Select(m => $"'{actualDisplay}.{m.Name}'")
            .ToList();
        var what = lost.Count switch
        {
            0 => $"its type would be lost on replay (a test such as 'is {actualDisplay}' would take another branch)",
            1 => $"{lost[0]} would be lost on replay",
            _ => $"{string.Join(", ", lost.Take(lost.Count - 1))} and {lost[lost.Count - 1]} would be lost on replay",
        };
        return $"it returns '{actualDisplay}' where it declares '{declaredDisplay}', and the journal rebuilds only '{declaredDisplay}': {what}; "
            + $"declare '{actualDisplay}' as the result, or make '{declaredDisplay}' abstract and journal the hierarchy through the workflow's JsonSerializerContext";
    }

    private static bool DerivesFrom(INamedTypeSymbol type, INamedTypeSymbol ancestor)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current, ancestor)) return true;
        }
        return false;
    }

    private string? Visit(ITypeSymbol type, out string id)
    {
        id = ShapeIdOf(type);
        if (_shapes.TryGetValue(id, out var existing))
        {
            // List<string> and List<string?> are two shapes, but an oblivious List<string> (nullable annotations off)
            // has the id of the annotated non-nullable one: the shared codec then takes null elements.
            if (existing.Kind is ShapeKind.Array or ShapeKind.List or ShapeKind.Dictionary && !existing.ElementNullable
                && ElementOf(type) is { } element && IsNullable(element))
            {
                _shapes[id] = existing with { ElementNullable = true };
            }
            return null;
        }
        if (_inProgress.Contains(id)) return null;
        if (_rejected.TryGetValue(id, out var known)) return known;

        _inProgress.Add(id);
        string? problem;
        try
        {
            problem = Describe(type, id);
        }
        finally
        {
            _inProgress.Remove(id);
        }
        if (problem is not null && _jsonContext is not null)
        {
            // Outside the generator's own surface: the workflow's JsonSerializerContext may carry it.
            if (_jsonContextProblem is null && _jsonContextTypes.Contains(IdOf(type)))
            {
                Add(new TypeShape(id, ShapeKind.External, DisplayOf(type), type.IsValueType, _jsonContext, null, false, 0,
                    EquatableArray<EnumMemberShape>.Empty, EquatableArray<PropertyShape>.Empty), type);
                return null;
            }
            problem += _jsonContextProblem is null
                ? $"; nor does the JsonSerializerContext '{_jsonContext.Replace("global::", "")}' declare it ([JsonSerializable(typeof({DisplayOf(type)}))])"
                : $"; {_jsonContextProblem}";
        }
        if (problem is not null)
        {
            _rejected[id] = problem;
            _shapes.Remove(id);
            RejectDependents(id);
        }
        return problem;
    }

    /// <summary>
    /// A type accepted while <paramref name="rejectedId"/> was still being checked (a cycle) may refer to it: reject
    /// it too, so that a later <see cref="Accept"/> of that type does not return a type whose codec is never emitted.
    /// </summary>
    private void RejectDependents(string rejectedId)
    {
        var pending = new Stack<string>();
        pending.Push(rejectedId);
        while (pending.Count > 0)
        {
            var missing = pending.Pop();
            foreach (var shape in _shapes.Values.ToList())
            {
                string? problem = null;
                if (shape.ElementId == missing)
                {
                    problem = $"'{shape.DisplayName}' element: {_rejected[missing]}";
                }
                else if (shape.Properties.FirstOrDefault(p => p.TypeId == missing) is { } property)
                {
                    var missingDisplay = _rejected[missing].StartsWith("'", StringComparison.Ordinal) ? _rejected[missing].Substring(1).Split('\'', '.')[0] : "";
                    problem = Nest(shape.DisplayName + "." + property.Name, missingDisplay, _rejected[missing]);
                }
                if (problem is null) continue;
                _shapes.Remove(shape.Id);
                _rejected[shape.Id] = problem;
                pending.Push(shape.Id);
            }
        }
    }

    private string? Describe(ITypeSymbol type, string id)
    {
        var display = DisplayOf(type);
        if (PrimitiveCodec(type) is { } codec)
        {
            Add(new TypeShape(id, ShapeKind.Primitive, display, type.IsValueType, codec, null, false, 0, EquatableArray<EnumMemberShape>.Empty, EquatableArray<PropertyShape>.Empty), type);
            return null;
        }

        switch (type)
        {
            case IErrorTypeSymbol:
                return $"'{display}' is not a known type";
            case ITypeParameterSymbol:
                return $"'{display}' is a type parameter; the journal needs a concrete type";
            case IDynamicTypeSymbol:
                return "'dynamic' has no shape to rebuild on replay";
            case IPointerTypeSymbol or IFunctionPointerTypeSymbol:
                return $"'{display}' is a pointer";
            case IArrayTypeSymbol array:
                if (array.Rank != 1) return $"'{display}' is a multi-dimensional array; use an array of arrays";
                return Combinator(ShapeKind.Array, array, id, display, array.ElementType, concrete: true);
            case INamedTypeSymbol named:
                return DescribeNamed(named, id, display);
            default:
                return $"'{display}' cannot be journaled";
        }
    }

    private string? DescribeNamed(INamedTypeSymbol type, string id, string display)
    {
        if (type.SpecialType == SpecialType.System_Object) return "'object' has no shape to rebuild on replay";
        if (type.IsRefLikeType) return $"'{display}' is a ref struct";
        if (type.TypeKind == TypeKind.Delegate || InheritsFrom(type, "System.Delegate")) return $"'{display}' is a delegate";
        if (ProcessLocalProblem(type, display) is { } processLocal) return processLocal;
        if (type.IsTupleType) return $"'{display}' is a tuple; its element names are not kept; use a record";
        if (type.IsAnonymousType) return "an anonymous type cannot be rebuilt on replay; use a record";
        if (InheritsFrom(type, "System.IO.Stream")) return $"'{display}' is a Stream; journal the data it carries instead";
        if (InheritsFrom(type, "System.Exception")) return $"'{display}' is an exception; return a result record instead";

        if (type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T)
        {
            return Combinator(ShapeKind.Nullable, type, id, display, type.TypeArguments[0], concrete: true);
        }

        var definition = type.OriginalDefinition.ToDisplayString();
        switch (definition)
        {
            case "System.Collections.Generic.List<T>":
                return Combinator(ShapeKind.List, type, id, display, type.TypeArguments[0], concrete: true);
            case "System.Collections.Generic.IReadOnlyList<T>":
            case "System.Collections.Generic.IList<T>":
            case "System.Collections.Generic.ICollection<T>":
            case "System.Collections.Generic.IEnumerable<T>":
            case "System.Collections.Generic.IReadOnlyCollection<T>":
                return Combinator(ShapeKind.List, type, id, display, type.TypeArguments[0], concrete: false);
            case "System.Collections.Generic.Dictionary<TKey, TValue>":
            case "System.Collections.Generic.IDictionary<TKey, TValue>":
            case "System.Collections.Generic.IReadOnlyDictionary<TKey, TValue>":
                if (type.TypeArguments[0].SpecialType != SpecialType.System_String)
                {
                    return $"'{display}' has keys of type '{DisplayOf(type.TypeArguments[0])}'; only string keys are journaled";
                }
                return Combinator(ShapeKind.Dictionary, type, id, display, type.TypeArguments[1],
                    concrete: definition == "System.Collections.Generic.Dictionary<TKey, TValue>");
        }

        if (type.TypeKind == TypeKind.Enum) return DescribeEnum(type, id, display);
        if (type.TypeKind == TypeKind.Interface) return $"'{display}' is an interface; there is nothing to rebuild on replay";
        if (type.IsAbstract) return $"'{display}' is abstract; there is nothing to rebuild on replay";
        if (type.TypeKind is not (TypeKind.Class or TypeKind.Struct)) return $"'{display}' cannot be journaled";

        var ns = type.ContainingNamespace?.ToDisplayString() ?? "";
        if (ns == "System" || ns.StartsWith("System.", StringComparison.Ordinal) || ns == "Microsoft" || ns.StartsWith("Microsoft.", StringComparison.Ordinal))
        {
            return $"'{display}' is a framework type the journal does not support";
        }
        return DescribeObject(type, id, display);
    }

    /// <summary>
    /// Values that mean something only inside the process that made them, whatever their bits: native-sized integers
    /// (sizes and addresses), operating-system handles, and views over memory.
    /// </summary>
    private static string? ProcessLocalProblem(INamedTypeSymbol type, string display)
    {
        if (type.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr)
        {
            return $"'{display}' is a native-sized integer (nint, nuint, IntPtr, UIntPtr), a size or address of one process; use int or long for a number";
        }
        if (InheritsFrom(type, "System.Runtime.InteropServices.SafeHandle") || InheritsFrom(type, "System.Runtime.InteropServices.CriticalHandle")
            || InheritsFrom(type, "System.Threading.WaitHandle")
            || type.ToDisplayString() is "System.Runtime.InteropServices.HandleRef" or "System.Runtime.InteropServices.GCHandle")
        {
            return $"'{display}' is an operating-system handle, valid only in the process that opened it; journal what identifies the resource instead";
        }
        switch (type.OriginalDefinition.ToDisplayString())
        {
            case "System.Memory<T>":
            case "System.ReadOnlyMemory<T>":
            case "System.ArraySegment<T>":
                return $"'{display}' is a view over memory the journal does not own; use an array";
        }
        return null;
    }

    private string? DescribeEnum(INamedTypeSymbol type, string id, string display)
    {
        var members = type.GetMembers().OfType<IFieldSymbol>()
            .Where(f => f.HasConstantValue)
            .Select(f => new EnumMemberShape(f.Name, Convert.ToString(f.ConstantValue, System.Globalization.CultureInfo.InvariantCulture) ?? "0"))
            .ToEquatableArray();
        Add(new TypeShape(id, ShapeKind.Enum, display, true, null, null, false, 0, members, EquatableArray<PropertyShape>.Empty), type);
        return null;
    }

    private string? DescribeObject(INamedTypeSymbol type, string id, string display)
    {
        var members = DataMembers.Public(type);
        var constructor = ChooseConstructor(type, members);
        if (constructor is null && !type.IsValueType)
        {
            return $"'{display}' has no public constructor the journal can call";
        }

        var shapes = new List<PropertyShape>();
        foreach (var member in members)
        {
            var index = constructor is null ? -1 : IndexOfParameter(constructor, member.Name);
            var settable = member.IsSettable;
            if (index < 0 && !settable)
            {
                if (member.IsReadOnlyField)
                {
                    return $"'{display}.{member.Name}' is a readonly field with no constructor parameter; its value would be lost on replay";
                }
                if (member.Property is { } view && DataMembers.IsComputed(view))
                {
                    // Computed from what the journal keeps, it comes back by itself; computed from state it does not keep, it does not.
                    if (DataMembers.HiddenStateOf(view) is not { } state) continue;
                    return $"'{display}.{member.Name}' is a get-only view over {state}, which the journal does not keep; its value would be lost on replay";
                }
                return $"'{display}.{member.Name}' has no public setter, init accessor or constructor parameter; its value would be lost on replay";
            }
            var problem = Visit(member.Type, out var memberId);
            if (problem is not null)
            {
                return Nest(display + "." + member.Name, DisplayOf(member.Type), problem);
            }
            var nullable = IsNullable(member.Type);
            var parameter = index >= 0 ? constructor!.Parameters[index] : null;
            // Whether the constructor's body may give the member its value (it assigns it, or does what cannot be followed).
            var constructorMaySet = parameter is null && constructor is not null && ConstructorMaySet(type, constructor, member);
            var required = IsRequired(type, member, nullable, parameter, constructorMaySet);
            // A missing optional member reads as its declared default: a parameter's default value; a settable
            // property keeps its initializer's value (assigned only when present); an init-only property (set in the
            // object initializer, which cannot skip it) takes its initializer when that is a constant, and is
            // required when it is not and its type is not nullable.
            // A property the constructor may set, and that the object initializer would overwrite, reads as what the
            // constructor gives it.
            string? defaultValue = null;
            var assignIfPresent = false;
            var fromConstructor = false;
            if (parameter is not null)
            {
                if (!required && parameter.HasExplicitDefaultValue) defaultValue = DefaultOf(parameter.ExplicitDefaultValue, parameter.Type);
            }
            else if (!required && member.IsAssignableAfterConstruction && !member.IsRequiredMember)
            {
                assignIfPresent = true;
            }
            else if (!required && constructorMaySet)
            {
                fromConstructor = true;
            }
            else if (!required && member.Initializer is { } initializer)
            {
                if (ConstantOf(initializer, member.Type, out var constant)) defaultValue = constant;
                else if (!nullable) required = true;
            }
            shapes.Add(new PropertyShape(member.Name, JsonNameOf(member.Name), memberId, index, required, nullable, defaultValue, assignIfPresent, fromConstructor));
        }
        if (constructor is not null)
        {
            foreach (var parameter in constructor.Parameters)
            {
                if (!members.Any(p => string.Equals(p.Name, parameter.Name, StringComparison.OrdinalIgnoreCase)))
                {
                    return $"'{display}' constructor parameter '{parameter.Name}' has no matching public property or field";
                }
            }
        }
        // Two members under one journal name (a field 'Url' and a property 'URL') would be written twice and read once.
        var byJsonName = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var shape in shapes)
        {
            if (byJsonName.TryGetValue(shape.JsonName, out var first))
            {
                return $"'{display}.{first}' and '{display}.{shape.Name}' are both journaled as '{shape.JsonName}'; rename one";
            }
            byJsonName.Add(shape.JsonName, shape.Name);
        }
        Add(new TypeShape(id, ShapeKind.Object, display, type.IsValueType, null, null, false, 0,
            EquatableArray<EnumMemberShape>.Empty, shapes.ToEquatableArray()), type);
        return null;
    }

    private string? Combinator(ShapeKind kind, ITypeSymbol type, string id, string display, ITypeSymbol element, bool concrete)
    {
        var problem = Visit(element, out var elementId);
        if (problem is not null)
        {
            return $"'{display}' element: {problem}";
        }
        var depth = _shapes.TryGetValue(elementId, out var inner) ? inner.Depth + 1 : 1;
        Add(new TypeShape(id, kind, display, kind == ShapeKind.Nullable, null, elementId, concrete, depth,
            EquatableArray<EnumMemberShape>.Empty, EquatableArray<PropertyShape>.Empty,
            ElementNullable: kind != ShapeKind.Nullable && IsNullable(element)), type);
        return null;
    }

    private void Add(TypeShape shape, ITypeSymbol type)
    {
        var syntax = IdOf(type);
        _shapes[shape.Id] = syntax == shape.Id ? shape : shape with { Syntax = syntax };
    }

    /// <summary>
    /// Whether a use of <paramref name="type"/> may hold null: <c>Nullable&lt;T&gt;</c>, or a reference type that is
    /// annotated <c>?</c> or declared where nullable annotations are off (oblivious: null is taken, conservatively).
    /// </summary>
    public static bool IsNullable(ITypeSymbol type)
    {
        if (type.IsValueType) return type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T;
        if (type is ITypeParameterSymbol) return true;
        return type.NullableAnnotation != NullableAnnotation.NotAnnotated;
    }

    /// <summary>The element (value) type of an array, list or dictionary type.</summary>
    private static ITypeSymbol? ElementOf(ITypeSymbol type) => type switch
    {
        IArrayTypeSymbol array => array.ElementType,
        INamedTypeSymbol { TypeArguments.Length: > 0 } named => named.TypeArguments[named.TypeArguments.Length - 1],
        _ => null,
    };

    /// <summary>
    /// Whether a payload must carry the member. Conservative: only when nothing else can give it a value.
    /// A <c>required</c> member is required (unless the constructor is [SetsRequiredMembers]); a nullable member never
    /// is; a constructor parameter is, unless it has a default value; another property or field is only when it is a
    /// non-nullable auto-property or field of this type, declared in source without an initializer, and the
    /// constructor's body cannot set it (<see cref="ConstructorMaySet"/>).
    /// </summary>
    private static bool IsRequired(INamedTypeSymbol type, DataMember member, bool nullable, IParameterSymbol? parameter, bool constructorMaySet)
    {
        if (member.IsRequiredMember && !constructorMaySet) return true;
        if (nullable) return false;
        if (parameter is not null) return !parameter.HasExplicitDefaultValue && !parameter.IsParams;
        if (constructorMaySet) return false;
        if (!SymbolEqualityComparer.Default.Equals(member.ContainingType, type)) return false;
        return member.IsUninitializedStorage;
    }

    /// <summary>
    /// Whether <paramref name="initializer"/> is a compile-time constant; <paramref name="literal"/> is then its C#
    /// expression (null for a constant null or zero-like default, which the type's default already is).
    /// </summary>
    private bool ConstantOf(ExpressionSyntax initializer, ITypeSymbol type, out string? literal)
    {
        literal = null;
        if (_compilation is null || !_compilation.ContainsSyntaxTree(initializer.SyntaxTree)) return false;
        var constant = _compilation.GetSemanticModel(initializer.SyntaxTree).GetConstantValue(initializer);
        if (!constant.HasValue) return false;
        if (constant.Value is null) return true;
        literal = DefaultOf(constant.Value, type);
        return literal is not null;
    }

    /// <summary>
    /// A constant as a C# expression of <paramref name="type"/>: a cast of a literal of the constant's own type (an
    /// enum's underlying value, <c>m</c>, <c>f</c>, <c>d</c>, <c>L</c>, <c>u</c> suffixes, escaped chars and strings);
    /// null for null (the type's default) and for a constant of a kind it does not know.
    /// </summary>
    private static string? DefaultOf(object? value, ITypeSymbol type)
    {
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        string? literal = value switch
        {
            null => null,
            bool b => b ? "true" : "false",
            string s => Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(s, quote: true),
            char c => Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(c, quote: true),
            int i => i.ToString(invariant),
            uint u => u.ToString(invariant) + "U",
            long l => l.ToString(invariant) + "L",
            ulong ul => ul.ToString(invariant) + "UL",
            byte or sbyte or short or ushort => Convert.ToString(value, invariant),
            decimal m => m.ToString(invariant) + "M",
            float f => float.IsNaN(f) ? "float.NaN" : float.IsPositiveInfinity(f) ? "float.PositiveInfinity"
                : float.IsNegativeInfinity(f) ? "float.NegativeInfinity" : f.ToString("R", invariant) + "F",
            double d => double.IsNaN(d) ? "double.NaN" : double.IsPositiveInfinity(d) ? "double.PositiveInfinity"
                : double.IsNegativeInfinity(d) ? "double.NegativeInfinity" : d.ToString("R", invariant) + "D",
            _ => null,
        };
        return literal is null ? null : $"({IdOf(type)})({literal})";
    }

    /// <summary>
    /// Whether the constructor's body may set <paramref name="member"/> (a property or field that is not one of its
    /// parameters). Conservative: yes when it assigns the member (<c>Name = ...</c>, <c>this.Name = ...</c>), and
    /// whenever it does what the generator does not follow: [SetsRequiredMembers], a constructor from metadata, a
    /// <c>this(...)</c> or <c>base(...)</c> call, or any call or <c>ref</c> in its body; a member of a base type.
    /// No for an implicit or primary constructor, and for a body that provably leaves the member alone.
    /// </summary>
    private static bool ConstructorMaySet(INamedTypeSymbol type, IMethodSymbol constructor, DataMember member)
    {
        if (constructor.GetAttributes().Any(a => a.AttributeClass?.Name == "SetsRequiredMembersAttribute")) return true;
        if (constructor.IsImplicitlyDeclared) return false;
        if (constructor.DeclaringSyntaxReferences.Length == 0) return true; // from metadata: cannot tell
        foreach (var reference in constructor.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is not ConstructorDeclarationSyntax declaration) continue; // a primary constructor
            if (!SymbolEqualityComparer.Default.Equals(member.ContainingType, type)) return true;
            if (declaration.Initializer is not null) return true;
            SyntaxNode? body = (SyntaxNode?)declaration.Body ?? declaration.ExpressionBody;
            if (body is null) continue;
            foreach (var node in body.DescendantNodes())
            {
                switch (node)
                {
                    case InvocationExpressionSyntax or ObjectCreationExpressionSyntax or ImplicitObjectCreationExpressionSyntax
                        or RefExpressionSyntax or AnonymousFunctionExpressionSyntax:
                        return true;
                    case ArgumentSyntax { RefKindKeyword.RawKind: not 0 }:
                        return true;
                    case AssignmentExpressionSyntax assignment when Names(assignment.Left, member.Name):
                        return true;
                    case AssignmentExpressionSyntax { Left: TupleExpressionSyntax or DeclarationExpressionSyntax }:
                        return true; // a deconstruction: followed no further
                }
            }
        }
        return false;
    }

    /// <summary>Whether an assignment target is the member <paramref name="name"/> of this object.</summary>
    private static bool Names(ExpressionSyntax target, string name) => target switch
    {
        IdentifierNameSyntax identifier => identifier.Identifier.ValueText == name,
        MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: var member } => member.Identifier.ValueText == name,
        _ => false,
    };

    /// <summary>
    /// Puts a member's problem under its owner's path, so a message names one member path: a problem of the member's
    /// type ("'Address.Street' has no setter") reached through Customer.Address reads "'Customer.Address.Street' has
    /// no setter", and one of the type itself ("'(int, int)' is a tuple") reads "'Summary.Counts' is a tuple".
    /// </summary>
    private static string Nest(string memberPath, string memberTypeDisplay, string problem)
    {
        var root = "'" + memberTypeDisplay;
        if (memberTypeDisplay.Length > 0 && problem.StartsWith(root, StringComparison.Ordinal)
            && problem.Length > root.Length && (problem[root.Length] == '\'' || problem[root.Length] == '.'))
        {
            return "'" + memberPath + problem.Substring(root.Length);
        }
        return $"'{memberPath}': {problem}";
    }

    /// <summary>The public constructor whose parameters all match members (properties or fields), with the most parameters; or the parameterless one.</summary>
    private static IMethodSymbol? ChooseConstructor(INamedTypeSymbol type, List<DataMember> members)
    {
        IMethodSymbol? best = null;
        foreach (var constructor in type.InstanceConstructors)
        {
            if (constructor.DeclaredAccessibility != Accessibility.Public) continue;
            if (constructor.Parameters.Length == 1 && SymbolEqualityComparer.Default.Equals(constructor.Parameters[0].Type, type)) continue; // record copy constructor
            var matches = constructor.Parameters.All(p => members.Any(q =>
                string.Equals(q.Name, p.Name, StringComparison.OrdinalIgnoreCase)
                && SymbolEqualityComparer.Default.Equals(q.Type.WithNullableAnnotation(NullableAnnotation.None), p.Type.WithNullableAnnotation(NullableAnnotation.None))));
            if (matches && (best is null || constructor.Parameters.Length > best.Parameters.Length))
            {
                best = constructor;
            }
        }
        return best;
    }

    private static int IndexOfParameter(IMethodSymbol constructor, string memberName)
    {
        for (var i = 0; i < constructor.Parameters.Length; i++)
        {
            if (string.Equals(constructor.Parameters[i].Name, memberName, StringComparison.OrdinalIgnoreCase)) return i;
        }
        return -1;
    }

    private static bool InheritsFrom(INamedTypeSymbol type, string fullName)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (current.ToDisplayString() == fullName) return true;
        }
        return false;
    }

    /// <summary>camelCase of a property name: the journal's JSON member names.</summary>
    internal static string JsonNameOf(string name)
    {
        if (name.Length == 0 || !char.IsUpper(name[0])) return name;
        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length && char.IsUpper(chars[i]); i++)
        {
            if (i > 0 && i + 1 < chars.Length && !char.IsUpper(chars[i + 1])) break;
            chars[i] = char.ToLowerInvariant(chars[i]);
        }
        return new string(chars);
    }

    private static string? PrimitiveCodec(ITypeSymbol type)
    {
        switch (type.SpecialType)
        {
            case SpecialType.System_Boolean: return "Boolean";
            case SpecialType.System_Byte: return "Byte";
            case SpecialType.System_SByte: return "SByte";
            case SpecialType.System_Int16: return "Int16";
            case SpecialType.System_UInt16: return "UInt16";
            case SpecialType.System_Int32: return "Int32";
            case SpecialType.System_UInt32: return "UInt32";
            case SpecialType.System_Int64: return "Int64";
            case SpecialType.System_UInt64: return "UInt64";
            case SpecialType.System_Single: return "Single";
            case SpecialType.System_Double: return "Double";
            case SpecialType.System_Decimal: return "Decimal";
            case SpecialType.System_String: return "String";
            case SpecialType.System_Char: return "Char";
            case SpecialType.System_DateTime: return "DateTime";
        }
        switch (type.ToDisplayString())
        {
            case "System.Guid": return "Guid";
            case "System.DateTimeOffset": return "DateTimeOffset";
            case "System.TimeSpan": return "TimeSpan";
            case "System.DateOnly": return "DateOnly";
            case "System.TimeOnly": return "TimeOnly";
            case "System.Half": return "Half";
            case "System.Int128": return "Int128";
            case "System.UInt128": return "UInt128";
            case "Workflows.Unit": return "Unit";
            default: return null;
        }
    }
}
