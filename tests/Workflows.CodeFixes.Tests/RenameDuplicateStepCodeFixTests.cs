using Workflows.CodeFixes.Tests.Infrastructure;

namespace Workflows.CodeFixes.Tests;

/// <summary>WF0001: the second step of a duplicated name gets a journal name no other step of the workflow uses.</summary>
public sealed class RenameDuplicateStepCodeFixTests
{
    private static readonly RenameDuplicateStepCodeFixProvider s_provider = new();

    /// <summary>A payment workflow whose run method calls ChargeAsync and RefundAsync, with <paramref name="steps"/> as its steps.</summary>
    private static string Payments(string steps) => $$"""
        using Workflows;

        namespace Payments;

        [Workflow]
        public partial class PaymentWorkflow
        {
            [WorkflowRun]
            public async Task<decimal> RunAsync(decimal amount)
            {
                var charged = await ChargeAsync(amount);
                return charged - await RefundAsync(amount);
            }

        {{steps}}
        }
        """;

    [Fact]
    public Task An_explicit_duplicate_name_gets_the_suffix_2() => CodeFixHarness.VerifyFixAsync(s_provider,
        Payments("""
                [Step("charge")]
                private Task<decimal> ChargeAsync(decimal amount) => Task.FromResult(amount);

                [Step("charge")]
                private Task<decimal> [|RefundAsync|](decimal amount) => Task.FromResult(-amount);
            """),
        Payments("""
                [Step("charge")]
                private Task<decimal> ChargeAsync(decimal amount) => Task.FromResult(amount);

                [Step("charge-2")]
                private Task<decimal> RefundAsync(decimal amount) => Task.FromResult(-amount);
            """));

    [Fact]
    public Task The_named_properties_stay_after_the_replaced_name() => CodeFixHarness.VerifyFixAsync(s_provider,
        Payments("""
                [Step("charge", MaxAttempts = 3)]
                private Task<decimal> ChargeAsync(decimal amount) => Task.FromResult(amount);

                [Step( "charge" , MaxAttempts = 5, RetryDelayMilliseconds = 50)]
                private Task<decimal> [|RefundAsync|](decimal amount) => Task.FromResult(-amount);
            """),
        Payments("""
                [Step("charge", MaxAttempts = 3)]
                private Task<decimal> ChargeAsync(decimal amount) => Task.FromResult(amount);

                [Step( "charge-2" , MaxAttempts = 5, RetryDelayMilliseconds = 50)]
                private Task<decimal> RefundAsync(decimal amount) => Task.FromResult(-amount);
            """));

    [Fact]
    public Task A_defaulted_name_gets_an_explicit_argument() => CodeFixHarness.VerifyFixAsync(s_provider,
        Payments("""
                [Step("RefundAsync")]
                private Task<decimal> ChargeAsync(decimal amount) => Task.FromResult(amount);

                [Step] // the method name is the step name
                private Task<decimal> [|RefundAsync|](decimal amount) => Task.FromResult(-amount);
            """),
        Payments("""
                [Step("RefundAsync")]
                private Task<decimal> ChargeAsync(decimal amount) => Task.FromResult(amount);

                [Step("RefundAsync-2")] // the method name is the step name
                private Task<decimal> RefundAsync(decimal amount) => Task.FromResult(-amount);
            """));

    [Fact]
    public Task A_defaulted_name_with_named_properties_gets_the_name_first() => CodeFixHarness.VerifyFixAsync(s_provider,
        Payments("""
                [Step("RefundAsync")]
                private Task<decimal> ChargeAsync(decimal amount) => Task.FromResult(amount);

                [Step(MaxAttempts = 3)]
                private Task<decimal> [|RefundAsync|](decimal amount) => Task.FromResult(-amount);
            """),
        Payments("""
                [Step("RefundAsync")]
                private Task<decimal> ChargeAsync(decimal amount) => Task.FromResult(amount);

                [Step("RefundAsync-2", MaxAttempts = 3)]
                private Task<decimal> RefundAsync(decimal amount) => Task.FromResult(-amount);
            """));

