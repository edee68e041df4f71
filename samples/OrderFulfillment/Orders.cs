namespace OrderFulfillment;

/// <summary>An order as the shop hands it to fulfillment.</summary>
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

/// <summary>The run's result.</summary>
public sealed record OrderResult(string OrderId, string ReceiptId, string TrackingNumber, Carrier Carrier, decimal Charged, string ConfirmationId);
