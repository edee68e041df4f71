namespace Workflows.Journal;

/// <summary>One failed attempt of a step, kept in <see cref="StepRecord.AttemptHistory"/> when a later attempt follows it.</summary>
/// <param name="Attempt">The attempt's number, from 1.</param>
/// <param name="Error">What the attempt's body threw.</param>
/// <param name="StartedAt">When the attempt began, if known.</param>
/// <param name="DurationMs">How long the attempt ran, if known.</param>
public sealed record StepAttempt(int Attempt, ErrorInfo Error, DateTimeOffset? StartedAt, long? DurationMs);

/// <summary>
/// A read-only copy of a step's attempts that compares by its items, so that <see cref="StepRecord"/>'s record equality
/// holds for records read back from a store.
/// </summary>
internal sealed class StepAttemptList : IReadOnlyList<StepAttempt>, IEquatable<StepAttemptList>
{
    private readonly StepAttempt[] _items;

    internal StepAttemptList(IEnumerable<StepAttempt> items)
    {
        _items = [.. items];
        foreach (var item in _items)
        {
            ArgumentNullException.ThrowIfNull(item, nameof(StepRecord.AttemptHistory));
        }
    }

    public StepAttempt this[int index] => _items[index];

    public int Count => _items.Length;

    public IEnumerator<StepAttempt> GetEnumerator() => ((IEnumerable<StepAttempt>)_items).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public bool Equals(StepAttemptList? other) => other is not null && _items.AsSpan().SequenceEqual(other._items);

    public override bool Equals(object? obj) => obj is StepAttemptList other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var item in _items) hash.Add(item);
        return hash.ToHashCode();
    }

    public override string ToString() => $"[{string.Join(", ", _items.Select(a => a.ToString()))}]";
}
