using Microsoft.AspNetCore.Http;
using Workflows.Dashboard.Html;
using Workflows.Inspection;
using Workflows.Journal;
using Workflows.Storage;

namespace Workflows.Dashboard.Pages;

/// <summary>
/// The runs list: newest first, filtered by workflow, status and tenant (among the user's tenants only), a page at a time
/// ("older runs" continues after the page's last run); each row links to the run's page.
/// </summary>
internal static class RunsPage
{
    public static async Task HandleAsync(DashboardRequest request)
    {
        var (filter, error) = RunFilter.Read(request.Http.Request.Query);
        if (filter is null)
        {
            await PageLayout.WriteMessageAsync(request, StatusCodes.Status400BadRequest, "Bad filter", error!).ConfigureAwait(false);
            return;
        }
        // A tenant filter narrows the user's tenants; a tenant the user may not see matches nothing (as one without runs).
        IReadOnlyList<string> tenants = filter.Tenant is { } tenant
            ? request.Tenants.Where(t => string.Equals(t, tenant, StringComparison.Ordinal)).ToArray()
            : request.Tenants;
        var page = tenants.Count == 0
            ? new RunPage([], null)
            : await request.Engine.ListRunsAsync(new RunQuery
            {
                TenantIds = tenants,
                Workflow = filter.Workflow,
                Statuses = filter.Status is { } status ? [status] : null,
                AfterId = filter.After,
                NewestFirst = true,
                Limit = request.Options.PageSize + 1, // one more than shown: whether there are older runs at all
            }, request.Aborted).ConfigureAwait(false);
        var shown = page.Runs.Take(request.Options.PageSize).ToList();
        Guid? older = page.Runs.Count > shown.Count ? shown[^1].Id : null;

        var html = PageLayout.StartPage(request, "Runs");
        html.Element("h1", null, "Runs");
        WriteFilters(html, request, filter);
        WriteTable(html, request, shown);
        html.Start("nav", "pager").Attr("aria-label", "pages");
        if (filter.After is not null) html.Link(request.Paths.Runs(request.Http, filter with { After = null }), "← newest runs", "newest");
        if (older is { } next) html.Link(request.Paths.Runs(request.Http, filter, next), "older runs →", "older");
        html.End();
        await PageLayout.WriteAsync(request.Http, PageLayout.EndPage(html)).ConfigureAwait(false);
    }

    private static void WriteFilters(HtmlWriter html, DashboardRequest request, RunFilter filter)
    {
        html.Start("form", "filters").Attr("method", "get").Attr("action", request.Paths.Root(request.Http)).Attr("role", "search");

        html.Start("label").Text("Workflow ");
        html.Void("input").Attr("type", "text").Attr("name", "workflow").Attr("value", filter.Workflow).Attr("list", "workflow-names")
            .Attr("placeholder", "any");
        html.End();
        html.Start("datalist").Attr("id", "workflow-names");
        foreach (var name in request.Engine.Definitions.Select(d => d.Name).Order(StringComparer.Ordinal))
        {
            html.Void("option").Attr("value", name);
        }
        html.End();

        html.Start("label").Text("Status ");
        html.Start("select").Attr("name", "status");
        html.Start("option").Attr("value", "").Text("any").End();
        foreach (var status in Enum.GetValues<RunStatus>())
        {
            html.Start("option").Attr("value", status.ToString()).Flag("selected", filter.Status == status)
                .Text(TimelineGlyphs.Of(status) + " " + TimelineGlyphs.Word(status)).End();
        }
        html.End().End();

        if (request.Tenants.Count > 1)
        {
            html.Start("label").Text("Tenant ");
            html.Start("select").Attr("name", "tenant");
            html.Start("option").Attr("value", "").Text("all of mine").End();
            foreach (var tenant in request.Tenants)
            {
                html.Start("option").Attr("value", tenant).Flag("selected", filter.Tenant == tenant).Text(tenant).End();
            }
            html.End().End();
        }

        html.Start("button").Attr("type", "submit").Text("Filter").End();
        html.Link(request.Paths.Root(request.Http), "clear", "clear");
        html.End();
    }

    private static void WriteTable(HtmlWriter html, DashboardRequest request, IReadOnlyList<RunRecord> runs)
    {
        if (runs.Count == 0)
        {
            html.Element("p", "empty", "No runs match.");
            return;
        }
        html.Start("table", "runs");
        html.Start("thead").Start("tr");
        foreach (var heading in (string[])["Status", "Workflow", "Run", "Tenant", "Created", "Duration"])
        {
            html.Start("th").Attr("scope", "col").Text(heading).End();
        }
        html.End().End();
        html.Start("tbody");
        foreach (var run in runs)
        {
            html.Start("tr", "run").Attr("data-run-id", run.Id.ToString());
            html.Start("td", "status");
            RunStatusBadge.Write(html, run.Status);
            html.End();
            html.Element("td", "workflow", run.Workflow);
            html.Start("td", "id").Link(request.Paths.Run(request.Http, run.Id), run.Id.ToString(), "run-link").End();
            html.Element("td", "tenant", run.TenantId);
            html.Start("td", "created");
            PageLayout.Time(html, run.CreatedAt);
            html.End();
            html.Element("td", "duration", RunStatusBadge.Duration(run));
            html.End();
        }
        html.End();
        html.End();
    }
}
