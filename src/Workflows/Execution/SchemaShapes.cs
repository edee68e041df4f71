using System.Text;

namespace Workflows;

/// <summary>
/// Compares two schema shape texts (one line per signature, step and run type, each starting with its label, as the
/// generator writes them) and says which lines changed and where, so that a schema mismatch names the step or type
/// and the member.
/// </summary>
internal static partial class SchemaShapes
{
    private const int Context = 40;

    /// <summary>The changes from <paramref name="recorded"/> to <paramref name="current"/>, or null when the texts are the same.</summary>
    internal static string? Describe(string recorded, string current)
    {
        var before = Lines(recorded);
        var after = Lines(current);
        var changes = new List<string>();
        foreach (var (label, old) in before)
        {
            if (!after.TryGetValue(label, out var now)) changes.Add($"{label} was removed");
            else if (old != now) changes.Add($"{label} changed: {Difference(old, now)}");
        }
        foreach (var label in after.Keys.Where(l => !before.ContainsKey(l)))
        {
            changes.Add($"{label} was added");
        }
        return changes.Count == 0 ? null : string.Join("; ", changes);
    }

    private static Dictionary<string, string> Lines(string text)
    {
        var lines = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0) continue;
            var label = LabelOf(line);
            lines[lines.ContainsKey(label) ? $"{label}#{lines.Count}" : label] = line;
        }
        return lines;
    }

    /// <summary>
    /// A line's label: <c>step:NAME</c> for a step (a step name may hold spaces: it ends where the step's kind and signature
    /// begin, <c> Step(</c>), otherwise what comes before the first space (<c>run:input</c>, <c>workflow:NAME</c>).
    /// </summary>
    private static string LabelOf(string line)
    {
        if (line.StartsWith("step:", StringComparison.Ordinal) && line.IndexOf(" Step(", StringComparison.Ordinal) is > 5 and var kind)
        {
            return line[..kind];
        }
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? line : line[..space];
    }

    /// <summary>The two lines around where they first differ: the member that changed is there.</summary>
    private static string Difference(string old, string now)
    {
        var at = 0;
        while (at < old.Length && at < now.Length && old[at] == now[at]) at++;
        return $"recorded …{Excerpt(old, at)}… now …{Excerpt(now, at)}…";
    }

    private static string Excerpt(string line, int at)
    {
        var start = Math.Max(0, at - Context);
        var end = Math.Min(line.Length, at + Context);
        return new StringBuilder(line, start, end - start, end - start).ToString();
    }
}

/// <summary>What changed between the schema a run was recorded under and the code's.</summary>
/// <param name="Description">The changes, for the error message: removed steps first, then the changed shape lines.</param>
/// <param name="Incompatible">The changes that the reading rules do not allow (empty when every change is compatible).</param>
internal sealed record SchemaChange(string Description, IReadOnlyList<string> Incompatible)
{
    public bool IsCompatible => Incompatible.Count == 0;
}
