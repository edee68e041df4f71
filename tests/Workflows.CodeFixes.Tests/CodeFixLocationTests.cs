using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Workflows.CodeFixes.Tests.Infrastructure;
using Workflows.Generators.Diagnostics;

namespace Workflows.CodeFixes.Tests;

/// <summary>
/// The fixes need nothing but a diagnostic's id and location: given a diagnostic made by hand at a span near the one the
/// analyzer uses (a part of the expression, the expression with its await, the attribute instead of the identifier), each
/// fix still finds what to change and gives the same result.
/// </summary>
public sealed class CodeFixLocationTests
{
    private const string Delay = """
        using Workflows;

        [Workflow]
        public partial class NapWorkflow
        {
            [WorkflowRun]
            public async Task RunAsync()
            {
                var at = System.DateTime.UtcNow;
                await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
                await NoteAsync(at);
            }

            [Step]
            private Task NoteAsync(DateTime at) => Task.CompletedTask;
        }
        """;

    [Theory]
    [InlineData("UtcNow", "var at = Workflow.UtcNow;")]
    [InlineData("DateTime.UtcNow", "var at = Workflow.UtcNow;")]
    [InlineData("System.DateTime.UtcNow", "var at = Workflow.UtcNow;")]
    [InlineData("Delay", "await Workflow.SleepAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);")]
    [InlineData("Task.Delay", "await Workflow.SleepAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);")]
    [InlineData("Task.Delay(TimeSpan.FromSeconds(1))", "await Workflow.SleepAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);")]
    public async Task WF0007_at_any_part_of_the_call(string reported, string expectedLine)
    {
        var fixedText = await FixAtAsync(new UseWorkflowApiCodeFixProvider(), DiagnosticDescriptors.NonDeterministicCode, Delay, reported);
        Assert.Contains(expectedLine, fixedText);
    }

    [Fact]
    public async Task WF0007_on_the_await_around_the_call()
    {
        var source = Delay.Replace(".ConfigureAwait(false)", "");
        var fixedText = await FixAtAsync(new UseWorkflowApiCodeFixProvider(), DiagnosticDescriptors.NonDeterministicCode, source, "await Task.Delay(TimeSpan.FromSeconds(1))");
        Assert.Equal(source.Replace("await Task.Delay(", "await Workflow.SleepAsync("), fixedText);
    }

    [Fact]
    public async Task WF0007_around_the_call_is_not_fixed_when_it_covers_more_than_the_call()
    {
        // The whole statement `await Task.Delay(...).ConfigureAwait(false);` is not one replaceable expression.
        var document = CodeFixHarness.CreateDocument(Delay);
        var diagnostic = At(document, DiagnosticDescriptors.NonDeterministicCode, "await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);");
        Assert.Empty(await CodeFixHarness.ActionsAsync(new UseWorkflowApiCodeFixProvider(), document, diagnostic));
    }

    [Fact]
    public async Task WF0007_fix_all_rewrites_a_call_nested_in_another()
    {
        var source = Delay.Replace("var at = System.DateTime.UtcNow;", "await Task.Delay(DateTime.UtcNow.Millisecond);\n        var at = default(DateTime);");
        var document = CodeFixHarness.CreateDocument(source);
        var diagnostics = new[]
        {
            At(document, DiagnosticDescriptors.NonDeterministicCode, "Task.Delay(DateTime.UtcNow.Millisecond)"),
            At(document, DiagnosticDescriptors.NonDeterministicCode, "DateTime.UtcNow"),
        };
        var fixedDocument = await CodeFixHarness.FixAllAsync(new UseWorkflowApiCodeFixProvider(), document, diagnostics);
        Assert.Contains("await Workflow.SleepAsync(TimeSpan.FromMilliseconds(Workflow.UtcNow.Millisecond));\n", (await fixedDocument.GetTextAsync()).ToString());
    }

    [Theory]
    [InlineData("NapWorkflow")]
    [InlineData("Workflow")]
    [InlineData("[Workflow]")]
    public async Task WF0004_on_the_identifier_or_the_attribute(string reported)
    {
        var source = Delay.Replace("public partial class", "public class");
        var fixedText = await FixAtAsync(new MakeWorkflowPartialCodeFixProvider(), DiagnosticDescriptors.InvalidWorkflowClass, source, reported);
        Assert.Equal(Delay, fixedText);
    }

    [Theory]
    [InlineData("Second")]
    [InlineData("Step(\"nap\")]\n    private Task Second")]
    [InlineData("\"nap\")]\n    private Task Second")]
    public async Task WF0001_on_the_identifier_or_the_attribute(string reported)
    {
        var source = """
            using Workflows;

            [Workflow]
            public partial class NapWorkflow
            {
                [WorkflowRun]
                public async Task RunAsync()
                {
                    await First();
                    await Second();
                }

                [Step("nap")]
                private Task First() => Task.CompletedTask;

                [Step("nap")]
                private Task Second() => Task.CompletedTask;
            }
            """;
        var fixedText = await FixAtAsync(new RenameDuplicateStepCodeFixProvider(), DiagnosticDescriptors.DuplicateStepName, source, reported);
        Assert.Equal(source.Replace("[Step(\"nap\")]\n    private Task Second", "[Step(\"nap-2\")]\n    private Task Second"), fixedText);
    }

    /// <summary>Reports <paramref name="descriptor"/> at the last occurrence of <paramref name="reported"/>, applies the one fix offered, returns the text.</summary>
    private static async Task<string> FixAtAsync(CodeFixProvider provider, DiagnosticDescriptor descriptor, string source, string reported)
    {
        var document = CodeFixHarness.CreateDocument(source);
        var diagnostic = At(document, descriptor, reported);
        var action = Assert.Single(await CodeFixHarness.ActionsAsync(provider, document, diagnostic));
        return (await (await CodeFixHarness.ApplyAsync(action, document)).GetTextAsync()).ToString();
    }

    private static Diagnostic At(Document document, DiagnosticDescriptor descriptor, string reported)
    {
        var tree = document.GetSyntaxTreeAsync().GetAwaiter().GetResult()!;
        var start = tree.GetText().ToString().LastIndexOf(reported, StringComparison.Ordinal);
        Assert.True(start >= 0, $"'{reported}' is not in the source");
        return Diagnostic.Create(descriptor, Location.Create(tree, new Microsoft.CodeAnalysis.Text.TextSpan(start, reported.Length)), "x", "y", "z", "w");
    }
}
