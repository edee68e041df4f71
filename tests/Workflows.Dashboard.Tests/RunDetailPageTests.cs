using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Workflows.Inspection;
using Workflows.Journal;

namespace Workflows.Dashboard.Tests;

[Collection(DashboardCollection.Name)]
public sealed partial class RunDetailPageTests(DashboardFixture fixture)
{
    private const string Tenant = "acme";

    [GeneratedRegex(@"^(\d+ ms|\d+\.\d s|\d+ min \d+ s)$")]
    private static partial Regex DurationText();

    /// <summary>Starts the showcase in the acme tenant, answers its event wait, and waits for it to fail on its last step.</summary>
    private async Task<RunTimeline> RunShowcaseAsync()
    {
        var run = await fixture.Engine.StartAsync(ShowcaseWorkflow.Definition, "Ada", new StartOptions { TenantId = Tenant });
        await fixture.WaitForStatusAsync(run.RunId, Tenant, RunStatus.Waiting);
        await fixture.Engine.SendEventAsync(run.RunId, "approval", new Approval(true, "Grace"), tenantId: Tenant);
        await fixture.WaitForStatusAsync(run.RunId, Tenant, RunStatus.Failed);
        return await fixture.Engine.GetTimelineAsync(run.RunId, Tenant);
    }

    private static ILocator Entry(IPage page, string name) =>
        page.Locator("li.entry").Filter(new LocatorFilterOptions { Has = page.Locator(":scope > .entry-head .name", new PageLocatorOptions { HasTextRegex = new Regex("^" + Regex.Escape(name) + "$") }) });

    [Fact]
    public async Task The_run_page_shows_the_timeline_with_glyphs_words_names_durations_and_formatted_json()
    {
        var timeline = await RunShowcaseAsync();
        var page = await fixture.OpenAsUserAsync("alice", Tenant);
        var response = await page.GotoAsync($"/workflows/runs/{timeline.Run.Id}");
        Assert.Equal(200, response!.Status);

        // Header: workflow, status as glyph and word, tenant, totals (run and child).
        Assert.Contains("dash-showcase", await page.Locator("h1").InnerTextAsync());
        Assert.Equal("✗ failed", (await page.Locator(".run-status .badge").InnerTextAsync()).Trim());
        Assert.Equal(Tenant, await page.Locator(".run-tenant").InnerTextAsync());
        Assert.StartsWith("1,200 in · 340 out tokens · $0.0042", await page.Locator(".run-totals").InnerTextAsync());

        // The run's input, folded.
        Assert.False(await page.Locator("details.run-input").EvaluateAsync<bool>("d => d.open"));
        Assert.Equal("\"Ada\"", await page.Locator("details.run-input pre.json").TextContentAsync());

        // The run's error on top.
        Assert.Contains(ShowcaseWorkflow.Declined, await page.Locator(".run-error").InnerTextAsync());

        // Every journal entry is a row: glyph and word, the name exactly as journaled, a duration.
        var expected = timeline.Steps.Select(s => s.Name).ToArray();
        var names = await page.Locator("#run-live > ol.timeline > li .entry-head .name, #run-live > ol.timeline > li.wave .entry-head .name").AllInnerTextsAsync();
        Assert.Equal(["prepare-order", "check-stock", "check-fraud", "summarize", "audit", "approval", "dash-label", "print-label", "charge-card"], names);
        Assert.Equal(expected, names.Where(n => n != "print-label"));
        foreach (var step in timeline.Steps)
        {
            var entry = page.Locator($"#run-live li.entry[data-run-id='{timeline.Run.Id}'][data-sequence='{step.Sequence}']");
            var state = TimelineGlyphs.StateOf(step);
            Assert.Equal(TimelineGlyphs.Of(state) + " " + TimelineGlyphs.Word(state), (await entry.Locator(":scope > .entry-head .badge").InnerTextAsync()).Trim());
            Assert.Equal(step.Name, await entry.Locator(":scope > .entry-head .name").InnerTextAsync());
            Assert.Matches(DurationText(), await entry.Locator(":scope > .entry-head .duration").InnerTextAsync());
        }

        // A step's output is formatted JSON beneath its row, as the journal holds it.
        var prepare = timeline.Steps.Single(s => s.Name == "prepare-order");
        var output = await Entry(page, "prepare-order").Locator(":scope > pre.json.output").TextContentAsync();
        Assert.Equal(TimelineView.Indent(prepare.Output), output);
        Assert.Contains("\n  \"lines\": [", output);

        // The failed step: ✗ failed, its error as formatted JSON.
        var charge = Entry(page, "charge-card");
        Assert.Equal("failed", await charge.GetAttributeAsync("data-state"));
        var error = await charge.Locator(":scope > pre.json.error").TextContentAsync();
        Assert.Contains("\"kind\": \"StepFailed\"", error);
        Assert.Contains($"\"message\": \"{ShowcaseWorkflow.Declined}\"", error);

        // The skipped step: ↷ skipped and why.
        var audit = Entry(page, "audit");
        Assert.Equal("↷ skipped", (await audit.Locator(":scope > .entry-head .badge").InnerTextAsync()).Trim());
        Assert.Equal("skipped: orders under 1000 are not audited", await audit.Locator(":scope > .detail").InnerTextAsync());

        // The wave: both entries at one position, side by side.
        var wave = page.Locator("li.wave");
        Assert.Equal(1, await wave.CountAsync());
        Assert.Equal(["check-stock", "check-fraud"], await wave.Locator(".entry-head .name").AllInnerTextsAsync());
        var stock = (await Entry(page, "check-stock").BoundingBoxAsync())!;
        var fraud = (await Entry(page, "check-fraud").BoundingBoxAsync())!;
        Assert.Equal(stock.Y, fraud.Y);
        Assert.True(fraud.X >= stock.X + stock.Width, $"check-fraud (x {fraud.X}) is not right of check-stock (x {stock.X}, width {stock.Width})");

        // The event wait is a row like any step, with its payload.
        var approval = Entry(page, "approval");
        Assert.Equal("event", await approval.Locator(":scope > .entry-head .kind").InnerTextAsync());
        Assert.Equal("✓ succeeded", (await approval.Locator(":scope > .entry-head .badge").InnerTextAsync()).Trim());
        Assert.Contains("\"by\": \"Grace\"", await approval.Locator(":scope > pre.json.output").TextContentAsync());

        // The agent step shows its tokens and cost.
        Assert.Equal("1,200 in · 340 out tokens · $0.0042", await Entry(page, "summarize").Locator(":scope > .entry-head .usage").InnerTextAsync());

        // The child: its row links to the child's page and its entries are nested under it.
        var childStep = timeline.Steps.Single(s => s.Kind == StepKind.ChildWorkflow);
        var childId = TimelineView.ChildRunIdOf(childStep)!.Value;
        var child = page.Locator($"li.entry[data-sequence='{childStep.Sequence}'][data-run-id='{timeline.Run.Id}']");
        Assert.Equal("child", await child.Locator(":scope > .entry-head .kind").InnerTextAsync());
        Assert.Equal(["print-label"], await child.Locator(":scope > ol.timeline.nested .entry-head .name").AllInnerTextsAsync());
        Assert.Equal($"/workflows/runs/{childId}", await child.Locator(":scope > .detail a.child-link").GetAttributeAsync("href"));

        Directory.CreateDirectory(DashboardFixture.ScreenshotDirectory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(DashboardFixture.ScreenshotDirectory, "run-detail.png"), FullPage = true });

