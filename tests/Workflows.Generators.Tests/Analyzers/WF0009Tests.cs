using Microsoft.CodeAnalysis;
using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests.Analyzers;

/// <summary>WF0009: a step or a recording Workflow API called inside a step body, where nothing would journal it.</summary>
public sealed class WF0009Tests
{
    private const string NotJournaled = " would not be journaled; call it from the workflow's run method";

    /// <summary>A valid workflow whose step "ship" (ShipAsync) holds <paramref name="body"/>; "charge" is another step.</summary>
    private static string InStepBody(string body) => $$"""
        using Workflows;

        namespace Sample;

        [Workflow]
        public partial class Work
        {
            [WorkflowRun]
            public async Task<string> RunAsync(decimal amount)
            {
                var receipt = await ChargeAsync(amount);
                return await ShipAsync(receipt);
            }

            [Step("charge")]
            private Task<string> ChargeAsync(decimal amount) => Task.FromResult("r-" + amount);

            [Step("ship", MaxAttempts = 3)]
            private async Task<string> ShipAsync(string receipt)
            {
                {{body}}
                return receipt;
            }
        }
        """;

    [Fact]
    public void Calling_another_step_inside_a_step_body_is_reported_with_both_names()
    {
        Analyze(InStepBody("var again = await {|WF0009:ChargeAsync(1m)|};"))
            .AssertExpected("Step 'charge' inside the body of step 'ship'" + NotJournaled);
    }

    [Fact]
    public void Calling_the_step_itself_through_this_is_reported()
    {
        Analyze(InStepBody("if (receipt.Length > 100) return await {|WF0009:this.ShipAsync(receipt[..100])|};"))
            .AssertExpected("Step 'ship' inside the body of step 'ship'" + NotJournaled);
    }

    [Theory]
    [InlineData("await {|WF0009:Workflow.SleepAsync(TimeSpan.FromSeconds(1))|};", "Workflow.SleepAsync")]
    [InlineData("var at = {|WF0009:Workflow.UtcNow|};", "Workflow.UtcNow")]
    [InlineData("var at = {|WF0009:Workflow.Now|};", "Workflow.Now")]
    [InlineData("var id = {|WF0009:Workflow.NewGuid()|};", "Workflow.NewGuid")]
    [InlineData("Func<Guid> ids = {|WF0009:Workflow.NewGuid|};", "Workflow.NewGuid")]
    [InlineData("var approval = await {|WF0009:Workflow.WaitForEventAsync<string>(\"approval\")|};", "Workflow.WaitForEventAsync")]
    [InlineData("var approval = await {|WF0009:Workflow.TryWaitForEventAsync<string>(\"approval\", TimeSpan.FromMinutes(1))|};", "Workflow.TryWaitForEventAsync")]
    [InlineData("await {|WF0009:Workflow.SetEventAsync(\"progress\", 50)|};", "Workflow.SetEventAsync")]
    [InlineData("var roll = {|WF0009:Workflow.Random|}.Next(6);", "Workflow.Random")]
    [InlineData("var child = await {|WF0009:Workflow.StartChildAsync(Work.Definition, 1m)|};", "Workflow.StartChildAsync")]
    [InlineData("var other = await {|WF0009:Workflow.RunChildAsync(Work.Definition, 2m)|};", "Workflow.RunChildAsync")]
    [InlineData("var first = await {|WF0009:Workflow.WhenAnyAsync(Task.Delay(1), Task.Delay(2))|};", "Workflow.WhenAnyAsync")]
    [InlineData("if ({|WF0009:Workflow.Patched(\"audit\")|}) receipt += \"+\";", "Workflow.Patched")]
    public void A_recording_workflow_api_inside_a_step_body_is_reported(string statement, string api)
    {
        Analyze(InStepBody(statement)).AssertExpected(api + " inside the body of step 'ship'" + NotJournaled);
    }

    [Fact]
    public void Lambdas_and_local_functions_inside_a_step_body_are_part_of_it()
    {
        Analyze(InStepBody("""
            foreach (var part in receipt.Split('-'))
            {
                Func<Task<string>> charge = () => {|WF0009:ChargeAsync(2m)|};
                await charge();
            }
            await Pause();
            async Task Pause() => await {|WF0009:Workflow.SleepAsync(TimeSpan.FromMilliseconds(5))|};
            """)).AssertExpected(
                "Step 'charge' inside the body of step 'ship'" + NotJournaled,
                "Workflow.SleepAsync inside the body of step 'ship'" + NotJournaled);
    }

    [Theory]
    [InlineData("var run = Workflow.RunId; var tenant = Workflow.TenantId;")]
    [InlineData("if (Workflow.IsReplaying || !Workflow.IsRunning) return receipt;")]
    [InlineData("await Task.Delay(1, Workflow.CancellationToken);")]
    [InlineData("var now = DateTime.UtcNow; var id = Guid.NewGuid();")]
    [InlineData("var name = nameof(Workflow.UtcNow);")]
    public void Reading_the_run_context_and_ordinary_apis_inside_a_step_raise_nothing(string statement)
    {
        Analyze(InStepBody(statement)).AssertClean();
    }

    [Fact]
    public void The_same_operations_in_the_run_method_raise_nothing()
    {
        Analyze("""
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task<string> RunAsync(decimal amount)
                {
                    await Workflow.SleepAsync(TimeSpan.FromSeconds(1));
                    var id = Workflow.NewGuid();
                    var at = Workflow.UtcNow;
                    var receipt = await ChargeAsync(amount);
                    return receipt + id + at + Helper();
                }

                private string Helper() => Workflow.Now.ToString("O");

                [Step("charge")]
                private Task<string> ChargeAsync(decimal amount) => Task.FromResult("r-" + amount);
            }
            """).AssertClean();
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
