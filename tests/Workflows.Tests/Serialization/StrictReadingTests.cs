using System.Text.Json.Nodes;
using Workflows.Serialization;
using Workflows.Tests.TestWorkflows;

namespace Workflows.Tests.Serialization;

// One run per surface type, so that each type's generated codec is reachable as a run's input codec.
[Workflow("strict-item")]
public partial class StrictItemWorkflow
{
    [WorkflowRun]
    public Task<Item> RunAsync(Item input) => Task.FromResult(input);
}

[Workflow("strict-point")]
public partial class StrictPointWorkflow
{
    [WorkflowRun]
    public Task<Point> RunAsync(Point input) => Task.FromResult(input);
}

[Workflow("strict-init-only")]
public partial class StrictInitOnlyWorkflow
{
    [WorkflowRun]
    public Task<InitOnlyThing> RunAsync(InitOnlyThing input) => Task.FromResult(input);
}

[Workflow("strict-settable")]
public partial class StrictSettableWorkflow
{
    [WorkflowRun]
    public Task<SettableThing> RunAsync(SettableThing input) => Task.FromResult(input);
}

[Workflow("strict-mixed")]
public partial class StrictMixedWorkflow
{
    [WorkflowRun]
    public Task<Mixed?> RunAsync(Mixed input) => Task.FromResult<Mixed?>(input);
}

[Workflow("strict-nested")]
public partial class StrictNestedWorkflow
{
    [WorkflowRun]
    public Task<Dictionary<string, List<Item>>?> RunAsync(Dictionary<string, List<Item>> input) =>
        Task.FromResult<Dictionary<string, List<Item>>?>(input);
}

public enum DefaultTier
{
    Minus = -3,
    Basic = 1,
    Gold = 2,
}

/// <summary>Constructor parameters with default values of several literal kinds.</summary>
public sealed record ParameterDefaults(
    string Id,
    decimal Amount = 5,
    decimal Fee = 1.50m,
    DefaultTier Tier = DefaultTier.Gold,
    DefaultTier Low = DefaultTier.Minus,
    string Label = "a \"q\"\n\\",
    char Mark = '\'',
    double Ratio = 0.1,
    float Scale = 1.5f,
    long Big = 9_000_000_000L,
    uint Small = 7u,
    bool On = true,
    int? Maybe = 7,
    DefaultTier? NoTier = null,
    string? Nothing = null);

/// <summary>Properties with initializers: settable, init-only with a constant, init-only with a non-constant one.</summary>
public sealed class InitializedThing
{
    public string Name { get; set; } = "unnamed";
    public List<string> Tags { get; set; } = ["t"];
    public string Title { get; init; } = "";
    public DefaultTier Level { get; init; } = DefaultTier.Gold;
    public decimal Price { get; init; } = 2.50m;
    public double Weight { get; init; } = 3;
    public string Greeting { get; init; } = "hi" + "!";
    public List<string> Items { get; init; } = new();
    public List<string>? Extra { get; init; } = [];
}

[Workflow("strict-parameter-defaults")]
public partial class StrictParameterDefaultsWorkflow
{
    [WorkflowRun]
    public Task<ParameterDefaults> RunAsync(ParameterDefaults input) => Task.FromResult(input);
}

[Workflow("strict-initialized")]
public partial class StrictInitializedWorkflow
{
    [WorkflowRun]
    public Task<InitializedThing> RunAsync(InitializedThing input) => Task.FromResult(input);
}

/// <summary>
/// The generated codecs read strictly: a missing member the type requires, or a null where the type or member is not
/// nullable, is a <see cref="WorkflowSerializationException"/> naming the member path; a missing optional member reads as
/// its default; unknown members are ignored.
/// </summary>
public sealed class StrictReadingTests
{
    private static readonly JsonCodec<Item> ItemCodec = StrictItemWorkflow.Definition.InputCodec;
    private static readonly JsonCodec<Envelope> EnvelopeCodec = TypeSurfaceWorkflow.Definition.InputCodec;

