using Workflows.Serialization;

namespace Workflows.Tests.Serialization;

/// <summary>A class of public fields: settable ones, a readonly one set by the constructor, a required one, const and static ones.</summary>
public sealed class FieldReading
{
    public const string Unit = "kWh";
    public static int Created;
    public readonly string Meter;
    public decimal Value;
    public int Retries = 3;
    public required string Site;
    public string? Note;
    public List<string> Tags = ["default"];
    public FieldPoint Origin;

    public FieldReading(string meter) => Meter = meter;
}

/// <summary>A mutable struct of fields.</summary>
public struct FieldPoint
{
    public int X;
    public int Y;
}

/// <summary>An immutable struct whose readonly fields come from its constructor.</summary>
public readonly struct FieldSize
{
    public readonly double Width;
    public readonly double Height;

    public FieldSize(double width, double height)
    {
        Width = width;
        Height = height;
    }
}

/// <summary>A positional record with an extra public field.</summary>
public sealed record FieldLabel(string Text)
{
    public int Priority;
}

public sealed record FieldEnvelope(FieldReading Reading, FieldSize Size, FieldLabel Label);

[Workflow("field-codecs")]
public partial class FieldCodecWorkflow
{
    [WorkflowRun]
    public Task<FieldEnvelope> RunAsync(FieldEnvelope input) => Task.FromResult(input);
}

/// <summary>
/// Public fields go through the generated codecs like properties (issue 13, item 4): before, a type of fields was written
/// as <c>{}</c> and read back as a default object.
/// </summary>
public sealed class FieldCodecTests
{
    private static readonly JsonCodec<FieldEnvelope> Codec = FieldCodecWorkflow.Definition.InputCodec;

    private static FieldEnvelope Sample() => new(
        new FieldReading("meter-7")
        {
            Value = 12.340m,
            Retries = 5,
            Site = "Oslo",
            Note = "checked",
            Tags = ["a", "b"],
            Origin = new FieldPoint { X = -3, Y = 9 },
        },
        new FieldSize(1.5, 2.25),
        new FieldLabel("urgent") { Priority = 2 });

    [Fact]
    public void Every_public_field_round_trips()
    {
        var back = Codec.Deserialize(Codec.Serialize(Sample()));

        Assert.Equal("meter-7", back.Reading.Meter);
        Assert.Equal("12.340", back.Reading.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(5, back.Reading.Retries);
        Assert.Equal("Oslo", back.Reading.Site);
        Assert.Equal("checked", back.Reading.Note);
        Assert.Equal(["a", "b"], back.Reading.Tags);
        Assert.Equal((-3, 9), (back.Reading.Origin.X, back.Reading.Origin.Y));
        Assert.Equal((1.5, 2.25), (back.Size.Width, back.Size.Height));
        Assert.Equal(("urgent", 2), (back.Label.Text, back.Label.Priority));
        Assert.Equal(Codec.Serialize(Sample()), Codec.Serialize(back));
    }

    [Fact]
    public void Fields_are_written_by_their_journal_names_and_const_or_static_fields_are_not()
    {
        FieldReading.Created = 42;
        var json = Codec.Serialize(Sample());

        Assert.Contains("\"meter\":\"meter-7\"", json);
        Assert.Contains("\"origin\":{\"x\":-3,\"y\":9}", json);
        Assert.Contains("\"size\":{\"width\":1.5,\"height\":2.25}", json);
        Assert.Contains("\"priority\":2", json);
        Assert.DoesNotContain("unit", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("created", json, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_missing_optional_field_keeps_its_initializer_and_a_missing_required_one_is_refused()
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(Codec.Serialize(Sample()))!;
        var reading = node["reading"]!.AsObject();
        reading.Remove("retries");
        reading.Remove("tags");
        reading.Remove("note");
        var back = Codec.Deserialize(node.ToJsonString());
        Assert.Equal(3, back.Reading.Retries);
        Assert.Equal(["default"], back.Reading.Tags);
        Assert.Null(back.Reading.Note);

        reading.Remove("site");
        var error = Assert.Throws<WorkflowSerializationException>(() => Codec.Deserialize(node.ToJsonString()));
        Assert.Equal("FieldEnvelope.Reading.Site", error.MemberPath);
    }

    [Fact]
    public void A_null_where_a_field_is_not_nullable_is_refused()
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(Codec.Serialize(Sample()))!;
        node["reading"]!["meter"] = null;
        var error = Assert.Throws<WorkflowSerializationException>(() => Codec.Deserialize(node.ToJsonString()));
        Assert.Equal("FieldEnvelope.Reading.Meter", error.MemberPath);
    }
}
