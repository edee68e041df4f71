using Microsoft.AspNetCore.Http;

namespace Workflows.Dashboard;

/// <summary>
/// What the dashboard lets a user see and do. Set with <c>services.AddWorkflowsDashboard(options => ...)</c>; checked
/// at start (an invalid value fails the host's start naming the option).
/// </summary>
public sealed class WorkflowsDashboardOptions
{
    /// <summary>The most runs a page of the runs list may hold.</summary>
    public const int MaxPageSize = 500;

    /// <summary>
    /// The ASP.NET Core authorization policy a user must meet to cancel, resume, fork or send an event. Null (the
    /// default): the dashboard is read-only; no action is rendered and every action endpoint answers 403.
    /// </summary>
    public string? ActionsPolicy { get; set; }

    /// <summary>
    /// The tenants the request's user may see; every list and every run is scoped to them (a run of another tenant is
    /// answered 404, as a missing one). Null (the default): only the engine's default tenant
    /// (<see cref="WorkflowEngine.DefaultTenantId"/>). An empty list shows nothing.
    /// </summary>
    public Func<HttpContext, ValueTask<IReadOnlyList<string>>>? TenantResolver { get; set; }

    /// <summary>Runs per page of the runs list, 1 to <see cref="MaxPageSize"/>.</summary>
    public int PageSize { get; set; } = 50;

    /// <summary>How often the page of a run in flight fetches its timeline again (at least 100 ms).</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The title at the top of every page.</summary>
    public string Title { get; set; } = "Workflows";
}
