// One echo step per journaled type. Each run-method call sends the samples
// through a step, and the run method records what the step returned, so a test can compare a replay's values
// (read back from the journal) with the originals.
// The run methods tell the test's probe (an injected service) what they saw and how often they ran, again on every
// replay: the repetition WF0015 warns of, here on purpose, so the rule is off for this file.
#pragma warning disable WF0015

namespace Workflows.Tests.TestWorkflows;

[Workflow("type-surface")]
public partial class TypeSurfaceWorkflow(Probe probe)
{
    /// <summary>The labels of the steps, in the order the run method calls them.</summary>
    public static readonly string[] Labels =
    [
        "Bool",
        "Byte",
        "SByte",
        "Int16",
        "UInt16",
        "Int32",
        "UInt32",
        "Int64",
        "UInt64",
        "Single",
        "Double",
        "Decimal",
        "String",
        "Char",
        "Guid",
        "DateTime",
        "DateTimeOffset",
        "TimeSpan",
        "DateOnly",
        "TimeOnly",
        "Color",
        "Access",
        "Huge",
        "NullableInt32",
        "NullableDecimal",
        "NullableDateTimeOffset",
        "NullableColor",
        "NullablePoint",
        "Int32Array",
        "StringArray",
        "ByteArray",
        "Jagged",
        "StringList",
        "ItemList",
        "Counts",
        "Prices",
        "Nested",
        "ListOfMaps",
        "MapOfLists",
        "Items",
        "Item",
        "Point",
        "InitOnly",
        "Settable",
        "Mixed",
        "Envelope",
    ];

