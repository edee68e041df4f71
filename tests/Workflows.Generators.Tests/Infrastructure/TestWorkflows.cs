namespace Workflows.Generators.Tests.Infrastructure;

/// <summary>A named set of consumer sources: the input of a baseline and of the robustness sweep.</summary>
public sealed record WorkflowCase(string Name, params SourceFile[] Files)
{
    public override string ToString() => Name;
}

/// <summary>Representative workflows, each under a fixed path.</summary>
public static class TestWorkflows
{
    /// <summary>
    /// The hosting package's builder as the generator sees it (the shape of src/Workflows.Hosting's): the compilation
    /// having this type turns on the registration file. It records what is added, for tests that run the output.
    /// </summary>
    public static readonly SourceFile HostingStub = new("/src/WorkflowsBuilder.cs", """
        namespace Workflows.Hosting;

        public sealed class WorkflowsBuilder
        {
            public List<Workflows.WorkflowDefinition> Added { get; } = new();

            public WorkflowsBuilder AddWorkflow(Workflows.WorkflowDefinition definition)
            {
                Added.Add(definition);
                return this;
            }
        }
        """);

    /// <summary>The OrderFulfillment sample's workflow, as the README runs it (copied so the baselines do not follow sample edits).</summary>
    public static readonly WorkflowCase Order = new(
        "OrderWorkflow",
        new SourceFile("/src/OrderWorkflow.cs", """
            using Workflows;

            namespace OrderFulfillment;

            [Workflow("order-fulfillment")]
            public partial class OrderWorkflow(IInventory inventory, IPayments payments, IShipping shipping, INotifications notifications)
            {
                [WorkflowRun]
                public async Task<OrderResult> RunAsync(Order order)
                {
                    var reservation = await ReserveInventoryAsync(order.OrderId, order.Lines);
                    var receipt = await ChargePaymentAsync(order.OrderId, order.Total);
                    var shipment = await CreateShipmentAsync(order.OrderId, order.ShipTo, reservation);
                    var confirmation = await SendConfirmationAsync(order, shipment);
                    return new OrderResult(order.OrderId, receipt.ReceiptId, shipment.TrackingNumber, shipment.Carrier, receipt.Amount, confirmation.MessageId);
                }

                [Step("reserve-inventory")]
                private Task<Reservation> ReserveInventoryAsync(string orderId, IReadOnlyList<OrderLine> lines) =>
                    inventory.ReserveAsync(orderId, lines);

                [Step("charge-payment", MaxAttempts = 3)]
                private Task<Receipt> ChargePaymentAsync(string orderId, decimal amount) =>
                    payments.ChargeAsync(orderId, amount);

                [Step("create-shipment", MaxAttempts = 3)]
                private Task<Shipment> CreateShipmentAsync(string orderId, Address shipTo, Reservation reservation) =>
                    shipping.ShipAsync(orderId, shipTo);

                [Step("send-confirmation")]
                private Task<Confirmation> SendConfirmationAsync(Order order, Shipment shipment) =>
                    notifications.SendAsync(order.CustomerEmail, $"Order {order.OrderId} is on its way: {shipment.Carrier} {shipment.TrackingNumber}");
            }
            """),
        new SourceFile("/src/Orders.cs", """
            namespace OrderFulfillment;

            public sealed record Order(string OrderId, string CustomerEmail, IReadOnlyList<OrderLine> Lines, Address ShipTo)
            {
                public decimal Total => Lines.Sum(l => l.UnitPrice * l.Quantity);
            }

            public sealed record OrderLine(string Sku, int Quantity, decimal UnitPrice);

            public sealed record Address(string Name, string Street, string City, string PostalCode, string Country);

            public sealed record Reservation(string ReservationId, IReadOnlyList<string> Skus, DateOnly ExpiresOn);

            public sealed record Receipt(string ReceiptId, decimal Amount, string Currency);

            public enum Carrier
            {
                PostNord,
                Dhl,
                Ups,
            }

            public sealed record Shipment(string TrackingNumber, Carrier Carrier, DateOnly EstimatedDelivery);

            public sealed record Confirmation(string MessageId, string SentTo);

            public sealed record OrderResult(string OrderId, string ReceiptId, string TrackingNumber, Carrier Carrier, decimal Charged, string ConfirmationId);

            public interface IInventory { Task<Reservation> ReserveAsync(string orderId, IReadOnlyList<OrderLine> lines, CancellationToken cancellationToken = default); }
            public interface IPayments { Task<Receipt> ChargeAsync(string orderId, decimal amount, CancellationToken cancellationToken = default); }
            public interface IShipping { Task<Shipment> ShipAsync(string orderId, Address to, CancellationToken cancellationToken = default); }
            public interface INotifications { Task<Confirmation> SendAsync(string email, string subject, CancellationToken cancellationToken = default); }
            """));

