using Microsoft.Extensions.Options;

namespace Workflows.Dashboard;

/// <summary>Checks <see cref="WorkflowsDashboardOptions"/> at start, naming each offending option.</summary>
internal sealed class WorkflowsDashboardOptionsValidation : IValidateOptions<WorkflowsDashboardOptions>
{
    public ValidateOptionsResult Validate(string? name, WorkflowsDashboardOptions options)
    {
        var failures = new List<string>();
        if (options.PageSize is < 1 or > WorkflowsDashboardOptions.MaxPageSize)
        {
            failures.Add($"WorkflowsDashboardOptions.PageSize must be 1 to {WorkflowsDashboardOptions.MaxPageSize}; it is {options.PageSize}.");
        }
        if (options.RefreshInterval < TimeSpan.FromMilliseconds(100))
        {
            failures.Add($"WorkflowsDashboardOptions.RefreshInterval must be at least 100 ms; it is {options.RefreshInterval}.");
        }
        if (options.ActionsPolicy is { } policy && string.IsNullOrWhiteSpace(policy))
        {
            failures.Add("WorkflowsDashboardOptions.ActionsPolicy must name a policy, or be null for a read-only dashboard; it is blank.");
        }
        if (string.IsNullOrWhiteSpace(options.Title))
        {
            failures.Add("WorkflowsDashboardOptions.Title must not be blank.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
