using Microsoft.CodeAnalysis;
using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests.Analyzers;

/// <summary>WF0009 through helpers: a step body reaching a recording Workflow API or another step through code it calls.</summary>
public sealed class WF0009CrossCompilationTests
{
    private const string NotJournaled = " inside the body of step 'ship' would not be journaled; call it from the workflow's run method";

    /// <summary>A workflow whose step "ship" holds <paramref name="body"/>; "charge" is another step; <paramref name="types"/> follow.</summary>
    private static string InStepBody(string body, string types = "", string members = "") => $$"""
        using Workflows;

        namespace Sample;

        [Workflow]
        public partial class Work
        {
            [WorkflowRun]
            public async Task<string> RunAsync(decimal amount)
            {
                var receipt = await ChargeAsync(amount);
                return await ShipAsync(receipt);
            }

            [Step("charge")]
            private Task<string> ChargeAsync(decimal amount) => Task.FromResult("r-" + amount);

            [Step("ship")]
            private async Task<string> ShipAsync(string receipt)
            {
                await Task.Yield();
                {{body}}
                return receipt;
            }

            {{members}}
        }

        {{types}}
        """;

    [Fact]
    public void A_recording_workflow_api_in_a_helper_of_another_class_is_reported_at_the_call_with_the_chain()
    {
        Analyze(InStepBody(
            "var label = {|WF0009:Labels.Stamp(receipt)|};",
            """
            public static class Labels
            {
                public static string Stamp(string text) => text + Clock();

                private static DateTime Clock() => Workflow.UtcNow;
            }
            """)).AssertExpected("Workflow.UtcNow (reached through Labels.Stamp \u2192 Labels.Clock)" + NotJournaled);
    }

    [Fact]
    public void A_helper_of_the_workflow_that_calls_another_step_is_reported()
    {
        Analyze(InStepBody(
            "var again = await {|WF0009:RetryChargeAsync()|};",
            members: """
            private async Task<string> RetryChargeAsync() => await ChargeAsync(1m);
            """)).AssertExpected("Step 'charge' (reached through RetryChargeAsync)" + NotJournaled);
    }

    [Theory]
    [InlineData("await {|WF0009:receipt.PauseAsync()|};", "public static class Pauses { public static Task PauseAsync(this string text) => Workflow.SleepAsync(TimeSpan.FromSeconds(1)); }",
        "Workflow.SleepAsync (reached through Pauses.PauseAsync)")]
    [InlineData("var id = {|WF0009:new Ticket()|}.Id;", "public sealed class Ticket { public Guid Id { get; } = Workflow.NewGuid(); }",
        "Workflow.NewGuid (reached through Ticket constructor)")]
    [InlineData("var at = {|WF0009:new Ticket().At|};", "public sealed class Ticket { public DateTime At => Workflow.Now; }",
        "Workflow.Now (reached through Ticket.At)")]
    [InlineData("Func<Guid> ids = {|WF0009:Ids.Next|}; var id = ids();", "public static class Ids { public static Guid Next() => Workflow.NewGuid(); }",
        "Workflow.NewGuid (reached through Ids.Next)")]
    public void Extension_methods_constructors_accessors_and_delegates_are_followed(string statement, string types, string what)
    {
        Analyze(InStepBody(statement, types)).AssertExpected(what + NotJournaled);
    }

    [Fact]
    public void An_inherited_base_class_method_is_followed()
    {
        Analyze("""
            using Workflows;
            namespace Sample;

            public abstract class WorkflowBase
            {
                protected Task NapAsync() => Workflow.SleepAsync(TimeSpan.FromSeconds(1));
            }

            [Workflow]
            public partial class Work : WorkflowBase
            {
                [WorkflowRun]
                public async Task RunAsync(string input) => await ShipAsync(input);

                [Step("ship")]
                private async Task ShipAsync(string input) => await {|WF0009:NapAsync()|};
            }
            """).AssertExpected("Workflow.SleepAsync (reached through WorkflowBase.NapAsync)" + NotJournaled);
    }

    [Theory]
    [InlineData("var label = Labels.Plain(receipt);")]
    [InlineData("var run = Labels.Context();")]
    [InlineData("var name = nameof(Labels.Stamp);")]
    public void Helpers_that_only_read_the_run_context_or_format_text_raise_nothing(string statement)
    {
        Analyze(InStepBody(statement, """
            public static class Labels
            {
                public static string Plain(string text) => text.Trim().ToUpperInvariant();

                public static string Context() => Workflow.RunId + (Workflow.IsReplaying ? "!" : "");

                public static string Stamp(string text) => text + Workflow.UtcNow;
            }
            """)).AssertClean();
    }

    [Fact]
    public void The_same_helpers_called_from_the_run_method_raise_nothing()
    {
        Analyze("""
            using Workflows;
            namespace Sample;

            public static class Labels
            {
                public static string Stamp(string text) => text + Workflow.UtcNow;
            }

            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task<string> RunAsync(string input) => await ShipAsync(Labels.Stamp(input));

                [Step("ship")]
                private Task<string> ShipAsync(string input) => Task.FromResult(input);
            }
            """).AssertClean();
    }

    [Fact]
    public void Recursive_helpers_end_and_report_once()
    {
        Analyze(InStepBody(
            "var label = {|WF0009:Loop.Go(receipt, 3)|};",
            """
            public static class Loop
            {
                public static string Go(string text, int n) => n == 0 ? text + Workflow.UtcNow : Go(text, n - 1) + Other(text, n);

                private static string Other(string text, int n) => Go(text, n - 1);
            }
            """)).AssertExpected("Workflow.UtcNow (reached through Loop.Go)" + NotJournaled);
    }

    [Theory]
    [InlineData("var label = Labels.Stamp(receipt);", "public static class Labels { public static string Stamp(string text); }")]
    [InlineData("var label = Labels.Stamp(receipt);", "public static class Labels { public static string Stamp(string text) => Missing(text) + Workflow.; }")]
    [InlineData("var label = Labels.Stamp(receipt);", "public static class Labels { public static string Stamp(string text) => Stamp(Stamp(text)); }")]
    [InlineData("var label = Labels.Stamp(receipt", "public static class Labels { public static string Stamp(string text) { return")]
    [InlineData("var label = Unknown.Stamp(receipt);", "")]
    public void Half_typed_code_does_not_crash(string statement, string types)
    {
        var run = Analyze(InStepBody(statement, types), allowErrors: true);
        Assert.Empty(run.Failures);
    }

    private static AnalyzerRun Analyze(string source, bool allowErrors = false) => CrossCompilation.Analyze(source, allowErrors);
}

/// <summary>The analyzer run the cross-compilation tests share: one file, which must compile unless told otherwise.</summary>
internal static class CrossCompilation
{
    public static AnalyzerRun Analyze(string source, bool allowErrors)
    {
        var run = AnalyzerHarness.Run(new SourceFile("/src/Work.cs", source));
        if (!allowErrors)
        {
            var errors = run.AllDiagnostics.Concat(run.Generation.OutputCompilation.GetDiagnostics())
                .Where(d => d.Severity == DiagnosticSeverity.Error && !d.Id.StartsWith("WF", StringComparison.Ordinal))
                .Select(d => d.ToString())
                .Distinct()
                .ToList();
            Assert.True(errors.Count == 0, "The test source does not compile:\n" + string.Join("\n", errors));
        }
        return run;
    }
}
