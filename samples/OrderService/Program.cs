using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using OrderFulfillment;
using OrderService;
using Workflows;
using Workflows.Dashboard;
using Workflows.Hosting;
using Workflows.Serialization;

// dotnet run --project samples/OrderService [-- --urls http://127.0.0.1:5080] [--otel-console]
//   [--Workflows:SqlitePath=order-service.db] [--Orders:StepDelayMs=0] [--Dashboard:AllowActions=true]
// The dashboard is at /workflows (its URL is printed at start).
var otelConsole = args.Contains("--otel-console");
var builder = WebApplication.CreateBuilder(args.Where(a => a != "--otel-console").ToArray());
if (otelConsole)
{
    builder.Configuration["Telemetry:Console"] = "true";
}
if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
{
    builder.WebHost.UseUrls("http://127.0.0.1:5080");
}

// The engine, its hosted worker (resumes unfinished runs at start) and IWorkflowClient; the order workflow comes from
// the generated AddGeneratedWorkflows(). Other settings bind from the "Workflows" configuration section.
builder.Services
    .AddWorkflows(o => o.UseSqlite(builder.Configuration["Workflows:SqlitePath"] ?? "order-service.db"))
    .AddGeneratedWorkflows();

// The workflow's constructor dependencies, resolved from the container in a scope per run execution.
var stepDelay = TimeSpan.FromMilliseconds(builder.Configuration.GetValue("Orders:StepDelayMs", 0));
builder.Services.AddSingleton(_ => new SlowBackends(new SimulatedBackends(), stepDelay));
builder.Services.AddSingleton<IInventory>(sp => sp.GetRequiredService<SlowBackends>());
builder.Services.AddSingleton<IPayments>(sp => sp.GetRequiredService<SlowBackends>());
builder.Services.AddSingleton<IShipping>(sp => sp.GetRequiredService<SlowBackends>());
builder.Services.AddSingleton<INotifications>(sp => sp.GetRequiredService<SlowBackends>());

builder.Services.AddHealthChecks().AddWorkflowsHealthCheck();

// The dashboard: runs and their timelines, read-only unless actions are allowed. This sample has no sign-in, so
// Dashboard:AllowActions=true lets anyone who reaches it cancel, resume, fork and send events (a local demo only); a real
// application names a policy of its own (a role, say) and a TenantResolver reading the user's tenants.
const string DashboardOperators = "workflows-operators";
var dashboardActions = builder.Configuration.GetValue("Dashboard:AllowActions", false);
if (dashboardActions)
{
    builder.Services.AddAuthorization(o => o.AddPolicy(DashboardOperators, p => p.RequireAssertion(_ => true)));
}
builder.Services.AddWorkflowsDashboard(o => o.ActionsPolicy = dashboardActions ? DashboardOperators : null);
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));

if (builder.Configuration.GetValue("Telemetry:Console", false))
{
    // Workflows' spans and instruments ("Workflows") next to ASP.NET Core's own, written to the console.
    builder.Services.AddOpenTelemetry()
        .ConfigureResource(r => r.AddService("OrderService"))
        .WithTracing(t => t.AddSource("Workflows", "Microsoft.AspNetCore").AddConsoleExporter())
        .WithMetrics(m => m
            .AddMeter("Workflows", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
            .AddConsoleExporter());
}

// Event payloads are taken as any JSON value.
JsonCodecRegistry.Register(new JsonElementCodec());

var app = builder.Build();

app.MapHealthChecks("/health");
app.MapWorkflowsDashboard("/workflows");
app.Lifetime.ApplicationStarted.Register(() =>
{
    foreach (var address in app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
    {
        Console.WriteLine($"Workflows dashboard: {address.TrimEnd('/')}/workflows{(dashboardActions ? "" : " (read-only)")}");
    }
});

app.MapPost("/orders", async Task<Results<Accepted<StartedRun>, BadRequest<ApiError>>> (HttpRequest request, IWorkflowClient workflows,
    CancellationToken cancellationToken) =>
{
    var (order, error) = await OrderRequest.ReadAsync(request, cancellationToken);
    if (order is null)
    {
        return TypedResults.BadRequest(new ApiError(error!));
    }
    var run = await workflows.StartAsync(OrderWorkflow.Definition, order, cancellationToken: cancellationToken);
    return TypedResults.Accepted($"/orders/{run.RunId}", new StartedRun(run.RunId));
});

app.MapGet("/orders/{id}", async Task<Results<Ok<OrderStatus>, NotFound<ApiError>, BadRequest<ApiError>>> (string id,
    IWorkflowClient workflows, CancellationToken cancellationToken) =>
{
    if (!Guid.TryParse(id, out var runId))
    {
        return TypedResults.BadRequest(new ApiError($"'{id}' is not a run id."));
    }
    try
    {
        return TypedResults.Ok(OrderStatus.Of(await workflows.GetTimelineAsync(runId, cancellationToken: cancellationToken)));
    }
    catch (WorkflowNotFoundException)
    {
        return TypedResults.NotFound(new ApiError($"No run {runId}."));
    }
});

app.MapPost("/orders/{id}/events/{name}", async Task<Results<Accepted<SentEvent>, NotFound<ApiError>, Conflict<ApiError>, BadRequest<ApiError>>> (
    string id, string name, HttpRequest request, IWorkflowClient workflows, CancellationToken cancellationToken) =>
{
    if (!Guid.TryParse(id, out var runId))
    {
        return TypedResults.BadRequest(new ApiError($"'{id}' is not a run id."));
    }
    JsonElement payload;
    try
    {
        using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
        payload = document.RootElement.Clone();
    }
    catch (JsonException e)
    {
        return TypedResults.BadRequest(new ApiError($"The event's body is not JSON: {e.Message}"));
    }
    try
    {
        var sent = await workflows.SendEventAsync(runId, name, payload, cancellationToken: cancellationToken);
        return TypedResults.Accepted($"/orders/{runId}", new SentEvent(runId, name, sent.Id));
    }
    catch (EventDeliveryException e) when (e.RunStatus is null)
    {
        return TypedResults.NotFound(new ApiError(e.Message));
    }
    catch (EventDeliveryException e)
    {
        return TypedResults.Conflict(new ApiError(e.Message));
    }
    catch (ArgumentException e)
    {
        return TypedResults.BadRequest(new ApiError(e.Message));
    }
});

app.Run();