    [Fact]
    public Task Overloads_sharing_the_method_name_are_told_apart() => CodeFixHarness.VerifyFixAsync(s_provider,
        Payments("""
                [Step]
                private Task<decimal> ChargeAsync(decimal amount) => Task.FromResult(amount);

                [Step]
                private Task<decimal> [|ChargeAsync|](decimal amount, string currency) => Task.FromResult(amount);

                [Step]
                private Task<decimal> RefundAsync(decimal amount) => Task.FromResult(-amount);
            """),
        Payments("""
                [Step]
                private Task<decimal> ChargeAsync(decimal amount) => Task.FromResult(amount);

                [Step("ChargeAsync-2")]
                private Task<decimal> ChargeAsync(decimal amount, string currency) => Task.FromResult(amount);

                [Step]
                private Task<decimal> RefundAsync(decimal amount) => Task.FromResult(-amount);
            """));

    [Fact]
    public Task A_taken_suffix_is_skipped() => CodeFixHarness.VerifyFixAsync(s_provider,
        Payments("""
                [Step("charge")]
                private Task<decimal> ChargeAsync(decimal amount) => Task.FromResult(amount);

                [Step("charge-2")]
                private Task<decimal> ChargeAgainAsync(decimal amount) => Task.FromResult(amount);

                [Step("charge")]
                private Task<decimal> [|RefundAsync|](decimal amount) => Task.FromResult(-amount);
            """),
        Payments("""
                [Step("charge")]
                private Task<decimal> ChargeAsync(decimal amount) => Task.FromResult(amount);

                [Step("charge-2")]
                private Task<decimal> ChargeAgainAsync(decimal amount) => Task.FromResult(amount);

                [Step("charge-3")]
                private Task<decimal> RefundAsync(decimal amount) => Task.FromResult(-amount);
            """));

    [Fact]
    public Task A_name_used_in_another_partial_declaration_counts_as_taken() => CodeFixHarness.VerifyFixAsync(s_provider,
        Payments("""
                [Step("charge")]
                private Task<decimal> ChargeAsync(decimal amount) => Task.FromResult(amount);

                [Step("charge")]
                private Task<decimal> [|RefundAsync|](decimal amount) => Task.FromResult(-amount);
            """),
        Payments("""
                [Step("charge")]
                private Task<decimal> ChargeAsync(decimal amount) => Task.FromResult(amount);

                [Step("charge-3")]
                private Task<decimal> RefundAsync(decimal amount) => Task.FromResult(-amount);
            """),
        ("/src/PaymentWorkflow.Audit.cs", """
            using Workflows;

            namespace Payments;

            public partial class PaymentWorkflow
            {
                [Step("charge-2")]
                private Task AuditAsync() => Task.CompletedTask;
            }
            """));

    [Fact]
    public Task A_name_at_the_length_limit_is_shortened_to_fit_the_suffix() => CodeFixHarness.VerifyFixAsync(s_provider,
        Payments($$"""
                [Step("{{new string('c', 100)}}")]
                private Task<decimal> ChargeAsync(decimal amount) => Task.FromResult(amount);

                [Step("{{new string('c', 100)}}")]
                private Task<decimal> [|RefundAsync|](decimal amount) => Task.FromResult(-amount);
            """),
        Payments($$"""
                [Step("{{new string('c', 100)}}")]
                private Task<decimal> ChargeAsync(decimal amount) => Task.FromResult(amount);

                [Step("{{new string('c', 98)}}-2")]
                private Task<decimal> RefundAsync(decimal amount) => Task.FromResult(-amount);
            """));

    [Fact]
    public Task Fix_all_names_three_duplicates_apart() => CodeFixHarness.VerifyFixAllAsync(s_provider,
        Payments("""
                [Step("charge")]
                private Task<decimal> ChargeAsync(decimal amount) => Task.FromResult(amount);

                [Step("charge")]
                private Task<decimal> [|RefundAsync|](decimal amount) => Task.FromResult(-amount);

                [Step("charge", MaxAttempts = 2)]
                private Task<decimal> [|CaptureAsync|](decimal amount) => Task.FromResult(amount);
            """),
        Payments("""
                [Step("charge")]
                private Task<decimal> ChargeAsync(decimal amount) => Task.FromResult(amount);

                [Step("charge-2")]
                private Task<decimal> RefundAsync(decimal amount) => Task.FromResult(-amount);

                [Step("charge-3", MaxAttempts = 2)]
                private Task<decimal> CaptureAsync(decimal amount) => Task.FromResult(amount);
            """));
}