        await child.Locator(":scope > .detail a.child-link").ClickAsync();
        await page.WaitForURLAsync($"**/workflows/runs/{childId}");
        Assert.Contains("dash-label", await page.Locator("h1").InnerTextAsync());
        Assert.Equal("✓ succeeded", (await page.Locator(".run-status .badge").InnerTextAsync()).Trim());
        Assert.Equal($"/workflows/runs/{timeline.Run.Id}", await page.Locator("a.parent-link").GetAttributeAsync("href"));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Journal_data_is_shown_as_text_never_as_markup()
    {
        const string markup = "<script>window.__injected = 1</script><b>bold</b> & 'quoted' \"double\"";
        var run = await fixture.Engine.StartAsync(GreetWorkflow.Definition, markup, new StartOptions { TenantId = Tenant });
        await run.GetResultAsync();
        var page = await fixture.OpenAsUserAsync("alice", Tenant);
        await page.GotoAsync($"/workflows/runs/{run.RunId}");

        var output = await Entry(page, "compose").Locator(":scope > pre.json.output").TextContentAsync();
        Assert.Equal(TimelineView.Indent((await fixture.Engine.GetTimelineAsync(run.RunId, Tenant)).Steps[0].Output), output);
        Assert.Contains(markup.Replace("\"", "\\\"", StringComparison.Ordinal), output);
        Assert.Equal(0, await page.Locator("main b, main script").CountAsync());
        Assert.Null(await page.EvaluateAsync<int?>("() => window.__injected"));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_run_in_flight_updates_without_a_reload_when_its_next_step_commits()
    {
        var key = "live-" + Guid.NewGuid().ToString("N");
        var run = await fixture.Engine.StartAsync(HeldWorkflow.Definition, key, new StartOptions { TenantId = Tenant });
        var page = await fixture.OpenAsUserAsync("alice", Tenant);
        var navigations = 0;
        page.FrameNavigated += (_, frame) => { if (frame == page.MainFrame) navigations++; };
        await page.GotoAsync($"/workflows/runs/{run.RunId}");
        await page.EvaluateAsync("() => { window.__notReloaded = 'still here'; }");

        // The held step shows as running (once the page's script has fetched it, if the page came first).
        var held = page.Locator($"li.entry[data-sequence='2']");
        await Assertions.Expect(held).ToHaveAttributeAsync("data-state", "running");
        Assert.Equal("⟳ running", (await held.Locator(".badge").InnerTextAsync()).Trim());
        Assert.Equal(0, await page.Locator("li.entry[data-sequence='3']").CountAsync());
        Assert.Equal("false", await page.Locator("#run-live").GetAttributeAsync("data-final"));

        await page.ClickAsync("details.run-input > summary");
        fixture.Gates.Open(key);
        await Assertions.Expect(held).ToHaveAttributeAsync("data-state", "succeeded");
        await Assertions.Expect(page.Locator("li.entry[data-sequence='3'] .name")).ToHaveTextAsync("last");
        await Assertions.Expect(page.Locator(".run-status .badge")).ToHaveTextAsync("✓ succeeded");
        await Assertions.Expect(page.Locator("#run-live")).ToHaveAttributeAsync("data-final", "true");
        Assert.Contains("last", await page.Locator(".run-output").TextContentAsync());

        Assert.True(await page.Locator("details.run-input").EvaluateAsync<bool>("d => d.open"), "the unfolded input was folded by the update");
        Assert.Equal("still here", await page.EvaluateAsync<string>("() => window.__notReloaded"));
        Assert.Equal(1, navigations);
        await page.Context.CloseAsync();
    }
}
