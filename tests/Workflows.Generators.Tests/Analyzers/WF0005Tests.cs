using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests.Analyzers;

/// <summary>
/// WF0005: a [Step] the generator cannot wrap. Problems of the method as a whole (return type, static, generic, not an
/// ordinary method of a workflow) are reported once, the first found, at the method's identifier; a parameter that is
/// not passed by value (ref, out, in, params) or cannot leave the stack (pointer, ref struct) at that parameter.
/// </summary>
public sealed class WF0005Tests
{
    private static AnalyzerRun RunStep(string step, string call = "") => AnalyzerHarness.Run(new SourceFile("/src/Work.cs", $$"""
        using Workflows;
        namespace Sample;
        [Workflow]
        public partial class Work
        {
            [WorkflowRun]
            public async Task RunAsync() { {{call}} await Task.CompletedTask; }
            [Step("work")]
            {{step}}
        }
        """));

    [Theory]
    [InlineData("private int {|WF0005:Work|}() => 1;", "it returns 'int', not Task, Task<T>, ValueTask or ValueTask<T>")]
    [InlineData("private void {|WF0005:Work|}() { }", "it returns 'void', not Task, Task<T>, ValueTask or ValueTask<T>")]
    [InlineData("private IAsyncEnumerable<int> {|WF0005:Work|}() => throw null!;", "it returns 'IAsyncEnumerable<int>', not Task, Task<T>, ValueTask or ValueTask<T>")]
    [InlineData("private async void {|WF0005:Work|}() => await Task.Yield();", "it is async void; return Task or ValueTask so that its completion can be awaited and recorded")]
    [InlineData("private static Task {|WF0005:Work|}() => Task.CompletedTask;", "it is static; it must be an instance method of the workflow")]
    [InlineData("private Task<T> {|WF0005:Work|}<T>() => Task.FromResult(default(T)!);", "it is generic; the journal needs concrete types")]
    [InlineData("private static int {|WF0005:Work|}<T>() => 1;", "it is static; it must be an instance method of the workflow")]
    public void A_method_level_problem_is_reported_once_at_the_identifier(string step, string reason)
    {
        RunStep(step).AssertExpected($"Step 'work' has an invalid signature: {reason}");
    }

    [Theory]
    [InlineData("private Task Work({|WF0005:ref int value|}) => Task.CompletedTask;", "parameter 'value' is passed by ref; inputs are journaled by value")]
    [InlineData("private Task Work({|WF0005:out int value|}) { value = 1; return Task.CompletedTask; }", "parameter 'value' is an out parameter; inputs are journaled by value")]
    [InlineData("private Task Work({|WF0005:in int value|}) => Task.CompletedTask;", "parameter 'value' is passed by in; inputs are journaled by value")]
    [InlineData("private Task Work({|WF0005:params int[] values|}) => Task.CompletedTask;", "parameter 'values' is params; inputs are journaled by value")]
    [InlineData("private unsafe Task Work({|WF0005:int* value|}) => Task.CompletedTask;", "parameter 'value' is a pointer; inputs are journaled by value")]
    [InlineData("private Task Work({|WF0005:Span<int> values|}) => Task.CompletedTask;", "parameter 'values' is a ref struct ('Span<int>'); inputs are journaled by value")]
    public void A_parameter_not_passed_by_value_is_reported_at_the_parameter_and_not_as_a_type_problem(string step, string reason)
    {
        RunStep(step).AssertExpected($"Step 'work' has an invalid signature: {reason}");
    }

    [Fact]
    public void Method_and_parameter_problems_are_reported_separately()
    {
        RunStep("private static int {|WF0005:Work|}({|WF0005:ref int value|}) => value;").AssertExpected(
            "Step 'work' has an invalid signature: it is static; it must be an instance method of the workflow",
            "Step 'work' has an invalid signature: parameter 'value' is passed by ref; inputs are journaled by value");
    }

