using System.Text.Json;
using OrderFulfillment;
using Workflows;
using Workflows.Journal;
using Workflows.Serialization;

namespace OrderService;

/// <summary>The answer to <c>POST /orders</c>.</summary>
public sealed record StartedRun(Guid RunId);

/// <summary>The answer to <c>POST /orders/{id}/events/{name}</c>.</summary>
public sealed record SentEvent(Guid RunId, string Name, Guid EventId);

/// <summary>A 400, 404 or 409 answer.</summary>
public sealed record ApiError(string Error);

/// <summary>The answer to <c>GET /orders/{id}</c>: the run and its journal, one entry per step.</summary>
public sealed record OrderStatus(Guid RunId, string Workflow, RunStatus Status, DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt,
    JsonElement? Output, ErrorView? Error, IReadOnlyList<StepView> Steps)
{
    public static OrderStatus Of(RunTimeline timeline)
    {
        var run = timeline.Run;
        return new OrderStatus(run.Id, run.Workflow, run.Status, run.CreatedAt, run.CompletedAt, Json(run.Output), ErrorView.Of(run.Error),
            timeline.Steps.Select(s => new StepView(s.Sequence, s.Name, s.Kind, s.Status, s.Attempt, s.DurationMs, Json(s.Output),
                ErrorView.Of(s.Error))).ToList());
    }

    /// <summary>A journaled JSON text as a JSON value of the answer (not a string holding JSON).</summary>
    private static JsonElement? Json(string? text)
    {
        if (text is null)
        {
            return null;
        }
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}

public sealed record StepView(int Sequence, string Name, StepKind Kind, StepStatus Status, int Attempt, long? DurationMs, JsonElement? Output,
    ErrorView? Error);

public sealed record ErrorView(ErrorKind Kind, string Message, string? Type)
{
    public static ErrorView? Of(ErrorInfo? error) => error is null ? null : new ErrorView(error.Kind, error.Message, error.Type);
}

/// <summary>Reads the order of <c>POST /orders</c>: JSON, or the sample order for an empty body.</summary>
internal static class OrderRequest
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static async Task<(Order? Order, string? Error)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync(cancellationToken);
        if (string.IsNullOrWhiteSpace(body))
        {
            return (SampleOrder.Create(), null);
        }
        Order? order;
        try
        {
            order = JsonSerializer.Deserialize<Order>(body, Options);
        }
        catch (JsonException e)
        {
            return (null, $"The body is not an order: {e.Message}");
        }
        var missing = order switch
        {
            null => "an order",
            { OrderId: null or "" } => "orderId",
            { CustomerEmail: null or "" } => "customerEmail",
            { Lines: null or { Count: 0 } } => "lines",
            { ShipTo: null } => "shipTo",
            _ when order.Lines.Any(l => l is null || string.IsNullOrEmpty(l.Sku) || l.Quantity <= 0) => "lines with a sku and a positive quantity",
            _ => null,
        };
        return missing is null ? (order, null) : (null, $"The body is not an order: it needs {missing}.");
    }
}

/// <summary>The order <c>POST /orders</c> starts when its body is empty: the OrderFulfillment sample's.</summary>
internal static class SampleOrder
{
    public static Order Create() => new(
        "ORD-1001",
        "ada@example.com",
        [new OrderLine("SKU-KEYBOARD", 1, 89.90m), new OrderLine("SKU-CABLE", 2, 9.50m)],
        new Address("Ada Lovelace", "Drottninggatan 1", "Stockholm", "111 51", "SE"));
}

/// <summary>Any JSON value as an event payload, written and read as it is.</summary>
internal sealed class JsonElementCodec : JsonCodec<JsonElement>
{
    public override void Write(Utf8JsonWriter writer, JsonElement value) => value.WriteTo(writer);

    public override JsonElement Read(ref Utf8JsonReader reader) => JsonElement.ParseValue(ref reader);
}

/// <summary>
/// The simulated backends, each call held back by <c>Orders:StepDelayMs</c> first (0 by default): long enough a step
/// gives a test the time to kill the process in the middle of a run.
/// </summary>
internal sealed class SlowBackends(SimulatedBackends inner, TimeSpan delay) : IInventory, IPayments, IShipping, INotifications
{
    public async Task<Reservation> ReserveAsync(string orderId, IReadOnlyList<OrderLine> lines, CancellationToken cancellationToken = default)
    {
        await Delay(cancellationToken);
        return await inner.ReserveAsync(orderId, lines, cancellationToken);
    }

    public async Task<Receipt> ChargeAsync(string orderId, decimal amount, CancellationToken cancellationToken = default)
    {
        await Delay(cancellationToken);
        return await inner.ChargeAsync(orderId, amount, cancellationToken);
    }

    public async Task<Shipment> ShipAsync(string orderId, Address to, CancellationToken cancellationToken = default)
    {
        await Delay(cancellationToken);
        return await inner.ShipAsync(orderId, to, cancellationToken);
    }

    public async Task<Confirmation> SendAsync(string email, string subject, CancellationToken cancellationToken = default)
    {
        await Delay(cancellationToken);
        return await inner.SendAsync(email, subject, cancellationToken);
    }

    private Task Delay(CancellationToken cancellationToken) => delay > TimeSpan.Zero ? Task.Delay(delay, cancellationToken) : Task.CompletedTask;
}
