using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Workflows.Hosting;

/// <summary>
/// Binds <see cref="WorkflowsOptions"/> from the <c>"Workflows"</c> configuration section by hand (no reflection-based
/// binder, so trimming and AOT stay clean). A value that cannot be read is recorded and reported by validation with its key.
/// </summary>
internal sealed class WorkflowsOptionsBinding(IServiceProvider services) : IConfigureOptions<WorkflowsOptions>
{
    public void Configure(WorkflowsOptions options)
    {
        if (services.GetService(typeof(IConfiguration)) is not IConfiguration configuration) return;
        Bind(configuration.GetSection(WorkflowsOptions.SectionName), options);
    }

    internal static void Bind(IConfiguration section, WorkflowsOptions options)
    {
        if (section[nameof(WorkflowsOptions.SqlitePath)] is { } path) options.SqlitePath = path;
        var postgres = section.GetSection(nameof(WorkflowsOptions.PostgreSql));
        if (postgres[nameof(PostgreSql.PostgreSqlWorkflowStoreOptions.ConnectionString)] is { } connectionString)
        {
            options.PostgreSql ??= new PostgreSql.PostgreSqlWorkflowStoreOptions();
            options.PostgreSql.ConnectionString = connectionString;
        }
        if (postgres[nameof(PostgreSql.PostgreSqlWorkflowStoreOptions.Schema)] is { } schema)
        {
            options.PostgreSql ??= new PostgreSql.PostgreSqlWorkflowStoreOptions();
            options.PostgreSql.Schema = schema;
        }
        if (section[nameof(WorkflowsOptions.WorkerId)] is { } worker) options.WorkerId = worker;
        if (section[nameof(WorkflowsOptions.DefaultTenantId)] is { } tenant) options.DefaultTenantId = tenant;
        var tenants = section.GetSection(nameof(WorkflowsOptions.Tenants));
        var listed = tenants.Value is { } joined
            ? joined.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            : tenants.GetChildren().Select(c => c.Value).OfType<string>().ToArray();
        if (listed.Length > 0)
        {
            options.Tenants.Clear();
            foreach (var each in listed) options.Tenants.Add(each);
        }
        Read<int>(section, nameof(WorkflowsOptions.MaxConcurrentRuns), options, ReadInt, v => options.MaxConcurrentRuns = v);
        Read<int>(section, nameof(WorkflowsOptions.MaxInterruptedAttempts), options, ReadInt, v => options.MaxInterruptedAttempts = v);
        Read<TimeSpan>(section, nameof(WorkflowsOptions.LeaseDuration), options, ReadTimeSpan, v => options.LeaseDuration = v);
        Read<TimeSpan>(section, nameof(WorkflowsOptions.PollInterval), options, ReadTimeSpan, v => options.PollInterval = v);
        Read<TimeSpan>(section, nameof(WorkflowsOptions.SuspendThreshold), options, ReadTimeSpan, v => options.SuspendThreshold = v);
        Read<SchemaChangePolicy>(section, nameof(WorkflowsOptions.SchemaChanges), options, ReadPolicy, v => options.SchemaChanges = v);
        Read<TimeSpan>(section, nameof(WorkflowsOptions.RetainEndedRunsFor), options, ReadTimeSpan, v => options.RetainEndedRunsFor = v);
        Read<TimeSpan>(section, nameof(WorkflowsOptions.RetentionInterval), options, ReadTimeSpan, v => options.RetentionInterval = v);
        BindQueues(section, options);
    }

    private static readonly string[] QueueSettings = [nameof(WorkflowsQueueOptions.Concurrency), nameof(WorkflowsQueueOptions.WorkerConcurrency)];

    /// <summary>
    /// <c>Workflows:Queues:{name}:Concurrency</c> and <c>:WorkerConcurrency</c>, onto the entry of that name (created if
    /// missing; the code's callback runs after this). A key that is not one of the two, or a queue given as a plain value
    /// instead of a section, is a binding error naming the key. Names and ranges are checked by validation.
    /// </summary>
    private static void BindQueues(IConfiguration section, WorkflowsOptions options)
    {
        var queues = section.GetSection(nameof(WorkflowsOptions.Queues));
        if (queues.Value is { Length: > 0 } list)
        {
            options.BindingErrors.Add($"{WorkflowsOptions.SectionName}:{nameof(WorkflowsOptions.Queues)} '{list}' is not a set of queues: declare each as " +
                $"{WorkflowsOptions.SectionName}:{nameof(WorkflowsOptions.Queues)}:{{name}}:Concurrency.");
        }
        foreach (var queue in queues.GetChildren())
        {
            var key = $"{nameof(WorkflowsOptions.Queues)}:{queue.Key}";
            var settings = queue.GetChildren().ToList();
            if (settings.Count == 0)
            {
                if (queue.Value is { Length: > 0 } value)
                {
                    options.BindingErrors.Add($"{WorkflowsOptions.SectionName}:{key} '{value}' is not a queue's settings: set " +
                        $"{WorkflowsOptions.SectionName}:{key}:Concurrency (and optionally :WorkerConcurrency).");
                }
                continue;
            }
            foreach (var unknown in settings.Where(s => !QueueSettings.Contains(s.Key, StringComparer.OrdinalIgnoreCase)))
            {
                options.BindingErrors.Add($"{WorkflowsOptions.SectionName}:{key}:{unknown.Key} is not a queue setting (a queue has " +
                    $"{string.Join(" and ", QueueSettings)}).");
            }
            if (!options.Queues.TryGetValue(queue.Key, out var entry) || entry is null)
            {
                entry = new WorkflowsQueueOptions();
                options.Queues[queue.Key] = entry;
            }
            Read<int>(section, $"{key}:{nameof(WorkflowsQueueOptions.Concurrency)}", options, ReadInt, v => entry.Concurrency = v);
            Read<int>(section, $"{key}:{nameof(WorkflowsQueueOptions.WorkerConcurrency)}", options, ReadInt, v => entry.WorkerConcurrency = v);
        }
    }

    private delegate bool Reader<T>(string text, out T value);

    private static void Read<T>(IConfiguration section, string key, WorkflowsOptions options, Reader<T> read, Action<T> set)
    {
        if (section[key] is not { } text) return;
        if (read(text.Trim(), out var value))
        {
            set(value);
        }
        else
        {
            options.BindingErrors.Add($"{WorkflowsOptions.SectionName}:{key} '{text}' is not a valid {Describe<T>()}.");
        }
    }

    private static string Describe<T>() =>
        typeof(T) == typeof(int) ? "integer"
        : typeof(T) == typeof(TimeSpan) ? "duration (c format, e.g. 00:00:30)"
        : $"value ({string.Join(" or ", Enum.GetNames<SchemaChangePolicy>())})";

    private static bool ReadInt(string text, out int value) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value);

    private static bool ReadTimeSpan(string text, out TimeSpan value) =>
        TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value);

    private static bool ReadPolicy(string text, out SchemaChangePolicy value) =>
        Enum.TryParse(text, ignoreCase: true, out value) && Enum.IsDefined(value) && !int.TryParse(text, out _);
}
