using Microsoft.Extensions.Options;

namespace Workflows.Hosting;

/// <summary>
/// Checks <see cref="WorkflowsOptions"/> when the host starts, naming each bad setting by its configuration key
/// (<c>Workflows:MaxConcurrentRuns must be at least 1 (was 0)</c>). The ranges are <see cref="WorkflowEngineOptions"/>'s.
/// </summary>
internal sealed class WorkflowsOptionsValidation : IValidateOptions<WorkflowsOptions>
{
    private const string S = WorkflowsOptions.SectionName;
    private const string Pg = S + ":PostgreSql";

    public ValidateOptionsResult Validate(string? name, WorkflowsOptions options)
    {
        var errors = new List<string>(options.BindingErrors);
        var sqlite = !string.IsNullOrWhiteSpace(options.SqlitePath);
        var postgres = options.PostgreSql is not null;
        if (!sqlite && !postgres)
        {
            errors.Add($"{S}:SqlitePath is not set: no workflow store is configured (call options.UseSqlite(path) or options.UsePostgreSql(connectionString) " +
                $"in AddWorkflows, or set {S}:SqlitePath or {Pg}:ConnectionString).");
        }
        else if (sqlite && postgres)
        {
            errors.Add($"{S}:SqlitePath and {Pg}:ConnectionString are both set: configure exactly one workflow store " +
                "(UseSqlite or UsePostgreSql, in code or configuration).");
        }
        else if (postgres && string.IsNullOrWhiteSpace(options.PostgreSql!.ConnectionString))
        {
            errors.Add($"{Pg}:ConnectionString is not set: {Pg}:Schema alone does not configure a store (call options.UsePostgreSql(connectionString), " +
                $"or set {Pg}:ConnectionString).");
        }
        if (options.WorkerId is { } worker && (string.IsNullOrWhiteSpace(worker) || worker.Length > 200 || worker.Any(char.IsControl)))
        {
            errors.Add($"{S}:WorkerId must be 1 to 200 characters with no control characters (was '{worker}').");
        }
        if (options.DefaultTenantId is not { } tenant || string.IsNullOrWhiteSpace(tenant) || tenant.Length > 100 || tenant.Any(char.IsControl))
        {
            errors.Add($"{S}:DefaultTenantId must be 1 to 100 characters with no control characters (was '{options.DefaultTenantId}').");
        }
        foreach (var served in options.Tenants)
        {
            if (string.IsNullOrWhiteSpace(served) || served.Length > 100 || served.Any(char.IsControl))
            {
                errors.Add($"{S}:Tenants: '{served}' is not a tenant id (1 to 100 characters with no control characters).");
            }
        }
        if (options.MaxConcurrentRuns < 1)
        {
            errors.Add($"{S}:MaxConcurrentRuns must be at least 1 (was {options.MaxConcurrentRuns}).");
        }
        else if (options.MaxConcurrentRuns > 100_000)
        {
            errors.Add($"{S}:MaxConcurrentRuns must be at most 100000 (was {options.MaxConcurrentRuns}).");
        }
        if (options.MaxInterruptedAttempts < 1)
        {
            errors.Add($"{S}:MaxInterruptedAttempts must be at least 1 (was {options.MaxInterruptedAttempts}).");
        }
        Range(errors, "LeaseDuration", options.LeaseDuration, TimeSpan.FromMilliseconds(100), TimeSpan.FromDays(1), "100 ms to 1 day");
        Range(errors, "PollInterval", options.PollInterval, TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1), "10 ms to 1 hour");
        if (options.SuspendThreshold < TimeSpan.Zero)
        {
            errors.Add($"{S}:SuspendThreshold cannot be negative (was {options.SuspendThreshold}).");
        }
        if (options.RetainEndedRunsFor is { } retain && retain < TimeSpan.Zero)
        {
            errors.Add($"{S}:RetainEndedRunsFor cannot be negative (was {retain}).");
        }
        Range(errors, "RetentionInterval", options.RetentionInterval, TimeSpan.FromMilliseconds(10), TimeSpan.FromDays(7), "10 ms to 7 days");
        if (!Enum.IsDefined(options.SchemaChanges))
        {
            errors.Add($"{S}:SchemaChanges must be {string.Join(" or ", Enum.GetNames<SchemaChangePolicy>())} (was {(int)options.SchemaChanges}).");
        }
        ValidateQueues(errors, options);
        if (errors.Count == 0 && options.ConfigureSqlite is not null)
        {
            try
            {
                // The store's own checks (busy timeout, connection string) run when it is built; build one now to fail at start.
                new Sqlite.SqliteWorkflowStore(options.SqliteOptions()).DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            catch (ArgumentException e)
            {
                errors.Add($"{S}: the SQLite store settings are not valid: {e.Message}");
            }
        }
        if (errors.Count == 0 && options.PostgreSql is { } postgreSql)
        {
            try
            {
                // The store checks its options (schema name, connection string keys) when it is built, without connecting.
                new PostgreSql.PostgreSqlWorkflowStore(postgreSql).DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            catch (ArgumentException e)
            {
                errors.Add($"{Pg}:{e.ParamName ?? "ConnectionString"} is not valid: {e.Message}");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Each queue as <see cref="WorkflowQueue"/> requires it, named by its configuration key.</summary>
    private static void ValidateQueues(List<string> errors, WorkflowsOptions options)
    {
        // Configuration keys are case-insensitive and queue names are not: an override spelled in another case (an
        // environment variable, say) would declare a second queue instead of changing the first.
        foreach (var same in options.Queues.Keys.GroupBy(k => k, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            errors.Add($"{string.Join(" and ", same.Order(StringComparer.Ordinal).Select(n => $"{S}:Queues:{n}"))} name queues that differ only in case: " +
                "queue names are case-sensitive; spell the queue one way.");
        }
        foreach (var (name, queue) in options.Queues.OrderBy(q => q.Key, StringComparer.Ordinal))
        {
            var key = $"{S}:Queues:{name}";
            if (string.IsNullOrWhiteSpace(name) || name.Length > 100 || name.Any(char.IsControl))
            {
                errors.Add($"{key}: '{name}' is not a queue name (1 to 100 characters with no control characters).");
            }
            if (queue is null)
            {
                errors.Add($"{key} has no settings (null): declare it with options.AddQueue(name, concurrency) or set {key}:Concurrency.");
                continue;
            }
            // (Set to something that is not a number: a binding error already says so.)
            var unreadable = options.BindingErrors.Any(e => e.StartsWith($"{key}:Concurrency '", StringComparison.Ordinal));
            if (queue.Concurrency is not { } concurrency)
            {
                if (!unreadable) errors.Add($"{key}:Concurrency is not set: a queue needs the most of its runs executing at once across all workers (at least 1).");
            }
            else if (concurrency < 1)
            {
                errors.Add($"{key}:Concurrency must be at least 1 (was {concurrency}).");
            }
            if (queue.WorkerConcurrency is { } own && own < 0)
            {
                errors.Add($"{key}:WorkerConcurrency cannot be negative (was {own}); 0 makes this worker only enqueue, unset means no limit of its own.");
            }
        }
    }

    private static void Range(List<string> errors, string key, TimeSpan value, TimeSpan min, TimeSpan max, string range)
    {
        if (value < min || value > max)
        {
            errors.Add($"{S}:{key} must be {range} (was {value}).");
        }
    }
}
