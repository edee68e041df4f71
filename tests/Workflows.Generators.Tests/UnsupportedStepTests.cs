using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests;

/// <summary>
/// What the journal cannot carry is left out quietly (the analyzers report it): no wrapper, no interceptor, the call
/// goes straight to the method, and the generator neither throws nor breaks the build.
/// </summary>
public sealed class UnsupportedStepTests
{
    public static TheoryData<string, string> UnsupportedSignatures => new()
    {
        { "Task<System.IO.Stream>", "Task<System.IO.Stream> UnsupportedAsync() => Task.FromResult<System.IO.Stream>(new System.IO.MemoryStream())" },
        { "Task<object>", "Task<object> UnsupportedAsync() => Task.FromResult(new object())" },
        { "Task<(int, int)>", "Task<(int, int)> UnsupportedAsync() => Task.FromResult((1, 2))" },
        { "Task<IDisposable>", "Task<IDisposable> UnsupportedAsync() => Task.FromResult<IDisposable>(new System.IO.MemoryStream())" },
        { "an interface parameter", "Task UnsupportedAsync(IComparable value) => Task.CompletedTask" },
        { "Task<Exception>", "Task<Exception> UnsupportedAsync() => Task.FromResult(new Exception())" },
        { "a ref parameter", "Task UnsupportedAsync(ref int value) => Task.CompletedTask" },
        { "a generic method", "Task<T> UnsupportedAsync<T>() => Task.FromResult(default(T)!)" },
        { "a synchronous return", "int UnsupportedAsync() => 1" },
        { "a Dictionary with int keys", "Task<Dictionary<int, string>> UnsupportedAsync() => Task.FromResult(new Dictionary<int, string>())" },
        { "a record with an object member", "Task<Holder> UnsupportedAsync() => Task.FromResult(new Holder(new object()))" },
    };

    [Theory]
    [MemberData(nameof(UnsupportedSignatures))]
    public void A_step_with_an_unsupported_signature_gets_no_wrapper_and_no_interceptor(string description, string signature)
    {
        var call = signature.Contains("ref int") ? "var value = 1; await UnsupportedAsync(ref value);"
            : signature.Contains("IComparable") ? "await UnsupportedAsync(1);"
            : signature.Contains("<T>()") ? "await UnsupportedAsync<int>();"
            : signature.StartsWith("int ") ? "UnsupportedAsync();"
            : "await UnsupportedAsync();";
        var run = GeneratorHarness.Run(new SourceFile("/src/Work.cs", $$"""
            using Workflows;
            namespace Sample;
            public sealed record Holder(object Value);
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task RunAsync()
                {
                    {{call}}
                    await SupportedAsync();
                }
                [Step]
                private {{signature}};
                [Step]
                private Task SupportedAsync() => Task.CompletedTask;
            }
            """));

        run.AssertCompilesCleanly();
        var workflowFile = run.Source("Sample.Work.g.cs");
        Assert.False(workflowFile.Contains("__Workflows_UnsupportedAsync"), $"a step with {description} got a wrapper");
        Assert.Contains("__Workflows_SupportedAsync", workflowFile);
        Assert.DoesNotContain("__Workflows_UnsupportedAsync", run.Source("Sample.Work.Interceptors.g.cs"));
        Assert.Single(InterceptorSelectionTests.InterceptedLocations(run, "Sample.Work"));
    }

    [Fact]
    public void A_non_partial_workflow_produces_no_output()
    {
        var run = GeneratorHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            [Workflow]
            public class Work
            {
                [WorkflowRun]
                public async Task<int> RunAsync(int input) => await AddOneAsync(input);
                [Step]
                private Task<int> AddOneAsync(int value) => Task.FromResult(value + 1);
            }
            """));

        run.AssertCompilesCleanly();
        Assert.Empty(run.Sources);
    }

    [Fact]
    public void A_workflow_nested_in_a_non_partial_class_produces_no_output()
    {
        var run = GeneratorHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            public class Outer
            {
                [Workflow]
                public partial class Work
                {
                    [WorkflowRun]
                    public async Task<int> RunAsync(int input) => await AddOneAsync(input);
                    [Step]
                    private Task<int> AddOneAsync(int value) => Task.FromResult(value + 1);
                }
            }
            """));

        run.AssertCompilesCleanly();
        Assert.Empty(run.Sources);
    }

    [Fact]
    public void A_generic_workflow_produces_no_output()
    {
        var run = GeneratorHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class Work<T>
            {
                [WorkflowRun]
                public async Task<int> RunAsync(int input) => await AddOneAsync(input);
                [Step]
                private Task<int> AddOneAsync(int value) => Task.FromResult(value + 1);
            }
            """));

        run.AssertCompilesCleanly();
        Assert.Empty(run.Sources);
    }

    [Fact]
    public void A_workflow_without_a_run_method_still_gets_its_step_wrappers()
    {
        var run = GeneratorHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class Work
            {
                public async Task<int> StartAsync(int input) => await AddOneAsync(input);
                [Step]
                private Task<int> AddOneAsync(int value) => Task.FromResult(value + 1);
            }
            """));

        run.AssertCompilesCleanly();
        Assert.DoesNotContain(" Definition ", run.Source("Sample.Work.g.cs"));
        Assert.Contains("__Workflows_AddOneAsync", run.Source("Sample.Work.g.cs"));
    }
}
