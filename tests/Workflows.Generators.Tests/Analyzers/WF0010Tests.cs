using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests.Analyzers;

/// <summary>
/// WF0010: an explicit step or workflow name the journal cannot store: empty, white space only, longer than 100
/// characters, or with control characters. Reported at the attribute's name argument; control characters are shown
/// escaped. A defaulted name comes from an identifier and is always valid. An invalid name takes no part in the
/// duplicate checks (WF0001, WF0011): one diagnostic per mistake.
/// </summary>
public sealed class WF0010Tests
{
    private static readonly string Long = new('a', 101);
    private static readonly string Longest = new('a', 100);

    private static AnalyzerRun RunStepNamed(string nameArgument) => AnalyzerHarness.Run(new SourceFile("/src/Work.cs", $$"""
        using Workflows;
        namespace Sample;
        public static class Names { public const string Charge = ""; }
        [Workflow]
        public partial class Work
        {
            [WorkflowRun]
            public async Task RunAsync() => await ChargeAsync();
            [Step({{nameArgument}}, MaxAttempts = 3)]
            private Task ChargeAsync() => Task.CompletedTask;
        }
        """));

    [Theory]
    [InlineData("""{|WF0010:""|}""", "''", "it is empty")]
    [InlineData("""{|WF0010:"   "|}""", "'   '", "it is only white space")]
    [InlineData("""{|WF0010:"charge\n"|}""", @"'charge\n'", "it contains the control character U+000A")]
    [InlineData("""{|WF0010:"char\u0007ge"|}""", @"'char\u0007ge'", "it contains the control character U+0007")]
    [InlineData("""{|WF0010:Names.Charge|}""", "''", "it is empty")]
    [InlineData("""name: {|WF0010:""|}""", "''", "it is empty")]
    public void An_invalid_step_name_is_reported_at_the_name_argument(string argument, string shown, string reason)
    {
        RunStepNamed(argument).AssertExpected($"Step name {shown} is invalid: {reason}");
    }

    [Fact]
    public void A_step_name_of_101_characters_is_too_long()
    {
        RunStepNamed($"{{|WF0010:\"{Long}\"|}}").AssertExpected($"Step name '{Long}' is invalid: it is 101 characters long; the limit is 100");
    }

    [Fact]
    public void An_invalid_workflow_name_is_reported_at_the_name_argument()
    {
        AnalyzerHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            [Workflow({|WF0010:"orders\r\n"|})]
            public partial class Work
            {
                [WorkflowRun]
                public Task RunAsync() => Task.CompletedTask;
            }
            """)).AssertExpected(@"Workflow name 'orders\r\n' is invalid: it contains the control character U+000D");
    }

    [Fact]
    public void Steps_with_the_same_invalid_name_are_reported_once_each_and_not_as_duplicates()
    {
        AnalyzerHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task RunAsync() { await AAsync(); await BAsync(); }
                [Step({|WF0010:" "|})]
                private Task AAsync() => Task.CompletedTask;
                [Step({|WF0010:" "|})]
                private Task BAsync() => Task.CompletedTask;
            }
            """)).AssertExpected(
            "Step name ' ' is invalid: it is only white space",
            "Step name ' ' is invalid: it is only white space");
    }

    [Theory]
    [InlineData("\"charge-payment\"")]
    [InlineData("\"orders.v2/charge payment\"")]
    [InlineData("\"commande-payée\"")]
    [InlineData("null!")]
    public void Ordinary_names_and_a_null_name_that_defaults_to_the_method_are_fine(string argument)
    {
        RunStepNamed(argument).AssertClean();
    }

    [Fact]
    public void A_name_of_exactly_100_characters_is_fine()
    {
        RunStepNamed($"\"{Longest}\"").AssertClean();
        AnalyzerHarness.Run(new SourceFile("/src/Work.cs", $$"""
            using Workflows;
            namespace Sample;
            [Workflow("{{Longest}}")]
            public partial class Work
            {
                [WorkflowRun]
                public Task RunAsync() => Task.CompletedTask;
            }
            """)).AssertClean();
    }
}
