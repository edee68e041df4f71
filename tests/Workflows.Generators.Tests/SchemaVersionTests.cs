using System.Text.RegularExpressions;
using Workflows.Generators.Common;
using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests;

/// <summary>
/// The schema version is what a stored run is checked against on resume: it must be reproducible, and move exactly
/// when the replay-relevant shape of the workflow (step names and signatures, and the shapes of the types they journal) moves.
/// </summary>
public sealed partial class SchemaVersionTests
{
    private const string Source = """
        using Workflows;
        namespace Sample;
        [Workflow("work")]
        public partial class Work
        {
            [WorkflowRun]
            public async Task<int> RunAsync(int input) => await AddAsync(input, 1);
            [Step("add")]
            private Task<int> AddAsync(int value, int amount) => Task.FromResult(value + amount);
            [Step]
            private Task LogAsync(string message) => Task.CompletedTask;
        }
        """;

    [Fact]
    public void Is_identical_across_two_runs_of_the_same_source()
    {
        Assert.Equal(SchemaVersionOf(Source), SchemaVersionOf(Source));
    }

    [Fact]
    public void Changes_when_a_step_is_renamed()
    {
        Assert.NotEqual(SchemaVersionOf(Source), SchemaVersionOf(Source.Replace("[Step(\"add\")]", "[Step(\"add-numbers\")]")));
    }

    [Fact]
    public void Changes_when_a_step_named_after_its_method_has_its_method_renamed()
    {
        Assert.NotEqual(SchemaVersionOf(Source), SchemaVersionOf(Source.Replace("LogAsync", "WriteLogAsync")));
    }

    [Fact]
    public void Changes_when_a_step_parameter_type_changes()
    {
        Assert.NotEqual(SchemaVersionOf(Source), SchemaVersionOf(Source.Replace("int amount", "long amount").Replace("value + amount", "value + (int)amount")));
    }

    [Fact]
    public void Changes_when_a_step_result_type_changes()
    {
        Assert.NotEqual(SchemaVersionOf(Source), SchemaVersionOf(Source.Replace("Task LogAsync", "Task<string> LogAsync").Replace("Task.CompletedTask", "Task.FromResult(message)")));
    }

    [Fact]
    public void Does_not_change_when_a_step_body_changes()
    {
        Assert.Equal(SchemaVersionOf(Source), SchemaVersionOf(Source.Replace("value + amount", "amount + value * 1")));
    }

    [Fact]
    public void Does_not_change_when_a_step_is_renamed_in_code_but_keeps_its_explicit_name()
    {
        Assert.Equal(SchemaVersionOf(Source), SchemaVersionOf(Source.Replace("AddAsync", "SumAsync")));
    }

    [Fact]
    public void Does_not_change_when_steps_are_reordered()
    {
        var reordered = """
            using Workflows;
            namespace Sample;
            [Workflow("work")]
            public partial class Work
            {
                [Step]
                private Task LogAsync(string message) => Task.CompletedTask;
                [Step("add")]
                private Task<int> AddAsync(int value, int amount) => Task.FromResult(value + amount);
                [WorkflowRun]
                public async Task<int> RunAsync(int input) => await AddAsync(input, 1);
            }
            """;

        Assert.Equal(SchemaVersionOf(Source), SchemaVersionOf(reordered));
    }

    private const string ShapeSource = """
        using System.Collections.Generic;
        using Workflows;
        namespace Sample;
        public enum Status { Pending, Paid }
        public sealed record Address(string Street, string City);
        public sealed record Customer(string Name, Address Home);
        public sealed record Receipt(string Id, decimal Amount, Status Status, Customer Customer, List<string> Tags);
        public sealed record Node(string Label, List<Node> Children);
        [Workflow("work")]
        public partial class Work
        {
            [WorkflowRun]
            public async Task<Receipt> RunAsync(string input)
            {
                await WalkAsync(new Node(input, new List<Node>()));
                return await ChargeAsync(input);
            }
            [Step("charge")]
            private Task<Receipt> ChargeAsync(string id) => Task.FromResult(new Receipt(id, 1m, Status.Paid, new Customer("c", new Address("s", "x")), new List<string>()));
            [Step("walk")]
            private Task<int> WalkAsync(Node node) => Task.FromResult(node.Children.Count);
        }
        """;