    private static Item SampleItem(string name = "i") => new(name, 3, 1.50m, Color.Blue, new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.FromHours(2)), "note");

    private static string Edit<T>(JsonCodec<T> codec, T value, Action<JsonNode> edit)
    {
        var node = JsonNode.Parse(codec.Serialize(value))!;
        edit(node);
        return node.ToJsonString();
    }

    private static WorkflowSerializationException Refused<T>(JsonCodec<T> codec, string json, string path, string problem)
    {
        var error = Assert.Throws<WorkflowSerializationException>(() => codec.Deserialize(json));
        Assert.Equal(path, error.MemberPath);
        Assert.Contains(path + " " + problem, error.Message);
        return error;
    }

    [Fact]
    public void The_issue_example_a_foreign_object_is_refused_not_read_as_defaults()
    {
        var error = Refused(ItemCodec, """{"foo":1}""", "Item.Name", "is missing, and Item requires it");
        Assert.StartsWith("Cannot read Item from the journal payload {\"foo\":1}", error.Message);
    }

    [Theory]
    [InlineData("name", "Item.Name")]
    [InlineData("quantity", "Item.Quantity")]
    [InlineData("price", "Item.Price")]
    [InlineData("color", "Item.Color")]
    [InlineData("at", "Item.At")]
    public void Item_missing_a_required_member_is_refused(string member, string path) =>
        Refused(ItemCodec, Edit(ItemCodec, SampleItem(), n => n.AsObject().Remove(member)), path, "is missing, and Item requires it");

    [Theory]
    [InlineData("name", "Item.Name")]
    [InlineData("quantity", "Item.Quantity")]
    [InlineData("price", "Item.Price")]
    [InlineData("at", "Item.At")]
    public void Item_null_for_a_non_nullable_member_is_refused(string member, string path) =>
        Refused(ItemCodec, Edit(ItemCodec, SampleItem(), n => n[member] = null), path, $"is null, and {path} is not nullable");

    [Fact]
    public void Item_optional_members_unknown_members_and_round_trip()
    {
        var item = SampleItem();
        Assert.Equal(item, ItemCodec.Deserialize(ItemCodec.Serialize(item)));
        Assert.Equal(item with { Note = null }, ItemCodec.Deserialize(Edit(ItemCodec, item, n => n.AsObject().Remove("note"))));
        Assert.Equal(item with { Note = null }, ItemCodec.Deserialize(Edit(ItemCodec, item, n => n["note"] = null)));
        Assert.Equal(item, ItemCodec.Deserialize(Edit(ItemCodec, item, n => { n["later"] = new JsonObject { ["x"] = 1 }; n["other"] = null; })));
    }

    [Fact]
    public void A_null_where_the_type_is_not_nullable_is_refused_and_a_nullable_use_keeps_null()
    {
        Refused(ItemCodec, "null", "Item", "is null, and Item is not nullable");
        Refused(StrictMixedWorkflow.Definition.InputCodec, "null", "Mixed", "is null, and Mixed is not nullable");
        Assert.Null(StrictMixedWorkflow.Definition.OutputCodec.Deserialize("null"));
    }

    [Fact]
    public void Point_record_struct()
    {
        var codec = StrictPointWorkflow.Definition.InputCodec;
        Assert.Equal(new Point(1, -2), codec.Deserialize(codec.Serialize(new Point(1, -2))));
        Assert.Equal(new Point(1, -2), codec.Deserialize("""{"x":1,"y":-2,"z":3}"""));
        Refused(codec, """{"x":1}""", "Point.Y", "is missing, and Point requires it");
        Refused(codec, """{"x":null,"y":2}""", "Point.X", "is null, and Point.X is not nullable");
    }

    [Fact]
    public void Envelope_nested_paths()
    {
        var envelope = Samples.MakeEnvelope();
        var back = EnvelopeCodec.Deserialize(EnvelopeCodec.Serialize(envelope));
        Assert.Equal(EnvelopeCodec.Serialize(envelope), EnvelopeCodec.Serialize(back));

        Refused(EnvelopeCodec, Edit(EnvelopeCodec, envelope, n => n["items"]![1]!.AsObject().Remove("price")),
            "Envelope.Items[1].Price", "is missing, and Item requires it");
        Refused(EnvelopeCodec, Edit(EnvelopeCodec, envelope, n => n["items"]![0]!["name"] = null),
            "Envelope.Items[0].Name", "is null, and Item.Name is not nullable");
        Refused(EnvelopeCodec, Edit(EnvelopeCodec, envelope, n => n["items"]![1] = null),
            "Envelope.Items[1]", "is null, and the elements of IReadOnlyList<Item> are not nullable");
        Refused(EnvelopeCodec, Edit(EnvelopeCodec, envelope, n => n["palette"]![0] = null),
            "Envelope.Palette[0]", "is null, and the elements of Color[] are not nullable");
        Refused(EnvelopeCodec, Edit(EnvelopeCodec, envelope, n => n.AsObject().Remove("items")),
            "Envelope.Items", "is missing, and Envelope requires it");
        Refused(EnvelopeCodec, Edit(EnvelopeCodec, envelope, n => n["headers"] = null),
            "Envelope.Headers", "is null, and Envelope.Headers is not nullable");

        // Optional (nullable) members: missing reads as null; nullable dictionary values stay null; unknown members are skipped.
        var optional = EnvelopeCodec.Deserialize(Edit(EnvelopeCodec, envelope, n =>
        {
            n.AsObject().Remove("origin");
            n.AsObject().Remove("inner");
            n["headers"]!["trace"] = null;
            n["added"] = "later";
        }));
        Assert.Null(optional.Origin);
        Assert.Null(optional.Inner);
        Assert.Null(optional.Headers["trace"]);
        Assert.Equal(envelope.Items, optional.Items);
    }

    [Fact]
    public void Init_only_class()
    {
        var codec = StrictInitOnlyWorkflow.Definition.InputCodec;
        var thing = Samples.InitOnlyThings[0]!;
        var back = codec.Deserialize(codec.Serialize(thing));
        Assert.Equal(codec.Serialize(thing), codec.Serialize(back));

        // Access is a value type with no initializer: required. Count and Item are nullable: optional.
        Refused(codec, Edit(codec, thing, n => n.AsObject().Remove("access")), "InitOnlyThing.Access", "is missing, and InitOnlyThing requires it");
        Refused(codec, Edit(codec, thing, n => n["tags"]![1] = null), "InitOnlyThing.Tags[1]", "is null, and the elements of IReadOnlyList<string> are not nullable");
        Refused(codec, Edit(codec, thing, n => n["item"]!.AsObject().Remove("at")), "InitOnlyThing.Item.At", "is missing, and Item requires it");
        var optional = codec.Deserialize(Edit(codec, thing, n => { n.AsObject().Remove("count"); n.AsObject().Remove("item"); n["unknown"] = 1; }));
        Assert.Null(optional.Count);
        Assert.Null(optional.Item);
        Assert.Equal(thing.Access, optional.Access);
        Assert.Equal(thing.Tags, optional.Tags);
    }

    [Fact]
    public void Settable_class()
    {
        var codec = StrictSettableWorkflow.Definition.InputCodec;
        var thing = Samples.SettableThings[0]!;
        Assert.Equal(codec.Serialize(thing), codec.Serialize(codec.Deserialize(codec.Serialize(thing))));

        Refused(codec, Edit(codec, thing, n => n.AsObject().Remove("when")), "SettableThing.When", "is missing, and SettableThing requires it");
        Refused(codec, Edit(codec, thing, n => n["ratio"] = null), "SettableThing.Ratio", "is null, and SettableThing.Ratio is not nullable");
        var optional = codec.Deserialize(Edit(codec, thing, n => { n.AsObject().Remove("label"); n.AsObject().Remove("next"); n["x"] = "y"; }));
        Assert.Null(optional.Label);
        Assert.Null(optional.Next);
        Assert.Equal(thing.Ratio, optional.Ratio);
        Assert.Equal(thing.When, optional.When);
    }

    [Fact]
    public void Class_with_a_constructor_parameter()
    {
        var codec = StrictMixedWorkflow.Definition.InputCodec;
        var mixed = Samples.Mixeds[0];
        var back = codec.Deserialize(codec.Serialize(mixed));
        Assert.Equal((mixed.Id, mixed.Extra), (back.Id, back.Extra));
        Refused(codec, """{"extra":1}""", "Mixed.Id", "is missing, and Mixed requires it");
        Refused(codec, """{"id":null,"extra":1}""", "Mixed.Id", "is null, and Mixed.Id is not nullable");
        var ignored = codec.Deserialize("""{"id":"a","extra":2,"removed":[1,2]}""");
        Assert.Equal(("a", 2L), (ignored.Id, ignored.Extra));
    }

    [Fact]
    public void Collections_of_records_name_keys_and_indexes()
    {
        var input = StrictNestedWorkflow.Definition.InputCodec;
        var output = StrictNestedWorkflow.Definition.OutputCodec;
        var map = new Dictionary<string, List<Item>> { ["a"] = [SampleItem("x"), SampleItem("y")], ["b"] = [] };
        var back = input.Deserialize(input.Serialize(map));
        Assert.Equal(map["a"], back["a"]);
        Assert.Empty(back["b"]);

        Refused(input, Edit(input, map, n => n["a"]![1]!.AsObject().Remove("quantity")),
            "Dictionary<string, List<Item>>[\"a\"][1].Quantity", "is missing, and Item requires it");
        Refused(input, Edit(input, map, n => n["a"]![0] = null),
            "Dictionary<string, List<Item>>[\"a\"][0]", "is null, and the elements of List<Item> are not nullable");
        Refused(input, Edit(input, map, n => n["b"] = null),
            "Dictionary<string, List<Item>>[\"b\"]", "is null, and the elements of Dictionary<string, List<Item>> are not nullable");

        // The output is nullable as a whole, its elements are not.
        Assert.Null(output.Deserialize("null"));
        Refused(output, """{"a":[null]}""", "Dictionary<string, List<Item>>[\"a\"][0]", "is null, and the elements of List<Item> are not nullable");
    }

    [Fact]
    public void A_missing_constructor_parameter_reads_as_its_declared_default()
    {
        var codec = StrictParameterDefaultsWorkflow.Definition.InputCodec;
        var declared = new ParameterDefaults("x");
        var missing = codec.Deserialize("""{"id":"x"}""");
        Assert.Equal(declared, missing);
        Assert.Equal(5m, missing.Amount);
        Assert.Equal("1.50", missing.Fee.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(DefaultTier.Gold, missing.Tier);
        Assert.Equal(DefaultTier.Minus, missing.Low);
        Assert.Equal("a \"q\"\n\\", missing.Label);
        Assert.Equal('\'', missing.Mark);
        Assert.Equal(0.1, missing.Ratio);
        Assert.Equal(1.5f, missing.Scale);
        Assert.Equal(9_000_000_000L, missing.Big);
        Assert.Equal(7u, missing.Small);
        Assert.True(missing.On);
        Assert.Equal(7, missing.Maybe);
        Assert.Null(missing.NoTier);
        Assert.Null(missing.Nothing);

        var given = new ParameterDefaults("y", 0m, 2.000m, DefaultTier.Basic, DefaultTier.Basic, "", 'z', -1e300, 2.25f, -1, 0u, false, null, DefaultTier.Minus, "n");
        Assert.Equal(codec.Serialize(given), codec.Serialize(codec.Deserialize(codec.Serialize(given))));
        var back = codec.Deserialize(codec.Serialize(given));
        Assert.Equal((0m, DefaultTier.Basic, "", 'z', false, (int?)null, (DefaultTier?)DefaultTier.Minus), (back.Amount, back.Tier, back.Label, back.Mark, back.On, back.Maybe, back.NoTier));
        Refused(codec, """{"amount":1}""", "ParameterDefaults.Id", "is missing, and ParameterDefaults requires it");
    }

    [Fact]
    public void A_missing_property_reads_as_its_initializer_or_is_required_when_that_is_not_a_constant()
    {
        var codec = StrictInitializedWorkflow.Definition.InputCodec;
        var declared = new InitializedThing();

        // Items is init-only, not nullable, and its initializer is not a constant: required.
        Refused(codec, """{"name":"n"}""", "InitializedThing.Items", "is missing, and InitializedThing requires it");

        var missing = codec.Deserialize("""{"items":["i"]}""");
        Assert.Equal(declared.Name, missing.Name);
        Assert.Equal(declared.Tags, missing.Tags);
        Assert.Equal("", missing.Title);
        Assert.Equal(DefaultTier.Gold, missing.Level);
        Assert.Equal("2.50", missing.Price.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(3d, missing.Weight);
        Assert.Equal("hi!", missing.Greeting);
        Assert.Equal(["i"], missing.Items);
        Assert.Null(missing.Extra); // nullable, not a constant: optional, reads as null

        var given = new InitializedThing
        {
            Name = "a", Tags = ["u", "v"], Title = "T", Level = DefaultTier.Minus, Price = 0.1m, Weight = -2.5,
            Greeting = "yo", Items = [], Extra = ["e"],
        };
        var back = codec.Deserialize(codec.Serialize(given));
        Assert.Equal(codec.Serialize(given), codec.Serialize(back));
        Assert.Equal(("a", "T", DefaultTier.Minus, 0.1m, -2.5, "yo"), (back.Name, back.Title, back.Level, back.Price, back.Weight, back.Greeting));
        Assert.Equal(["u", "v"], back.Tags);
        Assert.Equal(["e"], back.Extra!);
        Refused(codec, """{"items":[],"name":null}""", "InitializedThing.Name", "is null, and InitializedThing.Name is not nullable");
    }
}
