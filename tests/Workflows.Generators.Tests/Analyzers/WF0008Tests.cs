using Microsoft.CodeAnalysis;
using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests.Analyzers;

/// <summary>WF0008: a step used where the generator cannot intercept, so its call is not journaled.</summary>
public sealed class WF0008Tests
{
    private const string Journaled = "; only a direct call from its own workflow is journaled";

    /// <summary>A valid workflow whose run method holds <paramref name="body"/>; steps AddOneAsync and "double" (DoubleAsync).</summary>
    private static string InRunMethod(string body, string members = "") => $$"""
        using System.Reflection;
        using Workflows;

        namespace Sample;

        [Workflow]
        public partial class Work
        {
            [WorkflowRun]
            public async Task<int> RunAsync(int input)
            {
                {{body}}
                return await AddOneAsync(input);
            }

            [Step]
            internal Task<int> AddOneAsync(int value) => Task.FromResult(value + 1);

            [Step("double")]
            internal Task<int> DoubleAsync(int value) => Task.FromResult(value * 2);

            private int Helper(int value) => value;
            {{members}}
        }
        """;

    [Fact]
    public void A_step_taken_as_a_delegate_is_reported_at_the_method_group()
    {
        Analyze(InRunMethod("Func<int, Task<int>> add = {|WF0008:AddOneAsync|}; await add(1);"))
            .AssertExpected("Step 'AddOneAsync' is used as a delegate" + Journaled);
    }

    [Fact]
    public void A_step_passed_as_a_method_group_is_reported_with_its_journal_name()
    {
        Analyze(InRunMethod("var doubled = await Task.WhenAll(new[] { 1, 2 }.Select({|WF0008:this.DoubleAsync|}));"))
            .AssertExpected("Step 'double' is used as a delegate" + Journaled);
    }

    [Theory]
    [InlineData("var method = {|WF0008:typeof(Work).GetMethod(\"AddOneAsync\")|};", "AddOneAsync")]
    [InlineData("var method = {|WF0008:typeof(Work).GetMethod(nameof(DoubleAsync), BindingFlags.Instance | BindingFlags.NonPublic)|};", "double")]
    [InlineData("var method = {|WF0008:GetType().GetMethod(nameof(AddOneAsync))|};", "AddOneAsync")]
    [InlineData("var members = {|WF0008:typeof(Work).GetMember(\"DoubleAsync\")|};", "double")]
    [InlineData("var method = {|WF0008:typeof(Work).GetRuntimeMethod(\"AddOneAsync\", new[] { typeof(int) })|};", "AddOneAsync")]
    public void A_step_looked_up_through_reflection_is_reported(string statement, string step)
    {
        Analyze(InRunMethod(statement)).AssertExpected("Step '" + step + "' is looked up through reflection" + Journaled);
    }

    [Fact]
    public void A_step_called_from_another_class_is_reported()
    {
        Analyze(InRunMethod("", members: "") + """

            public class Caller
            {
                public Task<int> CallAsync(Work work) => {|WF0008:work.AddOneAsync(1)|};
            }
            """).AssertExpected("Step 'AddOneAsync' is called from outside its workflow class 'Work'" + Journaled);
    }

    [Fact]
    public void A_step_called_from_a_derived_or_nested_class_is_reported()
    {
        Analyze(InRunMethod("", members: """
                public class Nested
                {
                    public Task<int> CallAsync(Work work) => {|WF0008:work.DoubleAsync(2)|};
                }
            """) + """

            public class DerivedWork : Work
            {
                public Task<int> CallAsync() => {|WF0008:AddOneAsync(2)|};
                public Task<int> CallThroughThisAsync() => {|WF0008:this.AddOneAsync(3)|};
            }
            """).AssertExpected(
                "Step 'double' is called from outside its workflow class 'Work'" + Journaled,
                "Step 'AddOneAsync' is called from outside its workflow class 'Work'" + Journaled,
                "Step 'AddOneAsync' is called from outside its workflow class 'Work'" + Journaled);
    }

    [Fact]
    public void A_step_called_on_another_instance_of_the_workflow_is_reported()
    {
        Analyze(InRunMethod("var other = new Work(); var x = await {|WF0008:other.AddOneAsync(1)|};"))
            .AssertExpected("Step 'AddOneAsync' is called on an instance other than 'this'" + Journaled);
    }

    [Theory]
    [InlineData("var a = await AddOneAsync(input);")]
    [InlineData("var a = await this.DoubleAsync(input);")]
    [InlineData("Func<Task<int>> later = () => AddOneAsync(input); var a = await later();")]
    [InlineData("var all = await Task.WhenAll(new[] { 1, 2 }.Select(i => DoubleAsync(i)));")]
    [InlineData("var a = await Local(); Task<int> Local() => AddOneAsync(input);")]
    [InlineData("var name = nameof(AddOneAsync); var helper = typeof(Work).GetMethod(nameof(Helper)); var other = typeof(string).GetMethod(\"AddOneAsync\");")]
    [InlineData("Func<int, int> h = Helper; var method = typeof(Work).GetMethod(name());  string name() => \"AddOneAsync\";")]
    public void Direct_calls_and_uses_that_are_not_steps_raise_nothing(string statement)
    {
        Analyze(InRunMethod(statement)).AssertClean();
    }

    [Fact]
    public void A_step_of_a_class_that_is_not_a_workflow_is_left_alone()
    {
        var run = Analyze("""
            using Workflows;
            namespace Sample;
            public class NotAWorkflow
            {
                [Step]
                public Task<int> OneAsync() => Task.FromResult(1);
            }
            public class User
            {
                public Task<int> UseAsync(NotAWorkflow n) { Func<Task<int>> f = n.OneAsync; return n.OneAsync(); }
            }
            """);
        // WF0005 reports the misplaced [Step] itself; a step that is never journaled cannot be used "unrecorded".
        Assert.Empty(run.Failures);
        Assert.DoesNotContain(run.Diagnostics, d => d.Id == "WF0008");
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