    [Fact]
    public void Changes_when_a_member_of_a_step_result_record_is_renamed()
    {
        Assert.NotEqual(SchemaVersionOf(ShapeSource), SchemaVersionOf(ShapeSource.Replace("decimal Amount", "decimal Total")));
    }

    [Fact]
    public void Changes_when_a_member_is_added_to_a_step_result_record()
    {
        Assert.NotEqual(SchemaVersionOf(ShapeSource),
            SchemaVersionOf(ShapeSource.Replace("List<string> Tags);", "List<string> Tags, string? Note = null);")));
    }

    [Fact]
    public void Changes_when_a_member_type_changes()
    {
        Assert.NotEqual(SchemaVersionOf(ShapeSource), SchemaVersionOf(ShapeSource.Replace("decimal Amount", "double Amount").Replace("1m,", "1d,")));
    }

    [Fact]
    public void Changes_when_a_member_nullability_changes()
    {
        Assert.NotEqual(SchemaVersionOf(ShapeSource), SchemaVersionOf(ShapeSource.Replace("string Id, decimal", "string? Id, decimal")));
        Assert.NotEqual(SchemaVersionOf(ShapeSource), SchemaVersionOf(ShapeSource.Replace("decimal Amount", "decimal? Amount")));
        Assert.NotEqual(SchemaVersionOf(ShapeSource), SchemaVersionOf(ShapeSource.Replace("List<string> Tags", "List<string?> Tags")));
    }

    [Fact]
    public void Changes_when_an_enum_member_is_added()
    {
        Assert.NotEqual(SchemaVersionOf(ShapeSource), SchemaVersionOf(ShapeSource.Replace("Pending, Paid }", "Pending, Paid, Refunded }")));
    }

    [Fact]
    public void Changes_when_a_member_of_a_nested_type_changes()
    {
        Assert.NotEqual(SchemaVersionOf(ShapeSource), SchemaVersionOf(ShapeSource.Replace("string City", "string Town")));
    }

    [Fact]
    public void Changes_when_a_member_of_a_recursive_type_changes()
    {
        Assert.NotEqual(SchemaVersionOf(ShapeSource), SchemaVersionOf(ShapeSource.Replace("string Label", "string Name")));
    }

    [Fact]
    public void Changes_when_a_step_parameter_record_member_changes()
    {
        Assert.NotEqual(SchemaVersionOf(ShapeSource), SchemaVersionOf(ShapeSource.Replace("List<Node> Children", "IReadOnlyList<Node> Children")));
    }

    [Fact]
    public void A_recursive_type_has_a_reproducible_version()
    {
        Assert.Equal(SchemaVersionOf(ShapeSource), SchemaVersionOf(ShapeSource));
    }

    [Fact]
    public void Does_not_change_when_a_body_or_a_comment_changes_in_a_shaped_workflow()
    {
        var edited = ShapeSource
            .Replace("Task.FromResult(node.Children.Count)", "Task.FromResult(node.Children.Count + 0) /* counted */")
            .Replace("public sealed record Address", "// where the customer lives\npublic sealed record Address");
        Assert.Equal(SchemaVersionOf(ShapeSource), SchemaVersionOf(edited));
    }

    [Fact]
    public void Does_not_change_when_record_members_are_reordered()
    {
        // Members are read by JSON name: the order they are declared in is not part of the shape.
        var reordered = ShapeSource.Replace("public sealed record Address(string Street, string City);", "public sealed record Address(string City, string Street);")
            .Replace("new Address(\"s\", \"x\")", "new Address(\"x\", \"s\")");
        Assert.Equal(SchemaVersionOf(ShapeSource), SchemaVersionOf(reordered));
    }

    [Fact]
    public void Describes_shapes_with_back_references_for_recursive_types()
    {
        var node = new Workflows.Generators.Model.TypeShape("global::N", Workflows.Generators.Model.ShapeKind.Object, "N", false, null, null, false, 0,
            Workflows.Generators.Common.EquatableArray<Workflows.Generators.Model.EnumMemberShape>.Empty,
            new[]
            {
                new Workflows.Generators.Model.PropertyShape("Next", "next", "global::N", 0, false, true),
                new Workflows.Generators.Model.PropertyShape("Label", "label", "string", 1, true, false),
            }.ToEquatableArray());
        var text = new System.Text.StringBuilder();
        Workflows.Generators.Parsing.WorkflowParser.DescribeShape("global::N", new Dictionary<string, Workflows.Generators.Model.TypeShape>
        {
            ["global::N"] = node,
            ["string"] = new("string", Workflows.Generators.Model.ShapeKind.Primitive, "string", false, "String", null, false, 0,
                Workflows.Generators.Common.EquatableArray<Workflows.Generators.Model.EnumMemberShape>.Empty,
                Workflows.Generators.Common.EquatableArray<Workflows.Generators.Model.PropertyShape>.Empty),
        }, text);
        Assert.Equal("object(global::N{\"label\"!:string;\"next\"?:#global::N;})", text.ToString());
    }

