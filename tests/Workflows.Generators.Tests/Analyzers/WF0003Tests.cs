using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests.Analyzers;

/// <summary>
/// WF0003: a step parameter, or the run method's input or result, cannot round-trip through the journal. Reported at
/// the written type (the parameter's type, or the run method's return type), with the reason from the shared model.
/// </summary>
public sealed class WF0003Tests
{
    [Fact]
    public void A_step_parameter_that_cannot_round_trip_is_reported_at_its_type()
    {
        AnalyzerHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            public sealed class Order { public string Id { get; private set; } = ""; }
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task RunAsync() => await ChargeAsync(new Order(), 1, null!, CancellationToken.None);
                [Step("charge")]
                private Task ChargeAsync({|WF0003:Order|} order, int attempt, {|WF0003:IComparable|} key, CancellationToken cancellationToken) => Task.CompletedTask;
            }
            """)).AssertExpected(
            "Parameter 'order' of step 'charge' cannot round-trip through the journal: 'Order.Id' has no public setter, init accessor or constructor parameter; its value would be lost on replay",
            "Parameter 'key' of step 'charge' cannot round-trip through the journal: 'IComparable' is an interface; there is nothing to rebuild on replay");
    }

    [Fact]
    public void The_run_methods_input_and_result_are_checked()
    {
        AnalyzerHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public {|WF0003:Task<object>|} RunAsync({|WF0003:Stream|} input, CancellationToken cancellationToken) => Task.FromResult(new object());
            }
            """)).AssertExpected(
            "The result of run method 'RunAsync' cannot round-trip through the journal: 'object' has no shape to rebuild on replay",
            "The input of run method 'RunAsync' cannot round-trip through the journal: 'Stream' is a Stream; journal the data it carries instead");
    }

    [Fact]
    public void A_run_result_with_a_value_tuple_inside_names_the_member()
    {
        AnalyzerHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            public sealed record Summary(string Id, (int Done, int Failed) Counts);
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public {|WF0003:ValueTask<Summary>|} RunAsync() => ValueTask.FromResult(new Summary("a", (1, 0)));
            }
            """)).AssertExpected(
            "The result of run method 'RunAsync' cannot round-trip through the journal: 'Summary.Counts' is a tuple; its element names are not kept; use a record");
    }

    [Fact]
    public void Journaled_records_collections_and_cancellation_tokens_are_fine()
    {
        AnalyzerHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            public sealed record Order(string Id, IReadOnlyList<Line> Lines, DateOnly Due);
            public sealed record Line(string Sku, int Quantity);
            public sealed class Options { public bool Express { get; set; } }
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task<Dictionary<string, int>> RunAsync(Order order, CancellationToken cancellationToken)
                {
                    await ChargeAsync(order, new Options(), cancellationToken);
                    return new Dictionary<string, int>();
                }
                [Step("charge")]
                private Task ChargeAsync(Order order, Options options, CancellationToken cancellationToken) => Task.CompletedTask;
            }
            """)).AssertClean();
    }
}
