using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests.Analyzers;

/// <summary>
/// WF0001: two steps of one workflow share a journal name. Reported at the identifier of the second step in source
/// order (file path, then position), naming the first; steps of every partial declaration count.
/// </summary>
public sealed class WF0001Tests
{
    [Fact]
    public void Two_steps_with_the_same_explicit_name_are_reported_on_the_second()
    {
        AnalyzerHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task RunAsync() { await ChargeAsync(); await ChargeAgainAsync(); }
                [Step("charge")]
                private Task ChargeAsync() => Task.CompletedTask;
                [Step("charge")]
                private Task {|WF0001:ChargeAgainAsync|}() => Task.CompletedTask;
            }
            """)).AssertExpected(
            "Step name 'charge' of 'ChargeAgainAsync' is already used by 'ChargeAsync' in workflow 'Work'; replay tells steps apart by name");
    }

    [Fact]
    public void An_explicit_name_equal_to_another_steps_defaulted_name_is_a_duplicate()
    {
        AnalyzerHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task RunAsync() { await ShipAsync(); await SendAsync(); }
                [Step]
                private Task ShipAsync() => Task.CompletedTask;
                [Step("ShipAsync")]
                private Task {|WF0001:SendAsync|}() => Task.CompletedTask;
            }
            """)).AssertExpected(
            "Step name 'ShipAsync' of 'SendAsync' is already used by 'ShipAsync' in workflow 'Work'; replay tells steps apart by name");
    }

    [Fact]
    public void Overloads_with_defaulted_names_are_duplicates_and_the_message_tells_them_apart_by_parameters()
    {
        AnalyzerHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task RunAsync(string user) { await SendAsync(user); await SendAsync(user, 2); }
                [Step]
                private Task SendAsync(string user) => Task.CompletedTask;
                [Step]
                private Task {|WF0001:SendAsync|}(string user, int times) => Task.CompletedTask;
            }
            """)).AssertExpected(
            "Step name 'SendAsync' of 'SendAsync(string, int)' is already used by 'SendAsync(string)' in workflow 'Work'; replay tells steps apart by name");
    }

    [Fact]
    public void Overloads_with_distinct_explicit_names_are_fine()
    {
        AnalyzerHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task RunAsync(string user) { await SendAsync(user); await SendAsync(user, 2); }
                [Step("send-once")]
                private Task SendAsync(string user) => Task.CompletedTask;
                [Step("send-many")]
                private Task SendAsync(string user, int times) => Task.CompletedTask;
            }
            """)).AssertClean();
    }

    [Fact]
    public void A_duplicate_across_two_partial_files_is_reported_in_the_later_file_whatever_the_positions()
    {
        // The first step stands late in /src/A.cs, the duplicate early in /src/B.cs: order is by path first.
        AnalyzerHarness.Run(
            new SourceFile("/src/A.cs", """
                using Workflows;
                namespace Sample;
                [Workflow]
                public partial class Work
                {
                    [WorkflowRun]
                    public async Task RunAsync() { await ChargeAsync(); await ChargeCardAsync(); }



                    [Step("charge")]
                    private Task ChargeAsync() => Task.CompletedTask;
                }
                """),
            new SourceFile("/src/B.cs", """
                namespace Sample;
                public partial class Work
                {
                    [Workflows.Step("charge")]
                    private Task {|WF0001:ChargeCardAsync|}() => Task.CompletedTask;
                }
                """)).AssertExpected(
            "Step name 'charge' of 'ChargeCardAsync' is already used by 'ChargeAsync' in workflow 'Work'; replay tells steps apart by name");
    }

    [Fact]
    public void Every_later_duplicate_names_the_first()
    {
        AnalyzerHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task RunAsync() { await AAsync(); await BAsync(); await CAsync(); }
                [Step("same")]
                private Task AAsync() => Task.CompletedTask;
                [Step("same")]
                private Task {|WF0001:BAsync|}() => Task.CompletedTask;
                [Step("same")]
                private Task {|WF0001:CAsync|}() => Task.CompletedTask;
            }
            """)).AssertExpected(
            "Step name 'same' of 'BAsync' is already used by 'AAsync' in workflow 'Work'; replay tells steps apart by name",
            "Step name 'same' of 'CAsync' is already used by 'AAsync' in workflow 'Work'; replay tells steps apart by name");
    }

    [Fact]
    public void The_same_step_name_in_two_workflows_and_names_that_differ_only_in_case_are_fine()
    {
        AnalyzerHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class First
            {
                [WorkflowRun]
                public async Task RunAsync() { await ChargeAsync(); await ChargeAgainAsync(); }
                [Step("charge")]
                private Task ChargeAsync() => Task.CompletedTask;
                [Step("Charge")]
                private Task ChargeAgainAsync() => Task.CompletedTask;
            }
            [Workflow]
            public partial class Second
            {
                [WorkflowRun]
                public async Task RunAsync() => await ChargeAsync();
                [Step("charge")]
                private Task ChargeAsync() => Task.CompletedTask;
            }
            """)).AssertClean();
    }

    [Fact]
    public void A_partial_step_method_is_one_step_whichever_part_carries_the_attribute()
    {
        AnalyzerHarness.Run(
            new SourceFile("/src/A.cs", """
                using Workflows;
                namespace Sample;
                [Workflow]
                public partial class Work
                {
                    [WorkflowRun]
                    public async Task RunAsync() { await ChargeAsync(); await ShipAsync(); }
                    [Step("charge")]
                    private partial Task ChargeAsync();
                    private partial Task ShipAsync();
                }
                """),
            new SourceFile("/src/B.cs", """
                using Workflows;
                namespace Sample;
                public partial class Work
                {
                    private partial Task ChargeAsync() => Task.CompletedTask;
                    [Step("ship")]
                    private partial Task ShipAsync() => Task.CompletedTask;
                }
                """)).AssertClean();
    }

    [Theory]
    [MemberData(nameof(ValidWorkflows))]
    public void The_tests_valid_workflows_raise_nothing(string name)
    {
        AnalyzerHarness.Run(TestWorkflows.Named(name).Files).AssertClean();
    }

    public static TheoryData<string> ValidWorkflows => TestWorkflows.Names();
}
