using Microsoft.AspNetCore.Http;
using Workflows.Journal;

namespace Workflows.Dashboard;

/// <summary>The runs list's filters and page, read from the query string.</summary>
internal sealed record RunFilter(string? Workflow, RunStatus? Status, string? Tenant, Guid? After)
{
    /// <summary>The filters of <paramref name="query"/>, or a message naming the parameter that is not valid.</summary>
    public static (RunFilter? Filter, string? Error) Read(IQueryCollection query)
    {
        var workflow = Value(query, "workflow");
        var tenant = Value(query, "tenant");
        RunStatus? status = null;
        if (Value(query, "status") is { } text)
        {
            if (!Enum.TryParse<RunStatus>(text, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || int.TryParse(text, out _))
            {
                return (null, $"Query parameter 'status' is '{text}'; it must be one of {string.Join(", ", Enum.GetNames<RunStatus>())}.");
            }
            status = parsed;
        }
        Guid? after = null;
        if (Value(query, "after") is { } afterText)
        {
            if (!Guid.TryParse(afterText, out var id)) return (null, $"Query parameter 'after' is '{afterText}', which is not a run id.");
            after = id;
        }
        return (new RunFilter(workflow, status, tenant, after), null);
    }

    private static string? Value(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var values) && values.Count > 0 && !string.IsNullOrWhiteSpace(values[0]) ? values[0]!.Trim() : null;
}
