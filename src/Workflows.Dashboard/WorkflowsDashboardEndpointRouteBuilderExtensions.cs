using System.Diagnostics.CodeAnalysis;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Workflows.Dashboard.Actions;
using Workflows.Dashboard.Assets;
using Workflows.Dashboard.Pages;

namespace Workflows.Dashboard;

/// <summary>Maps the dashboard's pages, fragments, actions and assets.</summary>
public static class WorkflowsDashboardEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the dashboard under <paramref name="prefix"/>: the runs list at <c>{prefix}/</c>, a run's page at
    /// <c>{prefix}/runs/{id}</c> (its live fragment at <c>…/live</c>), the actions at <c>POST …/cancel|resume|fork|events</c>
    /// and the stylesheet and script at <c>{prefix}/assets/</c>. Returns the route group, so that the application can
    /// require authentication of the whole dashboard (<c>.RequireAuthorization()</c>).
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>services.AddWorkflowsDashboard()</c> was not called.</exception>
    public static RouteGroupBuilder MapWorkflowsDashboard(this IEndpointRouteBuilder endpoints, [StringSyntax("Route")] string prefix = "/workflows")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        if (!prefix.StartsWith('/')) throw new ArgumentException($"The dashboard's prefix '{prefix}' must start with '/'.", nameof(prefix));
        if (endpoints.ServiceProvider.GetService<DashboardMarker>() is null)
        {
            throw new InvalidOperationException("MapWorkflowsDashboard needs the dashboard's services: call services.AddWorkflowsDashboard(...) first.");
        }
        var paths = new DashboardPaths(prefix);
        var group = endpoints.MapGroup(paths.Prefix);
        group.MapGet("/", Handler(RunsPage.HandleAsync)).WithDisplayName("Workflows dashboard: runs");
        group.MapGet("/runs/{id:guid}", RunHandler(RunDetailPage.HandleAsync)).WithDisplayName("Workflows dashboard: run");
        group.MapGet("/runs/{id:guid}/live", RunHandler(RunDetailPage.HandleLiveAsync)).WithDisplayName("Workflows dashboard: run (live fragment)");
        foreach (var action in (string[])[RunActions.Cancel, RunActions.Resume, RunActions.Fork, RunActions.SendEvent])
        {
            group.MapPost("/runs/{id:guid}/" + action, RunHandler((request, id) => RunActions.HandleAsync(request, id, action)))
                .WithDisplayName("Workflows dashboard: " + action);
        }
        group.MapGet("/assets/dashboard.css", Asset(DashboardStyles.Text, "text/css; charset=utf-8"));
        group.MapGet("/assets/dashboard.js", Asset(DashboardScript.Text, "text/javascript; charset=utf-8"));
        return group;

        RequestDelegate Handler(Func<DashboardRequest, Task> handle) =>
            async http => await handle(await DashboardRequest.CreateAsync(http, paths).ConfigureAwait(false)).ConfigureAwait(false);

        RequestDelegate RunHandler(Func<DashboardRequest, Guid, Task> handle) => async http =>
        {
            var id = Guid.Parse((string)http.Request.RouteValues["id"]!);
            await handle(await DashboardRequest.CreateAsync(http, paths).ConfigureAwait(false), id).ConfigureAwait(false);
        };
    }

    private static RequestDelegate Asset(string text, string contentType)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return http =>
        {
            http.Response.ContentType = contentType;
            http.Response.ContentLength = bytes.Length;
            http.Response.Headers.CacheControl = "public, max-age=3600";
            http.Response.Headers.XContentTypeOptions = "nosniff";
            return http.Response.Body.WriteAsync(bytes, http.RequestAborted).AsTask();
        };
    }
}
