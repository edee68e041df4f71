using System.Globalization;
using Workflows.Inspection;
using Workflows.Journal;
using Workflows.Serialization;

namespace Workflows.Dashboard.Html;

/// <summary>
/// The vertical timeline of a <see cref="TimelineView"/>: one entry per row (glyph and word, name as journaled, kind,
/// duration, attempt, tokens and cost), its output or error as formatted JSON beneath it; rows of one wave (one
/// position) side by side; a child run's rows nested under the row that started it, with a link to the child's page.
/// </summary>
internal static class TimelineHtml
{
    /// <summary>A row with the rows nested under it (a child run's entries, under its child row).</summary>
    private sealed record Item(TimelineRow Row, IReadOnlyList<Item> Children);

    public static void Write(HtmlWriter html, DashboardRequest request, TimelineView view)
    {
        if (view.Rows.Count == 0)
        {
            html.Element("p", "empty", "No journal entries yet.");
            return;
        }
        var index = 0;
        var items = Parse(view.Rows, ref index, depth: 0);
        WriteList(html, request, view, items, "timeline");
    }

    // Rows come in journal order with each child's rows right after its child row, one depth deeper.
    private static List<Item> Parse(IReadOnlyList<TimelineRow> rows, ref int index, int depth)
    {
        var items = new List<Item>();
        while (index < rows.Count && rows[index].Depth >= depth)
        {
            var row = rows[index++];
            var children = index < rows.Count && rows[index].Depth > row.Depth ? Parse(rows, ref index, row.Depth + 1) : [];
            items.Add(new Item(row, children));
        }
        return items;
    }

    private static void WriteList(HtmlWriter html, DashboardRequest request, TimelineView view, List<Item> items, string cssClass)
    {
        html.Start("ol", cssClass);
        for (var i = 0; i < items.Count;)
        {
            var first = items[i].Row;
            var end = i + 1;
            if (first.SharesPosition)
            {
                while (end < items.Count && items[end].Row.SharesPosition && items[end].Row.Position == first.Position && items[end].Row.RunId == first.RunId)
                {
                    end++;
                }
            }
            if (end - i > 1)
            {
                html.Start("li", "wave").Attr("data-position", first.Position);
                html.Element("div", "wave-label", $"parallel wave · position {first.Position} · {end - i} entries");
                html.Start("ol", "wave-entries");
                for (var j = i; j < end; j++) WriteEntry(html, request, view, items[j]);
                html.End().End();
            }
            else
            {
                WriteEntry(html, request, view, items[i]);
            }
            i = end;
        }
        html.End();
    }

    private static void WriteEntry(HtmlWriter html, DashboardRequest request, TimelineView view, Item item)
    {
        var row = item.Row;
        var word = TimelineGlyphs.Word(row.State);
        html.Start("li", "entry state-" + word)
            .Attr("data-run-id", row.RunId.ToString())
            .Attr("data-sequence", row.Sequence)
            .Attr("data-position", row.Position)
            .Attr("data-state", word)
            .Attr("data-kind", row.KindLabel ?? "step");

        html.Start("div", "entry-head");
        html.Start("span", "badge").Element("span", "glyph", TimelineGlyphs.Of(row.State)).Text(" ").Element("span", "word", word).End();
        html.Element("span", "seq", "#" + row.Sequence.ToString(CultureInfo.InvariantCulture));
        html.Element("span", "name", row.Name);
        if (row.KindLabel is { } kind) html.Element("span", "kind", kind);
        html.Element("span", "duration", row.Duration);
        if (row.Attempt > 1) html.Element("span", "attempt", "attempt " + row.Attempt.ToString(CultureInfo.InvariantCulture));
        if (row.Origin is { } origin) html.Element("span", "origin", origin);
        if (row.InputTokens is not null || row.OutputTokens is not null || row.CostUsd is not null)
        {
            html.Element("span", "usage", Usage(row.InputTokens ?? 0, row.OutputTokens ?? 0, row.CostUsd ?? 0m));
        }
        html.End();

        if (row.ChildRunId is { } childId)
        {
            html.Start("div", "detail child");
            html.Link(request.Paths.Run(request.Http, childId), "child run " + childId, "child-link");
            if (view.ChildRuns.TryGetValue(childId, out var child))
            {
                html.Text(" · " + child.Workflow + " · ");
                RunStatusBadge.Write(html, child.Status);
            }
            html.End();
        }
        else if (row.Detail is { } detail && row.State != TimelineState.Succeeded)
        {
            html.Element("div", "detail", detail);
        }

        if (row.Error is { } error && row.State != TimelineState.Skipped)
        {
            html.Element("pre", "json error", ErrorJson(error));
        }
        else if (row.OutputJson is { } output)
        {
            html.Element("pre", "json output", output);
        }
        else if (row.State == TimelineState.Skipped && row.Step.Output is { } skippedOutput)
        {
            html.Element("pre", "json output", TimelineView.Indent(skippedOutput));
        }

        if (item.Children.Count > 0)
        {
            WriteList(html, request, view, item.Children.ToList(), "timeline nested");
        }
        html.End();
    }

    /// <summary>An error as formatted JSON: kind, message and exception type (the stack trace is shown apart, folded).</summary>
    public static string ErrorJson(ErrorInfo error) =>
        TimelineView.Indent(ErrorInfoCodec.Instance.Serialize(error with { StackTrace = null, BaseTypes = null }))!;

    public static string Usage(long inputTokens, long outputTokens, decimal costUsd) =>
        string.Create(CultureInfo.InvariantCulture, $"{inputTokens:N0} in · {outputTokens:N0} out tokens · ${costUsd:0.00####}");
}
