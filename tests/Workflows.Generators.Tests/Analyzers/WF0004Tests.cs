using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests.Analyzers;

/// <summary>
/// WF0004: a [Workflow] class the generator cannot extend. One diagnostic per class at the identifier of the declaration
/// that carries [Workflow], with ALL the reasons joined ("is not partial and is generic"), so one fix pass sees them
/// all. The reasons are <c>WorkflowSymbols.ExtensionProblems</c>, whose emptiness is what the generator checks.
/// </summary>
public sealed class WF0004Tests
{
    private const string Members = """
            [WorkflowRun]
            public async Task<int> RunAsync(int input) => await AddOneAsync(input);
            [Step]
            private Task<int> AddOneAsync(int value) => Task.FromResult(value + 1);
        """;

    private const string Tail = "; the generator cannot extend it with its step wrappers, registration and interceptors";

    private static AnalyzerRun Analyze(string source) => AnalyzerHarness.Run(new SourceFile("/src/Work.cs", source));

    [Theory]
    [InlineData("public class {|WF0004:Work|}", "is not partial")]
    [InlineData("public partial class {|WF0004:Work|}<T>", "is generic")]
    [InlineData("public abstract partial class {|WF0004:Work|}", "is abstract")]
    [InlineData("public class {|WF0004:Work|}<T>", "is not partial and is generic")]
    [InlineData("file partial class {|WF0004:Work|}", "is file-local")]
    public void A_top_level_class_the_generator_cannot_extend_is_reported_and_skipped(string declaration, string reasons)
    {
        Analyze($$"""
            using Workflows;
            namespace Sample;
            [Workflow]
            {{declaration}}
            {
            {{Members}}
            }
            """).AssertExpected($"Workflow class 'Work' {reasons}{Tail}").AssertGeneratorSkipped();
    }

    [Fact]
    public void A_static_class_is_reported_and_so_is_its_static_run_method()
    {
        Analyze("""
            using Workflows;
            namespace Sample;
            [Workflow]
            public static partial class {|WF0004:Work|}
            {
                [WorkflowRun]
                public static Task {|WF0006:RunAsync|}() => Task.CompletedTask;
            }
            """).AssertExpected(
            $"Workflow class 'Work' is static{Tail}",
            "Workflow 'Work' has an invalid [WorkflowRun] method 'RunAsync': it is static; it must be an instance method of the workflow");
    }

    [Theory]
    [InlineData("public class Outer", "public partial class {|WF0004:Work|}", "is nested in 'Outer', which is not partial")]
    [InlineData("public partial class Outer<T>", "public partial class {|WF0004:Work|}", "is nested in 'Outer<T>', which is generic")]
    [InlineData("public partial class Outer", "private partial class {|WF0004:Work|}", "is private (a nested workflow must be public or internal)")]
    [InlineData("public partial class Outer", "protected partial class {|WF0004:Work|}", "is protected (a nested workflow must be public or internal)")]
    [InlineData("public partial class Outer", "private protected partial class {|WF0004:Work|}", "is private protected (a nested workflow must be public or internal)")]
    [InlineData("public class Outer", "private class {|WF0004:Work|}", "is not partial, is private (a nested workflow must be public or internal) and is nested in 'Outer', which is not partial")]
    public void A_nested_class_the_generator_cannot_reach_is_reported_and_skipped(string outer, string declaration, string reasons)
    {
        Analyze($$"""
            using Workflows;
            namespace Sample;
            {{outer}}
            {
                [Workflow]
                {{declaration}}
                {
                {{Members}}
                }
            }
            """).AssertExpected($"Workflow class 'Work' {reasons}{Tail}").AssertGeneratorSkipped();
    }

    [Fact]
    public void A_class_nested_in_a_private_class_is_reported()
    {
        Analyze($$"""
            using Workflows;
            namespace Sample;
            public partial class Outer
            {
                private partial class Middle
                {
                    [Workflow]
                    public partial class {|WF0004:Work|}
                    {
                    {{Members}}
                    }
                }
            }
            """).AssertExpected($"Workflow class 'Work' is nested in 'Middle', which is private{Tail}");
    }

    [Fact]
    public void The_diagnostic_stands_on_the_partial_declaration_that_carries_the_attribute()
    {
        AnalyzerHarness.Run(
            new SourceFile("/src/A.cs", """
                namespace Sample;
                public partial class Work<T>
                {
                    public int Count { get; set; }
                }
                """),
            new SourceFile("/src/B.cs", $$"""
                using Workflows;
                namespace Sample;
                [Workflow]
                public partial class {|WF0004:Work|}<T>
                {
                {{Members}}
                }
                """)).AssertExpected($"Workflow class 'Work' is generic{Tail}");
    }

    [Theory]
    [InlineData("public partial class Outer", "public partial class Work")]
    [InlineData("internal static partial class Outer", "internal sealed partial class Work")]
    [InlineData("public partial class Outer", "protected internal partial class Work")]
    [InlineData("public partial record Outer", "public partial record Work")]
    [InlineData("public partial struct Outer", "public partial class Work")]
    public void Partial_non_generic_classes_the_generated_code_can_reach_are_fine_and_extended(string outer, string declaration)
    {
        Analyze($$"""
            using Workflows;
            namespace Sample;
            {{outer}}
            {
                [Workflow]
                {{declaration}}
                {
                {{Members}}
                }
            }
            """).AssertExpected().AssertGeneratorExtended();
    }
}

/// <summary>WF0004 and the generator agree: a class is reported exactly when the generator leaves it alone.</summary>
internal static class GeneratorAgreement
{
    public static void AssertGeneratorSkipped(this AnalyzerRun run)
    {
        run.Generation.AssertCompilesCleanly();
        Assert.Empty(run.Generation.Sources);
    }

    public static void AssertGeneratorExtended(this AnalyzerRun run) =>
        Assert.Contains(run.Generation.HintNames, name => name.EndsWith(".Work.g.cs", StringComparison.Ordinal));
}
