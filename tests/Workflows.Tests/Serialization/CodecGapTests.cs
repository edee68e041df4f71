using System.Text.Json;
using System.Text.Json.Serialization;
using Workflows.Serialization;

namespace Workflows.Tests.Serialization;

/// <summary>Collections of non-nullable and of nullable reference elements, side by side in one type.</summary>
public sealed record ElementNullability(
    List<string> Tags,
    List<string?> MaybeTags,
    string[] Codes,
    string?[] MaybeCodes,
    IReadOnlyList<string> Names,
    IReadOnlyList<string?> MaybeNames,
    Dictionary<string, string> Labels,
    Dictionary<string, string?> MaybeLabels,
    List<List<string>> Nested,
    List<List<string?>> MaybeNested);

public sealed record GapAddress(string City, string? Zip);

public sealed record GapLine(string Sku, int Quantity);

public sealed record GapOrder(decimal Amount, List<GapLine> Lines, GapAddress ShipTo, DateTimeOffset At, Guid Id);

/// <summary>A class whose constructor body gives init-only and settable properties (with no initializer) their values.</summary>
#pragma warning disable CS8618 // Id: the journal requires it instead
public sealed class ConstructorAssigned
{
    public ConstructorAssigned()
    {
        Currency = "EUR";
        Retries = 3;
        this.Tags = ["default"];
        Note = "set by the constructor";
        Level = DefaultTier.Gold;
    }

    public string Currency { get; init; }
    public int Retries { get; init; }
    public List<string> Tags { get; init; }
    public string? Note { get; init; }
    public DefaultTier Level { get; set; }

    /// <summary>Not assigned by the constructor, not nullable, no initializer: required.</summary>
    public string Id { get; init; }
}
#pragma warning restore CS8618

/// <summary>A constructor with a parameter whose body derives another init-only member from it.</summary>
public sealed class ConstructorDerived
{
    public ConstructorDerived(string code)
    {
        Code = code;
        Upper = code.ToUpperInvariant();
    }

    public string Code { get; }
    public string Upper { get; init; }
}

[Workflow("gap-elements")]
public partial class GapElementsWorkflow
{
    [WorkflowRun]
    public Task<ElementNullability> RunAsync(ElementNullability input) => Task.FromResult(input);
}

[Workflow("gap-order")]
public partial class GapOrderWorkflow
{
    [WorkflowRun]
    public Task<GapOrder> RunAsync(GapOrder input) => Task.FromResult(input);
}

[Workflow("gap-constructor")]
public partial class GapConstructorWorkflow
{
    [WorkflowRun]
    public Task<ConstructorAssigned> RunAsync(ConstructorAssigned input) => Task.FromResult(input);
}

/// <summary>A type only the user's own JsonSerializerContext can journal (it has a constructor System.Text.Json binds).</summary>
public sealed class ContextPayment
{
    [JsonConstructor]
    public ContextPayment(string id, decimal amount)
    {
        Id = id;
        Amount = amount;
    }

    public string Id { get; }
    public decimal Amount { get; }
    public string Memo { get; set; } = "";
    public string? Comment { get; set; }

    /// <summary>The generator cannot journal 'object' (no shape to rebuild): the workflow's JsonSerializerContext carries the type.</summary>
    public object? Extra { get; set; }
}

[JsonSerializable(typeof(ContextPayment))]
public sealed partial class GapJsonContext : JsonSerializerContext;

[Workflow("gap-context", JsonSerializerContext = typeof(GapJsonContext))]
public partial class GapContextWorkflow
{
    [WorkflowRun]
    public Task<ContextPayment> RunAsync(ContextPayment input) => Task.FromResult(input);
}

/// <summary>The strict-reading gaps of issue 7: element nullability, wrong tokens, constructor-set defaults, user contexts.</summary>
public sealed class CodecGapTests
{
    private static WorkflowSerializationException Refused<T>(JsonCodec<T> codec, string json, string path, string problem)
    {
        var error = Assert.Throws<WorkflowSerializationException>(() => codec.Deserialize(json));
        Assert.Equal(path, error.MemberPath);
        Assert.Contains(path + " " + problem, error.Message);
        return error;
    }

    private static ElementNullability SampleElements() => new(
        ["a", "b", "c"], ["a", null], ["x"], [null, "y"], ["n"], [null], new() { ["k"] = "v" }, new() { ["k"] = null },
        [["p"]], [[null, "q"]]);

    private static readonly JsonCodec<ElementNullability> Elements = GapElementsWorkflow.Definition.InputCodec;

