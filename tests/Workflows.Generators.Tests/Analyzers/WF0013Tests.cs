using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests.Analyzers;

/// <summary>WF0013: a catch of a step's own exception type around its call, which a step's failure (a StepFailedException) never reaches.</summary>
public sealed class WF0013Tests
{
    private const string Arrives = ": a step's failure arrives as StepFailedException; use catch (StepFailedException ";

    private static string Message(string type, string steps, string variable = "e") =>
        $"catch ({type}) can never catch the failure of {steps}{Arrives}{variable}) when ({variable}.Is<{type}>())";

    /// <summary>
    /// A valid workflow whose run method holds <paramref name="body"/>; steps "credit" (CreditAsync), RefundAsync and
    /// "parse" (ParseAsync, whose body holds <paramref name="stepBody"/>); a user exception FrozenAccountException.
    /// </summary>
    private static string InRunMethod(string body, string members = "", string stepBody = "") => $$"""
        using Workflows;

        namespace Bank;

        public class FrozenAccountException(string account) : InvalidOperationException("frozen: " + account)
        {
            public string Account { get; } = account;
        }

        [Workflow]
        public partial class TransferWorkflow
        {
            [WorkflowRun]
            public async Task<string> RunAsync(int amount, CancellationToken cancellationToken)
            {
                {{body}}
                return "done";
            }

            [Step("credit")]
            private Task CreditAsync(int amount) => amount < 0 ? throw new FrozenAccountException("a") : Task.CompletedTask;

            [Step]
            private Task RefundAsync(int amount) => Task.CompletedTask;

            [Step("parse")]
            private async Task<int> ParseAsync(string text)
            {
                await Task.Yield();
                {{stepBody}}
                return 1;
            }

            private static void Log(object value) { }
            {{members}}
        }
        """;

    private static AnalyzerRun Analyze(string source) => AnalyzerHarness.Run(new SourceFile("/src/Transfer.cs", source));

    [Fact]
    public void A_catch_of_the_steps_exception_type_is_reported_at_the_type()
    {
        Analyze(InRunMethod("try { await CreditAsync(amount); } catch ({|WF0013:FrozenAccountException|}) { await RefundAsync(amount); return \"refunded\"; }"))
            .AssertExpected(Message("FrozenAccountException", "step 'credit'"));
    }

    [Fact]
    public void The_message_uses_the_declared_variable_name()
    {
        Analyze(InRunMethod("try { await CreditAsync(amount); } catch ({|WF0013:FrozenAccountException|} frozen) { Log(frozen.Account); }"))
            .AssertExpected(Message("FrozenAccountException", "step 'credit'", "frozen"));
    }

    [Theory]
    [InlineData("try { await CreditAsync(amount); } catch ({|WF0013:InvalidOperationException|}) { }", "InvalidOperationException", "step 'credit'")]
    [InlineData("try { await this.CreditAsync(amount); } catch ({|WF0013:System.ArgumentException|}) { }", "ArgumentException", "step 'credit'")]
    [InlineData("try { var task = CreditAsync(amount); await task; } catch ({|WF0013:FrozenAccountException|}) { }", "FrozenAccountException", "step 'credit'")]
    [InlineData("try { await Task.WhenAll(new[] { 1, 2 }.Select(a => CreditAsync(a))); } catch ({|WF0013:FrozenAccountException|}) { }", "FrozenAccountException", "step 'credit'")]
    [InlineData("try { await CreditAsync(amount); await RefundAsync(amount); await CreditAsync(1); } catch ({|WF0013:FrozenAccountException|}) { }", "FrozenAccountException", "steps 'credit' and 'RefundAsync'")]
    [InlineData("try { await CreditAsync(amount); await RefundAsync(amount); await ParseAsync(\"1\"); } catch ({|WF0013:FormatException|}) { }", "FormatException", "steps 'credit', 'RefundAsync' and 'parse'")]
    [InlineData("try { if (amount > 0) { await CreditAsync(amount); } } catch ({|WF0013:FrozenAccountException|}) { }", "FrozenAccountException", "step 'credit'")]
    [InlineData("try { await CreditAsync(amount); } catch ({|WF0013:TimeoutException|}) when (amount > 10) { }", "TimeoutException", "step 'credit'")]
    [InlineData("try { await CreditAsync(amount); } catch ({|WF0013:System.IO.IOException|} e) when (e.HResult == 5) { }", "IOException", "step 'credit'")]
    public void Catches_that_a_steps_failure_never_reaches_are_reported(string statement, string type, string steps)
    {
        Analyze(InRunMethod(statement)).AssertExpected(Message(type, steps));
    }

