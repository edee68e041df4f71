using Microsoft.Playwright;
using Workflows.Journal;

namespace Workflows.Dashboard.Tests;

[Collection(DashboardCollection.Name)]
public sealed class RunsPageTests(DashboardFixture fixture)
{
    private static string NewTenant() => "t-" + Guid.NewGuid().ToString("N")[..10];

    private async Task<Guid> GreetAsync(string tenant, string name)
    {
        var run = await fixture.Engine.StartAsync(GreetWorkflow.Definition, name, new StartOptions { TenantId = tenant });
        await run.GetResultAsync();
        return run.RunId;
    }

    /// <summary>The run ids of the list's rows, page after page ("older runs"), from the page now shown.</summary>
    private static async Task<List<List<Guid>>> PagesAsync(IPage page)
    {
        var pages = new List<List<Guid>>();
        while (true)
        {
            var ids = await page.Locator("table.runs tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.runId)");
            pages.Add(ids.Select(Guid.Parse).ToList());
            var older = page.Locator("nav.pager a.older");
            if (await older.CountAsync() == 0) return pages;
            await older.ClickAsync();
            await page.WaitForLoadStateAsync();
        }
    }

    [Fact]
    public async Task The_runs_page_lists_runs_newest_first_filters_them_and_pages_to_older_ones()
    {
        var tenant = NewTenant();
        var first = await GreetAsync(tenant, "one");
        var second = await GreetAsync(tenant, "two");
        var waiting = (await fixture.Engine.StartAsync(WaitingWorkflow.Definition, "three", new StartOptions { TenantId = tenant })).RunId;
        await fixture.WaitForStatusAsync(waiting, tenant, RunStatus.Waiting);
        var last = await GreetAsync(tenant, "four");

        var page = await fixture.OpenAsUserAsync("carol", tenant);
        var response = await page.GotoAsync("/workflows");
        Assert.Equal(200, response!.Status);
        Assert.Equal(["Status", "Workflow", "Run", "Tenant", "Created", "Duration"], await page.Locator("table.runs th").AllTextContentsAsync());

        // Newest first, a page of two at a time.
        var pages = await PagesAsync(page);
        Assert.Equal([last, waiting], pages[0]);
        Assert.Equal([second, first], pages[1]);
        Assert.Equal(2, pages.Count); // no "older runs" link on the last page

        // Each row: status glyph and word, workflow, a link to the run's page.
        await page.GotoAsync("/workflows");
        var row = page.Locator($"tr[data-run-id='{waiting}']");
        Assert.Equal("◷ waiting", (await row.Locator("td.status").InnerTextAsync()).Trim());
        Assert.Equal("dash-waiting", await row.Locator("td.workflow").InnerTextAsync());
        Assert.Equal(tenant, await row.Locator("td.tenant").InnerTextAsync());
        Assert.Equal("✓ succeeded", (await page.Locator($"tr[data-run-id='{last}'] td.status").InnerTextAsync()).Trim());
        Directory.CreateDirectory(DashboardFixture.ScreenshotDirectory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(DashboardFixture.ScreenshotDirectory, "runs.png"), FullPage = true });

        // Filters, through the form.
        await page.SelectOptionAsync("select[name=status]", "Waiting");
        await page.ClickAsync("form.filters button[type=submit]");
        await page.WaitForURLAsync("**/workflows/?status=Waiting");
        Assert.Equal([[waiting]], await PagesAsync(page));

        await page.GotoAsync("/workflows");
        await page.FillAsync("input[name=workflow]", "dash-greet");
        await page.ClickAsync("form.filters button[type=submit]");
        await page.WaitForURLAsync("**/workflows/?workflow=dash-greet");
        Assert.Equal([last, second, first], (await PagesAsync(page)).SelectMany(p => p));

        await page.GotoAsync("/workflows?workflow=dash-greet&status=Failed");
        Assert.Equal("No runs match.", await page.Locator("p.empty").InnerTextAsync());

        // The row's link opens the run's page.
        await page.GotoAsync("/workflows");
        await page.Locator($"tr[data-run-id='{last}'] a.run-link").ClickAsync();
        await page.WaitForURLAsync($"**/workflows/runs/{last}");
        Assert.Contains("dash-greet", await page.Locator("h1").InnerTextAsync());

        // A filter that is not valid is a 400 naming it.
        var bad = await page.GotoAsync("/workflows?status=Sleeping");
        Assert.Equal(400, bad!.Status);
        Assert.Contains("'status'", await page.Locator("section.message").InnerTextAsync());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_user_of_one_tenant_does_not_see_another_tenants_runs_and_gets_404_for_them()
    {
        var (a, b) = (NewTenant(), NewTenant());
        var ours = await GreetAsync(a, "ours");
        var theirs = await GreetAsync(b, "theirs");

        var page = await fixture.OpenAsUserAsync("dave", a, "operator");
        await page.GotoAsync("/workflows");
        var seen = (await PagesAsync(page)).SelectMany(p => p).ToList();
        Assert.Contains(ours, seen);
        Assert.DoesNotContain(theirs, seen);
        Assert.Equal(0, await page.Locator("select[name=tenant]").CountAsync());

        await page.GotoAsync($"/workflows?tenant={b}");
        Assert.Equal("No runs match.", await page.Locator("p.empty").InnerTextAsync());

        var detail = await page.GotoAsync($"/workflows/runs/{theirs}");
        Assert.Equal(404, detail!.Status);
        Assert.Equal(404, (await page.APIRequest.GetAsync($"/workflows/runs/{theirs}/live")).Status);
        var missing = await page.GotoAsync($"/workflows/runs/{Guid.NewGuid()}");
        Assert.Equal(404, missing!.Status);
        Assert.Equal("Run not found", await page.Locator("section.message h1").InnerTextAsync());

        // A user of both tenants sees both, and can narrow to one.
        var both = await fixture.OpenAsUserAsync("erin", $"{a},{b}");
        await both.GotoAsync("/workflows");
        var all = (await PagesAsync(both)).SelectMany(p => p).ToList();
        Assert.Contains(ours, all);
        Assert.Contains(theirs, all);
        await both.GotoAsync("/workflows");
        await both.SelectOptionAsync("select[name=tenant]", b);
        await both.ClickAsync("form.filters button[type=submit]");
        await both.WaitForURLAsync($"**/workflows/?tenant={b}");
        Assert.Equal([theirs], (await PagesAsync(both)).SelectMany(p => p));
        Assert.Equal(200, (await both.GotoAsync($"/workflows/runs/{theirs}"))!.Status);
        await page.Context.CloseAsync();
        await both.Context.CloseAsync();
    }
}
