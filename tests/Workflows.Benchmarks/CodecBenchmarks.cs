using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Workflows.Serialization;

namespace Workflows.Benchmarks;

/// <summary>
/// The generated journal codecs against System.Text.Json's source-generated <c>JsonTypeInfo</c> on the same types, side by
/// side: the order sample's records (an order with its lines and address), a list of 100 of them and a dictionary of 100,
/// written to JSON text and read back. Each category's baseline is System.Text.Json; BenchmarkDotNet prints the ratio and
/// the allocations. The generated codecs go through the journal's real path (its limits on depth and size, strict reading).
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class CodecBenchmarks
{
    private BenchOrder _order = null!;
    private List<BenchOrder> _orders = null!;
    private Dictionary<string, BenchOrder> _byId = null!;
    private string _orderJson = "";
    private string _ordersJson = "";
    private string _byIdJson = "";
    private JsonCodec<BenchOrder> _orderCodec = null!;
    private JsonCodec<List<BenchOrder>> _ordersCodec = null!;
    private JsonCodec<Dictionary<string, BenchOrder>> _byIdCodec = null!;

    [GlobalSetup]
    public void Setup()
    {
        _order = Order(1);
        _orders = [.. Enumerable.Range(1, 100).Select(Order)];
        _byId = _orders.ToDictionary(o => o.OrderId);
        _orderCodec = JsonCodecRegistry.Get<BenchOrder>("the codec benchmark");
        _ordersCodec = JsonCodecRegistry.Get<List<BenchOrder>>("the codec benchmark");
        _byIdCodec = JsonCodecRegistry.Get<Dictionary<string, BenchOrder>>("the codec benchmark");
        _orderJson = JsonSerializer.Serialize(_order, CodecBenchContext.Default.BenchOrder);
        _ordersJson = JsonSerializer.Serialize(_orders, CodecBenchContext.Default.ListBenchOrder);
        _byIdJson = JsonSerializer.Serialize(_byId, CodecBenchContext.Default.DictionaryStringBenchOrder);
        // Both read what the other wrote: the comparison is of the same JSON.
        if (_orderCodec.Deserialize(_orderJson) != _order || JsonSerializer.Deserialize(_orderCodec.Serialize(_order), CodecBenchContext.Default.BenchOrder) != _order)
        {
            throw new InvalidOperationException("The generated codec and System.Text.Json do not read each other's JSON of an order.");
        }
    }

    private static BenchOrder Order(int i) => new(
        "A-" + i.ToString(CultureInfo.InvariantCulture), $"customer{i}@example.com",
        [new BenchOrderLine("SKU-1", 2, 19.99m), new BenchOrderLine("SKU-2", 1, 5.50m), new BenchOrderLine("SKU-3", i % 7 + 1, 0.25m)],
        new BenchAddress("Ada Lovelace", "12 Analytical St", "London", "NW1 " + (i % 10).ToString(CultureInfo.InvariantCulture) + "AA", "GB"),
        new DateOnly(2026, 12, 1).AddDays(i % 30), i % 2 == 0 ? BenchCarrier.Post : BenchCarrier.Courier);

    [BenchmarkCategory("write order"), Benchmark(Baseline = true)]
    public string Stj_write_order() => JsonSerializer.Serialize(_order, CodecBenchContext.Default.BenchOrder);

    [BenchmarkCategory("write order"), Benchmark]
    public string Generated_write_order() => _orderCodec.Serialize(_order);

    [BenchmarkCategory("read order"), Benchmark(Baseline = true)]
    public BenchOrder Stj_read_order() => JsonSerializer.Deserialize(_orderJson, CodecBenchContext.Default.BenchOrder)!;

    [BenchmarkCategory("read order"), Benchmark]
    public BenchOrder Generated_read_order() => _orderCodec.Deserialize(_orderJson);

    [BenchmarkCategory("write 100 orders"), Benchmark(Baseline = true)]
    public string Stj_write_list() => JsonSerializer.Serialize(_orders, CodecBenchContext.Default.ListBenchOrder);

    [BenchmarkCategory("write 100 orders"), Benchmark]
    public string Generated_write_list() => _ordersCodec.Serialize(_orders);

    [BenchmarkCategory("read 100 orders"), Benchmark(Baseline = true)]
    public List<BenchOrder> Stj_read_list() => JsonSerializer.Deserialize(_ordersJson, CodecBenchContext.Default.ListBenchOrder)!;

    [BenchmarkCategory("read 100 orders"), Benchmark]
    public List<BenchOrder> Generated_read_list() => _ordersCodec.Deserialize(_ordersJson);

    [BenchmarkCategory("write dictionary of 100"), Benchmark(Baseline = true)]
    public string Stj_write_dictionary() => JsonSerializer.Serialize(_byId, CodecBenchContext.Default.DictionaryStringBenchOrder);

    [BenchmarkCategory("write dictionary of 100"), Benchmark]
    public string Generated_write_dictionary() => _byIdCodec.Serialize(_byId);

    [BenchmarkCategory("read dictionary of 100"), Benchmark(Baseline = true)]
    public Dictionary<string, BenchOrder> Stj_read_dictionary() => JsonSerializer.Deserialize(_byIdJson, CodecBenchContext.Default.DictionaryStringBenchOrder)!;

    [BenchmarkCategory("read dictionary of 100"), Benchmark]
    public Dictionary<string, BenchOrder> Generated_read_dictionary() => _byIdCodec.Deserialize(_byIdJson);
}

