using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests.Analyzers;

/// <summary>WF0014: CurrentStep members that need a running step, used in workflow code between steps (where they throw).</summary>
public sealed class WF0014Tests
{
    private const string Throws = ", outside any step body, where it throws at run time; use it inside a [Step] method";

    /// <summary>A valid workflow whose run method holds <paramref name="body"/>, its step <paramref name="step"/>, and <paramref name="members"/>.</summary>
    private static string Source(string body, string step = "return Task.FromResult(path.Length);", string members = "") => $$"""
        using Workflows;

        namespace Sample;

        [Workflow]
        public partial class Work
        {
            [WorkflowRun]
            public async Task<int> RunAsync(string path)
            {
                {{body}}
                return await CountAsync(path);
            }

            [Step("count")]
            private Task<int> CountAsync(string path)
            {
                {{step}}
            }
            {{members}}
        }
        """;

    private static AnalyzerRun Analyze(string source) => AnalyzerHarness.Run(new SourceFile("/src/Work.cs", source));

    [Theory]
    [InlineData("{|WF0014:CurrentStep.ReportUsage(10, 20, 0.01m)|};", "ReportUsage")]
    [InlineData("{|WF0014:CurrentStep.Debug(\"starting\")|};", "Debug")]
    [InlineData("if (path.Length == 0) {|WF0014:CurrentStep.Skip(\"empty\")|};", "Skip")]
    [InlineData("var attempt = {|WF0014:CurrentStep.Attempt|};", "Attempt")]
    [InlineData("var key = {|WF0014:CurrentStep.IdempotencyKey|};", "IdempotencyKey")]
    [InlineData("var name = {|WF0014:CurrentStep.Name|};", "Name")]
    public void A_step_only_member_in_the_run_method_is_reported(string statement, string member)
    {
        Analyze(Source(statement)).AssertExpected("CurrentStep." + member + " is used in the run method 'RunAsync'" + Throws);
    }

    [Fact]
    public void A_lambda_or_local_function_of_the_run_method_is_part_of_it()
    {
        Analyze(Source("""
            Action log = () => {|WF0014:CurrentStep.Debug("in a lambda")|};
            log();
            int Attempt() => {|WF0014:CurrentStep.Attempt|};
            _ = Attempt();
            """)).AssertExpected(
                "CurrentStep.Debug is used in the run method 'RunAsync'" + Throws,
                "CurrentStep.Attempt is used in the run method 'RunAsync'" + Throws);
    }

    [Fact]
    public void A_helper_the_run_method_calls_directly_is_reported_naming_both()
    {
        Analyze(Source("Log(path);", members: """

            private static void Log(string message) => {|WF0014:CurrentStep.Debug(message)|};
            """)).AssertExpected("CurrentStep.Debug is used in 'Log', which the run method 'RunAsync' calls" + Throws);
    }

    [Fact]
    public void Inside_a_step_body_every_member_is_allowed()
    {
        Analyze(Source("", step: """
            CurrentStep.ReportUsage(inputTokens: 1, outputTokens: 2, costUsd: 0.5m);
            CurrentStep.Debug("attempt " + CurrentStep.Attempt + " of " + CurrentStep.Name + " key " + CurrentStep.IdempotencyKey);
            Action<string> log = message => CurrentStep.Debug(message);
            log("from a lambda");
            if (path.Length == 0) CurrentStep.Skip("nothing to count");
            return Task.FromResult(path.Length);
            """)).AssertClean();
    }

    [Fact]
    public void A_helper_only_steps_call_is_not_reported()
    {
        Analyze(Source("", step: "Log(path); return Task.FromResult(path.Length);", members: """

            private static void Log(string message) => CurrentStep.Debug(message);
            """)).AssertClean();
    }

    [Fact]
    public void IsRunning_is_allowed_anywhere_and_nameof_uses_nothing()
    {
        Analyze(Source("""
            if (CurrentStep.IsRunning) throw new InvalidOperationException(nameof(CurrentStep.Attempt));
            Guard();
            """, members: """

            private static bool Guard() => CurrentStep.IsRunning;
            """)).AssertClean();
    }

    [Fact]
    public void Code_outside_workflow_classes_is_not_reported()
    {
        Analyze(Source("", members: "") + """

            public static class Telemetry
            {
                public static void Note(string message) => CurrentStep.Debug(message);
            }
            """).AssertClean();
    }
}
