using System.Security.Cryptography;
using System.Text;

namespace OrderFulfillment;

public interface IInventory
{
    Task<Reservation> ReserveAsync(string orderId, IReadOnlyList<OrderLine> lines, CancellationToken cancellationToken = default);
}

public interface IPayments
{
    Task<Receipt> ChargeAsync(string orderId, decimal amount, CancellationToken cancellationToken = default);
}

public interface IShipping
{
    Task<Shipment> ShipAsync(string orderId, Address to, CancellationToken cancellationToken = default);
}

public interface INotifications
{
    Task<Confirmation> SendAsync(string email, string subject, CancellationToken cancellationToken = default);
}

/// <summary>
/// Stand-ins for the shop's real systems. Their answers depend only on what they are asked, so a run that crashed and
/// resumed ends with exactly the result of a run that did not; each call is also counted, so the sample can show
/// which calls really happened.
/// </summary>
public sealed class SimulatedBackends : IInventory, IPayments, IShipping, INotifications
{
    private static readonly DateOnly Today = new(2026, 11, 22);

    public async Task<Reservation> ReserveAsync(string orderId, IReadOnlyList<OrderLine> lines, CancellationToken cancellationToken = default)
    {
        await Task.Delay(15, cancellationToken);
        return new Reservation("RES-" + Code(orderId, 6), lines.Select(l => l.Sku).ToList(), Today.AddDays(2));
    }

    public async Task<Receipt> ChargeAsync(string orderId, decimal amount, CancellationToken cancellationToken = default)
    {
        await Task.Delay(40, cancellationToken);
        return new Receipt("PAY-" + Code(orderId + amount, 8), amount, "EUR");
    }

    public async Task<Shipment> ShipAsync(string orderId, Address to, CancellationToken cancellationToken = default)
    {
        await Task.Delay(25, cancellationToken);
        var carrier = to.Country == "SE" ? Carrier.PostNord : Carrier.Dhl;
        return new Shipment("TRK" + Code(orderId + to.PostalCode, 10), carrier, Today.AddDays(3));
    }

    public async Task<Confirmation> SendAsync(string email, string subject, CancellationToken cancellationToken = default)
    {
        await Task.Delay(10, cancellationToken);
        return new Confirmation("MSG-" + Code(email + subject, 8), email);
    }

    private static string Code(string seed, int length) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(seed)))[..length];
}
