using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests;

/// <summary>
/// Event waits and published values: the types of <c>Workflow.WaitForEventAsync&lt;T&gt;</c>, <c>TryWaitForEventAsync&lt;T&gt;</c>
/// and <c>SetEventAsync&lt;T&gt;</c> (without a codec) are journaled types of the workflow, with codecs registered in
/// <c>JsonCodecRegistry</c> by a module initializer and <c>event:</c> lines in the schema shape.
/// </summary>
public sealed class EventTypeGeneratorTests
{
    private const string Hint = "Approvals.ApprovalWorkflow.g.cs";

    private static string Workflow(string body, string types = "") => $$"""
        using Workflows;
        using Workflows.Serialization;

        namespace Approvals;

        public sealed record Approval(string By, bool Approved);

        {{types}}

        [Workflow("approval")]
        public partial class ApprovalWorkflow
        {
            [WorkflowRun]
            public async Task<bool> RunAsync(string request)
            {
                {{body}}
                return await CheckAsync(request);
            }

            [Step("check")]
            private Task<bool> CheckAsync(string request) => Task.FromResult(request.Length > 0);
        }
        """;

    private static GeneratorRun Generate(string source) => GeneratorHarness.Run(new SourceFile("/src/ApprovalWorkflow.cs", source));

    /// <summary>The constant value of the Definition's <c>schemaShape:</c> argument.</summary>
    private static string SchemaShape(GeneratorRun run)
    {
        var tree = run.Generator.GeneratedSources.Single(s => s.HintName == Hint).SyntaxTree;
        var generated = run.OutputCompilation.SyntaxTrees.Single(t => t.FilePath == tree.FilePath);
        var argument = generated.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.ArgumentSyntax>()
            .Single(a => a.NameColon?.Name.Identifier.ValueText == "schemaShape");
        var constant = run.OutputCompilation.GetSemanticModel(generated).GetConstantValue(argument.Expression);
        return Assert.IsType<string>(constant.Value);
    }

    [Fact]
    public void Event_types_are_schema_lines_after_the_steps_sorted_by_type_id()
    {
        var run = Generate(Workflow("""
            await Workflow.SetEventAsync("progress", 10);
            var approval = await Workflow.WaitForEventAsync<Approval>("approved");
            var again = await Workflow.TryWaitForEventAsync<Approval>("approved", TimeSpan.FromHours(1));
            var tags = await Workflow.WaitForEventAsync<List<string?>>("tags");
            """));
        run.AssertCompilesCleanly();

        Assert.Equal(
            "workflow:approval\n"
            + "run:signature string->bool\n"
            + "run:input string\n"
            + "run:output bool\n"
            + "step:check Step(string)->bool in:string out:bool\n"
            + "event:global::Approvals.Approval object(global::Approvals.Approval{\"approved\"!:bool;\"by\"!:string;})\n"
            + "event:global::System.Collections.Generic.List<string?> list(global::System.Collections.Generic.List<string?>|?string)\n"
            + "event:int int\n",
            SchemaShape(run));
    }

    [Fact]
    public void Adding_an_event_wait_changes_the_schema_version_and_a_workflow_without_one_keeps_it()
    {
        var without = Generate(Workflow(""));
        var with = Generate(Workflow("await Workflow.WaitForEventAsync<Approval>(\"approved\");"));
        var again = Generate(Workflow("await Workflow.WaitForEventAsync<Approval>(\"approved\"); await Workflow.WaitForEventAsync<Approval>(\"second\");"));

        Assert.DoesNotContain("event:", SchemaShape(without), StringComparison.Ordinal);
        Assert.NotEqual(SchemaShape(without), SchemaShape(with));
        // One line per distinct type, however many calls use it.
        Assert.Equal(SchemaShape(with), SchemaShape(again));
    }

