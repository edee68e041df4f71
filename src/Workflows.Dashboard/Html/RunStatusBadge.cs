using Workflows.Inspection;
using Workflows.Journal;

namespace Workflows.Dashboard.Html;

/// <summary>A run's status as glyph and word (readable without colour), and its duration.</summary>
internal static class RunStatusBadge
{
    public static void Write(HtmlWriter html, RunStatus status)
    {
        html.Start("span", "badge status-" + status.ToString().ToLowerInvariant()).Attr("data-status", status.ToString());
        html.Element("span", "glyph", TimelineGlyphs.Of(status));
        html.Text(" ");
        html.Element("span", "word", TimelineGlyphs.Word(status));
        html.End();
    }

    /// <summary>From its start (or creation) to its completion; "-" while it has not completed.</summary>
    public static string Duration(RunRecord run) => TimelineText.RunDuration(run);

    public static bool IsFinal(RunStatus status) => status is RunStatus.Succeeded or RunStatus.Failed or RunStatus.Cancelled;
}
