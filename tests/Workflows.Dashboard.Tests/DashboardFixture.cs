using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using Workflows.Hosting;
using Workflows.Journal;

namespace Workflows.Dashboard.Tests;

/// <summary>
/// One app and one browser for the dashboard's tests: a real WebApplication on Kestrel (127.0.0.1, a free port) with
/// AddWorkflows over a temp SQLite journal, the test workflows, the <see cref="TestUserHandler"/> scheme, an "operator"
/// policy for the actions and a tenant resolver reading the user's tenant claims; and Debian's Chromium, headless,
/// driven by Playwright. Each test opens its own browser context (its own user, cookies and headers).
/// </summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";
    public const string OperatorPolicy = "workflows-operator";
    public const int PageSize = 2;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "workflows-dashboard-" + Guid.NewGuid().ToString("N"));
    private WebApplication? _app;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public string BaseUrl { get; private set; } = "";

    public Gates Gates { get; } = new();

    public WorkflowEngine Engine => _app!.Services.GetRequiredService<WorkflowEngine>();

    public IBrowser Browser => _browser!;

    /// <summary>Where the tests write what a person should look at (the run page's screenshot).</summary>
    public static string ScreenshotDirectory => Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        if (!File.Exists(Chromium))
        {
            throw new InvalidOperationException(
                $"The dashboard's tests need Debian's Chromium at {Chromium}, and it is missing: build/test.sh installs it (apt-get install -y chromium).");
        }
        Directory.CreateDirectory(_directory);
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(Gates);
        builder.Services
            .AddWorkflows(o =>
            {
                o.UseSqlite(Path.Combine(_directory, "workflows.db"));
                o.PollInterval = TimeSpan.FromMilliseconds(50);
            })
            .AddWorkflow(ShowcaseWorkflow.Definition)
            .AddWorkflow(LabelWorkflow.Definition)
            .AddWorkflow(HeldWorkflow.Definition)
            .AddWorkflow(GreetWorkflow.Definition)
            .AddWorkflow(WaitingWorkflow.Definition)
            .AddWorkflow(FlakyWorkflow.Definition);
        builder.Services.AddAuthentication(TestUserHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, TestUserHandler>(TestUserHandler.SchemeName, null);
        builder.Services.AddAuthorization(o => o.AddPolicy(OperatorPolicy, p => p.RequireRole("operator")));
        builder.Services.AddWorkflowsDashboard(o =>
        {
            o.ActionsPolicy = OperatorPolicy;
            o.PageSize = PageSize;
            o.RefreshInterval = TimeSpan.FromMilliseconds(200);
            o.TenantResolver = http => ValueTask.FromResult<IReadOnlyList<string>>(
                http.User.FindAll(TestUserHandler.TenantClaim).Select(c => c.Value).ToArray());
        });
        _app = builder.Build();
        _app.UseAuthentication();
        _app.UseAuthorization();
        _app.MapWorkflowsDashboard("/workflows").RequireAuthorization();
        await _app.StartAsync();
        BaseUrl = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    /// <summary>A browser context (and its first page) signed in as <paramref name="name"/> with these tenants and roles.</summary>
    public async Task<IPage> OpenAsUserAsync(string name, string tenants, string? roles = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseUrl,
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            ExtraHTTPHeaders = new Dictionary<string, string> { [TestUserHandler.Header] = TestUserHandler.Describe(name, tenants, roles) },
        });
        return await context.NewPageAsync();
    }

    public async Task<RunRecord> WaitForStatusAsync(Guid runId, string tenant, params RunStatus[] statuses)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var run = (await Engine.GetTimelineAsync(runId, tenant)).Run;
            if (statuses.Contains(run.Status)) return run;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Run {runId} is {run.Status}, not {string.Join(" or ", statuses)}, after 30 s.");
            await Task.Delay(20);
        }
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
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

[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardFixture>
{
    public const string Name = "dashboard";
}
