using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Workflows.Hosting;
using Workflows.Journal;

namespace Workflows.Dashboard.Tests;

/// <summary>
/// The dashboard as an application gets it with no options: read-only (actions are not rendered and answer 403) and
/// scoped to the engine's default tenant. Plain HTTP, no browser; and the errors of a wrong setup.
/// </summary>
public sealed class ReadOnlyDashboardTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "workflows-dashboard-ro-" + Guid.NewGuid().ToString("N"));
    private WebApplication? _app;
    private HttpClient? _http;

    private WorkflowEngine Engine => _app!.Services.GetRequiredService<WorkflowEngine>();

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services
            .AddWorkflows(o =>
            {
                o.UseSqlite(Path.Combine(_directory, "workflows.db"));
                o.DefaultTenantId = "main";
                o.PollInterval = TimeSpan.FromMilliseconds(50);
            })
            .AddWorkflow(GreetWorkflow.Definition)
            .AddWorkflow(WaitingWorkflow.Definition);
        builder.Services.AddWorkflowsDashboard();
        _app = builder.Build();
        _app.MapWorkflowsDashboard("/ops/workflows");
        await _app.StartAsync();
        _http = new HttpClient
        {
            BaseAddress = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()),
        };
    }

    [Fact]
    public async Task Without_options_the_dashboard_is_read_only_and_shows_the_default_tenant_only()
    {
        var ours = await Engine.StartAsync(WaitingWorkflow.Definition, "main-user");
        var other = await Engine.StartAsync(GreetWorkflow.Definition, "elsewhere", new StartOptions { TenantId = "other" });
        await other.Completion;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        RunRecord before;
        while ((before = (await Engine.GetTimelineAsync(ours.RunId)).Run).Status != RunStatus.Waiting)
        {
            Assert.True(DateTime.UtcNow < deadline, $"run {ours.RunId} is {before.Status}, not Waiting, after 30 s");
            await Task.Delay(20);
        }

        var list = await _http!.GetStringAsync("/ops/workflows");
        Assert.Contains($"data-run-id=\"{ours.RunId}\"", list);
        Assert.DoesNotContain(other.RunId.ToString(), list);
        Assert.Contains("tenant main", list);
        Assert.Contains("read-only", list);

        var page = await _http.GetAsync($"/ops/workflows/runs/{ours.RunId}");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.DoesNotContain("<form class=\"action", html);
        Assert.Contains("href=\"/ops/workflows/assets/dashboard.css?v=", html);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"/ops/workflows/runs/{other.RunId}")).StatusCode);

        var cancel = await _http.PostAsync($"/ops/workflows/runs/{ours.RunId}/cancel", new FormUrlEncodedContent([new("reason", "x")]));
        Assert.Equal(HttpStatusCode.Forbidden, cancel.StatusCode);
        Assert.Contains("read-only", await cancel.Content.ReadAsStringAsync());
        Assert.Equal(before, (await Engine.GetTimelineAsync(ours.RunId)).Run);

        var css = await _http.GetAsync("/ops/workflows/assets/dashboard.css");
        Assert.Equal("text/css", css.Content.Headers.ContentType!.MediaType);
        var js = await _http.GetAsync("/ops/workflows/assets/dashboard.js");
        Assert.Equal("text/javascript", js.Content.Headers.ContentType!.MediaType);
        Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Fact]
    public void Mapping_the_dashboard_without_its_services_is_an_error_naming_the_call()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var error = Assert.Throws<InvalidOperationException>(() => app.MapWorkflowsDashboard());
        Assert.Contains("AddWorkflowsDashboard", error.Message);
        Assert.Throws<ArgumentException>(() => app.MapWorkflowsDashboard("workflows"));
    }

    [Fact]
    public void Options_that_are_not_valid_fail_naming_the_option()
    {
        var services = new ServiceCollection().AddWorkflowsDashboard(o =>
        {
            o.PageSize = 0;
            o.ActionsPolicy = " ";
            o.RefreshInterval = TimeSpan.FromMilliseconds(10);
        }).BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<WorkflowsDashboardOptions>>().Value);
        Assert.Contains("WorkflowsDashboardOptions.PageSize must be 1 to 500; it is 0.", error.Message);
        Assert.Contains("WorkflowsDashboardOptions.ActionsPolicy", error.Message);
        Assert.Contains("WorkflowsDashboardOptions.RefreshInterval", error.Message);
    }

    public async Task DisposeAsync()
    {
        _http?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
