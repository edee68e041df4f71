namespace Workflows.Generators.Tests.Analyzers;

/// <summary>WF0008 for a step reached through an interface the workflow implements, or a virtual method it overrides: never intercepted.</summary>
public sealed class WF0008DispatchTests
{
    private const string Journaled = "; only a direct call from its own workflow is journaled";

    /// <summary>A workflow implementing IOrderSteps with step "charge"; the run method holds <paramref name="body"/>.</summary>
    private static string Workflow(string body, string types = "") => $$"""
        using Workflows;

        namespace Sample;

        public interface IOrderSteps
        {
            Task<int> ChargeAsync(int amount);
        }

        public abstract class OrderBase
        {
            public virtual Task<int> RefundAsync(int amount) => Task.FromResult(0);
        }

        [Workflow]
        public partial class Work : OrderBase, IOrderSteps
        {
            [WorkflowRun]
            public async Task<int> RunAsync(int amount)
            {
                {{body}}
            }

            [Step("charge")]
            public Task<int> ChargeAsync(int amount) => Task.FromResult(amount);

            [Step("refund")]
            public override Task<int> RefundAsync(int amount) => Task.FromResult(-amount);
        }

        {{types}}
        """;

    [Theory]
    [InlineData("IOrderSteps steps = this; return await {|WF0008:steps.ChargeAsync(amount)|};")]
    [InlineData("return await {|WF0008:((IOrderSteps)this).ChargeAsync(amount)|};")]
    [InlineData("return await {|WF0008:(this as IOrderSteps).ChargeAsync(amount)|};")]
    public void A_step_called_through_an_interface_the_workflow_implements_is_reported(string body)
    {
        CrossCompilation.Analyze(Workflow(body), allowErrors: false)
            .AssertExpected("Step 'charge' is called through the interface 'IOrderSteps'" + Journaled);
    }

    [Fact]
    public void A_step_called_through_the_interface_from_a_helper_class_is_reported()
    {
        CrossCompilation.Analyze(Workflow("return await Charging.ChargeTwiceAsync(new Work(), amount);", """
            public static class Charging
            {
                public static async Task<int> ChargeTwiceAsync(Work work, int amount)
                {
                    IOrderSteps steps = work;
                    return await {|WF0008:((IOrderSteps)work).ChargeAsync(amount)|} + await {|WF0008:steps.ChargeAsync(amount)|};
                }
            }
            """), allowErrors: false).AssertExpected(
            "Step 'charge' is called through the interface 'IOrderSteps'" + Journaled,
            "Step 'charge' is called through the interface 'IOrderSteps'" + Journaled);
    }

    [Fact]
    public void A_step_overriding_a_virtual_method_called_through_the_base_is_reported()
    {
        CrossCompilation.Analyze(Workflow("OrderBase self = this; return await {|WF0008:self.RefundAsync(amount)|};"), allowErrors: false)
            .AssertExpected("Step 'refund' is called through the virtual method 'OrderBase.RefundAsync'" + Journaled);
    }

    [Theory]
    [InlineData("return await ChargeAsync(amount) + await RefundAsync(amount);")]
    [InlineData("IOrderSteps steps = this; steps = new Outside(); return await steps.ChargeAsync(amount);")]
    [InlineData("IOrderSteps other = new Outside(); return await other.ChargeAsync(amount);")]
    [InlineData("return await new Outside().ChargeAsync(amount);")]
    public void Direct_calls_and_interface_calls_on_other_implementations_raise_nothing(string body)
    {
        CrossCompilation.Analyze(Workflow(body, """
            public sealed class Outside : IOrderSteps
            {
                public Task<int> ChargeAsync(int amount) => Task.FromResult(amount);
            }
            """), allowErrors: false).AssertClean();
    }
}