    /// <summary>Every awaitable a step or run may return, with and without a CancellationToken.</summary>
    public static readonly WorkflowCase ReturnShapes = new(
        "ReturnShapes",
        new SourceFile("/src/ReturnShapesWorkflow.cs", """
            using Workflows;

            namespace Shapes;

            [Workflow]
            public partial class ReturnShapesWorkflow
            {
                [WorkflowRun]
                public async ValueTask<int> RunAsync(string input, CancellationToken cancellationToken)
                {
                    await NotifyAsync(input, cancellationToken);
                    await FlushAsync();
                    var length = await MeasureAsync(input, cancellationToken);
                    return await DoubleAsync(length);
                }

                [Step]
                private Task NotifyAsync(string message, CancellationToken cancellationToken) => Task.Delay(0, cancellationToken);

                [Step]
                private ValueTask FlushAsync() => ValueTask.CompletedTask;

                [Step(MaxAttempts = 5, RetryDelayMilliseconds = 50, BackoffFactor = 1.5)]
                private Task<int> MeasureAsync(string text, CancellationToken cancellationToken) => Task.FromResult(text.Length);

                [Step]
                private ValueTask<int> DoubleAsync(int value) => ValueTask.FromResult(value * 2);
            }

            [Workflow("no-input-no-output")]
            public partial class TaskRunWorkflow
            {
                [WorkflowRun]
                public async Task RunAsync(CancellationToken cancellationToken) => await PingAsync(cancellationToken);

                [Step]
                private Task PingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
            }

            [Workflow]
            public partial class ValueTaskRunWorkflow
            {
                [WorkflowRun]
                public ValueTask RunAsync(Guid id) => ValueTask.CompletedTask;
            }
            """));

    /// <summary>A workflow nested two levels deep, with step types nested in the outer class.</summary>
    public static readonly WorkflowCase Nested = new(
        "Nested",
        new SourceFile("/src/Billing.cs", """
            using Workflows;

            namespace Billing;

            public static partial class Accounts
            {
                public sealed record Invoice(string Number, decimal Amount);

                internal partial class Monthly
                {
                    [Workflow("monthly-invoicing")]
                    public partial class InvoiceWorkflow
                    {
                        [WorkflowRun]
                        public async Task<Invoice> RunAsync(string customer)
                        {
                            var invoice = await IssueAsync(customer);
                            await SendAsync(invoice);
                            return invoice;
                        }

                        [Step]
                        internal Task<Invoice> IssueAsync(string customer) => Task.FromResult(new Invoice(customer + "-1", 10m));

                        [Step]
                        internal Task SendAsync(Invoice invoice) => Task.CompletedTask;
                    }
                }
            }
            """));

    /// <summary>A workflow, and its types, in the global namespace.</summary>
    public static readonly WorkflowCase GlobalNamespace = new(
        "GlobalNamespace",
        new SourceFile("/src/GlobalWorkflow.cs", """
            using Workflows;

            public sealed record Greeting(string Text);

            [Workflow]
            public partial class GlobalWorkflow
            {
                [WorkflowRun]
                public async Task<Greeting> RunAsync(string name) => await GreetAsync(name);

                [Step]
                private Task<Greeting> GreetAsync(string name) => Task.FromResult(new Greeting("Hello " + name));
            }
            """));

    /// <summary>Enums (with an alias), nullables, arrays, lists, dictionaries, a settable class and a struct.</summary>
    public static readonly WorkflowCase Collections = new(
        "Collections",
        new SourceFile("/src/CatalogWorkflow.cs", """
            using Workflows;

            namespace Catalog;

            public enum Priority : byte
            {
                Low = 1,
                Normal = 2,
                High = 4,
                Urgent = High,
            }

            public sealed record Item(
                string Sku,
                int? Quantity,
                Priority Priority,
                string[] Tags,
                List<int> Counts,
                Dictionary<string, decimal> Prices,
                IReadOnlyDictionary<string, string[]> Attributes,
                IReadOnlyList<Priority?> History);

            public sealed class Settings
            {
                public string Name { get; set; } = "";
                public DateTimeOffset? Since { get; init; }
                public Guid Id { get; set; }
            }

            public struct Point
            {
                public int X { get; set; }
                public int Y { get; set; }
            }

            [Workflow]
            public partial class CatalogWorkflow
            {
                [WorkflowRun]
                public async Task<Item[]> RunAsync(Dictionary<string, Item> items)
                {
                    var priority = await ClassifyAsync(items.Values.First(), null);
                    var groups = await GroupAsync(items.Values, new Settings());
                    var matrix = await MatrixAsync(new List<long> { 1, 2 });
                    return items.Values.ToArray();
                }

                [Step]
                private Task<Priority?> ClassifyAsync(Item item, Point? at) => Task.FromResult<Priority?>(item.Priority);

                [Step]
                private Task<IDictionary<string, List<Item>>> GroupAsync(IEnumerable<Item> items, Settings settings) =>
                    Task.FromResult<IDictionary<string, List<Item>>>(items.GroupBy(i => i.Sku).ToDictionary(g => g.Key, g => g.ToList()));

                [Step]
                private Task<int[][]> MatrixAsync(ICollection<long> sizes) => Task.FromResult(sizes.Select(s => new int[s]).ToArray());
            }
            """));