    [Fact]
    public void Each_such_clause_of_a_try_is_reported_and_the_others_are_not()
    {
        Analyze(InRunMethod("""
            try { await CreditAsync(amount); }
            catch ({|WF0013:FrozenAccountException|}) { }
            catch (StepFailedException e) when (e.Is<TimeoutException>()) { }
            catch ({|WF0013:ArgumentException|}) { }
            catch (OperationCanceledException) { throw; }
            catch (Exception) { }
            """)).AssertExpected(
            Message("FrozenAccountException", "step 'credit'"),
            Message("ArgumentException", "step 'credit'"));
    }

    [Fact]
    public void A_helper_method_of_the_workflow_is_workflow_code()
    {
        Analyze(InRunMethod("await CreditOrRefundAsync(amount);", """
            private async Task CreditOrRefundAsync(int amount)
            {
                try { await CreditAsync(amount); }
                catch ({|WF0013:FrozenAccountException|}) { await RefundAsync(amount); }
            }
            """)).AssertExpected(Message("FrozenAccountException", "step 'credit'"));
    }

    [Fact]
    public void A_try_in_a_lambda_or_local_function_of_the_run_method_is_workflow_code()
    {
        Analyze(InRunMethod("""
            async Task Attempt(int value)
            {
                try { await CreditAsync(value); } catch ({|WF0013:FrozenAccountException|}) { }
            }
            Func<Task> other = async () => { try { await RefundAsync(amount); } catch ({|WF0013:ArgumentException|}) { } };
            await Attempt(amount);
            await other();
            """)).AssertExpected(
            Message("FrozenAccountException", "step 'credit'"),
            Message("ArgumentException", "step 'RefundAsync'"));
    }

    [Theory]
    [InlineData("try { await CreditAsync(amount); } catch (StepFailedException) { }")]
    [InlineData("try { await CreditAsync(amount); } catch (StepFailedException e) when (e.Is<FrozenAccountException>()) { await RefundAsync(amount); }")]
    [InlineData("try { await CreditAsync(amount); } catch (Exception e) { Log(e); }")]
    [InlineData("try { await CreditAsync(amount); } catch (System.Exception) { }")]
    [InlineData("try { await CreditAsync(amount); } catch { }")]
    [InlineData("try { await CreditAsync(amount); } catch when (amount > 1) { }")]
    [InlineData("try { await CreditAsync(amount); } catch (OperationCanceledException) { throw; }")]
    [InlineData("try { await CreditAsync(amount); } catch (TaskCanceledException) { throw; }")]
    [InlineData("try { await CreditAsync(amount); } catch (NonDeterminismException) { throw; }")]
    [InlineData("try { await CreditAsync(amount); } finally { Log(amount); }")]
    [InlineData("try { var n = int.Parse(\"1\"); Log(n); } catch (FormatException) { } await CreditAsync(amount);")]
    [InlineData("try { await Task.Yield(); } catch (FrozenAccountException) { }")]
    [InlineData("try { Func<Task> later = () => Task.CompletedTask; await later(); } catch (FrozenAccountException) { }")]
    [InlineData("try { async Task Later() => await CreditAsync(1); Log(0); } catch (FrozenAccountException) { }")]
    [InlineData("try { try { await CreditAsync(amount); } catch (StepFailedException e) when (e.Is<FrozenAccountException>()) { throw new FrozenAccountException(\"a\"); } } catch (FrozenAccountException) { await RefundAsync(amount); }")]
    public void Catches_that_can_see_the_failure_or_surround_no_step_call_are_not_reported(string statement)
    {
        Analyze(InRunMethod(statement)).AssertClean();
    }

    [Fact]
    public void A_catch_in_a_step_body_is_not_workflow_code()
    {
        Analyze(InRunMethod("await ParseAsync(\"1\");", stepBody: "try { var n = int.Parse(text); Log(n); } catch (FormatException) { }")).AssertClean();
    }

    [Fact]
    public void A_step_called_on_another_instance_is_not_intercepted_and_its_catch_not_reported()
    {
        // The call is WF0008's: it runs the body unjournaled, whose own exceptions do propagate.
        Analyze(InRunMethod("try { await {|WF0008:new TransferWorkflow().CreditAsync(amount)|}; } catch (FrozenAccountException) { }"))
            .AssertExpected("Step 'credit' is called on an instance other than 'this'; only a direct call from its own workflow is journaled");
    }

    [Fact]
    public void A_catch_in_a_class_that_is_no_workflow_is_not_reported()
    {
        AnalyzerHarness.Run(new SourceFile("/src/Transfer.cs", InRunMethod("await CreditAsync(amount);")), new SourceFile("/src/Plain.cs", """
            namespace Bank;

            public class Plain
            {
                public async Task CallAsync(Func<Task> action)
                {
                    try { await action(); } catch (FrozenAccountException) { }
                }
            }
            """)).AssertClean();
    }
}
