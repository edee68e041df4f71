using System.Globalization;
using Microsoft.AspNetCore.Http;
using Workflows.Dashboard.Html;
using Workflows.Inspection;
using Workflows.Journal;

namespace Workflows.Dashboard.Pages;

/// <summary>
/// A run's page: its summary and timeline in a live region that the page's script fetches again
/// (<see cref="HandleLiveAsync"/>) every <see cref="WorkflowsDashboardOptions.RefreshInterval"/> until the run is final,
/// and the actions the user may take.
/// </summary>
internal static class RunDetailPage
{
    public static async Task HandleAsync(DashboardRequest request, Guid runId)
    {
        var view = await LoadAsync(request, runId).ConfigureAwait(false);
        if (view is null)
        {
            await NotFoundAsync(request, runId).ConfigureAwait(false);
            return;
        }
        var run = view.Run;
        var html = PageLayout.StartPage(request, $"{run.Workflow} {run.Id}");
        html.Start("nav", "crumbs").Link(request.Paths.Root(request.Http), "← runs").End();
        html.Start("h1").Text(run.Workflow + " ").Element("span", "run-id", run.Id.ToString()).End();
        if (Notice(request.Http.Request.Query["done"]) is { } notice) html.Start("p", "notice").Attr("role", "status").Text(notice).End();

        html.Start("section", "live")
            .Attr("id", "run-live")
            .Attr("data-live-url", request.Paths.RunLive(request.Http, run.Id))
            .Attr("data-status", run.Status.ToString())
            .Attr("data-final", RunStatusBadge.IsFinal(run.Status) ? "true" : "false")
            .Attr("data-interval", ((long)request.Options.RefreshInterval.TotalMilliseconds).ToString(CultureInfo.InvariantCulture))
            .Attr("aria-live", "polite");
        RunSummaryHtml.Write(html, request, view);
        html.End();

        if (request.CanAct) RunActionsHtml.Write(html, request, view);
        await PageLayout.WriteAsync(request.Http, PageLayout.EndPage(html)).ConfigureAwait(false);
    }

    /// <summary>The live region's content alone, with the run's status in headers: what the page's script swaps in.</summary>
    public static async Task HandleLiveAsync(DashboardRequest request, Guid runId)
    {
        var view = await LoadAsync(request, runId).ConfigureAwait(false);
        if (view is null)
        {
            request.Http.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        var html = new HtmlWriter();
        RunSummaryHtml.Write(html, request, view);
        request.Http.Response.Headers["X-Run-Status"] = view.Run.Status.ToString();
        request.Http.Response.Headers["X-Run-Final"] = RunStatusBadge.IsFinal(view.Run.Status) ? "true" : "false";
        await PageLayout.WriteAsync(request.Http, html.ToString()).ConfigureAwait(false);
    }

    public static Task NotFoundAsync(DashboardRequest request, Guid runId) =>
        PageLayout.WriteMessageAsync(request, StatusCodes.Status404NotFound, "Run not found", $"There is no run {runId} in the tenants you may see.");

    /// <summary>The run's view, or null when it does not exist in the user's tenants.</summary>
    private static async Task<TimelineView?> LoadAsync(DashboardRequest request, Guid runId)
    {
        var run = await request.FindRunAsync(runId).ConfigureAwait(false);
        if (run is null) return null;
        try
        {
            return await TimelineView.LoadAsync(request.Engine, runId, run.TenantId, withChildren: true, request.Aborted).ConfigureAwait(false);
        }
        catch (WorkflowNotFoundException)
        {
            return null;
        }
    }

    private static string? Notice(string? done) => done switch
    {
        "cancel" => "Cancel requested: the run stops at its next step boundary (a waiting or parked run at once).",
        "cancelled" => "The run was cancelled.",
        "resume" => "The run was reopened: an engine that has its workflow runs it again.",
        "fork" => "This run was forked: the source's entries before the chosen one replay, the rest run for real.",
        "event" => "The event was sent.",
        _ => null,
    };
}
