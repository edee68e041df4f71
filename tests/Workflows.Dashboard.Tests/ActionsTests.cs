using Microsoft.Playwright;
using Workflows.Journal;

namespace Workflows.Dashboard.Tests;

[Collection(DashboardCollection.Name)]
public sealed class ActionsTests(DashboardFixture fixture)
{
    private static string NewTenant() => "t-" + Guid.NewGuid().ToString("N")[..10];

    private async Task<Guid> StartWaitingAsync(string tenant)
    {
        var run = await fixture.Engine.StartAsync(WaitingWorkflow.Definition, "pat", new StartOptions { TenantId = tenant });
        await fixture.WaitForStatusAsync(run.RunId, tenant, RunStatus.Waiting);
        return run.RunId;
    }

    /// <summary>What an action could change: the run record and each entry.</summary>
    private async Task<string> JournalAsync(Guid runId, string tenant)
    {
        var timeline = await fixture.Engine.GetTimelineAsync(runId, tenant);
        return timeline.Run + "\n" + string.Join("\n", timeline.Steps.Select(s =>
            $"{s.Sequence} {s.Name} {s.Status} {s.Attempt} {s.Output} {s.UpdatedAt:O}"));
    }

    [Fact]
    public async Task An_action_without_the_policy_is_refused_with_403_and_the_journal_is_unchanged()
    {
        var tenant = NewTenant();
        var runId = await StartWaitingAsync(tenant);
        var before = await JournalAsync(runId, tenant);

        var page = await fixture.OpenAsUserAsync("viewer", tenant);
        await page.GotoAsync($"/workflows/runs/{runId}");
        Assert.Equal(0, await page.Locator("#run-actions, form.action").CountAsync());
        Assert.Equal("read-only", await page.Locator(".topbar .mode").InnerTextAsync());

        foreach (var (action, form) in new (string, Dictionary<string, string>)[]
        {
            ("cancel", new() { ["reason"] = "no" }),
            ("resume", new()),
            ("fork", new() { ["from"] = "1" }),
            ("events", new() { ["name"] = "go", ["payload"] = """{"approved":true,"by":"mallory"}""" }),
        })
        {
            var data = page.APIRequest.CreateFormData();
            foreach (var (key, value) in form) data.Set(key, value);
            var response = await page.APIRequest.PostAsync($"/workflows/runs/{runId}/{action}", new APIRequestContextOptions { Form = data, MaxRedirects = 0 });
            Assert.Equal(403, response.Status);
        }

        Assert.Equal(before, await JournalAsync(runId, tenant));
        Assert.Equal(RunStatus.Waiting, (await fixture.Engine.GetTimelineAsync(runId, tenant)).Run.Status);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task With_the_policy_cancel_from_the_page_cancels_the_run()
    {
        var tenant = NewTenant();
        var runId = await StartWaitingAsync(tenant);
        var page = await fixture.OpenAsUserAsync("olga", tenant, "operator");
        await page.GotoAsync($"/workflows/runs/{runId}");
        Assert.Equal(0, await page.Locator(".topbar .mode").CountAsync());
        Assert.True(await page.Locator("form.action-resume").IsHiddenAsync(), "resume is offered for a waiting run");
        Directory.CreateDirectory(DashboardFixture.ScreenshotDirectory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(DashboardFixture.ScreenshotDirectory, "run-actions.png"), FullPage = true });

        await page.FillAsync("form.action-cancel input[name=reason]", "customer called");
        await page.ClickAsync("form.action-cancel button[type=submit]");
        await page.WaitForURLAsync($"**/workflows/runs/{runId}?done=cancelled");
        Assert.Equal("⊘ cancelled", (await page.Locator(".run-status .badge").InnerTextAsync()).Trim());
        Assert.Contains("customer called", await page.Locator(".run-error").InnerTextAsync());
        Assert.True(await page.Locator("form.action-cancel").IsHiddenAsync(), "cancel is still offered for a cancelled run");

        var run = (await fixture.Engine.GetTimelineAsync(runId, tenant)).Run;
        Assert.Equal(RunStatus.Cancelled, run.Status);
        Assert.Contains("customer called (cancelled by olga from the dashboard)", run.Error!.Message);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task With_the_policy_an_event_sent_from_the_page_resumes_the_waiting_run_and_the_page_follows_it()
    {
        var tenant = NewTenant();
        var runId = await StartWaitingAsync(tenant);
        var page = await fixture.OpenAsUserAsync("olga", tenant, "operator");
        await page.GotoAsync($"/workflows/runs/{runId}");
        Assert.Equal("go", await page.InputValueAsync("form.action-events input[name=name]"));

        await page.FillAsync("form.action-events textarea[name=payload]", """{ "approved": true, "by": "Linus" }""");
        await page.ClickAsync("form.action-events button[type=submit]");
        await page.WaitForURLAsync($"**/workflows/runs/{runId}?done=event");
        await Assertions.Expect(page.Locator(".run-status .badge")).ToHaveTextAsync("✓ succeeded");
        Assert.Equal("\"hi pat by Linus\"", await page.Locator(".run-output").TextContentAsync());

        // A payload that is not JSON is a 400 naming the field, and sends nothing.
        var other = await StartWaitingAsync(tenant);
        var before = await JournalAsync(other, tenant);
        await page.GotoAsync($"/workflows/runs/{other}");
        await page.FillAsync("form.action-events textarea[name=payload]", "{ not json");
        var waitForResponse = page.WaitForResponseAsync(r => r.Url.EndsWith("/events", StringComparison.Ordinal));
        await page.ClickAsync("form.action-events button[type=submit]");
        Assert.Equal(400, (await waitForResponse).Status);
        Assert.Contains("Field 'payload' is not JSON", await page.Locator("section.message").InnerTextAsync());
        Assert.Equal(before, await JournalAsync(other, tenant));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task With_the_policy_fork_from_the_page_starts_a_new_run_and_an_action_without_its_antiforgery_token_is_refused()
    {
        var tenant = NewTenant();
        var source = await fixture.Engine.StartAsync(GreetWorkflow.Definition, "fork me", new StartOptions { TenantId = tenant });
        await source.GetResultAsync();
        var page = await fixture.OpenAsUserAsync("olga", tenant, "operator");
        await page.GotoAsync($"/workflows/runs/{source.RunId}");

        await page.FillAsync("form.action-fork input[name=from]", "1");
        await page.ClickAsync("form.action-fork button[type=submit]");
        await page.WaitForURLAsync("**/workflows/runs/*?done=fork");
        var forkId = Guid.Parse(new Uri(page.Url).Segments[^1]);
        Assert.NotEqual(source.RunId, forkId);
        Assert.Equal($"/workflows/runs/{source.RunId}", await page.Locator("a.forked-from-link").GetAttributeAsync("href"));
        await Assertions.Expect(page.Locator(".run-status .badge")).ToHaveTextAsync("✓ succeeded");
        Assert.Equal(RunStatus.Succeeded, (await fixture.WaitForStatusAsync(forkId, tenant, RunStatus.Succeeded)).Status);

        // The policy is met but the form's token is missing: 400, nothing changes.
        var waiting = await StartWaitingAsync(tenant);
        var before = await JournalAsync(waiting, tenant);
        var data = page.APIRequest.CreateFormData();
        data.Set("reason", "forged");
        var response = await page.APIRequest.PostAsync($"/workflows/runs/{waiting}/cancel", new APIRequestContextOptions { Form = data, MaxRedirects = 0 });
        Assert.Equal(400, response.Status);
        Assert.Equal(before, await JournalAsync(waiting, tenant));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task With_the_policy_resume_from_the_page_reopens_a_failed_run_that_then_succeeds()
    {
        var tenant = NewTenant();
        var key = "flaky-" + Guid.NewGuid().ToString("N");
        var run = await fixture.Engine.StartAsync(FlakyWorkflow.Definition, key, new StartOptions { TenantId = tenant });
        await fixture.WaitForStatusAsync(run.RunId, tenant, RunStatus.Failed);
        var page = await fixture.OpenAsUserAsync("olga", tenant, "operator");
        await page.GotoAsync($"/workflows/runs/{run.RunId}");
        Assert.Contains("the backend is down", await page.Locator(".run-error").InnerTextAsync());
        Assert.True(await page.Locator("form.action-cancel").IsHiddenAsync(), "cancel is offered for a failed run");

        fixture.Gates.Open(key); // the fix
        await page.ClickAsync("form.action-resume button[type=submit]");
        await page.WaitForURLAsync($"**/workflows/runs/{run.RunId}?done=resume");
        await Assertions.Expect(page.Locator(".run-status .badge")).ToHaveTextAsync("✓ succeeded");
        Assert.Equal($"\"{key} fixed\"", await page.Locator(".run-output").TextContentAsync());
        Assert.Equal(0, await page.Locator(".run-error").CountAsync());
        await page.Context.CloseAsync();
    }
}
