using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests.Analyzers;

/// <summary>
/// WF0011: two workflows of one compilation share a journal name (explicit, or defaulted to the class name). Reported
/// once every workflow is known, at the class identifier of each later one in source order (file path, then
/// position), naming the first by its full class name.
/// </summary>
public sealed class WF0011Tests
{
    private const string Body = """
        {
            [WorkflowRun]
            public Task RunAsync() => Task.CompletedTask;
        }
        """;

    [Fact]
    public void Two_workflows_with_the_same_explicit_name_are_reported_on_the_second()
    {
        AnalyzerHarness.Run(new SourceFile("/src/Work.cs", $$"""
            using Workflows;
            namespace Sample;
            [Workflow("orders")]
            public partial class OrderWorkflow
            {{Body}}
            [Workflow("orders")]
            public partial class {|WF0011:RefundWorkflow|}
            {{Body}}
            """)).AssertExpected("Workflow name 'orders' of 'Sample.RefundWorkflow' is already used by 'Sample.OrderWorkflow'");
    }

    [Fact]
    public void Defaulted_names_of_classes_in_two_namespaces_and_files_collide_and_the_later_file_is_reported()
    {
        // The later declaration by position sits in the earlier file: the file path decides first.
        AnalyzerHarness.Run(
            new SourceFile("/src/B.cs", $$"""
                using Workflows;
                namespace Billing;
                [Workflow]
                public partial class {|WF0011:Work|}
                {{Body}}
                """),
            new SourceFile("/src/A.cs", $$"""
                using Workflows;
                namespace Sales;



                [Workflow]
                public partial class Work
                {{Body}}
                """)).AssertExpected("Workflow name 'Work' of 'Billing.Work' is already used by 'Sales.Work'");
    }

    [Fact]
    public void An_explicit_name_equal_to_another_workflows_class_name_collides()
    {
        AnalyzerHarness.Run(new SourceFile("/src/Work.cs", $$"""
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class Shipping
            {{Body}}
            [Workflow("Shipping")]
            public partial class {|WF0011:ShippingV2|}
            {{Body}}
            [Workflow("Shipping")]
            public partial class {|WF0011:ShippingV3|}
            {{Body}}
            """)).AssertExpected(
            "Workflow name 'Shipping' of 'Sample.ShippingV2' is already used by 'Sample.Shipping'",
            "Workflow name 'Shipping' of 'Sample.ShippingV3' is already used by 'Sample.Shipping'");
    }

    [Fact]
    public void Distinct_names_and_names_that_differ_only_in_case_are_fine()
    {
        AnalyzerHarness.Run(new SourceFile("/src/Work.cs", $$"""
            using Workflows;
            namespace Sample;
            [Workflow("orders")]
            public partial class OrderWorkflow
            {{Body}}
            [Workflow("Orders")]
            public partial class LegacyOrderWorkflow
            {{Body}}
            [Workflow("orders-v2")]
            public partial class Work
            {{Body}}
            """)).AssertClean();
    }
}
