using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests;

/// <summary>
/// Inputs that once broke the generated code: a private nested workflow (now left alone, WF0004 reports it), keyword
/// identifiers, overload wrapper names that collided with another step's, and a non-finite backoff factor.
/// </summary>
public sealed class GeneratorGapRegressionTests
{
    [Fact]
    public void A_private_nested_workflow_compiles()
    {
        var run = GeneratorHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            public partial class Outer
            {
                [Workflow]
                private partial class Work
                {
                    [WorkflowRun]
                    public async Task<int> RunAsync(int input) => await AddOneAsync(input);
                    [Step]
                    private Task<int> AddOneAsync(int value) => Task.FromResult(value + 1);
                }
            }
            """));

        run.AssertCompilesCleanly();
    }

    [Fact]
    public void Keyword_identifiers_compile()
    {
        var run = GeneratorHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class @params
            {
                [WorkflowRun]
                public async Task<int> RunAsync(int input) => await @return(input);
                [Step]
                private Task<int> @return(int value) => Task.FromResult(value);
            }
            """));

        run.AssertCompilesCleanly();
    }

    [Fact]
    public void An_overload_wrapper_name_does_not_collide_with_another_steps_wrapper()
    {
        var run = GeneratorHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task RunAsync(int input) { await Send(); await Send(input); await Send_1(input); }
                [Step("a")] private Task Send() => Task.CompletedTask;
                [Step("b")] private Task Send(int x) => Task.CompletedTask;
                [Step("c")] private Task Send_1(int x) => Task.CompletedTask;
            }
            """));

        run.AssertCompilesCleanly();
    }

    [Fact]
    public void A_non_finite_backoff_factor_does_not_break_the_generated_file()
    {
        var run = GeneratorHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task<int> RunAsync(int input) => await AddOneAsync(input);
                [Step(BackoffFactor = double.NaN)]
                private Task<int> AddOneAsync(int value) => Task.FromResult(value + 1);
            }
            """));

        run.AssertCompilesCleanly();
    }
}