    [WorkflowRun]
    public async Task<Envelope> RunAsync(Envelope input, CancellationToken cancellationToken)
    {
        foreach (var value in Samples.Booleans) probe.Saw("Bool", await EchoBoolAsync(value));
        foreach (var value in Samples.Bytes) probe.Saw("Byte", await EchoByteAsync(value));
        foreach (var value in Samples.SBytes) probe.Saw("SByte", await EchoSByteAsync(value));
        foreach (var value in Samples.Int16s) probe.Saw("Int16", await EchoInt16Async(value));
        foreach (var value in Samples.UInt16s) probe.Saw("UInt16", await EchoUInt16Async(value));
        foreach (var value in Samples.Int32s) probe.Saw("Int32", await EchoInt32Async(value));
        foreach (var value in Samples.UInt32s) probe.Saw("UInt32", await EchoUInt32Async(value));
        foreach (var value in Samples.Int64s) probe.Saw("Int64", await EchoInt64Async(value));
        foreach (var value in Samples.UInt64s) probe.Saw("UInt64", await EchoUInt64Async(value));
        foreach (var value in Samples.Singles) probe.Saw("Single", await EchoSingleAsync(value));
        foreach (var value in Samples.Doubles) probe.Saw("Double", await EchoDoubleAsync(value));
        foreach (var value in Samples.Decimals) probe.Saw("Decimal", await EchoDecimalAsync(value));
        foreach (var value in Samples.Strings) probe.Saw("String", await EchoStringAsync(value));
        foreach (var value in Samples.Chars) probe.Saw("Char", await EchoCharAsync(value));
        foreach (var value in Samples.Guids) probe.Saw("Guid", await EchoGuidAsync(value));
        foreach (var value in Samples.DateTimes) probe.Saw("DateTime", await EchoDateTimeAsync(value));
        foreach (var value in Samples.DateTimeOffsets) probe.Saw("DateTimeOffset", await EchoDateTimeOffsetAsync(value));
        foreach (var value in Samples.TimeSpans) probe.Saw("TimeSpan", await EchoTimeSpanAsync(value));
        foreach (var value in Samples.DateOnlys) probe.Saw("DateOnly", await EchoDateOnlyAsync(value));
        foreach (var value in Samples.TimeOnlys) probe.Saw("TimeOnly", await EchoTimeOnlyAsync(value));
        foreach (var value in Samples.Colors) probe.Saw("Color", await EchoColorAsync(value));
        foreach (var value in Samples.Accesses) probe.Saw("Access", await EchoAccessAsync(value));
        foreach (var value in Samples.Huges) probe.Saw("Huge", await EchoHugeAsync(value));
        foreach (var value in Samples.NullableInt32s) probe.Saw("NullableInt32", await EchoNullableInt32Async(value));
        foreach (var value in Samples.NullableDecimals) probe.Saw("NullableDecimal", await EchoNullableDecimalAsync(value));
        foreach (var value in Samples.NullableDateTimeOffsets) probe.Saw("NullableDateTimeOffset", await EchoNullableDateTimeOffsetAsync(value));
        foreach (var value in Samples.NullableColors) probe.Saw("NullableColor", await EchoNullableColorAsync(value));
        foreach (var value in Samples.NullablePoints) probe.Saw("NullablePoint", await EchoNullablePointAsync(value));
        foreach (var value in Samples.Int32Arrays) probe.Saw("Int32Array", await EchoInt32ArrayAsync(value));
        foreach (var value in new string?[][] { Samples.StringArrayElements }) probe.Saw("StringArray", await EchoStringArrayAsync(value));
        foreach (var value in new byte[][] { Samples.ByteArray }) probe.Saw("ByteArray", await EchoByteArrayAsync(value));
        foreach (var value in new int[][][] { Samples.Jagged }) probe.Saw("Jagged", await EchoJaggedAsync(value));
        foreach (var value in new List<string>?[] { Samples.StringList, null }) probe.Saw("StringList", await EchoStringListAsync(value));
        foreach (var value in new IReadOnlyList<Item>[] { Samples.ItemList }) probe.Saw("ItemList", await EchoItemListAsync(value));
        foreach (var value in new Dictionary<string, int>?[] { Samples.Counts, null }) probe.Saw("Counts", await EchoCountsAsync(value));
        foreach (var value in new IReadOnlyDictionary<string, decimal>[] { Samples.Prices }) probe.Saw("Prices", await EchoPricesAsync(value));
        foreach (var value in new Dictionary<string, List<Item?>>[] { Samples.Nested }) probe.Saw("Nested", await EchoNestedAsync(value));
        foreach (var value in new List<Dictionary<string, int[]>>[] { Samples.ListOfMaps }) probe.Saw("ListOfMaps", await EchoListOfMapsAsync(value));
        foreach (var value in new IReadOnlyDictionary<string, IReadOnlyList<Point?>>[] { Samples.MapOfLists }) probe.Saw("MapOfLists", await EchoMapOfListsAsync(value));
        foreach (var value in new Item[][] { Samples.Items }) probe.Saw("Items", await EchoItemsAsync(value));
        foreach (var value in Samples.Items.Append(null)) probe.Saw("Item", await EchoItemAsync(value));
        foreach (var value in Samples.Points) probe.Saw("Point", await EchoPointAsync(value));
        foreach (var value in Samples.InitOnlyThings) probe.Saw("InitOnly", await EchoInitOnlyAsync(value));
        foreach (var value in Samples.SettableThings) probe.Saw("Settable", await EchoSettableAsync(value));
        foreach (var value in Samples.Mixeds) probe.Saw("Mixed", await EchoMixedAsync(value));
        foreach (var value in new Envelope?[] { Samples.MakeEnvelope(), null }) probe.Saw("Envelope", await EchoEnvelopeAsync(value));

        // The other step shapes: ValueTask<T>, Task, ValueTask, several parameters and a CancellationToken.
        probe.Saw("ValueTaskInt64", await EchoValueTaskInt64Async(long.MinValue));
        await TouchAsync("task");
        await TouchValueAsync("value-task");
        probe.Saw("Combine", await CombineAsync("a \"b\"", 7, Samples.Items[0], Color.Green, null, cancellationToken));
        return await EchoEnvelopeAsync(input) ?? throw new InvalidOperationException("the envelope came back null");
    }

    [Step]
    private Task<bool> EchoBoolAsync(bool value)
    {
        probe.Called("Bool");
        return Task.FromResult(value);
    }

    [Step]
    private Task<byte> EchoByteAsync(byte value)
    {
        probe.Called("Byte");
        return Task.FromResult(value);
    }

    [Step]
    private Task<sbyte> EchoSByteAsync(sbyte value)
    {
        probe.Called("SByte");
        return Task.FromResult(value);
    }

