namespace Workflows.Tests.TestWorkflows;

// The user types journaled by TypeSurfaceWorkflow: one of each shape the generator emits a codec for.

public enum Color
{
    Red,
    Green,
    Blue = 10,
}

[Flags]
public enum Access
{
    None = 0,
    Read = 1,
    Write = 2,
}

public enum Huge : ulong
{
    Small = 1,
    Max = ulong.MaxValue,
}

/// <summary>A positional record of scalars.</summary>
public sealed record Item(string Name, int Quantity, decimal Price, Color Color, DateTimeOffset At, string? Note);

/// <summary>A positional record struct.</summary>
public readonly record struct Point(int X, int Y);

/// <summary>A positional record with collections, nullables, a recursive member and a computed property.</summary>
public sealed record Envelope(
    string Id,
    IReadOnlyList<Item> Items,
    Dictionary<string, string?> Headers,
    Point? Origin,
    Color[] Palette,
    Envelope? Inner)
{
    /// <summary>Computed: not journaled, rebuilt from Items.</summary>
    public int Count => Items.Count;
}

/// <summary>A class built through init-only properties.</summary>
public sealed class InitOnlyThing
{
    public string Name { get; init; } = "";
    public int? Count { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    public Item? Item { get; init; }
    public Access Access { get; init; }
}

/// <summary>A class with settable properties, one of them of its own type (a linked list).</summary>
public sealed class SettableThing
{
    public string? Label { get; set; }
    public double Ratio { get; set; }
    public DateTime When { get; set; }
    public List<Point> Points { get; set; } = [];
    public SettableThing? Next { get; set; }
}

/// <summary>A class with a constructor parameter for a get-only property and a settable one.</summary>
public sealed class Mixed(string id)
{
    public string Id { get; } = id;
    public long Extra { get; set; }
}
