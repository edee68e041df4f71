using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests;

/// <summary>
/// The model behind the strict-reading gaps of issue 7: element nullability is part of a collection's shape, and an
/// init-only member the constructor's body may set reads as the constructor's value when the payload lacks it.
/// </summary>
public sealed class CodecGapGeneratorTests
{
    private const string Elements = """
        using Workflows;
        namespace Sample;
        public sealed record Tags(List<string> Strict, List<string?> Loose, string[] Codes, string?[] MaybeCodes,
            Dictionary<string, string> Labels, Dictionary<string, string?> MaybeLabels, List<List<string?>> Nested);
        [Workflow("work")]
        public partial class Work
        {
            [WorkflowRun]
            public Task<Tags> RunAsync(Tags input) => Task.FromResult(input);
        }
        """;

    private static string Generated(string source)
    {
        var run = GeneratorHarness.Run(new SourceFile("/src/Work.cs", source));
        run.AssertCompilesCleanly();
        return run.Source("Sample.Work.g.cs");
    }

    [Fact]
    public void Non_nullable_and_nullable_elements_get_codecs_of_their_own()
    {
        var text = Generated(Elements);
        Assert.Contains("ListCodec<global::System.Collections.Generic.List<string>, string>(global::Workflows.Serialization.JsonCodecs.String, static list => list, \"List<string>\", nullElements: false)", text);
        Assert.Contains("ListCodec<global::System.Collections.Generic.List<string>, string>(global::Workflows.Serialization.JsonCodecs.String, static list => list, \"List<string>\", nullElements: true)", text);
        Assert.Contains("ArrayCodec<string>(global::Workflows.Serialization.JsonCodecs.String, nullElements: false)", text);
        Assert.Contains("ArrayCodec<string>(global::Workflows.Serialization.JsonCodecs.String, nullElements: true)", text);
        Assert.Contains("\"Dictionary<string, string>\", nullValues: false)", text);
        Assert.Contains("\"Dictionary<string, string>\", nullValues: true)", text);
        // The emitted C# has no nullable-reference annotations (the file is #nullable disable).
        Assert.DoesNotContain("string?", text.Replace("\"", "").Split("schemaShape:")[0]);
    }

    [Fact]
    public void The_schema_shape_tells_the_element_nullability_apart()
    {
        var text = Generated(Elements);
        // A later mention of a described type is #Id: the nested list refers to the List<string?> (|?) shape, not List<string>.
        Assert.Contains(@"\""strict\""!:list(global::System.Collections.Generic.List<string>|#string)", text);
        Assert.Contains(@"\""loose\""!:list(global::System.Collections.Generic.List<string?>|?#string)", text);
        Assert.Contains(@"\""maybeCodes\""!:array(string?[]|?#string)", text);
        Assert.Contains(@"\""codes\""!:array(string[]|string)", text);
        Assert.Contains(@"\""nested\""!:list(global::System.Collections.Generic.List<global::System.Collections.Generic.List<string?>>|#global::System.Collections.Generic.List<string?>)", text);
    }

    [Fact]
    public void An_oblivious_use_of_the_same_collection_takes_null_elements()
    {
        var text = Generated("""
            using Workflows;
            namespace Sample;
            public sealed record Strict(List<string> Values);
            #nullable disable
            public sealed record Oblivious(List<string> Values);
            #nullable restore
            [Workflow("work")]
            public partial class Work
            {
                [WorkflowRun]
                public Task<Strict> RunAsync(Oblivious input) => Task.FromResult(new Strict(input.Values));
            }
            """);
        Assert.Contains("\"List<string>\", nullElements: true)", text);
        Assert.DoesNotContain("\"List<string>\", nullElements: false)", text);
    }

    private const string ConstructorSets = """
        using Workflows;
        namespace Sample;
        public sealed class Settings
        {
            public Settings() { Currency = "EUR"; this.Retries = 3; }
            public string Currency { get; init; }
            public int Retries { get; init; }
            public int Untouched { get; init; }
            public string? Note { get; init; }
        }
        public sealed class Derived
        {
            public Derived(string code) { Code = code; Upper = code.ToUpperInvariant(); }
            public string Code { get; }
            public string Upper { get; init; }
        }
        [Workflow("work")]
        public partial class Work
        {
            [WorkflowRun]
            public Task<Derived> RunAsync(Settings input) => Task.FromResult(new Derived(input.Currency));
        }
        """;

    [Fact]
    public void An_init_only_member_the_constructor_sets_reads_as_the_constructors_value()
    {
        var text = Generated(ConstructorSets);
        Assert.Contains("if (!s0 || !s1)", text);
        Assert.Contains("var __declared = new global::Sample.Settings() { @Untouched = p2, @Note = p3 };", text);
        Assert.Contains("if (!s0) p0 = __declared.@Currency;", text);
        Assert.Contains("var __declared = new global::Sample.Derived(p0);", text);
        Assert.Contains("if (!s1) p1 = __declared.@Upper;", text);
        Assert.Contains("if (!s1) p1 = __declared.@Retries;", text);
        // Untouched: not nullable, no initializer, and the constructor's body leaves it alone: required.
        Assert.Contains("JsonMembers.Missing(\"Settings\", \"Untouched\")", text);
        Assert.DoesNotContain("JsonMembers.Missing(\"Settings\", \"Currency\")", text);
        Assert.DoesNotContain("JsonMembers.Missing(\"Settings\", \"Note\")", text);
    }

    [Theory]
    [InlineData("public Settings() { Currency = ; }")]
    [InlineData("public Settings() { (Currency, Retries) = (\"a\", 1); }")]
    [InlineData("public Settings() : this(1) { }")]
    [InlineData("public Settings() => Currency = Missing();")]
    public void Half_typed_or_unfollowed_constructor_bodies_do_not_throw(string constructor)
    {
        var run = GeneratorHarness.Run(new SourceFile("/src/Work.cs",
            ConstructorSets.Replace("public Settings() { Currency = \"EUR\"; this.Retries = 3; }", constructor)));
        run.AssertGeneratorDidNotThrow();
    }
}
