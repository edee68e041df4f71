using System.Text.RegularExpressions;
using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests;

/// <summary>Only the workflow's own calls of its steps are routed through the journal.</summary>
public sealed partial class InterceptorSelectionTests
{
    [Fact]
    public void A_call_from_the_run_method_is_intercepted()
    {
        var run = GeneratorHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task<int> RunAsync(int input) => await AddOneAsync(input);
                [Step]
                internal Task<int> AddOneAsync(int value) => Task.FromResult(value + 1);
            }
            """));

        run.AssertCompilesCleanly();
        Assert.Equal(new[] { "Work.cs(7,57)" }, InterceptedLocations(run, "Sample.Work"));
    }

    [Fact]
    public void A_call_whose_argument_types_come_from_generated_code_is_still_intercepted()
    {
        // The generator's view has no Definition member (it generates it), so `drafts` has no type there and the call of
        // "compose" does not resolve; the real build resolves it, so it must be journaled like any other.
        var run = GeneratorHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            public sealed record Draft(string Text);
            [Workflow("section")]
            public partial class Section
            {
                [WorkflowRun]
                public async Task<Draft> RunAsync(string name) => await WriteAsync(name);
                [Step("write")]
                internal Task<Draft> WriteAsync(string name) => Task.FromResult(new Draft(name));
            }
            [Workflow]
            public partial class Report
            {
                [WorkflowRun]
                public async Task<int> RunAsync(int count)
                {
                    var drafts = await Task.WhenAll(Enumerable.Range(0, count).Select(i => Workflow.RunChildAsync(Section.Definition, $"s{i}")));
                    return await ComposeAsync(drafts);
                }
                [Step("compose")]
                internal Task<int> ComposeAsync(Draft[] drafts) => Task.FromResult(drafts.Length);
            }
            """));

        run.AssertCompilesCleanly();
        Assert.Equal(new[] { "Work.cs(19,22)" }, InterceptedLocations(run, "Sample.Report"));
    }

    [Fact]
    public void Calls_from_another_class_are_not_intercepted()
    {
        var run = GeneratorHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task<int> RunAsync(int input) => await AddOneAsync(input);
                [Step]
                internal Task<int> AddOneAsync(int value) => Task.FromResult(value + 1);
            }
            public class Caller
            {
                public Task<int> CallAsync(Work work) => work.AddOneAsync(1);
            }
            public class DerivedWork : Work
            {
                public Task<int> CallAsync() => AddOneAsync(2);
                public Task<int> CallThroughThisAsync() => this.AddOneAsync(3);
            }
            """));

        run.AssertCompilesCleanly();
        Assert.Equal(new[] { "Work.cs(7,57)" }, InterceptedLocations(run, "Sample.Work"));
    }

    [Fact]
    public void A_call_from_inside_another_steps_body_is_not_intercepted()
    {
        var run = GeneratorHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task<int> RunAsync(int input) => await OuterAsync(input);
                [Step]
                private async Task<int> OuterAsync(int value) => await InnerAsync(value) + await Task.Run(() => InnerAsync(value));
                [Step]
                private Task<int> InnerAsync(int value) => Task.FromResult(value + 1);
            }
            """));

        run.AssertCompilesCleanly();
        Assert.Equal(new[] { "Work.cs(7,57)" }, InterceptedLocations(run, "Sample.Work"));
    }

    [Fact]
    public void Calls_from_lambdas_and_local_functions_of_the_workflow_are_intercepted()
    {
        var run = GeneratorHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task<int> RunAsync(int input)
                {
                    Func<Task<int>> viaLambda = () => this.AddOneAsync(input);
                    async Task<int> ViaLocalFunction() => await AddOneAsync(input);
                    return await viaLambda() + await ViaLocalFunction();
                }
                [Step]
                private Task<int> AddOneAsync(int value) => Task.FromResult(value + 1);
            }
            """));

        run.AssertCompilesCleanly();
        Assert.Equal(new[] { "Work.cs(10,53)", "Work.cs(9,48)" }, InterceptedLocations(run, "Sample.Work").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_workflow_whose_steps_are_never_called_gets_no_interceptor_file()
    {
        var run = GeneratorHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public Task<int> RunAsync(int input) => Task.FromResult(input);
                [Step]
                private Task<int> AddOneAsync(int value) => Task.FromResult(value + 1);
            }
            """));

        run.AssertCompilesCleanly();
        Assert.Equal(new[] { "Sample.Work.g.cs" }, run.HintNames);
    }

    /// <summary>The "File.cs(line,column)" comments of the workflow's interceptor file: one per intercepted call.</summary>
    internal static List<string> InterceptedLocations(GeneratorRun run, string workflowHintName) =>
        run.Sources.TryGetValue(workflowHintName + ".Interceptors.g.cs", out var text)
            ? InterceptsLocation().Matches(text).Select(m => m.Groups[1].Value).ToList()
            : new List<string>();

    [GeneratedRegex(@"\[global::System\.Runtime\.CompilerServices\.InterceptsLocation\(\d+, ""[^""]+""\)\] // (\S+)")]
    private static partial Regex InterceptsLocation();
}
