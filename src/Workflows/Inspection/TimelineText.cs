using System.Globalization;
using System.Text;
using Workflows.Journal;
using Workflows.Serialization;

namespace Workflows.Inspection;

/// <summary>What <see cref="TimelineText.Render"/> writes.</summary>
public sealed record TimelineTextOptions
{
    /// <summary>The run's header line(s): id, workflow, status, schema, then tenant, times and duration, the run's error on top.</summary>
    public bool Header { get; init; } = true;
    /// <summary>The second header line (tenant, created, completed, duration, parent, fork source) besides the first.</summary>
    public bool HeaderDetails { get; init; } = true;
    /// <summary>
    /// True: each row's output as indented JSON (or its error) on the lines beneath it, and the run's output the same way.
    /// False: one line per row, the output shortened into the detail column, the run's output on one <c>Output:</c> line.
    /// </summary>
    public bool JsonBeneath { get; init; } = true;
    /// <summary>Outputs shown at all (beneath the rows or in the detail column); false for a listing without JSON bodies.</summary>
    public bool ShowOutputs { get; init; } = true;
    /// <summary>The totals lines (tokens and cost, counts by state, ran/replayed when known) after the rows.</summary>
    public bool Totals { get; init; } = true;
    /// <summary>The run's output (and its error, when not already on top) after the rows.</summary>
    public bool RunOutput { get; init; } = true;
    /// <summary>Longest detail text in the detail column before it is cut with "...".</summary>
    public int DetailWidth { get; init; } = 60;
}

/// <summary>
/// The console form of a <see cref="TimelineView"/>: one row per entry (glyph, sequence, name as journaled with its kind,
/// state word, duration, position with ∥ marking a parallel wave, tokens in/out, cost, origin when known, detail), a child's
/// entries indented under its row, optionally the JSON beneath each row, then the totals.
/// </summary>
public static class TimelineText
{
    /// <summary>Marks a position shared by several entries of one run (a wave).</summary>
    public const string WaveMark = "∥";