    [Fact]
    public void The_codec_overloads_journal_no_type_of_the_workflow()
    {
        var run = Generate(Workflow("""
            var approval = await Workflow.WaitForEventAsync<Approval>("approved", new ApprovalCodec());
            await Workflow.SetEventAsync("seen", approval, new ApprovalCodec());
            """, """
            public sealed class ApprovalCodec : JsonCodec<Approval>
            {
                public override string TypeName => "Approval";
                public override void Write(System.Text.Json.Utf8JsonWriter writer, Approval value) => writer.WriteNullValue();
                public override Approval Read(ref System.Text.Json.Utf8JsonReader reader) => null!;
            }
            """));
        run.AssertCompilesCleanly();

        Assert.DoesNotContain("event:", SchemaShape(run), StringComparison.Ordinal);
        Assert.DoesNotContain("<global::Approvals.Approval>", run.Source(Hint), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_emitted_codec_is_registered_from_a_module_initializer_once_per_type()
    {
        var run = Generate(Workflow("""
            var approval = await Workflow.WaitForEventAsync<Approval>("approved");
            await Workflow.SetEventAsync("size", (short)3);
            await Workflow.SetEventAsync("names", new List<string>());
            await Workflow.SetEventAsync("maybe-names", new List<string?>());
            """));
        run.AssertCompilesCleanly();
        var text = run.Source(Hint);

        Assert.Contains("[global::System.Runtime.CompilerServices.ModuleInitializer]", text, StringComparison.Ordinal);
        Assert.Contains("JsonCodecRegistry.Register<global::Approvals.Approval>(__ApprovalWorkflowCodecs.", text, StringComparison.Ordinal);
        // A primitive the registry does not build in is registered; one it does is not.
        Assert.Contains("JsonCodecRegistry.Register<short>(global::Workflows.Serialization.JsonCodecs.Int16);", text, StringComparison.Ordinal);
        Assert.DoesNotContain("JsonCodecRegistry.Register<string>", text, StringComparison.Ordinal);
        // List<string> and List<string?> are one C# type: registered once, with the codec that takes null elements.
        var lists = text.Split('\n').Where(l => l.Contains("JsonCodecRegistry.Register<global::System.Collections.Generic.List<string>>", StringComparison.Ordinal)).ToList();
        var list = Assert.Single(lists);
        var field = list[(list.IndexOf("(__ApprovalWorkflowCodecs.", StringComparison.Ordinal) + "(__ApprovalWorkflowCodecs.".Length)..list.IndexOf(");", StringComparison.Ordinal)];
        var declaration = Assert.Single(text.Split('\n'), l => l.Contains(" " + field + " = ", StringComparison.Ordinal));
        Assert.Contains("nullElements: true", declaration, StringComparison.Ordinal);
        Assert.DoesNotContain("System.Reflection", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Calls_outside_the_workflow_and_generic_type_arguments_are_not_journaled()
    {
        var run = Generate(Workflow("""
            await Publish("x", 1m);
            await Helpers.WaitAsync();
            """, """
            public static class Helpers
            {
                public static Task<Guid> WaitAsync() => Workflows.Workflow.WaitForEventAsync<Guid>("other");
            }
            """).Replace("    [Step(\"check\")]", "    private static Task Publish<T>(string key, T value) => Workflow.SetEventAsync<T>(key, value);\n\n    [Step(\"check\")]"));
        run.AssertCompilesCleanly();

        Assert.DoesNotContain("event:", SchemaShape(run), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("await Workflow.WaitForEventAsync<Missing>(\"a\");")]
    [InlineData("await Workflow.WaitForEventAsync<Approval>(")]
    [InlineData("await Workflow.SetEventAsync(\"k\", );")]
    [InlineData("await Workflow.SetEventAsync<>(\"k\", 1);")]
    [InlineData("await Workflow.TryWaitForEventAsync<Approval>(\"a\");")]
    [InlineData("await WaitForEventAsync<Approval>(\"a\");")]
    public void Half_typed_event_calls_do_not_throw(string body)
    {
        var run = Generate(Workflow(body));

        run.AssertGeneratorDidNotThrow();
        Assert.Contains(Hint, run.HintNames);
    }

    [Fact]
    public void The_module_initializer_fills_the_registry_when_the_assembly_loads()
    {
        var run = Generate(Workflow("""
            var approval = await Workflow.WaitForEventAsync<Approval>("approved");
            """));
        run.AssertCompilesCleanly();
        using var image = new MemoryStream();
        var emitted = run.OutputCompilation.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));

        var assembly = Assembly.Load(image.ToArray());
        var approval = assembly.GetType("Approvals.Approval", throwOnError: true)!;
        RuntimeHelpers.RunModuleConstructor(assembly.ManifestModule.ModuleHandle);

        var find = typeof(Workflows.Serialization.JsonCodecRegistry).GetMethod(nameof(Workflows.Serialization.JsonCodecRegistry.Find))!.MakeGenericMethod(approval);
        var codec = find.Invoke(null, null);
        Assert.NotNull(codec);
        Assert.Equal("Approval", codec!.GetType().GetProperty("TypeName")!.GetValue(codec));
    }
}
