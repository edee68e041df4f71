using System.Globalization;
using System.Text;

namespace TortureHost;

/// <summary>What a ledger line says happened.</summary>
public enum LedgerKind
{
    /// <summary>A step body began (attempt as the engine numbered it).</summary>
    Begin,

    /// <summary>A step body is about to return; the line carries the nonce it returns.</summary>
    End,

    /// <summary>The fails-once step threw its one deliberate failure.</summary>
    Fail,

    /// <summary>Workflow code passed its last step (once per execution that got there, replays included).</summary>
    Finish,

    /// <summary>This process learnt it no longer holds the run (a fenced commit, a renewal that found another owner).</summary>
    Lost,
}

/// <summary>
/// One ledger line: <c>ticks pid kind run step attempt nonce</c>, space-separated (<c>-</c> for no step or nonce). The one
/// place the format is written and read: the worker writes it, the checker parses it.
/// </summary>
public sealed record LedgerLine(long Ticks, int Pid, LedgerKind Kind, Guid RunId, string Step, int Attempt, string? Nonce)
{
    /// <summary>When the line was written (the machine's clock, as the engine's).</summary>
    public DateTimeOffset At => new(Ticks, TimeSpan.Zero);

    public string Format() => string.Create(CultureInfo.InvariantCulture,
        $"{Ticks} {Pid} {Kind.ToString().ToLowerInvariant()} {RunId:D} {Step} {Attempt} {Nonce ?? "-"}");

    /// <summary>The line parsed, or null when it is not a whole line of this format (a torn last write).</summary>
    public static LedgerLine? TryParse(string line)
    {
        var parts = line.Split(' ');
        if (parts.Length != 7
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            || !Enum.TryParse<LedgerKind>(parts[2], ignoreCase: true, out var kind)
            || !Guid.TryParse(parts[3], out var runId)
            || !int.TryParse(parts[5], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var attempt))
        {
            return null;
        }
        return new LedgerLine(ticks, pid, kind, runId, parts[4], attempt, parts[6] == "-" ? null : parts[6]);
    }

    public override string ToString() => Format();
}

/// <summary>
/// The ledgers of one torture session: a folder with a file per worker process (<c>ledger-PID.log</c>). Each line is
/// appended and fsynced (<c>Flush(true)</c>) before the body goes on, so a line on disk is something that really happened,
/// whatever killed the process a moment later.
/// </summary>
public sealed class Ledger(string directory)
{
    private readonly Lock _gate = new();
    private readonly string _own = Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"ledger-{Environment.ProcessId}.log"));

    public string Directory => directory;

    public void Append(LedgerKind kind, Guid runId, string step, int attempt, string? nonce = null)
    {
        var line = new LedgerLine(DateTime.UtcNow.Ticks, Environment.ProcessId, kind, runId, step, attempt, nonce).Format() + "\n";
        lock (_gate)
        {
            using var stream = new FileStream(_own, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            stream.Write(Encoding.UTF8.GetBytes(line));
            stream.Flush(flushToDisk: true);
        }
    }

    /// <summary>
    /// Every line of every process, in time order. Only a process killed in the middle of a write can leave a torn line, and
    /// only as its file's last: such a line is skipped; a malformed line anywhere else is an error.
    /// </summary>
    public IReadOnlyList<LedgerLine> ReadAll()
    {
        var lines = new List<LedgerLine>();
        if (!System.IO.Directory.Exists(directory))
        {
            return lines;
        }
        foreach (var file in System.IO.Directory.GetFiles(directory, "ledger-*.log"))
        {
            string text;
            using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
            using (var reader = new StreamReader(stream, Encoding.UTF8))
            {
                text = reader.ReadToEnd();
            }
            var rows = text.Split('\n');
            for (var i = 0; i < rows.Length; i++)
            {
                if (rows[i].Length == 0) continue;
                if (LedgerLine.TryParse(rows[i]) is { } parsed)
                {
                    lines.Add(parsed);
                }
                else if (i != rows.Length - 1)
                {
                    throw new InvalidDataException($"Malformed ledger line {i + 1} in {file}: '{rows[i]}'");
                }
            }
        }
        return [.. lines.OrderBy(l => l.Ticks)];
    }

    /// <summary>Whether the fails-once step of this run already threw its failure (in any process).</summary>
    public bool HasFailed(Guid runId, string step) =>
        ReadAll().Any(l => l.Kind == LedgerKind.Fail && l.RunId == runId && l.Step == step);
}