    [Step]
    private Task<short> EchoInt16Async(short value)
    {
        probe.Called("Int16");
        return Task.FromResult(value);
    }

    [Step]
    private Task<ushort> EchoUInt16Async(ushort value)
    {
        probe.Called("UInt16");
        return Task.FromResult(value);
    }

    [Step]
    private Task<int> EchoInt32Async(int value)
    {
        probe.Called("Int32");
        return Task.FromResult(value);
    }

    [Step]
    private Task<uint> EchoUInt32Async(uint value)
    {
        probe.Called("UInt32");
        return Task.FromResult(value);
    }

    [Step]
    private Task<long> EchoInt64Async(long value)
    {
        probe.Called("Int64");
        return Task.FromResult(value);
    }

    [Step]
    private Task<ulong> EchoUInt64Async(ulong value)
    {
        probe.Called("UInt64");
        return Task.FromResult(value);
    }

    [Step]
    private Task<float> EchoSingleAsync(float value)
    {
        probe.Called("Single");
        return Task.FromResult(value);
    }

    [Step]
    private Task<double> EchoDoubleAsync(double value)
    {
        probe.Called("Double");
        return Task.FromResult(value);
    }

    [Step]
    private Task<decimal> EchoDecimalAsync(decimal value)
    {
        probe.Called("Decimal");
        return Task.FromResult(value);
    }

    [Step]
    private Task<string?> EchoStringAsync(string? value)
    {
        probe.Called("String");
        return Task.FromResult(value);
    }

    [Step]
    private Task<char> EchoCharAsync(char value)
    {
        probe.Called("Char");
        return Task.FromResult(value);
    }

    [Step]
    private Task<Guid> EchoGuidAsync(Guid value)
    {
        probe.Called("Guid");
        return Task.FromResult(value);
    }

    [Step]
    private Task<DateTime> EchoDateTimeAsync(DateTime value)
    {
        probe.Called("DateTime");
        return Task.FromResult(value);
    }

    [Step]
    private Task<DateTimeOffset> EchoDateTimeOffsetAsync(DateTimeOffset value)
    {
        probe.Called("DateTimeOffset");
        return Task.FromResult(value);
    }

    [Step]
    private Task<TimeSpan> EchoTimeSpanAsync(TimeSpan value)
    {
        probe.Called("TimeSpan");
        return Task.FromResult(value);
    }

    [Step]
    private Task<DateOnly> EchoDateOnlyAsync(DateOnly value)
    {
        probe.Called("DateOnly");
        return Task.FromResult(value);
    }

    [Step]
    private Task<TimeOnly> EchoTimeOnlyAsync(TimeOnly value)
    {
        probe.Called("TimeOnly");
        return Task.FromResult(value);
    }

    [Step]
    private Task<Color> EchoColorAsync(Color value)
    {
        probe.Called("Color");
        return Task.FromResult(value);
    }

    [Step]
    private Task<Access> EchoAccessAsync(Access value)
    {
        probe.Called("Access");
        return Task.FromResult(value);
    }

    [Step]
    private Task<Huge> EchoHugeAsync(Huge value)
    {
        probe.Called("Huge");
        return Task.FromResult(value);
    }

    [Step]
    private Task<int?> EchoNullableInt32Async(int? value)
    {
        probe.Called("NullableInt32");
        return Task.FromResult(value);
    }

    [Step]
    private Task<decimal?> EchoNullableDecimalAsync(decimal? value)
    {
        probe.Called("NullableDecimal");
        return Task.FromResult(value);
    }

    [Step]
    private Task<DateTimeOffset?> EchoNullableDateTimeOffsetAsync(DateTimeOffset? value)
    {
        probe.Called("NullableDateTimeOffset");
        return Task.FromResult(value);
    }

    [Step]
    private Task<Color?> EchoNullableColorAsync(Color? value)
    {
        probe.Called("NullableColor");
        return Task.FromResult(value);
    }

    [Step]
    private Task<Point?> EchoNullablePointAsync(Point? value)
    {
        probe.Called("NullablePoint");
        return Task.FromResult(value);
    }