/// <summary>The order sample's shapes: lines, an address, a date and an enum.</summary>
public sealed record BenchOrder(string OrderId, string CustomerEmail, IReadOnlyList<BenchOrderLine> Lines, BenchAddress ShipTo, DateOnly PromisedOn, BenchCarrier Carrier)
{
    // Records compare lists by reference: compare the lines' contents.
    public bool Equals(BenchOrder? other) => other is not null && OrderId == other.OrderId && CustomerEmail == other.CustomerEmail
        && Lines.SequenceEqual(other.Lines) && ShipTo == other.ShipTo && PromisedOn == other.PromisedOn && Carrier == other.Carrier;

    public override int GetHashCode() => OrderId.GetHashCode(StringComparison.Ordinal);
}

public sealed record BenchOrderLine(string Sku, int Quantity, decimal UnitPrice);

public sealed record BenchAddress(string Name, string Street, string City, string PostalCode, string Country);

public enum BenchCarrier { Post, Courier }

/// <summary>System.Text.Json's source generator on the same types, the journal's naming (camelCase, enums by name).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
[JsonSerializable(typeof(BenchOrder))]
[JsonSerializable(typeof(List<BenchOrder>))]
[JsonSerializable(typeof(Dictionary<string, BenchOrder>))]
public sealed partial class CodecBenchContext : JsonSerializerContext;

/// <summary>Journals the benchmark's types, so that the generator emits their codecs.</summary>
[Workflow("bench-codec-types")]
public partial class CodecTypes
{
    [WorkflowRun]
    public async Task<int> RunAsync(int count)
    {
        var one = await OneAsync(count);
        var many = await ManyAsync(count);
        var byId = await ByIdAsync(count);
        return one.Lines.Count + many.Count + byId.Count;
    }

    [Step("one")]
    private Task<BenchOrder> OneAsync(int i) => Task.FromResult(new BenchOrder("A", "a@example.com", [], new BenchAddress("n", "s", "c", "p", "GB"), new DateOnly(2026, 1, 1), BenchCarrier.Post));

    [Step("many")]
    private Task<List<BenchOrder>> ManyAsync(int count) => Task.FromResult(new List<BenchOrder>());

    [Step("by-id")]
    private Task<Dictionary<string, BenchOrder>> ByIdAsync(int count) => Task.FromResult(new Dictionary<string, BenchOrder>());
}