    public static string Render(TimelineView view, TimelineTextOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(view);
        options ??= new TimelineTextOptions();
        var text = new StringBuilder();
        var run = view.Run;
        var errorOnTop = false;
        if (options.Header)
        {
            text.Append(CultureInfo.InvariantCulture, $"Run {run.Id}  workflow '{run.Workflow}'  status {run.Status}  schema {run.SchemaVersion}").AppendLine();
            if (options.HeaderDetails)
            {
                text.Append(CultureInfo.InvariantCulture, $"  tenant {run.TenantId}  created {Time(run.CreatedAt)}  completed {Time(run.CompletedAt)}  duration {RunDuration(run)}");
                if (run.ParentRunId is { } parent) text.Append(CultureInfo.InvariantCulture, $"  parent {parent} (entry {run.ParentStep})");
                if (run.ForkedFromRunId is { } source) text.Append(CultureInfo.InvariantCulture, $"  forked from {source}");
                text.AppendLine();
                if (run.Status == RunStatus.Waiting)
                {
                    text.Append(CultureInfo.InvariantCulture, $"  waiting for {run.WaitingFor ?? "?"}{(run.WakeAt is { } wake ? "  until " + Time(wake) : "")}").AppendLine();
                }
            }
            if (run.Error is { } error)
            {
                text.Append(CultureInfo.InvariantCulture, $"  Error ({error.Kind}): {error.Message.ReplaceLineEndings(" ")}").AppendLine();
                errorOnTop = true;
            }
        }

        var withOrigin = view.Rows.Any(r => r.Origin is not null);
        text.Append(CultureInfo.InvariantCulture, $"     {"#",3}  {"step",-22} {"state",-9} {"duration",9}  {"pos",4}  {"tokens in/out",13}  {"cost $",9}  ");
        if (withOrigin) text.Append(CultureInfo.InvariantCulture, $"{"origin",-8}  ");
        text.Append("detail").AppendLine();
        foreach (var row in view.Rows)
        {
            var indent = new string(' ', 2 * row.Depth);
            var name = indent + row.Name + (row.KindLabel is null ? "" : $" [{row.KindLabel}]");
            var position = row.Position.ToString(CultureInfo.InvariantCulture) + (row.SharesPosition ? WaveMark : " ");
            var tokens = row.InputTokens is not null || row.OutputTokens is not null ? $"{row.InputTokens ?? 0,6}/{row.OutputTokens ?? 0,-6}" : "      -      ";
            var cost = row.CostUsd is { } usd ? usd.ToString("0.000000", CultureInfo.InvariantCulture) : "-";
            var detail = row.Detail ?? (options.JsonBeneath || !options.ShowOutputs ? null : Flat(row.OutputJson));
            if (row.Attempt > 1) detail = $"attempt {row.Attempt}" + (detail is null ? "" : "; " + detail);
            text.Append(CultureInfo.InvariantCulture,
                $"  {TimelineGlyphs.Of(row.State)}  {row.Sequence,3}. {name,-22} {TimelineGlyphs.Word(row.State),-9} {row.Duration,9}  {position,4}  {tokens,13}  {cost,9}  ");
            if (withOrigin) text.Append(CultureInfo.InvariantCulture, $"{row.Origin ?? "",-8}  ");
            text.Append(Shorten(detail, options.DetailWidth));
            TrimLineEnd(text);
            text.AppendLine();
            if (options.JsonBeneath && options.ShowOutputs)
            {
                var beneath = new string(' ', 9 + 2 * row.Depth);
                if (row.OutputJson is { } json && row.Kind is not (StepKind.Now or StepKind.Guid or StepKind.Random))
                {
                    AppendIndented(text, beneath, json);
                }
                else if (row.Error is { } error && row.State is TimelineState.Failed or TimelineState.Cancelled or TimelineState.Pending)
                {
                    AppendIndented(text, beneath, $"error {error.Kind}{(error.Type is null ? "" : $" ({error.Type})")}: {error.Message}");
                }
            }
        }

        if (options.Totals)
        {
            var totals = view.Totals;
            text.Append(CultureInfo.InvariantCulture,
                $"  Totals (run and its children): {totals.InputTokens} tokens in, {totals.OutputTokens} tokens out, ${totals.CostUsd.ToString("0.000000", CultureInfo.InvariantCulture)}").AppendLine();
            text.Append("  ").Append(Counts(view.Rows)).AppendLine();
        }
        if (options.Totals && withOrigin)
        {
            var replayed = view.Rows.Count(r => r.Origin == "replayed");
            var ran = view.Rows.Count(r => r.Origin == "ran");
            text.Append(CultureInfo.InvariantCulture, $"  {replayed} step(s) replayed from the journal, {ran} ran in this process").AppendLine();
        }
        if (options.RunOutput)
        {
            if (run.Output is { } output)
            {
                if (options.JsonBeneath)
                {
                    text.AppendLine("Output:");
                    AppendIndented(text, "  ", TimelineView.Indent(output) ?? output);
                }
                else
                {
                    text.Append("Output: ").Append(output).AppendLine();
                }
            }
            if (run.Error is { } error && !errorOnTop)
            {
                text.Append(CultureInfo.InvariantCulture, $"Error ({error.Kind}): {error.Message.ReplaceLineEndings(" ")}").AppendLine();
            }
        }
        return text.ToString();
    }

    /// <summary>"12 entries: 10 succeeded, 1 failed, 1 skipped" over <paramref name="rows"/> (children's entries included).</summary>
    public static string Counts(IReadOnlyList<TimelineRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var parts = rows.GroupBy(r => r.State).OrderBy(g => g.Key).Select(g => $"{g.Count()} {TimelineGlyphs.Word(g.Key)}");
        return $"{rows.Count} {(rows.Count == 1 ? "entry" : "entries")}" + (rows.Count == 0 ? "" : ": " + string.Join(", ", parts));
    }

    /// <summary>An instant as "2026-12-02 06:50:01Z" (UTC, to the second); "-" for null.</summary>
    public static string Time(DateTimeOffset? at) =>
        at is { } value ? value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";

    /// <summary>From the run's start (or creation) to its completion; "-" while it has not ended.</summary>
    public static string RunDuration(RunRecord run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return run.CompletedAt is { } end
            ? TimelineView.FormatDuration((long)Math.Max(0, (end - (run.StartedAt ?? run.CreatedAt)).TotalMilliseconds))
            : "-";
    }

    private static void TrimLineEnd(StringBuilder text)
    {
        var end = text.Length;
        while (end > 0 && text[end - 1] == ' ') end--;
        text.Length = end;
    }

    private static void AppendIndented(StringBuilder text, string indent, string block)
    {
        foreach (var line in block.ReplaceLineEndings("\n").Split('\n'))
        {
            text.Append(indent).Append(line).AppendLine();
        }
    }

    private static string? Flat(string? json) => json is null ? null : Compact(json);

    private static string Compact(string json)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(json);
            return JournalJson.Write(document.RootElement, static (writer, element) => element.WriteTo(writer));
        }
        catch (System.Text.Json.JsonException)
        {
            return json.ReplaceLineEndings(" ");
        }
    }

    private static string Shorten(string? text, int width) =>
        text is null ? "" : width < 4 || text.Length <= width ? text : text[..(width - 3)] + "...";
}