    /// <summary>Two overloads of one method, each a step with its own explicit name.</summary>
    public static readonly WorkflowCase Overloads = new(
        "Overloads",
        new SourceFile("/src/NotificationWorkflow.cs", """
            using Workflows;

            namespace Messaging;

            [Workflow]
            public partial class NotificationWorkflow
            {
                [WorkflowRun]
                public async Task<int> RunAsync(string user)
                {
                    await SendAsync(user);
                    return await SendAsync(user, 3);
                }

                [Step("send-once")]
                private Task SendAsync(string user) => Task.CompletedTask;

                [Step("send-many")]
                private Task<int> SendAsync(string user, int times) => Task.FromResult(times);
            }
            """));

    /// <summary>
    /// Event waits and published values without a codec: their types get codecs, module-initializer registration and
    /// <c>event:</c> schema lines; the explicit-codec overloads and calls in a nested class do not count.
    /// </summary>
    public static readonly WorkflowCase Events = new(
        "Events",
        new SourceFile("/src/ApprovalWorkflow.cs", """
            using Workflows;
            using Workflows.Serialization;

            namespace Approvals;

            public sealed record Approval(string By, bool Approved, string? Note = null);

            public sealed record Progress(int Percent, IReadOnlyList<string?> Notes);

            public enum Verdict { Accepted, Rejected }

            [Workflow("approval")]
            public partial class ApprovalWorkflow
            {
                [WorkflowRun]
                public async Task<bool> RunAsync(string request)
                {
                    await Workflow.SetEventAsync("progress", new Progress(10, new List<string?> { null }));
                    var approval = await Workflow.WaitForEventAsync<Approval>("approved", TimeSpan.FromDays(1));
                    var verdict = await Workflow.TryWaitForEventAsync<Verdict>("verdict", TimeSpan.FromHours(1));
                    var raw = await Workflow.WaitForEventAsync<string>("raw", JsonCodecs.String);
                    await Workflow.SetEventAsync<long>("size", raw.Length);
                    return approval.Approved && verdict.Arrived && await CheckAsync(request);
                }

                [Step("check")]
                private Task<bool> CheckAsync(string request) => Task.FromResult(request.Length > 0);

                public static class Helpers
                {
                    // A nested class is not the workflow: its calls journal nothing of ApprovalWorkflow's.
                    public static Task<Guid> Other() => Workflow.WaitForEventAsync<Guid>("other");
                }
            }
            """));

    /// <summary>
    /// Two workflows in an assembly that references the hosting package (a stub of its builder, as
    /// <see cref="HostingStub"/>), declared out of name order, and a call of the generated <c>AddGeneratedWorkflows()</c>.
    /// </summary>
    public static readonly WorkflowCase Hosting = new(
        "Hosting",
        new SourceFile("/src/ShopWorkflows.cs", """
            using Workflows;

            namespace Shop;

            [Workflow("refund")]
            public partial class RefundWorkflow
            {
                [WorkflowRun]
                public async Task<string> RunAsync(string orderId) => await RefundAsync(orderId);

                [Step]
                private Task<string> RefundAsync(string orderId) => Task.FromResult("refunded " + orderId);
            }

            [Workflow("checkout")]
            internal partial class CheckoutWorkflow
            {
                [WorkflowRun]
                public async Task RunAsync(int cartId) => await ReserveAsync(cartId);

                [Step]
                private Task ReserveAsync(int cartId) => Task.CompletedTask;
            }
            """),
        HostingStub,
        new SourceFile("/src/Startup.cs", """
            using Microsoft.Extensions.DependencyInjection;
            using Workflows.Hosting;

            namespace Shop;

            public static class Startup
            {
                public static WorkflowsBuilder Configure(WorkflowsBuilder builder) => builder.AddGeneratedWorkflows();
            }
            """));

    public static readonly IReadOnlyList<WorkflowCase> All = new[] { Order, ReturnShapes, Nested, GlobalNamespace, Collections, Overloads, Events, Hosting };

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var workflowCase in All) data.Add(workflowCase.Name);
        return data;
    }

    public static WorkflowCase Named(string name) => All.Single(c => c.Name == name);
}
