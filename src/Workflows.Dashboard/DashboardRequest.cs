using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Workflows.Journal;
using Workflows.Storage;

namespace Workflows.Dashboard;

/// <summary>
/// One request to the dashboard: the engine, the options, the tenants the user may see and whether the user may act.
/// Every read of a run goes through <see cref="FindRunAsync"/>, so a run outside the user's tenants is never loaded.
/// </summary>
internal sealed class DashboardRequest
{
    private DashboardRequest(HttpContext http, DashboardPaths paths, WorkflowEngine engine, WorkflowsDashboardOptions options, IReadOnlyList<string> tenants,
        bool canAct)
    {
        CanAct = canAct;
        Http = http;
        Paths = paths;
        Engine = engine;
        Options = options;
        Tenants = tenants;
    }

    public HttpContext Http { get; }

    public DashboardPaths Paths { get; }

    public WorkflowEngine Engine { get; }

    public WorkflowsDashboardOptions Options { get; }

    /// <summary>The tenants this user may see, distinct, in the resolver's order.</summary>
    public IReadOnlyList<string> Tenants { get; }

    /// <summary>Whether the user meets <see cref="WorkflowsDashboardOptions.ActionsPolicy"/> (never when there is none).</summary>
    public bool CanAct { get; }

    public CancellationToken Aborted => Http.RequestAborted;

    public static async Task<DashboardRequest> CreateAsync(HttpContext http, DashboardPaths paths)
    {
        var services = http.RequestServices;
        var engine = services.GetService<WorkflowEngine>()
            ?? throw new InvalidOperationException("The Workflows dashboard needs the WorkflowEngine in the container: call services.AddWorkflows(...).");
        var options = services.GetRequiredService<IOptions<WorkflowsDashboardOptions>>().Value;
        IReadOnlyList<string> tenants;
        if (options.TenantResolver is { } resolver)
        {
            var resolved = await resolver(http).ConfigureAwait(false)
                ?? throw new InvalidOperationException("WorkflowsDashboardOptions.TenantResolver returned null; return an empty list for a user who may see no tenant.");
            tenants = resolved.Where(t => !string.IsNullOrEmpty(t)).Distinct(StringComparer.Ordinal).ToArray();
        }
        else
        {
            tenants = [services.GetRequiredService<WorkflowEngine>().DefaultTenantId];
        }
        var canAct = false;
        if (options.ActionsPolicy is { } policy)
        {
            var authorization = services.GetRequiredService<IAuthorizationService>();
            canAct = (await authorization.AuthorizeAsync(http.User, resource: null, policy).ConfigureAwait(false)).Succeeded;
        }
        return new DashboardRequest(http, paths, engine, options, tenants, canAct);
    }

    /// <summary>The run, if it exists in one of the user's tenants; null otherwise (missing and not allowed look the same).</summary>
    public async Task<RunRecord?> FindRunAsync(Guid runId)
    {
        if (Tenants.Count == 0) return null;
        var page = await Engine.ListRunsAsync(new RunQuery { RunIds = [runId], TenantIds = Tenants, Limit = 1 }, Aborted).ConfigureAwait(false);
        return page.Runs.Count == 1 ? page.Runs[0] : null;
    }

    /// <summary>The antiforgery field of a form this response renders (the cookie is set with it).</summary>
    public AntiforgeryTokenSet Antiforgery() => Http.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(Http);
}
