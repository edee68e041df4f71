using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests;

/// <summary>
/// Public instance fields are journaled like properties (issue 13, item 4): a settable field is written and read back,
/// a readonly one through the constructor parameter of its name, and const or static fields are never written.
/// </summary>
public sealed class FieldCodecGeneratorTests
{
    private const string Source = """
        using Workflows;
        namespace Sample;
        public sealed class Reading
        {
            public const string Unit = "kWh";
            public static int Created;
            public readonly string Meter;
            public double Value;
            public int Retries = 3;
            public required string Site;
            public string? Note;
            public Reading(string meter) => Meter = meter;
        }
        public struct Point { public int X; public int Y; }
        [Workflow("work")]
        public partial class Work
        {
            [WorkflowRun]
            public Task<Point> RunAsync(Reading input) => Task.FromResult(new Point { X = (int)input.Value });
        }
        """;

    private static string Generated()
    {
        var run = GeneratorHarness.Run(new SourceFile("/src/Work.cs", Source));
        run.AssertCompilesCleanly();
        return run.Source("Sample.Work.g.cs");
    }

    /// <summary>The body of the generated codec class of <paramref name="type"/>.</summary>
    private static string CodecOf(string text, string type)
    {
        var start = text.IndexOf($"Codec : global::Workflows.Serialization.JsonCodec<global::Sample.{type}>", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no codec for {type}");
        var end = text.IndexOf("file sealed class", start, StringComparison.Ordinal);
        return end < 0 ? text[start..] : text[start..end];
    }

    [Fact]
    public void Every_public_instance_field_is_written_and_const_or_static_ones_are_not()
    {
        var codec = CodecOf(Generated(), "Reading");
        foreach (var field in new[] { "Meter", "Value", "Retries", "Site", "Note" })
        {
            Assert.Contains($"value.@{field});", codec);
        }
        Assert.DoesNotContain("Unit", codec);
        Assert.DoesNotContain("Created", codec);
    }

    [Fact]
    public void A_readonly_field_is_read_through_its_constructor_parameter_and_the_others_through_the_initializer()
    {
        var codec = CodecOf(Generated(), "Reading");
        // Value (no initializer, not nullable) and the required Site must be present; Retries keeps its initializer when missing.
        Assert.Contains("new global::Sample.Reading(p0) { @Value = p1, @Site = p3 };", codec);
        Assert.Contains("if (s2) value.@Retries = p2;", codec);
        Assert.Contains("if (s4) value.@Note = p4;", codec);
        Assert.Contains("JsonMembers.Missing(\"Reading\", \"Value\")", codec);
        Assert.Contains("JsonMembers.Missing(\"Reading\", \"Site\")", codec);
        Assert.DoesNotContain("JsonMembers.Missing(\"Reading\", \"Retries\")", codec);
        Assert.DoesNotContain("JsonMembers.Missing(\"Reading\", \"Note\")", codec);
    }

    [Fact]
    public void A_struct_of_fields_is_rebuilt_through_its_object_initializer()
    {
        var codec = CodecOf(Generated(), "Point");
        Assert.Contains("return new global::Sample.Point() { @X = p0, @Y = p1 };", codec);
    }

    [Fact]
    public void Fields_are_part_of_the_schema_shape()
    {
        // A field added, removed or retyped changes the recorded schema like a property would.
        Assert.Contains("""object(global::Sample.Reading{\"meter\"!:string;\"note\"?:#string;\"retries\":int;\"site\"!:#string;\"value\"!:double;})""", Generated());
    }
}
