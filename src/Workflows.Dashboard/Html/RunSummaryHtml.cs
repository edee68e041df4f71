using System.Globalization;
using Workflows.Inspection;
using Workflows.Journal;

namespace Workflows.Dashboard.Html;

/// <summary>
/// The part of a run's page that changes while it runs: the header (status, tenant, times, totals), the run's error when
/// it failed or is parked, its output, and the timeline. The page renders it once; its live fragment renders it again.
/// </summary>
internal static class RunSummaryHtml
{
    public static void Write(HtmlWriter html, DashboardRequest request, TimelineView view)
    {
        var run = view.Run;
        html.Start("dl", "summary");
        Term(html, "Status");
        html.Start("dd", "run-status");
        RunStatusBadge.Write(html, run.Status);
        if (run.Status == RunStatus.Waiting) html.Element("span", "waiting-for", " · " + WaitingText(run));
        html.End();
        Pair(html, "Workflow", run.Workflow, "run-workflow");
        Pair(html, "Tenant", run.TenantId, "run-tenant");
        Term(html, "Created");
        html.Start("dd", "run-created");
        PageLayout.Time(html, run.CreatedAt);
        html.End();
        Term(html, "Completed");
        html.Start("dd", "run-completed");
        PageLayout.Time(html, run.CompletedAt);
        html.End();
        Pair(html, "Duration", RunStatusBadge.Duration(run), "run-duration");
        Pair(html, "Entries", view.Rows.Count(r => r.Depth == 0).ToString(CultureInfo.InvariantCulture), "run-entries");
        var totals = view.Totals;
        Pair(html, "Tokens and cost", totals.InputTokens == 0 && totals.OutputTokens == 0 && totals.CostUsd == 0m
            ? "none reported"
            : TimelineHtml.Usage(totals.InputTokens, totals.OutputTokens, totals.CostUsd) + (view.ChildRuns.Count > 0 ? " (with child runs)" : ""), "run-totals");
        if (run.ParentRunId is { } parent)
        {
            Term(html, "Parent run");
            html.Start("dd").Link(request.Paths.Run(request.Http, parent), parent.ToString(), "parent-link").End();
        }
        if (run.ForkedFromRunId is { } source)
        {
            Term(html, "Forked from");
            html.Start("dd").Link(request.Paths.Run(request.Http, source), source.ToString(), "forked-from-link").End();
        }
        html.End();

        if (run.Error is { } error && run.Status is RunStatus.Failed or RunStatus.Parked or RunStatus.Cancelled)
        {
            var heading = run.Status switch
            {
                RunStatus.Parked => "⏸ Parked: it waits for a person (fix the code or data, then resume it)",
                RunStatus.Cancelled => "⊘ Cancelled",
                _ => "✗ Failed",
            };
            html.Start("section", "run-error").Attr("role", run.Status == RunStatus.Cancelled ? null : "alert");
            html.Element("h2", null, heading);
            html.Element("pre", "json error", TimelineHtml.ErrorJson(error));
            if (error.StackTrace is { } stack)
            {
                html.Start("details").Attr("data-fold", "stack").Element("summary", null, "stack trace").Element("pre", "stack", stack).End();
            }
            html.End();
        }

        if (run.Input is { } input)
        {
            html.Start("details", "run-input").Attr("data-fold", "input");
            html.Element("summary", null, "Input");
            html.Element("pre", "json input", TimelineView.Indent(input));
            html.End();
        }

        html.Element("h2", null, "Timeline");
        TimelineHtml.Write(html, request, view);

        if (run.Output is { } output)
        {
            html.Element("h2", null, "Output");
            html.Element("pre", "json output run-output", TimelineView.Indent(output));
        }
    }

    /// <summary>What a waiting run waits for: "for event 'approval'", "for child run ID", and until when.</summary>
    private static string WaitingText(RunRecord run)
    {
        var what = run.WaitingFor switch
        {
            { } w when w.StartsWith("event:", StringComparison.Ordinal) => $"for event '{w["event:".Length..]}'",
            { } w when w.StartsWith("child:", StringComparison.Ordinal) => $"for child run {w["child:".Length..]}",
            { } w => "for " + w,
            null => "",
        };
        var until = run.WakeAt is { } at ? " until " + TimelineText.Time(at) : "";
        return (what + until).Trim();
    }

    private static void Term(HtmlWriter html, string term) => html.Element("dt", null, term);

    private static void Pair(HtmlWriter html, string term, string value, string cssClass)
    {
        Term(html, term);
        html.Element("dd", cssClass, value);
    }
}
