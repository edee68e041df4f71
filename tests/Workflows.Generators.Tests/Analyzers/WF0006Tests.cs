using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests.Analyzers;

/// <summary>
/// WF0006: a workflow without exactly one valid [WorkflowRun] method. No run method: at the class identifier. More than
/// one: at the second and later (source order), naming the first. An invalid one: at its identifier, the first problem
/// found (including a parameter not passed by value).
/// </summary>
public sealed class WF0006Tests
{
    private static AnalyzerRun RunMethod(string run) => AnalyzerHarness.Run(new SourceFile("/src/Work.cs", $$"""
        using Workflows;
        namespace Sample;
        public sealed record Order(string Id);
        [Workflow]
        public partial class Work
        {
            [WorkflowRun]
            {{run}}
        }
        """));

    [Fact]
    public void A_workflow_without_a_run_method_is_reported_at_its_identifier()
    {
        AnalyzerHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class {|WF0006:Work|}
            {
                public async Task StartAsync() => await PingAsync();
                [Step]
                private Task PingAsync() => Task.CompletedTask;
            }
            """)).AssertExpected("Workflow 'Work' has no [WorkflowRun] method; the engine has no entry point to start it");
    }

    [Fact]
    public void A_second_run_method_is_reported_naming_the_first_even_in_another_partial_file()
    {
        AnalyzerHarness.Run(
            new SourceFile("/src/A.cs", """
                using Workflows;
                namespace Sample;
                [Workflow]
                public partial class Work
                {


                    [WorkflowRun]
                    public Task RunAsync() => Task.CompletedTask;
                }
                """),
            new SourceFile("/src/B.cs", """
                using Workflows;
                namespace Sample;
                public partial class Work
                {
                    [WorkflowRun]
                    public Task {|WF0006:StartAsync|}() => Task.CompletedTask;
                    [WorkflowRun]
                    public Task {|WF0006:ResumeAsync|}() => Task.CompletedTask;
                }
                """)).AssertExpected(
            "Workflow 'Work' already has the [WorkflowRun] method 'RunAsync'; 'StartAsync' is a second one, and a workflow has exactly one",
            "Workflow 'Work' already has the [WorkflowRun] method 'RunAsync'; 'ResumeAsync' is a second one, and a workflow has exactly one");
    }

    [Theory]
    [InlineData("public Task {|WF0006:RunAsync|}(Order order, int priority) => Task.CompletedTask;",
        "it takes 2 inputs besides a CancellationToken ('order', 'priority'); a run method takes at most one: wrap them in a record")]
    [InlineData("public Task {|WF0006:RunAsync|}(Order order, CancellationToken token, string note) => Task.CompletedTask;",
        "it takes 2 inputs besides a CancellationToken ('order', 'note'); a run method takes at most one: wrap them in a record")]
    [InlineData("public static Task {|WF0006:RunAsync|}() => Task.CompletedTask;", "it is static; it must be an instance method of the workflow")]
    [InlineData("public Task<T> {|WF0006:RunAsync|}<T>(T input) => Task.FromResult(input);", "it is generic; the journal needs concrete types")]
    [InlineData("public int {|WF0006:RunAsync|}(Order order) => 1;", "it returns 'int', not Task, Task<T>, ValueTask or ValueTask<T>")]
    [InlineData("public async void {|WF0006:RunAsync|}(Order order) => await Task.Yield();", "it is async void; return Task or ValueTask so that its completion can be awaited and recorded")]
    [InlineData("public Task {|WF0006:RunAsync|}(ref Order order) => Task.CompletedTask;", "parameter 'order' is passed by ref; inputs are journaled by value")]
    [InlineData("public Task {|WF0006:RunAsync|}(out Order order) { order = new(\"a\"); return Task.CompletedTask; }", "parameter 'order' is an out parameter; inputs are journaled by value")]
    public void An_invalid_run_method_is_reported_at_its_identifier(string run, string reason)
    {
        RunMethod(run).AssertExpected($"Workflow 'Work' has an invalid [WorkflowRun] method 'RunAsync': {reason}");
    }

    [Theory]
    [InlineData("public Task RunAsync() => Task.CompletedTask;")]
    [InlineData("public Task RunAsync(CancellationToken cancellationToken) => Task.CompletedTask;")]
    [InlineData("public Task<Order> RunAsync(Order order, CancellationToken cancellationToken) => Task.FromResult(order);")]
    [InlineData("public ValueTask<int> RunAsync(CancellationToken cancellationToken, string input) => ValueTask.FromResult(input.Length);")]
    [InlineData("public async ValueTask RunAsync(Order order) => await Task.Yield();")]
    public void One_instance_run_method_with_at_most_one_input_is_fine(string run)
    {
        RunMethod(run).AssertClean();
    }

    [Fact]
    public void A_run_method_outside_a_workflow_class_is_reported()
    {
        AnalyzerHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            public class Job
            {
                [WorkflowRun]
                public Task {|WF0006:RunAsync|}() => Task.CompletedTask;
            }
            """)).AssertExpected("Workflow 'Job' is not marked [Workflow], so its [WorkflowRun] method 'RunAsync' is never started");
    }

    [Fact]
    public void A_run_local_function_is_reported_and_does_not_count_as_the_run_method()
    {
        AnalyzerHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class {|WF0006:Work|}
            {
                public Task StartAsync()
                {
                    return RunAsync();

                    [WorkflowRun]
                    Task {|WF0006:RunAsync|}() => Task.CompletedTask;
                }
            }
            """)).AssertExpected(
            "Workflow 'Work' has no [WorkflowRun] method; the engine has no entry point to start it",
            "Workflow 'Work' has a [WorkflowRun] local function; the run method must be a method of the workflow class");
    }

    /// <summary>Run methods, valid and not: the analyzer reports exactly those the generator registers no definition for.</summary>
    public static TheoryData<string, bool> RunMethods => new()
    {
        { "public Task<int> RunAsync(Order order) => Task.FromResult(1);", true },
        { "public ValueTask RunAsync(CancellationToken token) => ValueTask.CompletedTask;", true },
        { "public Task RunAsync(Order order, int priority) => Task.CompletedTask;", false },
        { "public static Task RunAsync() => Task.CompletedTask;", false },
        { "public Task RunAsync<T>() => Task.CompletedTask;", false },
        { "public int RunAsync() => 1;", false },
        { "public Task RunAsync(ref int value) => Task.CompletedTask;", false },
        { "public Task RunAsync(Stream input) => Task.CompletedTask;", false },
        { "public Task<object> RunAsync() => Task.FromResult(new object());", false },
        { "public Task RunAsync() => Task.CompletedTask; [WorkflowRun] public Task StartAsync() => Task.CompletedTask;", false },
    };

    [Theory]
    [MemberData(nameof(RunMethods))]
    public void The_analyzer_reports_exactly_the_run_methods_the_generator_does_not_register(string run, bool valid)
    {
        var analyzed = RunMethod(run);

        Assert.Empty(analyzed.Failures);
        var reported = analyzed.Diagnostics.Any(d => d.Id is "WF0003" or "WF0006");
        var registered = analyzed.Generation.Source("Sample.Work.g.cs").Contains(" Definition ", StringComparison.Ordinal);
        Assert.Equal(valid, registered);
        Assert.Equal(!valid, reported);
    }
}
