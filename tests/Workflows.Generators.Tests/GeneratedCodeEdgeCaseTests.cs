using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests;

/// <summary>Shapes of user code that the generated code must compile against.</summary>
public sealed class GeneratedCodeEdgeCaseTests
{
    [Fact]
    public void Step_parameters_may_share_names_with_the_wrappers_locals()
    {
        var run = GeneratorHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            public sealed record Context(int Value);
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task<int> RunAsync(Context context) => await BuildAsync(context, 1, 2);
                [Step]
                private Task<int> BuildAsync(Context context, int writer, int value) => Task.FromResult(context.Value + writer + value);
            }
            """));

        run.AssertCompilesCleanly();
        Assert.Contains("__Workflows_BuildAsync", run.Source("Sample.Work.Interceptors.g.cs"));
    }

    [Fact]
    public void A_type_accepted_inside_a_rejected_cycle_is_rejected_for_every_step()
    {
        // Checking A visits B, which refers back to A (still being checked, so provisionally fine); A is then
        // rejected for its Stream. B must not stay accepted: its codec would refer to A's, which is never emitted.
        var run = GeneratorHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            public sealed class A { public B? Child { get; set; } public Stream? Content { get; set; } }
            public sealed class B { public A? Parent { get; set; } }
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task RunAsync() { await FirstAsync(); await SecondAsync(); await ThirdAsync(); }
                [Step] private Task<A> FirstAsync() => Task.FromResult(new A());
                [Step] private Task<B> SecondAsync() => Task.FromResult(new B());
                [Step] private Task ThirdAsync() => Task.CompletedTask;
            }
            """));

        run.AssertCompilesCleanly();
        var workflowFile = run.Source("Sample.Work.g.cs");
        Assert.DoesNotContain("__Workflows_FirstAsync", workflowFile);
        Assert.DoesNotContain("__Workflows_SecondAsync", workflowFile);
        Assert.Contains("__Workflows_ThirdAsync", workflowFile);
    }

    [Fact]
    public void Self_referencing_types_get_codecs()
    {
        var run = GeneratorHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            public sealed record Node(string Name, List<Node> Children, Node? Parent);
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task<Node> RunAsync(string name) => await BuildAsync(name);
                [Step] private Task<Node> BuildAsync(string name) => Task.FromResult(new Node(name, new(), null));
            }
            """));

        run.AssertCompilesCleanly();
        Assert.Contains("__Workflows_BuildAsync", run.Source("Sample.Work.g.cs"));
    }

    [Fact]
    public void Workflows_with_the_same_class_name_in_different_namespaces_get_separate_files()
    {
        var run = GeneratorHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace First { [Workflow] public partial class Work { [WorkflowRun] public async Task RunAsync() => await StepAsync(); [Step] private Task StepAsync() => Task.CompletedTask; } }
            namespace Second { [Workflow] public partial class Work { [WorkflowRun] public async Task RunAsync() => await StepAsync(); [Step] private Task StepAsync() => Task.CompletedTask; } }
            """));

        run.AssertCompilesCleanly();
        Assert.Equal(
            new[] { "First.Work.Interceptors.g.cs", "First.Work.g.cs", "Second.Work.Interceptors.g.cs", "Second.Work.g.cs" },
            run.HintNames.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_workflow_split_over_two_files_intercepts_calls_in_both()
    {
        var run = GeneratorHarness.Run(
            new SourceFile("/src/Work.cs", """
                using Workflows;
                namespace Sample;
                [Workflow]
                public partial class Work
                {
                    [WorkflowRun]
                    public async Task RunAsync() { await StepAsync(); await MoreAsync(); }
                }
                """),
            new SourceFile("/src/Work.Steps.cs", """
                using Workflows;
                namespace Sample;
                public partial class Work
                {
                    [Step] private Task StepAsync() => Task.CompletedTask;
                    private async Task MoreAsync() => await StepAsync();
                }
                """));

        run.AssertCompilesCleanly();
        Assert.Equal(new[] { "Work.Steps.cs(6,45)", "Work.cs(7,42)" }, InterceptorSelectionTests.InterceptedLocations(run, "Sample.Work").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Calls_with_optional_and_named_arguments_are_intercepted()
    {
        var run = GeneratorHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task RunAsync(CancellationToken ct)
                {
                    await StepAsync();
                    await StepAsync(2, ct);
                    await StepAsync(cancellationToken: ct, count: 3);
                }
                [Step] private Task StepAsync(int count = 1, CancellationToken cancellationToken = default) => Task.CompletedTask;
            }
            """));

        run.AssertCompilesCleanly();
        Assert.Equal(3, InterceptorSelectionTests.InterceptedLocations(run, "Sample.Work").Count);
    }

    [Fact]
    public void A_record_class_workflow_and_value_type_records_compile()
    {
        var run = GeneratorHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            public readonly record struct Money(decimal Amount, string Currency);
            public struct Point { public int X { get; } public Point(int x) { X = x; } }
            [Workflow]
            public partial record Work(int Seed)
            {
                [WorkflowRun]
                public async Task<Money> RunAsync(Money money) { await MoveAsync(new Point(Seed)); return await ConvertAsync(money); }
                [Step] private Task<Money> ConvertAsync(Money money) => Task.FromResult(money with { Currency = "EUR" });
                [Step] private Task MoveAsync(Point point) => Task.CompletedTask;
            }
            """));

        run.AssertCompilesCleanly();
        Assert.Equal(2, InterceptorSelectionTests.InterceptedLocations(run, "Sample.Work").Count);
    }
}
