using Workflows.CodeFixes.Tests.Infrastructure;

namespace Workflows.CodeFixes.Tests;

/// <summary>WF0015: an I/O call in workflow code moves into a new [Step] method of the workflow.</summary>
public sealed class MoveIoIntoStepCodeFixTests
{
    private static readonly MoveIoIntoStepCodeFixProvider s_provider = new();

    private const string Services = """

        public sealed record Order(Guid Id, decimal Total);

        public sealed record Receipt(string Id, decimal Amount);

        public interface IPayments
        {
            Task<Receipt> ChargeAsync(Guid orderId, decimal amount);
            Task RefundAsync(Guid orderId, string reason, CancellationToken cancellationToken);
            ValueTask<int> CountAsync();
        }

        public interface IAudit
        {
            void Write(string line);
            void Record(string @event, int @checked);
            int Count(Guid orderId);
            IAsyncEnumerable<string> LinesAsync();
        }
        """;

    /// <summary>A workflow given <c>IPayments</c> and <c>IAudit</c>, with a field for each, whose run method holds <paramref name="body"/>.</summary>
    /// <remarks><paramref name="members"/> start with their blank line; they are indented to the class's members.</remarks>
    private static string Workflow(string body, string members = "") =>
        WorkflowSource(body, members.Length == 0 ? "" : string.Concat(members.Split('\n').Select(line => "\n" + (line.Length == 0 ? line : "    " + line))));

    private static string WorkflowSource(string body, string members) => $$"""
        using Workflows;

        namespace Shop;

        [Workflow]
        public partial class OrderWorkflow(IPayments payments, IAudit audit)
        {
            private readonly IPayments _payments = payments;

            [WorkflowRun]
            public async Task<decimal> RunAsync(Order order, CancellationToken cancellationToken)
            {
        {{body}}
            }{{members}}
        }
        """ + Services;

    [Fact]
    public Task An_awaited_service_call_becomes_a_call_of_a_new_step_with_its_arguments_as_parameters() => CodeFixHarness.VerifyFixAsync(s_provider,
        Workflow("""
                    var total = order.Total * 1.2m;
                    var receipt = await [|_payments.ChargeAsync(order.Id, total)|];
                    return receipt.Amount;
            """),
        Workflow("""
                    var total = order.Total * 1.2m;
                    var receipt = await ChargeAsync(order.Id, total);
                    return receipt.Amount;
            """, """

            [Step]
            private Task<Receipt> ChargeAsync(Guid orderId, decimal total) => _payments.ChargeAsync(orderId, total);
            """));

    [Fact]
    public Task Literals_stay_in_the_step_and_a_cancellation_token_is_passed_through() => CodeFixHarness.VerifyFixAsync(s_provider,
        Workflow("""
                    await [|payments.RefundAsync(order.Id, "duplicate", cancellationToken)|];
                    return 0m;
            """),
        Workflow("""
                    await RefundAsync(order.Id, cancellationToken);
                    return 0m;
            """, """

            [Step]
            private Task RefundAsync(Guid orderId, CancellationToken cancellationToken) => payments.RefundAsync(orderId, "duplicate", cancellationToken);
            """));

    [Fact]
    public Task A_synchronous_void_call_becomes_an_awaited_step_returning_Task() => CodeFixHarness.VerifyFixAsync(s_provider,
        Workflow("""
                    [|audit.Write("charging " + order.Id)|];
                    return order.Total;
            """),
        Workflow("""
                    await WriteAsync("charging " + order.Id);
                    return order.Total;
            """, """

            [Step]
            private Task WriteAsync(string line)
            {
                audit.Write(line);
                return Task.CompletedTask;
            }
            """));

    [Fact]
    public Task A_synchronous_call_with_a_value_becomes_an_awaited_step_returning_its_task() => CodeFixHarness.VerifyFixAsync(s_provider,
        Workflow("""
                    return [|audit.Count(order.Id)|] + order.Total;
            """),
        Workflow("""
                    return await CountAsync(order.Id) + order.Total;
            """, """

            [Step]
            private Task<int> CountAsync(Guid orderId) => Task.FromResult(audit.Count(orderId));
            """));

    [Fact]
    public Task A_name_already_taken_gets_the_receiver_as_prefix() => CodeFixHarness.VerifyFixAsync(s_provider,
        Workflow("""
                    var receipt = await [|_payments.ChargeAsync(order.Id, order.Total)|];
                    return receipt.Amount + (await ChargeAsync(order)).Amount;
            """, """

            [Step]
            private Task<Receipt> ChargeAsync(Order order) => _payments.ChargeAsync(order.Id, order.Total);
            """),
        Workflow("""
                    var receipt = await PaymentsChargeAsync(order.Id, order.Total);
                    return receipt.Amount + (await ChargeAsync(order)).Amount;
            """, """

            [Step]
            private Task<Receipt> PaymentsChargeAsync(Guid orderId, decimal amount) => _payments.ChargeAsync(orderId, amount);

            [Step]
            private Task<Receipt> ChargeAsync(Order order) => _payments.ChargeAsync(order.Id, order.Total);
            """));

    [Fact]
    public Task A_call_in_a_helper_moves_into_a_step_placed_after_the_helper() => CodeFixHarness.VerifyFixAsync(s_provider,
        Workflow("""
                    return await CountAllAsync();
            """, """

            private async Task<decimal> CountAllAsync() => await [|payments.CountAsync()|];
            """),
        Workflow("""
                    return await CountAllAsync();
            """, """

            private async Task<decimal> CountAllAsync() => await CountAsync();

            [Step]
            private ValueTask<int> CountAsync() => payments.CountAsync();
            """));

