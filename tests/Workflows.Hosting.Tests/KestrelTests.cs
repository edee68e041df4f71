using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Workflows.Hosting.Tests;

public sealed class KestrelTests : HostingTestBase
{
    private sealed record Started(Guid Id);

    private sealed record RunState(string Status, string? Output, int Steps);

    [Fact]
    public async Task An_endpoint_starts_a_run_through_IWorkflowClient_and_another_returns_its_status()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(new Probe());
        builder.Services.AddHealthChecks().AddWorkflowsHealthCheck();
        builder.Services
            .AddWorkflows(o =>
            {
                o.UseSqlite(DatabasePath);
                o.PollInterval = TimeSpan.FromMilliseconds(50);
            })
            .AddWorkflow(GreetWorkflow.Definition);
        await using var app = builder.Build();
        app.MapPost("/greetings/{name}", async (string name, IWorkflowClient client) =>
        {
            var run = await client.StartAsync(GreetWorkflow.Definition, name);
            return Results.Json(new Started(run.RunId), statusCode: StatusCodes.Status202Accepted);
        });
        app.MapGet("/greetings/{id:guid}", async (Guid id, IWorkflowClient client) =>
        {
            var timeline = await client.GetTimelineAsync(id);
            return Results.Json(new RunState(timeline.Run.Status.ToString(), timeline.Run.Output, timeline.Steps.Count));
        });
        app.MapHealthChecks("/health");
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        Assert.StartsWith("http://127.0.0.1:", address);
        using var http = new HttpClient { BaseAddress = new Uri(address) };

        var response = await http.PostAsync("/greetings/Ada", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var started = await response.Content.ReadFromJsonAsync<Started>();
        Assert.NotNull(started);
        Assert.NotEqual(Guid.Empty, started.Id);

        var status = await EventuallyAsync(
            async () => (await http.GetFromJsonAsync<RunState>($"/greetings/{started.Id}"))!,
            s => s.Status == "Succeeded", "the run to succeed");
        Assert.Equal("\"Hello, Ada!\"", status.Output);
        Assert.Equal(1, status.Steps);
        Assert.Equal("Healthy", await http.GetStringAsync("/health"));
        await app.StopAsync();
    }
}
