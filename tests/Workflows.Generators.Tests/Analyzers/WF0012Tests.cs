using Microsoft.CodeAnalysis;
using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests.Analyzers;

/// <summary>WF0012: a step body writing workflow state, which replay (skipping the body) would not restore.</summary>
public sealed class WF0012Tests
{
    private const string Lost = ", and the change is lost on replay; return the value from the step instead";

    /// <summary>A valid workflow with state (fields, properties, a primary constructor parameter); step "add" holds <paramref name="body"/>.</summary>
    private static string InStepBody(string body) => $$"""
        using Workflows;

        namespace Sample;

        public struct Tally
        {
            public int Count;
        }

        [Workflow]
        public partial class Work(int retries)
        {
            private int total;
            private Tally tally;
            private static int s_runs;
            private readonly List<int> history = new();
            private string _label = "";

            public string Status { get; set; } = "";

            public string Label
            {
                get => _label;
                set => _label = value;
            }

            [WorkflowRun]
            public async Task<int> RunAsync(int amount)
            {
                total = await AddAsync(amount);
                Status = "done";
                retries++;
                return total;
            }

            [Step("add")]
            private async Task<int> AddAsync(int amount)
            {
                await Task.Yield();
                {{body}}
                return amount;
            }
        }
        """;

    [Theory]
    [InlineData("{|WF0012:total|} = amount;", "field 'total'")]
    [InlineData("{|WF0012:this.total|} = amount;", "field 'total'")]
    [InlineData("{|WF0012:total|} += amount;", "field 'total'")]
    [InlineData("{|WF0012:total|}++;", "field 'total'")]
    [InlineData("--{|WF0012:total|};", "field 'total'")]
    [InlineData("Interlocked.Add(ref {|WF0012:total|}, amount);", "field 'total'")]
    [InlineData("int.TryParse(\"1\", out {|WF0012:total|});", "field 'total'")]
    [InlineData("({|WF0012:total|}, var other) = (amount, 2);", "field 'total'")]
    [InlineData("{|WF0012:tally.Count|} = amount;", "field 'tally'")]
    [InlineData("{|WF0012:s_runs|}++;", "field 's_runs'")]
    [InlineData("{|WF0012:Status|} = \"adding\";", "property 'Status'")]
    [InlineData("{|WF0012:Status|} ??= \"adding\";", "property 'Status'")]
    [InlineData("{|WF0012:retries|}--;", "primary constructor parameter 'retries'")]
    [InlineData("{|WF0012:retries|} = 0;", "primary constructor parameter 'retries'")]
    [InlineData("{|WF0012:history.Add(amount)|};", "the contents of field 'history' (Add)")]
    [InlineData("{|WF0012:this.history.Clear()|};", "the contents of field 'history' (Clear)")]
    [InlineData("{|WF0012:history[0]|} = amount;", "the contents of field 'history'")]
    public void Writing_workflow_state_in_a_step_body_is_reported_at_the_target(string statement, string state)
    {
        Analyze(InStepBody(statement)).AssertExpected("Step 'add' assigns " + state + Lost);
    }

    [Fact]
    public void Writes_in_lambdas_and_local_functions_of_a_step_body_are_reported()
    {
        Analyze(InStepBody("""
            foreach (var i in new[] { 1, 2 })
            {
                Action add = () => {|WF0012:total|} += i;
                add();
            }
            Reset();
            void Reset() => {|WF0012:retries|} = 0;
            """)).AssertExpected(
                "Step 'add' assigns field 'total'" + Lost,
                "Step 'add' assigns primary constructor parameter 'retries'" + Lost);
    }

    [Theory]
    [InlineData("var sum = 0; sum += amount; sum++;")]
    [InlineData("amount = amount * 2;")]
    [InlineData("var copy = new Tally(); copy.Count = amount; int.TryParse(\"1\", out var parsed);")]
    [InlineData("var other = new Work(1) { Status = \"x\" };")]
    [InlineData("var read = total + retries + Status.Length + tally.Count;")]
    [InlineData("Func<int, int> twice = x => { var y = x; y *= 2; return y; };")]
    [InlineData("var (a, b) = (amount, 2);")]
    [InlineData("var seen = history.Contains(amount) ? history[0] : history.Count;")]
    [InlineData("var mine = new List<int>(history); mine.Add(amount); mine[0] = 1;")]
    public void Locals_parameters_new_objects_and_reads_raise_nothing(string statement)
    {
        Analyze(InStepBody(statement)).AssertClean();
    }

    [Fact]
    public void Writing_state_from_the_run_method_or_a_helper_is_not_a_step_write()
    {
        // The run method assigns total, Status and retries itself: that is re-done on replay from the recorded results.
        Analyze(InStepBody("")).AssertClean();
    }

    private static AnalyzerRun Analyze(string source)
    {
        var run = AnalyzerHarness.Run(new SourceFile("/src/Work.cs", source));
        var errors = run.Generation.OutputCompilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error)
            .Select(d => d.ToString())
            .ToList();
        Assert.True(errors.Count == 0, "The test source does not compile:\n" + string.Join("\n", errors));
        return run;
    }
}