    [Fact]
    public void A_step_outside_a_workflow_class_is_reported()
    {
        AnalyzerHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            public class Helper
            {
                [Step]
                public Task {|WF0005:SendAsync|}() => Task.CompletedTask;
            }
            """)).AssertExpected(
            "Step 'SendAsync' has an invalid signature: it is declared in 'Helper', which is not a [Workflow] class; only a workflow's own steps are journaled");
    }

    [Fact]
    public void A_step_on_a_local_function_or_a_lambda_is_reported()
    {
        AnalyzerHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task RunAsync()
                {
                    Func<Task> lambda = [Step("inline")] {|WF0005:()|} => Task.CompletedTask;
                    await lambda();
                    await LocalAsync(); // not a step, so not "a step called on another instance" either (no WF0008)

                    [Step]
                    Task {|WF0005:LocalAsync|}() => Task.CompletedTask;
                }
            }
            """)).AssertExpected(
            "Step 'inline' has an invalid signature: it is a lambda, not a method of the workflow class; only methods are journaled as steps",
            "Step 'LocalAsync' has an invalid signature: it is a local function, not a method of the workflow class; only methods are journaled as steps");
    }

    [Fact]
    public void A_step_on_an_explicit_interface_implementation_is_reported()
    {
        AnalyzerHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            public interface ISender { Task SendAsync(); }
            [Workflow]
            public partial class Work : ISender
            {
                [WorkflowRun]
                public async Task RunAsync() => await ((ISender)this).SendAsync();
                [Step]
                Task ISender.{|WF0005:SendAsync|}() => Task.CompletedTask;
            }
            """)).AssertExpected(
            "Step 'Sample.ISender.SendAsync' has an invalid signature: it is an explicit interface implementation, not an ordinary method of the workflow class");
    }

    [Fact]
    public void The_run_method_marked_as_a_step_too_is_reported()
    {
        AnalyzerHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class Work
            {
                [WorkflowRun, Step]
                public Task {|WF0005:RunAsync|}() => Task.CompletedTask;
            }
            """)).AssertExpected(
            "Step 'RunAsync' has an invalid signature: it is also the [WorkflowRun] method, which is not journaled as a step; remove one of the attributes");
    }

    [Fact]
    public void Every_awaitable_return_with_value_parameters_and_helpers_that_are_not_steps_are_fine()
    {
        AnalyzerHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task RunAsync(CancellationToken cancellationToken)
                {
                    await AAsync(1, cancellationToken);
                    await BAsync();
                    await CAsync("c");
                    await DAsync(new[] { 1 });
                }
                [Step] private Task AAsync(int value, CancellationToken cancellationToken) => Task.CompletedTask;
                [Step] private ValueTask BAsync() => ValueTask.CompletedTask;
                [Step] private async Task<int> CAsync(string text) { await Task.Yield(); return text.Length; }
                [Step] protected virtual ValueTask<int> DAsync(int[] values) => ValueTask.FromResult(values.Length);
                private static int Helper<T>(ref T value) => 1;
                private async void Fire() => await Task.Yield();
            }
            """)).AssertClean();
    }

    /// <summary>Step signatures, valid and not: the analyzer reports exactly those the generator does not wrap.</summary>
    public static TheoryData<string, bool> Signatures => new()
    {
        { "Task StepAsync() => Task.CompletedTask", true },
        { "ValueTask<int> StepAsync(int value, CancellationToken token) => ValueTask.FromResult(value)", true },
        { "Task<Holder> StepAsync(Holder holder) => Task.FromResult(holder)", true },
        { "int StepAsync() => 1", false },
        { "async void StepAsync() => await Task.Yield()", false },
        { "static Task StepAsync() => Task.CompletedTask", false },
        { "Task<T> StepAsync<T>(T value) => Task.FromResult(value)", false },
        { "Task StepAsync(ref int value) => Task.CompletedTask", false },
        { "Task StepAsync(params int[] values) => Task.CompletedTask", false },
        { "Task StepAsync(Span<int> values) => Task.CompletedTask", false },
        { "Task<Stream> StepAsync() => Task.FromResult(Stream.Null)", false },
        { "Task StepAsync(object value) => Task.CompletedTask", false },
        { "Task<(int, int)> StepAsync() => Task.FromResult((1, 2))", false },
        { "Task StepAsync(Hidden value) => Task.CompletedTask", false },
    };

    [Theory]
    [MemberData(nameof(Signatures))]
    public void The_analyzer_reports_exactly_the_steps_the_generator_leaves_unwrapped(string signature, bool valid)
    {
        var run = AnalyzerHarness.Run(new SourceFile("/src/Work.cs", $$"""
            using Workflows;
            namespace Sample;
            public sealed record Holder(string Name, int[] Counts);
            public sealed class Hidden { public int Value { get; private set; } }
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public Task RunAsync() => Task.CompletedTask;
                [Step]
                private {{signature}};
            }
            """));

        Assert.Empty(run.Failures);
        var reported = run.Diagnostics.Any(d => d.Id is "WF0002" or "WF0003" or "WF0005");
        var wrapped = run.Generation.Source("Sample.Work.g.cs").Contains("__Workflows_StepAsync", StringComparison.Ordinal);
        Assert.Equal(valid, wrapped);
        Assert.Equal(!valid, reported);
    }

    [Fact]
    public void The_declaration_checks_never_throw_on_any_prefix_of_a_workflow_full_of_mistakes()
    {
        var source = """
            using Workflows;
            namespace Sample;
            public sealed class Hidden { public int Value { get; private set; } }
            public class Helper { [Step] public Task OutsideAsync() => Task.CompletedTask; [WorkflowRun] public Task Run() => Task.CompletedTask; }
            [Workflow("")]
            public partial class Work<T> : IDisposable
            {
                [WorkflowRun]
                public Task<object> RunAsync(Hidden a, Stream b, ref int c) { Func<Task> f = [Step] () => Task.CompletedTask; return null!; }
                [WorkflowRun, Step("run")]
                public static int Run2() => 1;
                [Step("same")] private Task AAsync(Span<int> s, params int[] rest) => Task.CompletedTask;
                [Step("same")] private static async void BAsync<U>(out int x) { x = 1; await Task.Yield(); }
                [Step("\n")] private Task<Stream> CAsync() => Task.FromResult(Stream.Null);
                [Step] void IDisposable.Dispose() { [Step] Task Local() => Task.CompletedTask; }
            }
            [Workflow("Work")] public class Other { }
            """;
        var lines = source.Split('\n');
        var failures = new List<string>();
        for (var count = 0; count <= lines.Length; count++)
        {
            var prefix = string.Join('\n', lines.Take(count));
            var run = AnalyzerHarness.Run(new SourceFile("/src/Work.cs", prefix));
            failures.AddRange(run.Failures.Select(f => $"{count} lines: {f}"));
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(3)));
    }
}
