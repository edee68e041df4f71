using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Workflows.Dashboard;

/// <summary>The dashboard's URLs under the prefix it was mapped at (and the app's path base).</summary>
internal sealed class DashboardPaths(string prefix)
{
    /// <summary>Part of the assets' URLs: a hash of their text, so that a browser never keeps an old stylesheet or script.</summary>
    public static readonly string AssetsVersion =
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Assets.DashboardStyles.Text + Assets.DashboardScript.Text)))[..12];

    public string Prefix { get; } = "/" + prefix.Trim('/');

    public string Root(HttpContext http) => http.Request.PathBase + Prefix + "/";

    public string Run(HttpContext http, Guid runId) => $"{http.Request.PathBase}{Prefix}/runs/{runId}";

    public string RunLive(HttpContext http, Guid runId) => Run(http, runId) + "/live";

    public string RunAction(HttpContext http, Guid runId, string action) => Run(http, runId) + "/" + action;

    public string Asset(HttpContext http, string file) => $"{http.Request.PathBase}{Prefix}/assets/{file}?v={AssetsVersion}";

    /// <summary>The runs list with these filters (null or empty ones left out).</summary>
    public string Runs(HttpContext http, RunFilter filter, Guid? after = null)
    {
        var query = new StringBuilder();
        Add(query, "workflow", filter.Workflow);
        Add(query, "status", filter.Status?.ToString());
        Add(query, "tenant", filter.Tenant);
        Add(query, "after", after?.ToString("D", CultureInfo.InvariantCulture));
        return Root(http) + query;
    }

    private static void Add(StringBuilder query, string name, string? value)
    {
        if (string.IsNullOrEmpty(value)) return;
        query.Append(query.Length == 0 ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
    }
}