    [Fact]
    public void The_emitted_shape_text_hashes_to_the_emitted_version()
    {
        foreach (var source in new[] { Source, ShapeSource })
        {
            var (version, shape) = SchemaOf(source);
            Assert.Equal(version, Workflows.Generators.Parsing.WorkflowParser.VersionOf(shape));
            using var sha = System.Security.Cryptography.SHA256.Create();
            var hash = sha.ComputeHash(System.Text.Encoding.UTF8.GetBytes(shape));
            Assert.Equal(version, Convert.ToHexString(hash, 0, 8).ToLowerInvariant());
        }
    }

    [Fact]
    public void The_emitted_shape_text_has_one_labelled_line_per_item()
    {
        var lines = SchemaOf(ShapeSource).Shape.Split('\n');
        Assert.Equal("", lines[^1]); // every line ends with \n
        Assert.Equal(new[] { "workflow:work", "run:signature string->global::Sample.Receipt", "run:input ", "run:output ", "step:charge ", "step:walk " },
            lines[..^1].Select(l => l.StartsWith("workflow:", StringComparison.Ordinal) || l.StartsWith("run:signature", StringComparison.Ordinal) ? l : l[..(l.IndexOf(' ') + 1)]));
    }

    [Fact]
    public void Renaming_a_member_changes_exactly_the_line_of_the_step_whose_type_changed()
    {
        var before = SchemaOf(ShapeSource);
        var after = SchemaOf(ShapeSource.Replace("string Label", "string Name"));
        Assert.NotEqual(before.Version, after.Version);
        var beforeLines = before.Shape.Split('\n');
        var afterLines = after.Shape.Split('\n');
        Assert.Equal(beforeLines.Length, afterLines.Length);
        var changed = Enumerable.Range(0, beforeLines.Length).Where(i => beforeLines[i] != afterLines[i]).ToList();
        var line = Assert.Single(changed);
        Assert.StartsWith("step:walk ", beforeLines[line], StringComparison.Ordinal);
        Assert.Contains("\"label\"", beforeLines[line], StringComparison.Ordinal);
        Assert.Contains("\"name\"", afterLines[line], StringComparison.Ordinal);
    }

    /// <summary>The version and the shape text (the constant value of the <c>schemaShape:</c> argument) of the Definition.</summary>
    private static (string Version, string Shape) SchemaOf(string source)
    {
        var run = GeneratorHarness.Run(new SourceFile("/src/Work.cs", source));
        run.AssertCompilesCleanly();
        var tree = run.Generator.GeneratedSources.Single(s => s.HintName == "Sample.Work.g.cs").SyntaxTree;
        var generated = run.OutputCompilation.SyntaxTrees.Single(t => t.FilePath == tree.FilePath);
        var argument = generated.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.ArgumentSyntax>()
            .Single(a => a.NameColon?.Name.Identifier.ValueText == "schemaShape");
        var constant = run.OutputCompilation.GetSemanticModel(generated).GetConstantValue(argument.Expression);
        Assert.True(constant.HasValue, "the schemaShape argument is not a constant");
        return (SchemaVersionOf(source), Assert.IsType<string>(constant.Value));
    }

    private static string SchemaVersionOf(string source)
    {
        var run = GeneratorHarness.Run(new SourceFile("/src/Work.cs", source));
        run.AssertCompilesCleanly();
        var match = DefinitionArguments().Match(run.Source("Sample.Work.g.cs"));
        Assert.True(match.Success, "no Definition with a schema version in the generated file");
        return match.Groups[1].Value;
    }

    [GeneratedRegex(@"Definition \{ get; \} = new [^\n]+\(\n\s+""work"",\n\s+""([0-9a-f]{16})"",")]
    private static partial Regex DefinitionArguments();
}
