using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Workflows.Hosting.Tests;

public sealed class HealthCheckTests : HostingTestBase
{
    [Fact]
    public async Task Healthy_when_the_store_answers_and_the_scheduler_runs()
    {
        using var host = BuildHost(new Probe());
        var health = host.Services.GetRequiredService<HealthCheckService>();
        var before = await health.CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, before.Status); // not started: no scheduler yet

        await host.StartAsync();
        var report = await health.CheckHealthAsync();

        Assert.Equal(HealthStatus.Healthy, report.Status);
        Assert.Equal("running", report.Entries["workflows"].Data["scheduler"]);
        await host.StopAsync();
        Assert.Equal(HealthStatus.Unhealthy, (await health.CheckHealthAsync()).Status);
    }

    [Fact]
    public async Task Unhealthy_when_the_journal_file_cannot_be_opened()
    {
        var missing = Path.Combine(Directory, "no-such-directory", "workflows.db");
        using var host = BuildHost(new Probe(), o => o.UseSqlite(missing));
        await host.StartAsync(); // the worker keeps retrying; the host stays up to report it

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        var entry = report.Entries["workflows"];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains("store did not answer", entry.Description);
        Assert.NotNull(entry.Exception);
        await host.StopAsync();
    }
}
