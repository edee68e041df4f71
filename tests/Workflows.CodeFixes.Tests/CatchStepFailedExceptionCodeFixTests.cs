using Workflows.CodeFixes.Tests.Infrastructure;

namespace Workflows.CodeFixes.Tests;

/// <summary>WF0013: a catch of a step's own exception type becomes a StepFailedException catch filtered by Is&lt;T&gt;().</summary>
public sealed class CatchStepFailedExceptionCodeFixTests
{
    private static readonly CatchStepFailedExceptionCodeFixProvider s_provider = new();

    /// <summary>A workflow whose run method holds <paramref name="body"/>; steps "credit" and RefundAsync.</summary>
    private static string InRun(string body, string usings = "using Workflows;\n\n", string attributePrefix = "") => usings + $$"""
        namespace Bank;

        public class FrozenAccountException(string account) : InvalidOperationException("frozen: " + account)
        {
            public string Account { get; } = account;
        }

        [{{attributePrefix}}Workflow]
        public partial class TransferWorkflow
        {
            [{{attributePrefix}}WorkflowRun]
            public async Task<string> RunAsync(int amount, CancellationToken cancellationToken)
            {
        {{body}}
                return "done";
            }

            [{{attributePrefix}}Step("credit")]
            private Task CreditAsync(int amount) => amount < 0 ? throw new FrozenAccountException("a") : Task.CompletedTask;

            [{{attributePrefix}}Step]
            private Task RefundAsync(int amount) => Task.CompletedTask;

            private static void Log(object value) { }
        }
        """;

    [Fact]
    public Task A_catch_without_a_variable_becomes_a_filtered_StepFailedException_catch() => CodeFixHarness.VerifyFixAsync(s_provider,
        InRun("""
                    try
                    {
                        await CreditAsync(amount);
                    }
                    catch ([|FrozenAccountException|]) // the account cannot take money
                    {
                        await RefundAsync(amount);
                        return "refunded";
                    }
            """),
        InRun("""
                    try
                    {
                        await CreditAsync(amount);
                    }
                    catch (StepFailedException e) when (e.Is<FrozenAccountException>()) // the account cannot take money
                    {
                        await RefundAsync(amount);
                        return "refunded";
                    }
            """));

    [Fact]
    public Task An_unused_variable_keeps_its_name() => CodeFixHarness.VerifyFixAsync(s_provider,
        InRun("""
                    try { await CreditAsync(amount); }
                    catch ([|FrozenAccountException|] frozen) { await RefundAsync(amount); }
            """),
        InRun("""
                    try { await CreditAsync(amount); }
                    catch (StepFailedException frozen) when (frozen.Is<FrozenAccountException>()) { await RefundAsync(amount); }
            """));

    [Fact]
    public Task An_existing_filter_is_combined_with_the_type_test() => CodeFixHarness.VerifyFixAsync(s_provider,
        InRun("""
                    try { await CreditAsync(amount); }
                    catch ([|System.InvalidOperationException|]) when (amount > 10 || cancellationToken.IsCancellationRequested) { await RefundAsync(amount); }
            """),
        InRun("""
                    try { await CreditAsync(amount); }
                    catch (StepFailedException e) when (e.Is<System.InvalidOperationException>() && (amount > 10 || cancellationToken.IsCancellationRequested)) { await RefundAsync(amount); }
            """));

    [Fact]
    public Task The_new_variable_avoids_a_name_in_scope() => CodeFixHarness.VerifyFixAsync(s_provider,
        InRun("""
                    var e = amount;
                    try { await CreditAsync(e); }
                    catch ([|FrozenAccountException|]) { await RefundAsync(e); }
            """),
        InRun("""
                    var e = amount;
                    try { await CreditAsync(e); }
                    catch (StepFailedException e2) when (e2.Is<FrozenAccountException>()) { await RefundAsync(e); }
            """));

    [Fact]
    public Task The_using_is_added_when_Workflows_is_not_imported() => CodeFixHarness.VerifyFixAsync(s_provider,
        InRun("""
                    try { await CreditAsync(amount); }
                    catch ([|FrozenAccountException|]) { await RefundAsync(amount); }
            """, usings: "", attributePrefix: "Workflows."),
        InRun("""
                    try { await CreditAsync(amount); }
                    catch (StepFailedException e) when (e.Is<FrozenAccountException>()) { await RefundAsync(amount); }
            """, usings: "using Workflows;\n\n", attributePrefix: "Workflows."));

    [Fact]
    public Task Fix_all_rewrites_every_clause_of_the_document() => CodeFixHarness.VerifyFixAllAsync(s_provider,
        InRun("""
                    try { await CreditAsync(amount); }
                    catch ([|FrozenAccountException|]) { await RefundAsync(amount); }
                    catch ([|ArgumentException|] bad) when (amount > 1) { }
            """, usings: "", attributePrefix: "Workflows."),
        InRun("""
                    try { await CreditAsync(amount); }
                    catch (StepFailedException e) when (e.Is<FrozenAccountException>()) { await RefundAsync(amount); }
                    catch (StepFailedException bad) when (bad.Is<ArgumentException>() && (amount > 1)) { }
            """, usings: "using Workflows;\n\n", attributePrefix: "Workflows."));

    [Fact]
    public Task No_fix_when_the_block_uses_the_variable_as_the_caught_type() => CodeFixHarness.VerifyNoFixAsync(s_provider,
        InRun("""
                    try { await CreditAsync(amount); }
                    catch ([|FrozenAccountException|] frozen) { Log(frozen.Account); }
            """));

    [Fact]
    public Task No_fix_when_the_filter_uses_the_variable() => CodeFixHarness.VerifyNoFixAsync(s_provider,
        InRun("""
                    try { await CreditAsync(amount); }
                    catch ([|FrozenAccountException|] frozen) when (frozen.Account == "a") { }
            """));
}