    // Gap 1: a JSON null element is refused where the element type is not nullable, and read where it is.

    [Fact]
    public void Nullable_elements_round_trip_null()
    {
        var value = SampleElements();
        var back = Elements.Deserialize(Elements.Serialize(value));
        Assert.Equal(Elements.Serialize(value), Elements.Serialize(back));
        Assert.Null(back.MaybeTags[1]);
        Assert.Null(back.MaybeCodes[0]);
        Assert.Null(back.MaybeNames[0]);
        Assert.Null(back.MaybeLabels["k"]);
        Assert.Null(back.MaybeNested[0][0]);
    }

    [Theory]
    [InlineData("tags", """["a","b",null]""", "ElementNullability.Tags[2]", "List<string>")]
    [InlineData("codes", """[null]""", "ElementNullability.Codes[0]", "string[]")]
    [InlineData("names", """["n",null]""", "ElementNullability.Names[1]", "IReadOnlyList<string>")]
    [InlineData("labels", """{"k":null}""", "ElementNullability.Labels[\"k\"]", "Dictionary<string, string>")]
    [InlineData("nested", """[["p"],["q",null]]""", "ElementNullability.Nested[1][1]", "List<string>")]
    public void A_null_element_of_a_non_nullable_element_type_is_refused(string member, string elements, string path, string collection)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(Elements.Serialize(SampleElements()))!;
        node[member] = System.Text.Json.Nodes.JsonNode.Parse(elements);
        Refused(Elements, node.ToJsonString(), path, $"is null, and the elements of {collection} are not nullable");
    }

    // Gap 2: a wrong token names the member path, what was expected and what was found.

    private static readonly JsonCodec<GapOrder> Order = GapOrderWorkflow.Definition.InputCodec;

    private static string OrderJson(string amount = "1.50", string lines = """[{"sku":"a","quantity":1},{"sku":"b","quantity":2}]""",
        string shipTo = """{"city":"Oslo","zip":null}""", string at = "\"2024-05-06T07:08:09.0000000+02:00\"") =>
        $$"""{"amount":{{amount}},"lines":{{lines}},"shipTo":{{shipTo}},"at":{{at}},"id":"6f9619ff-8b86-d011-b42d-00cf4fc964ff"}""";

    [Fact]
    public void The_order_json_is_readable() => Assert.Equal(1.50m, Order.Deserialize(OrderJson()).Amount);

    [Theory]
    [InlineData("amount", "\"x\"", "GapOrder.Amount", "is a JSON string where decimal was expected")]
    [InlineData("lines", "{}", "GapOrder.Lines", "is a JSON object where List<GapLine> was expected")]
    [InlineData("shipTo", """{"city":5}""", "GapOrder.ShipTo.City", "is a JSON number where string was expected")]
    [InlineData("lines", """[{"sku":"a","quantity":1},{"sku":[],"quantity":2}]""", "GapOrder.Lines[1].Sku", "is a JSON array where string was expected")]
    [InlineData("lines", """[{"sku":"a","quantity":"1"}]""", "GapOrder.Lines[0].Quantity", "is a JSON string where int was expected")]
    [InlineData("shipTo", "[]", "GapOrder.ShipTo", "is a JSON array where GapAddress was expected")]
    [InlineData("lines", "[1]", "GapOrder.Lines[0]", "is a JSON number where GapLine was expected")]
    public void A_wrong_token_names_the_member_path_and_what_was_expected(string member, string value, string path, string problem)
    {
        var json = member switch
        {
            "amount" => OrderJson(amount: value),
            "lines" => OrderJson(lines: value),
            _ => OrderJson(shipTo: value),
        };
        var error = Refused(Order, json, path, problem);
        Assert.IsType<JournalMemberException>(error.InnerException);
    }

    [Theory]
    [InlineData("1e400", "GapOrder.Amount")]
    [InlineData("\"not a time\"", "GapOrder.At")]
    public void A_value_that_cannot_be_parsed_names_the_member_path(string value, string path)
    {
        var json = path.EndsWith("Amount", StringComparison.Ordinal) ? OrderJson(amount: value) : OrderJson(at: value);
        var error = Refused(Order, json, path, "cannot be read: ");
        Assert.IsType<JournalMemberException>(error.InnerException);
    }

    [Fact]
    public void A_wrong_token_for_the_whole_value_names_the_type() =>
        Refused(Order, "[]", "GapOrder", "is a JSON array where GapOrder was expected");

    // Gap 3: a member the constructor's body sets has that value as its default.

    [Fact]
    public void A_missing_member_the_constructor_sets_reads_as_the_constructors_value()
    {
        var codec = GapConstructorWorkflow.Definition.InputCodec;
        var declared = new ConstructorAssigned();
        var missing = codec.Deserialize("""{"id":"i"}""");
        Assert.Equal(("i", declared.Currency, declared.Retries, declared.Note, declared.Level), (missing.Id, missing.Currency, missing.Retries, missing.Note, missing.Level));
        Assert.Equal(declared.Tags, missing.Tags);

        var given = new ConstructorAssigned { Id = "j", Currency = "NOK", Retries = 0, Tags = [], Note = null, Level = DefaultTier.Minus };
        var back = codec.Deserialize(codec.Serialize(given));
        Assert.Equal(codec.Serialize(given), codec.Serialize(back));
        Assert.Equal(("j", "NOK", 0, (string?)null, DefaultTier.Minus), (back.Id, back.Currency, back.Retries, back.Note, back.Level));
        Assert.Empty(back.Tags);
    }

    [Fact]
    public void A_non_nullable_member_the_constructor_does_not_set_is_required()
    {
        var codec = GapConstructorWorkflow.Definition.InputCodec;
        Refused(codec, """{"currency":"EUR"}""", "ConstructorAssigned.Id", "is missing, and ConstructorAssigned requires it");
        Refused(codec, """{"id":"i","currency":null}""", "ConstructorAssigned.Currency", "is null, and ConstructorAssigned.Currency is not nullable");
    }

    [Fact]
    public void A_missing_member_the_constructor_derives_from_its_argument_reads_as_derived()
    {
        var codec = GapDerivedWorkflow.Definition.InputCodec;
        Assert.Equal("ABC", codec.Deserialize("""{"code":"abc"}""").Upper);
        Assert.Equal("kept", codec.Deserialize("""{"code":"abc","upper":"kept"}""").Upper);
        Refused(codec, """{"upper":"X"}""", "ConstructorDerived.Code", "is missing, and ConstructorDerived requires it");
    }

    // Gap 4: types of the user's JsonSerializerContext are read with RespectRequiredConstructorParameters and RespectNullableAnnotations.

    private static readonly JsonCodec<ContextPayment> Payment = GapContextWorkflow.Definition.InputCodec;

    [Fact]
    public void A_context_type_round_trips()
    {
        var back = Payment.Deserialize(Payment.Serialize(new ContextPayment("p", 1.50m) { Memo = "m", Comment = null }));
        Assert.Equal(("p", "1.50", "m", (string?)null), (back.Id, back.Amount.ToString(System.Globalization.CultureInfo.InvariantCulture), back.Memo, back.Comment));
        Assert.False(GapJsonContext.Default.Options.RespectRequiredConstructorParameters);
        Assert.False(GapJsonContext.Default.Options.RespectNullableAnnotations);
    }

    [Fact]
    public void A_context_type_missing_a_required_constructor_parameter_is_refused()
    {
        var error = Assert.Throws<WorkflowSerializationException>(() => Payment.Deserialize("""{"Id":"p","Memo":"m"}"""));
        Assert.Equal("ContextPayment", error.TypeName);
        Assert.StartsWith("Cannot read ContextPayment from the journal payload", error.Message);
        Assert.Contains("'Amount'", error.Message);
        Assert.IsType<JsonException>(error.InnerException, exactMatch: false);
    }

    [Fact]
    public void A_context_type_with_null_for_a_non_nullable_member_is_refused()
    {
        var error = Assert.Throws<WorkflowSerializationException>(() => Payment.Deserialize("""{"Id":null,"Amount":1}"""));
        Assert.Equal("ContextPayment", error.TypeName);
        Assert.Contains("'id'", error.Message);
        var property = Assert.Throws<WorkflowSerializationException>(() => Payment.Deserialize("""{"Id":"p","Amount":1,"Memo":null}"""));
        Assert.Contains("'Memo'", property.Message);
        Assert.Contains("$.Memo", property.Message);
        Assert.Null(Payment.Deserialize("""{"Id":"p","Amount":1,"Comment":null}""").Comment);
    }

    [Fact]
    public void A_context_type_missing_a_non_nullable_property_that_is_not_a_parameter_reads_as_its_initializer() =>
        Assert.Equal("", Payment.Deserialize("""{"Id":"p","Amount":1}""").Memo);
}

[Workflow("gap-derived")]
public partial class GapDerivedWorkflow
{
    [WorkflowRun]
    public Task<ConstructorDerived> RunAsync(ConstructorDerived input) => Task.FromResult(input);
}
