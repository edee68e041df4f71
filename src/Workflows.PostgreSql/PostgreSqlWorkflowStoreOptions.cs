using System.Text.RegularExpressions;
using Npgsql;

namespace Workflows.PostgreSql;

/// <summary>Where the PostgreSQL store keeps its journal: a database (the connection string) and a schema in it.</summary>
public sealed partial class PostgreSqlWorkflowStoreOptions
{
    /// <summary>The schema used when nothing else is configured.</summary>
    public const string DefaultSchema = "workflows";

    /// <summary>
    /// An Npgsql connection string, for example <c>Host=db;Port=5432;Username=app;Password=…;Database=app</c>.
    /// Required. An unknown key or a value Npgsql cannot read is an <see cref="ArgumentException"/> naming the key.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// The schema holding the journal's tables, created (with the tables) when missing. Several stores can share a database
    /// with a schema each. A plain lower-case identifier: a letter or '_' first, then letters, digits and '_', at most 63
    /// characters, not starting with <c>pg_</c> (PostgreSQL reserves those).
    /// </summary>
    public string Schema { get; set; } = DefaultSchema;

    /// <summary>
    /// Faults to inject on the store's connection (<see cref="Workflows.Testing.FaultPoint.StoreConnection"/>: an
    /// <c>NpgsqlException</c> or a <c>PostgresException</c>, as a statement or a commit is about to be sent): a test switch,
    /// null in production.
    /// </summary>
    public Workflows.Testing.WorkflowFaults? Faults { get; set; }

    // PostgreSQL folds unquoted identifiers to lower case and truncates past NAMEDATALEN - 1 (63) bytes: accepting only
    // these names means the schema an operator types in psql is the one the store uses, quoted or not.
    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex PlainIdentifier();

    /// <summary>Checks the options, returning the parsed connection string.</summary>
    /// <exception cref="ArgumentException">The schema is not a plain identifier, or the connection string is missing or has a bad key or value.</exception>
    internal NpgsqlConnectionStringBuilder Validate()
    {
        if (Schema is null || !PlainIdentifier().IsMatch(Schema) || Schema.StartsWith("pg_", StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"The PostgreSQL workflow store's {nameof(Schema)} '{Schema}' is not a plain identifier: use lower-case letters, digits and '_', a letter or '_' first, at most 63 characters, not starting with 'pg_'.",
                nameof(Schema));
        }
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new ArgumentException(
                $"The PostgreSQL workflow store needs a {nameof(ConnectionString)} (for example 'Host=localhost;Username=app;Database=app').",
                nameof(ConnectionString));
        }

        var builder = new NpgsqlConnectionStringBuilder();
        System.Data.Common.DbConnectionStringBuilder pairs;
        try
        {
            pairs = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = ConnectionString };
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException(
                $"The PostgreSQL workflow store's {nameof(ConnectionString)} cannot be read: {e.Message}", nameof(ConnectionString), e);
        }
        // Key by key, so that the error names the key at fault (and never echoes a value: it may be a password).
        foreach (var key in pairs.Keys.Cast<string>())
        {
            try
            {
                builder[key] = pairs[key];
            }
            catch (Exception e) when (e is ArgumentException or FormatException or OverflowException or InvalidCastException or KeyNotFoundException)
            {
                var problem = builder.ContainsKey(key) ? "has a value Npgsql cannot read" : "is not a key Npgsql knows";
                throw new ArgumentException(
                    $"The PostgreSQL workflow store's {nameof(ConnectionString)} key '{AsWritten(ConnectionString, key)}' {problem}.", nameof(ConnectionString), e);
            }
        }
        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            throw new ArgumentException(
                $"The PostgreSQL workflow store's {nameof(ConnectionString)} has no key 'Host' (the server to connect to).", nameof(ConnectionString));
        }
        return builder;
    }

    /// <summary>The key as the connection string spells it (the parser lower-cases keys).</summary>
    private static string AsWritten(string connectionString, string key)
    {
        var match = Regex.Match(connectionString, @"(?:^|;)\s*(" + Regex.Escape(key).Replace("\\ ", @"\s+", StringComparison.Ordinal) + @")\s*=",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        return match.Success ? match.Groups[1].Value : key;
    }
}