    [Fact]
    public Task Fix_all_moves_every_call_and_names_the_steps_apart() => CodeFixHarness.VerifyFixAllAsync(s_provider,
        Workflow("""
                    var first = await [|_payments.ChargeAsync(order.Id, 1m)|];
                    var second = await [|_payments.ChargeAsync(order.Id, 2m)|];
                    return first.Amount + second.Amount;
            """),
        Workflow("""
                    var first = await ChargeAsync(order.Id);
                    var second = await PaymentsChargeAsync(order.Id);
                    return first.Amount + second.Amount;
            """, """

            [Step]
            private Task<Receipt> PaymentsChargeAsync(Guid orderId) => _payments.ChargeAsync(orderId, 2m);

            [Step]
            private Task<Receipt> ChargeAsync(Guid orderId) => _payments.ChargeAsync(orderId, 1m);
            """));

    [Fact]
    public Task A_synchronous_value_read_through_a_member_keeps_its_parentheses() => CodeFixHarness.VerifyFixAsync(s_provider,
        Workflow("""
                    var digits = [|audit.Count(order.Id)|].ToString().Length;
                    return digits;
            """),
        Workflow("""
                    var digits = (await CountAsync(order.Id)).ToString().Length;
                    return digits;
            """, """

            [Step]
            private Task<int> CountAsync(Guid orderId) => Task.FromResult(audit.Count(orderId));
            """));

    [Fact]
    public Task Named_arguments_keep_their_names_in_the_step_and_their_order_at_the_call() => CodeFixHarness.VerifyFixAsync(s_provider,
        Workflow("""
                    var receipt = await [|_payments.ChargeAsync(amount: order.Total * 2, orderId: order.Id)|].ConfigureAwait(false);
                    return receipt.Amount;
            """),
        Workflow("""
                    var receipt = await ChargeAsync(order.Total * 2, order.Id).ConfigureAwait(false);
                    return receipt.Amount;
            """, """

            [Step]
            private Task<Receipt> ChargeAsync(decimal amount, Guid orderId) => _payments.ChargeAsync(amount: amount, orderId: orderId);
            """));

    [Fact]
    public Task Fix_all_moves_a_call_and_the_call_in_its_arguments() => CodeFixHarness.VerifyFixAllAsync(s_provider,
        Workflow("""
                    var receipt = await [|_payments.ChargeAsync(order.Id, [|audit.Count(order.Id)|])|];
                    return receipt.Amount;
            """),
        Workflow("""
                    var receipt = await ChargeAsync(order.Id, await CountAsync(order.Id));
                    return receipt.Amount;
            """, """

            [Step]
            private Task<int> CountAsync(Guid orderId) => Task.FromResult(audit.Count(orderId));

            [Step]
            private Task<Receipt> ChargeAsync(Guid orderId, decimal amount) => _payments.ChargeAsync(orderId, amount);
            """));

    [Fact]
    public async Task The_fixed_workflow_has_no_Workflows_diagnostic_at_all()
    {
        var (source, _) = CodeFixHarness.Unmark(Workflow("""
                    var receipt = await [|_payments.ChargeAsync(order.Id, order.Total)|];
                    await [|payments.RefundAsync(order.Id, "late", cancellationToken)|];
                    [|audit.Write("charged " + receipt.Id)|];
                    return receipt.Amount + [|audit.Count(order.Id)|];
            """));
        var document = CodeFixHarness.CreateDocument(source);
        var diagnostics = await CodeFixHarness.FixableDiagnosticsAsync(s_provider, document);
        Assert.Equal(4, diagnostics.Count);
        var action = Assert.Single(await CodeFixHarness.ActionsAsync(s_provider, document, diagnostics[0]));
        Assert.Equal("Move '_payments.ChargeAsync' into a new step 'ChargeAsync'", action.Title);

        var fixedDocument = await CodeFixHarness.FixAllAsync(s_provider, document, diagnostics);
        var remaining = (await CodeFixHarness.DiagnoseAsync(fixedDocument.Project))
            .Where(d => d.Id.StartsWith("WF", StringComparison.Ordinal) || d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error)
            .ToList();
        Assert.True(remaining.Count == 0, "The fixed workflow still has diagnostics:\n" + string.Join("\n", remaining)
            + "\n" + await fixedDocument.GetTextAsync());
    }

    [Fact]
    public Task Parameters_named_after_keywords_are_written_verbatim() => CodeFixHarness.VerifyFixAsync(s_provider,
        Workflow("""
                    [|audit.Record(order.Id.ToString(), (int)order.Total)|];
                    return order.Total;
            """),
        Workflow("""
                    await RecordAsync(order.Id.ToString(), (int)order.Total);
                    return order.Total;
            """, """

            [Step]
            private Task RecordAsync(string @event, int @checked)
            {
                audit.Record(@event, @checked);
                return Task.CompletedTask;
            }
            """));

    [Fact]
    public Task No_fix_where_the_moved_code_could_not_compile_or_be_journaled() => CodeFixHarness.VerifyNoFixAsync(s_provider,
        Workflow("""
                    // A result the journal cannot hold.
                    await foreach (var line in [|audit.LinesAsync()|]) { }
                    // A synchronous call where no await may stand.
                    Func<int> count = () => [|audit.Count(order.Id)|];
                    // An await may not stand in a lock.
                    lock (this) { [|audit.Write("locked")|]; }
                    return count();
            """));
}
