using Workflows.Generators.Common;

namespace Workflows.Generators.Model;

/// <summary>How a type travels through the journal.</summary>
internal enum ShapeKind
{
    /// <summary>A built-in codec of the runtime (int, string, Guid, DateTime, ...).</summary>
    Primitive,
    /// <summary>An enum, written by member name.</summary>
    Enum,
    /// <summary><c>Nullable&lt;T&gt;</c>.</summary>
    Nullable,
    /// <summary>A one-dimensional array.</summary>
    Array,
    /// <summary>List-like: List, IReadOnlyList, IList, ICollection, IEnumerable, IReadOnlyCollection.</summary>
    List,
    /// <summary>String-keyed dictionary: Dictionary, IDictionary, IReadOnlyDictionary.</summary>
    Dictionary,
    /// <summary>A class, struct or record rebuilt through a constructor and settable properties.</summary>
    Object,
    /// <summary>A type the workflow's own JsonSerializerContext declares; <c>Codec</c> is the context's type.</summary>
    External,
}

/// <summary>One serializable type, as the emitter needs it. Unsupported types never get a shape.</summary>
/// <param name="Id">
/// The key by which other shapes refer to it: the fully qualified C# name, with the nullable annotations of the
/// reference types inside it (<c>List&lt;string?&gt;</c> and <c>List&lt;string&gt;</c> are two shapes, whose elements
/// are read differently), but not of the type itself. <see cref="CSharpType"/> is the name to emit.
/// </param>
/// <param name="Codec">For primitives: the member of <c>JsonCodecs</c>; for external types: the JsonSerializerContext.</param>
/// <param name="ElementId">For nullable, array, list and dictionary shapes: the element (value) type.</param>
/// <param name="IsConcreteCollection">For lists and dictionaries: the type is List/Dictionary itself, not an interface.</param>
/// <param name="Depth">Nesting depth of combinator shapes; codecs are created innermost first.</param>
/// <param name="ElementNullable">For array, list and dictionary shapes: a JSON null element (value) is read as null; otherwise it is an error.
/// Where nullable annotations are off (oblivious) an element is taken as nullable, so when such a use meets an annotated
/// non-nullable one of the same id, the shape is nullable.</param>
/// <param name="Syntax">The fully qualified C# name without nullable annotations, when it differs from <paramref name="Id"/>.</param>
internal sealed record TypeShape(
    string Id,
    ShapeKind Kind,
    string DisplayName,
    bool IsValueType,
    string? Codec,
    string? ElementId,
    bool IsConcreteCollection,
    int Depth,
    EquatableArray<EnumMemberShape> EnumMembers,
    EquatableArray<PropertyShape> Properties,
    bool ElementNullable = false,
    string? Syntax = null)
{
    /// <summary>The type as C# source (no nullable-reference annotations: the generated file has them off).</summary>
    public string CSharpType => Syntax ?? Id;
}

/// <summary>An enum member: its name and its value as a C# literal of the underlying type.</summary>
internal sealed record EnumMemberShape(string Name, string Value);

/// <summary>A property written to the journal. <paramref name="ConstructorIndex"/> is its constructor position, or -1 when set by initializer.</summary>
/// <param name="IsRequired">A payload without this member is an error (not its default).</param>
/// <param name="IsNullable">JSON null is read as null; otherwise it is an error.</param>
/// <param name="DefaultValue">
/// A C# expression of the member's declared default (a constructor parameter's default value, or an init-only
/// property's constant initializer), read when the member is missing; null when the type's default is the declared one.
/// </param>
/// <param name="AssignIfPresent">A settable property assigned after construction only when the payload has it, so that its initializer's value stays.</param>
/// <param name="DefaultFromConstructor">
/// An init-only property the constructor's body may set: when the payload does not have it, it is read as what a
/// constructor call with the same arguments gives it (the constructor then runs once more, only for such a payload).
/// </param>
internal sealed record PropertyShape(string Name, string JsonName, string TypeId, int ConstructorIndex, bool IsRequired, bool IsNullable,
    string? DefaultValue = null, bool AssignIfPresent = false, bool DefaultFromConstructor = false);
