namespace Workflows.Tests.TestWorkflows;

/// <summary>The values TypeSurfaceWorkflow sends through its steps: every supported type and its edge values.</summary>
public static class Samples
{
    public static readonly bool[] Booleans = [true, false];
    public static readonly byte[] Bytes = [0, 1, 127, 128, byte.MaxValue];
    public static readonly sbyte[] SBytes = [sbyte.MinValue, -1, 0, sbyte.MaxValue];
    public static readonly short[] Int16s = [short.MinValue, -1, 0, short.MaxValue];
    public static readonly ushort[] UInt16s = [0, 1, ushort.MaxValue];
    public static readonly int[] Int32s = [int.MinValue, -1, 0, 1, int.MaxValue];
    public static readonly uint[] UInt32s = [0, 1, uint.MaxValue];
    public static readonly long[] Int64s = [long.MinValue, -1, 0, long.MaxValue, 9_007_199_254_740_993]; // 2^53 + 1: not a double
    public static readonly ulong[] UInt64s = [0, 1, 9_223_372_036_854_775_808, ulong.MaxValue];

    public static readonly float[] Singles =
    [
        0f, -0f, 0.1f, 1f / 3, float.MaxValue, float.MinValue, float.Epsilon, float.NaN, float.PositiveInfinity, float.NegativeInfinity,
    ];

    public static readonly double[] Doubles =
    [
        0d, -0d, 0.1 + 0.2, 1d / 3, Math.PI, 1e-7, 123456789.12345679, double.MaxValue, double.MinValue, double.Epsilon,
        double.NaN, double.PositiveInfinity, double.NegativeInfinity,
    ];

    public static readonly decimal[] Decimals =
    [
        1.50m, 0m, 0.00m, 1m, 100m, -1.500m, 1.0000000000000000000000000000m, 0.0000000000000000000000000001m,
        decimal.MaxValue, decimal.MinValue, 79228162514264337593543950.335m,
    ];

    public static readonly string?[] Strings =
    [
        "",
        "plain",
        "quote \" and 'single'",
        "back\\slash and /slash",
        "line1\nline2\r\nline3\ttab\bbell\fform",
        "emoji 😀 and a family 👩‍👩‍👧 and a flag 🇸🇪",
        "nul \0 inside and \u0001 \u001f \u007f",
        "<script>alert('x') & </script>",
        "ünïcödé 中文 العربية עברית",
        "line separators \u2028 \u2029 and bom \ufeff",
        null,
    ];

    public static readonly char[] Chars = ['\0', 'a', '"', '\\', '\n', '\t', '\u001f', '\u007f', 'é', '中', '\u2028', '\ufeff', '\ufffd', '\uffff'];

    public static readonly Guid[] Guids = [Guid.Empty, Guid.Parse("0190f0a1-2b3c-7d4e-8f90-a1b2c3d4e5f6"), Guid.AllBitsSet];

    public static readonly DateTime[] DateTimes =
    [
        new DateTime(2024, 2, 29, 23, 59, 58, DateTimeKind.Utc).AddTicks(1_234_567),
        new DateTime(2024, 7, 1, 12, 34, 56, DateTimeKind.Local).AddTicks(7_654_321),
        new DateTime(2024, 7, 1, 12, 34, 56, DateTimeKind.Unspecified).AddTicks(1),
        DateTime.MinValue,
        DateTime.MaxValue,
        DateTime.SpecifyKind(DateTime.MaxValue, DateTimeKind.Utc),
    ];

