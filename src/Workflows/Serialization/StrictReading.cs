using System.Text.Json;

namespace Workflows.Serialization;

/// <summary>
/// A journal payload does not hold what its type requires: a member the type requires is missing, or a JSON
/// <c>null</c> stands where the type (or member, or element) is not nullable. <see cref="MemberPath"/> names where,
/// from the outermost type read (<c>Order.Lines[2].Sku</c>); <see cref="JournalJson"/> turns it into a
/// <see cref="WorkflowSerializationException"/>.
/// </summary>
/// <remarks>
/// The reading rules of the generated codecs: a member the type requires (a constructor parameter without a default
/// value, a <c>required</c> member, a non-nullable auto-property without an initializer of a type whose constructor
/// sets nothing else, a non-nullable init-only property whose initializer is not a compile-time constant) must be
/// present; a missing optional member reads as its declared default: a constructor parameter's default value, a
/// settable property's initializer (it is assigned only when present), an init-only property's constant initializer;
/// otherwise (nullable, no initializer) as its type's default; <c>null</c> is refused for a non-nullable reference type (per its nullable annotations) and for a value type
/// other than <c>Nullable&lt;T&gt;</c>; unknown members are ignored, so that a member added later, when optional, can
/// be read from an older journal.
/// </remarks>
public sealed class JournalMemberException : JsonException
{
    private readonly string _root;
    private readonly string _tail;

    private JournalMemberException(string root, string tail, string problem, Exception? inner = null)
        : base(null, inner)
    {
        _root = root;
        _tail = tail;
        Problem = problem;
    }

    /// <summary>Where the payload is wrong, from the outermost type read: <c>Receipt.Amount</c>, <c>Order.Lines[2].Sku</c>.</summary>
    public string MemberPath => _root + _tail;

    /// <summary>What is wrong there: "is missing, and Receipt requires it", "is null, and Receipt.Id is not nullable".</summary>
    public string Problem { get; }

    public override string Message => MemberPath + " " + Problem + ".";

    /// <summary>A member <paramref name="typeName"/> requires is not in the payload.</summary>
    public static JournalMemberException Missing(string typeName, string member) =>
        new(typeName, "." + member, $"is missing, and {typeName} requires it");

    /// <summary>A member that is not nullable is JSON null.</summary>
    public static JournalMemberException NullMember(string typeName, string member) =>
        new(typeName, "." + member, $"is null, and {typeName}.{member} is not nullable");

    /// <summary>A value of a type that is not nullable (a step's result, a run's input or output) is JSON null.</summary>
    public static JournalMemberException NullValue(string typeName) =>
        new(typeName, "", $"is null, and {typeName} is not nullable");

    /// <summary>An element of a collection whose element type is not nullable is JSON null.</summary>
    public static JournalMemberException NullElement(string collectionTypeName, string segment) =>
        new(collectionTypeName, segment, $"is null, and the elements of {collectionTypeName} are not nullable");

    /// <summary>A value of <paramref name="typeName"/> is a JSON token it cannot be read from (a string for a decimal, an object for a list).</summary>
    public static JournalMemberException WrongToken(string typeName, JsonTokenType found, long at) =>
        new(typeName, "", $"is {TokenName(found)} where {typeName} was expected (at byte {at.ToString(System.Globalization.CultureInfo.InvariantCulture)})");

    /// <summary>A value could not be read for another reason (out of range, badly formatted, malformed JSON): its message, under the path.</summary>
    public static JournalMemberException Invalid(string typeName, string segment, Exception inner) =>
        new(typeName, segment, "cannot be read: " + inner.Message.TrimEnd('.'), inner);

    /// <summary>The same problem, seen from the type that holds the value: <c>Lines[2].Sku</c> under <c>Order</c>.</summary>
    public JournalMemberException Under(string typeName, string segment) => new(typeName, segment + _tail, Problem, InnerException);

    /// <summary>Whether an error raised while reading one value is one to put under the member path (not a bug of the codec).</summary>
    internal static bool IsReadError(Exception e) =>
        e is JsonException and not JournalMemberException or FormatException or InvalidOperationException or OverflowException or ArgumentException;

    private static string TokenName(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "a JSON object",
        JsonTokenType.StartArray => "a JSON array",
        JsonTokenType.String => "a JSON string",
        JsonTokenType.Number => "a JSON number",
        JsonTokenType.True => "JSON true",
        JsonTokenType.False => "JSON false",
        JsonTokenType.Null => "JSON null",
        _ => "the JSON token " + token,
    };

    internal static string IndexSegment(int index) => "[" + index.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]";

    internal static string KeySegment(string key) => "[\"" + key.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"]";
}

/// <summary>The strict reading steps the generated object codecs call, one per member.</summary>
public static class JsonMembers
{
    /// <summary>
    /// Reads the value of member <paramref name="member"/> of <paramref name="typeName"/> (the reader is on its first
    /// token): JSON null is refused unless <paramref name="nullable"/>; a problem inside the value is named under the member.
    /// </summary>
    public static T Read<T>(ref Utf8JsonReader reader, JsonCodec<T> codec, string typeName, string member, bool nullable)
    {
        if (!nullable && reader.TokenType == JsonTokenType.Null) throw JournalMemberException.NullMember(typeName, member);
        try
        {
            return codec.Read(ref reader);
        }
        catch (JournalMemberException e)
        {
            throw e.Under(typeName, "." + member);
        }
        catch (Exception e) when (JournalMemberException.IsReadError(e))
        {
            throw JournalMemberException.Invalid(typeName, "." + member, e);
        }
    }

    /// <summary>The error for a required member that the payload does not have.</summary>
    public static JournalMemberException Missing(string typeName, string member) => JournalMemberException.Missing(typeName, member);
}

/// <summary>
/// A reference type used where it is not nullable (a step's result, a run's input or output): JSON null is refused,
/// the rest is read by the inner codec. Writes are unchanged.
/// </summary>
public sealed class NotNullCodec<T>(JsonCodec<T> inner) : JsonCodec<T>
{
    public override string TypeName => inner.TypeName;

    public override void Write(Utf8JsonWriter writer, T value) => inner.Write(writer, value);

    public override T Read(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null) throw JournalMemberException.NullValue(TypeName);
        return inner.Read(ref reader);
    }
}
