using System.Text.RegularExpressions;
using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests;

/// <summary>
/// The schema version is what a stored run is checked against on resume: it must be reproducible, and move exactly
/// when the replay-relevant shape of the workflow (step names and signatures) moves.
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