    [Step]
    private Task<int[]?> EchoInt32ArrayAsync(int[]? value)
    {
        probe.Called("Int32Array");
        return Task.FromResult(value);
    }

    [Step]
    private Task<string?[]> EchoStringArrayAsync(string?[] value)
    {
        probe.Called("StringArray");
        return Task.FromResult(value);
    }

    [Step]
    private Task<byte[]> EchoByteArrayAsync(byte[] value)
    {
        probe.Called("ByteArray");
        return Task.FromResult(value);
    }

    [Step]
    private Task<int[][]> EchoJaggedAsync(int[][] value)
    {
        probe.Called("Jagged");
        return Task.FromResult(value);
    }

    [Step]
    private Task<List<string>?> EchoStringListAsync(List<string>? value)
    {
        probe.Called("StringList");
        return Task.FromResult(value);
    }

    [Step]
    private Task<IReadOnlyList<Item>> EchoItemListAsync(IReadOnlyList<Item> value)
    {
        probe.Called("ItemList");
        return Task.FromResult(value);
    }

    [Step]
    private Task<Dictionary<string, int>?> EchoCountsAsync(Dictionary<string, int>? value)
    {
        probe.Called("Counts");
        return Task.FromResult(value);
    }

    [Step]
    private Task<IReadOnlyDictionary<string, decimal>> EchoPricesAsync(IReadOnlyDictionary<string, decimal> value)
    {
        probe.Called("Prices");
        return Task.FromResult(value);
    }

    [Step]
    private Task<Dictionary<string, List<Item?>>> EchoNestedAsync(Dictionary<string, List<Item?>> value)
    {
        probe.Called("Nested");
        return Task.FromResult(value);
    }

    [Step]
    private Task<List<Dictionary<string, int[]>>> EchoListOfMapsAsync(List<Dictionary<string, int[]>> value)
    {
        probe.Called("ListOfMaps");
        return Task.FromResult(value);
    }

    [Step]
    private Task<IReadOnlyDictionary<string, IReadOnlyList<Point?>>> EchoMapOfListsAsync(IReadOnlyDictionary<string, IReadOnlyList<Point?>> value)
    {
        probe.Called("MapOfLists");
        return Task.FromResult(value);
    }

    [Step]
    private Task<Item[]> EchoItemsAsync(Item[] value)
    {
        probe.Called("Items");
        return Task.FromResult(value);
    }

    [Step]
    private Task<Item?> EchoItemAsync(Item? value)
    {
        probe.Called("Item");
        return Task.FromResult(value);
    }

    [Step]
    private Task<Point> EchoPointAsync(Point value)
    {
        probe.Called("Point");
        return Task.FromResult(value);
    }

    [Step]
    private Task<InitOnlyThing?> EchoInitOnlyAsync(InitOnlyThing? value)
    {
        probe.Called("InitOnly");
        return Task.FromResult(value);
    }

    [Step]
    private Task<SettableThing?> EchoSettableAsync(SettableThing? value)
    {
        probe.Called("Settable");
        return Task.FromResult(value);
    }

    [Step]
    private Task<Mixed> EchoMixedAsync(Mixed value)
    {
        probe.Called("Mixed");
        return Task.FromResult(value);
    }

    [Step]
    private Task<Envelope?> EchoEnvelopeAsync(Envelope? value)
    {
        probe.Called("Envelope");
        return Task.FromResult(value);
    }

    [Step]
    private ValueTask<long> EchoValueTaskInt64Async(long value)
    {
        probe.Called("ValueTaskInt64");
        return ValueTask.FromResult(value);
    }

    [Step("touch")]
    private async Task TouchAsync(string what)
    {
        await Task.Yield();
        probe.Called("touch:" + what);
    }

    [Step("touch-value")]
    private ValueTask TouchValueAsync(string what)
    {
        probe.Called("touch:" + what);
        return ValueTask.CompletedTask;
    }

    [Step("combine")]
    private async Task<string> CombineAsync(string text, int number, Item? item, Color color, DateOnly? day, CancellationToken cancellationToken)
    {
        await Task.Delay(1, cancellationToken);
        probe.Called("Combine");
        return $"{text}|{number}|{item?.Name}|{color}|{day}";
    }
}