    public static readonly DateTimeOffset[] DateTimeOffsets =
    [
        new DateTimeOffset(2025, 3, 14, 9, 26, 53, TimeSpan.FromMinutes(330)).AddTicks(5_897_932),
        new DateTimeOffset(2025, 11, 2, 1, 30, 0, TimeSpan.FromHours(-8)).AddTicks(1),
        new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.FromHours(14)),
        new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.FromMinutes(-570)),
        DateTimeOffset.MinValue,
        DateTimeOffset.MaxValue,
    ];

    public static readonly TimeSpan[] TimeSpans =
    [
        TimeSpan.Zero, TimeSpan.FromTicks(1), TimeSpan.FromTicks(-1), new TimeSpan(1, 2, 3, 4, 5).Add(TimeSpan.FromTicks(6)),
        TimeSpan.FromTicks(-1_234_567_890_123), TimeSpan.MaxValue, TimeSpan.MinValue,
    ];

    public static readonly DateOnly[] DateOnlys = [DateOnly.MinValue, new DateOnly(2024, 2, 29), DateOnly.MaxValue];

    public static readonly TimeOnly[] TimeOnlys = [TimeOnly.MinValue, new TimeOnly(13, 14, 15).Add(TimeSpan.FromTicks(1_617_181)), TimeOnly.MaxValue];

    public static readonly Color[] Colors = [Color.Red, Color.Blue, (Color)42];
    public static readonly Access[] Accesses = [Access.None, Access.Read | Access.Write];
    public static readonly Huge[] Huges = [Huge.Max, (Huge)(ulong.MaxValue - 1)];

    public static readonly int?[] NullableInt32s = [null, 0, -7];
    public static readonly decimal?[] NullableDecimals = [null, 1.50m];
    public static readonly DateTimeOffset?[] NullableDateTimeOffsets = [null, DateTimeOffsets[0]];
    public static readonly Color?[] NullableColors = [null, Color.Green];
    public static readonly Point?[] NullablePoints = [null, new Point(-1, 2)];

    public static readonly int[]?[] Int32Arrays = [[], [1, -2, 3], null];
    public static readonly string?[] StringArrayElements = ["a", null, ""];
    public static readonly byte[] ByteArray = [0, 1, 254, 255];
    public static readonly int[][] Jagged = [[], [1], [2, 3]];

    public static readonly List<string> StringList = ["x", "", "z"];
    public static readonly IReadOnlyList<Item> ItemList = [MakeItem("first"), MakeItem("second")];

    public static readonly Dictionary<string, int> Counts = new() { ["a"] = 1, [""] = 0, ["quote\"key"] = -1, ["ключ"] = int.MaxValue };
    public static readonly IReadOnlyDictionary<string, decimal> Prices = new Dictionary<string, decimal> { ["tea"] = 1.50m, ["cake"] = 3.000m };

    public static readonly Dictionary<string, List<Item?>> Nested = new()
    {
        ["empty"] = [],
        ["mixed"] = [MakeItem("n1"), null, MakeItem("n2")],
    };

    public static readonly List<Dictionary<string, int[]>> ListOfMaps = [new() { ["a"] = [1, 2] }, new(), new() { ["b"] = [] }];

    public static readonly IReadOnlyDictionary<string, IReadOnlyList<Point?>> MapOfLists =
        new Dictionary<string, IReadOnlyList<Point?>> { ["p"] = [new Point(1, 2), null], ["q"] = [] };

    public static readonly Item[] Items = [MakeItem("one"), MakeItem("two") with { Note = null, Color = (Color)42 }];

    public static readonly Point[] Points = [new Point(0, 0), new Point(int.MinValue, int.MaxValue)];

    public static readonly InitOnlyThing?[] InitOnlyThings =
    [
        new InitOnlyThing { Name = "init", Count = 3, Tags = ["t1", "t2"], Item = MakeItem("inner"), Access = Access.Read | Access.Write },
        new InitOnlyThing { Name = "", Count = null, Tags = [], Item = null, Access = Access.None },
        null,
    ];

    public static readonly SettableThing?[] SettableThings =
    [
        new SettableThing
        {
            Label = "head",
            Ratio = 0.1 + 0.2,
            When = DateTimes[1],
            Points = [new Point(1, 1)],
            Next = new SettableThing { Label = null, Ratio = double.NaN, When = DateTimes[2], Points = [], Next = null },
        },
        null,
    ];

    public static readonly Mixed[] Mixeds = [new Mixed("m-1") { Extra = long.MinValue }, new Mixed("") { Extra = 0 }];

    public static Envelope MakeEnvelope() => new(
        "env-1",
        [MakeItem("e1"), MakeItem("e2")],
        new Dictionary<string, string?> { ["trace"] = "abc", ["empty"] = "", ["none"] = null },
        new Point(3, 4),
        [Color.Green, Color.Blue],
        new Envelope("env-inner", [], [], null, [], null));

    public static Item MakeItem(string name) => new(name, 2, 1.50m, Color.Blue, DateTimeOffsets[0], "note \"quoted\"\n😀");
}
