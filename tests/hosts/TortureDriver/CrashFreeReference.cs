namespace TortureDriver;

/// <summary>One run of a crash-free session: its output and its journal entries (sequence, name, kind), by sequence.</summary>
internal sealed record ReferenceRun(string Output, IReadOnlyList<(int Sequence, string Name, string Kind)> Entries);

/// <summary>
/// What a crash-free session of the same runs journaled, by run name (<see cref="JournalRows.Names"/>): what every run of a
/// tortured session must end with, and every record it must hold.
/// </summary>
internal sealed class CrashFreeReference(IReadOnlyDictionary<string, ReferenceRun> runs)
{
    public IReadOnlyDictionary<string, ReferenceRun> Runs => runs;

    /// <summary>The reference from a crash-free session's journal (full read). Every run in it must have succeeded.</summary>
    public static CrashFreeReference From(JournalRows rows)
    {
        var names = rows.Names();
        var result = new Dictionary<string, ReferenceRun>(StringComparer.Ordinal);
        foreach (var run in rows.Runs)
        {
            if (run.Status != "Succeeded" || run.Output is null)
            {
                throw new InvalidOperationException($"The crash-free session's run {names[run.Id]} ({run.Id:D}) is {run.Status}: it cannot be a reference.");
            }
            var entries = rows.Steps.Where(s => s.RunId == run.Id).OrderBy(s => s.Sequence).Select(s => (s.Sequence, s.Name, s.Kind)).ToList();
            result.Add(names[run.Id], new ReferenceRun(run.Output, entries));
        }
        return new CrashFreeReference(result);
    }
}
