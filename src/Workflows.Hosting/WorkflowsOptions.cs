using Workflows.PostgreSql;
using Workflows.Sqlite;

namespace Workflows.Hosting;

/// <summary>
/// Settings of the container's <see cref="WorkflowEngine"/>, bound from the configuration section <c>"Workflows"</c>
/// (when an <c>IConfiguration</c> is registered) and then from the <c>AddWorkflows</c> callback; validated when the host
/// starts. Each engine setting maps onto the <see cref="WorkflowEngineOptions"/> member of the same name.
/// </summary>
public sealed class WorkflowsOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "Workflows";

    /// <summary>
    /// The SQLite journal file (configuration key <c>Workflows:SqlitePath</c>); <see cref="UseSqlite(string)"/> sets it.
    /// Exactly one store must be configured, this or <see cref="PostgreSql"/>: the host does not start with none or both.
    /// </summary>
    public string? SqlitePath { get; set; }

    /// <summary>
    /// The PostgreSQL journal (configuration keys <c>Workflows:PostgreSql:ConnectionString</c> and
    /// <c>Workflows:PostgreSql:Schema</c>, default schema <c>"workflows"</c>); <see cref="UsePostgreSql(string)"/> sets it.
    /// Null when no PostgreSQL store is configured. Exactly one store must be configured, this or <see cref="SqlitePath"/>.
    /// Many hosts (workers) can share one database and schema: each claims runs under a lease, takes over the runs of a
    /// worker whose lease lapsed, and its writes are fenced so that a worker that lost a run cannot write to it.
    /// </summary>
    public PostgreSqlWorkflowStoreOptions? PostgreSql { get; set; }

    /// <summary>See <see cref="WorkflowEngineOptions.WorkerId"/>. Null for a unique id per engine instance.</summary>
    public string? WorkerId { get; set; }

    /// <summary>See <see cref="WorkflowEngineOptions.MaxConcurrentRuns"/>. Default 64.</summary>
    public int MaxConcurrentRuns { get; set; } = 64;

    /// <summary>See <see cref="WorkflowEngineOptions.LeaseDuration"/>. Default 30 s.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>See <see cref="WorkflowEngineOptions.PollInterval"/>. Default 1 s.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>See <see cref="WorkflowEngineOptions.SuspendThreshold"/>. Default 1 s.</summary>
    public TimeSpan SuspendThreshold { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>See <see cref="WorkflowEngineOptions.DefaultTenantId"/>. Default <c>"default"</c>.</summary>
    public string DefaultTenantId { get; set; } = "default";

    /// <summary>
    /// See <see cref="WorkflowEngineOptions.Tenants"/>: the tenants this worker serves (configuration: an array, or one
    /// comma-separated value). Empty or unset: every tenant.
    /// </summary>
    public IList<string> Tenants { get; } = [];

    /// <summary>
    /// See <see cref="WorkflowEngineOptions.Queues"/>: the queues this worker serves, by name (names are case-sensitive, as
    /// <see cref="StartOptions.Queue"/> is). Configuration declares them under <c>Workflows:Queues:{name}</c>
    /// (<c>Concurrency</c>, <c>WorkerConcurrency</c>) before the <c>AddWorkflows</c> callback runs, so a queue declared in
    /// both is merged setting by setting, the code's last: <see cref="AddQueue(string, int, int?)"/> replaces the queue's
    /// settings, <c>Queues[name].WorkerConcurrency = 1</c> changes one. Empty: no queue.
    /// </summary>
    public IDictionary<string, WorkflowsQueueOptions> Queues { get; } = new Dictionary<string, WorkflowsQueueOptions>(StringComparer.Ordinal);

    /// <summary>See <see cref="WorkflowEngineOptions.SchemaChanges"/>. Default <see cref="SchemaChangePolicy.Exact"/>.</summary>
    public SchemaChangePolicy SchemaChanges { get; set; } = SchemaChangePolicy.Exact;

    /// <summary>See <see cref="WorkflowEngineOptions.MaxInterruptedAttempts"/>. Default 10.</summary>
    public int MaxInterruptedAttempts { get; set; } = 10;

    /// <summary>
    /// Retention: when set, the hosted worker deletes runs (of every tenant) that ended (succeeded, failed, cancelled)
    /// longer ago than this, with their steps and events, at start and then every <see cref="RetentionInterval"/>
    /// (<see cref="WorkflowEngine.DeleteEndedRunsAsync"/>). A run that has not ended is never deleted. Default: null, keep
    /// every run.
    /// </summary>
    public TimeSpan? RetainEndedRunsFor { get; set; }

    /// <summary>How often the worker applies <see cref="RetainEndedRunsFor"/>. Default 1 hour.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    internal Action<SqliteWorkflowStoreOptions>? ConfigureSqlite { get; private set; }

    /// <summary>Configuration values that could not be read (reported by validation, naming the key).</summary>
    internal List<string> BindingErrors { get; } = [];

    /// <summary>Journals to the SQLite file at <paramref name="path"/> (created if missing; its directory must exist).</summary>
    /// <returns>These options.</returns>
    public WorkflowsOptions UseSqlite(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        SqlitePath = path;
        return this;
    }

    /// <summary>
    /// Journals to the SQLite file at <paramref name="path"/>, with further store settings (busy timeout, a full
    /// connection string) applied by <paramref name="configure"/> after the path.
    /// </summary>
    /// <returns>These options.</returns>
    public WorkflowsOptions UseSqlite(string path, Action<SqliteWorkflowStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        UseSqlite(path);
        ConfigureSqlite = configure;
        return this;
    }

    /// <summary>
    /// Journals to PostgreSQL through the Npgsql <paramref name="connectionString"/> (for example
    /// <c>Host=db;Username=app;Password=…;Database=app</c>), in the schema <c>"workflows"</c> unless configuration
    /// (<c>Workflows:PostgreSql:Schema</c>) names another. The schema and its tables are created when the host starts.
    /// </summary>
    /// <returns>These options.</returns>
    public WorkflowsOptions UsePostgreSql(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        PostgreSql ??= new PostgreSqlWorkflowStoreOptions();
        PostgreSql.ConnectionString = connectionString;
        return this;
    }

    /// <summary>
    /// Journals to PostgreSQL through the Npgsql <paramref name="connectionString"/>, with further store settings (the
    /// schema) applied by <paramref name="configure"/> after the connection string.
    /// </summary>
    /// <returns>These options.</returns>
    public WorkflowsOptions UsePostgreSql(string connectionString, Action<PostgreSqlWorkflowStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        UsePostgreSql(connectionString);
        configure(PostgreSql!);
        return this;
    }

    /// <summary>
    /// Declares (or redeclares, replacing what configuration set for it) the queue <paramref name="name"/>: at most
    /// <paramref name="concurrency"/> of its runs executing at once across every worker, at most
    /// <paramref name="workerConcurrency"/> in this one (null: no limit of its own; 0: this worker only enqueues). The values
    /// are checked when the host starts.
    /// </summary>
    /// <returns>These options.</returns>
    public WorkflowsOptions AddQueue(string name, int concurrency, int? workerConcurrency = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        Queues[name] = new WorkflowsQueueOptions { Concurrency = concurrency, WorkerConcurrency = workerConcurrency };
        return this;
    }

    /// <summary>Declares (or redeclares) the queue <paramref name="queue"/> describes, as <see cref="AddQueue(string, int, int?)"/>.</summary>
    /// <returns>These options.</returns>
    public WorkflowsOptions AddQueue(WorkflowQueue queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        return AddQueue(queue.Name, queue.Concurrency, queue.WorkerConcurrency);
    }

    internal SqliteWorkflowStoreOptions SqliteOptions()
    {
        var sqlite = new SqliteWorkflowStoreOptions { Path = SqlitePath ?? SqliteWorkflowStoreOptions.DefaultPath };
        ConfigureSqlite?.Invoke(sqlite);
        return sqlite;
    }

    /// <summary>The engine's settings: these options, with the container's services, scopes and loggers.</summary>
    internal WorkflowEngineOptions ToEngineOptions(IServiceProvider services, IWorkflowServiceScopeFactory scopes, Microsoft.Extensions.Logging.ILoggerFactory? loggers) => new()
    {
        Services = services,
        ServiceScopes = scopes,
        OwnsStore = true,
        LoggerFactory = loggers,
        WorkerId = WorkerId,
        MaxConcurrentRuns = MaxConcurrentRuns,
        LeaseDuration = LeaseDuration,
        PollInterval = PollInterval,
        SuspendThreshold = SuspendThreshold,
        DefaultTenantId = DefaultTenantId,
        Tenants = Tenants is { Count: > 0 } tenants ? [.. tenants] : null,
        SchemaChanges = SchemaChanges,
        MaxInterruptedAttempts = MaxInterruptedAttempts,
        // Validated before (WorkflowsOptionsValidation): every entry has a name, a concurrency and a worker limit in range.
        Queues = [.. Queues.OrderBy(q => q.Key, StringComparer.Ordinal)
            .Select(q => new WorkflowQueue(q.Key, q.Value.Concurrency ?? 0) { WorkerConcurrency = q.Value.WorkerConcurrency })],
    };
}

/// <summary>
/// One queue's settings in <see cref="WorkflowsOptions.Queues"/> (configuration: <c>Workflows:Queues:{name}:Concurrency</c>
/// and <c>Workflows:Queues:{name}:WorkerConcurrency</c>), as <see cref="WorkflowQueue"/> takes them.
/// </summary>
public sealed class WorkflowsQueueOptions
{
    /// <summary>See <see cref="WorkflowQueue.Concurrency"/>: at least 1. Required: a queue without it stops the host's start.</summary>
    public int? Concurrency { get; set; }

    /// <summary>See <see cref="WorkflowQueue.WorkerConcurrency"/>: null for no limit of this worker's own, 0 to only enqueue.</summary>
    public int? WorkerConcurrency { get; set; }
}
