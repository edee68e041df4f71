using Workflows;

namespace OrderFulfillment;

/// <summary>
/// Fulfils one order: reserve the stock, take the payment, ship, confirm. Each step is journaled; after a crash the
/// run resumes, the recorded steps are replayed and only the rest run.
/// </summary>
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
