namespace Workflows.Cli;

/// <summary>What the <c>workflows</c> command exits with, for scripts.</summary>
internal static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Ok = 0;
    /// <summary>Anything not covered below (a bug, an unexpected failure).</summary>
    public const int Error = 1;
    /// <summary>Bad input or usage: a bad run id, bad JSON, a bad --since, an unknown status, a missing argument.</summary>
    public const int BadInput = 2;
    /// <summary>Not found: no journal file at the path, no journal in the PostgreSQL schema, no such database, no such run (in the tenant).</summary>
    public const int NotFound = 3;
    /// <summary>The store is unreachable or unreadable: locked past the busy timeout, not a journal, a newer schema, a PostgreSQL server that cannot be reached or refuses the login.</summary>
    public const int StoreUnavailable = 4;
    /// <summary>Refused: the run's state does not allow it (resume a run that is not parked or failed, fork past its steps, an event to an ended run, cancel an ended run).</summary>
    public const int Refused = 5;

    /// <summary>The table as <c>workflows --help</c> prints it.</summary>
    public const string HelpText = """
        Exit codes:
          0  ok
          1  anything else (an unexpected failure)
          2  bad input or usage (bad run id, bad JSON, bad --since, unknown status, missing argument)
          3  not found (no journal file at the path, no journal in the PostgreSQL schema or no such database, no such run in the tenant)
          4  store unreachable or unreadable (locked past the busy timeout, not a journal, newer schema, PostgreSQL server unreachable or login refused)
          5  refused (the run's state does not allow it: resume/fork/cancel/event on a run that cannot take it)
        Errors go to stderr, one line each.

        The journal: a SQLite file (--db, else $WORKFLOWS_DB, else ./workflows.db) or a PostgreSQL database
        (--connection "Host=...;Username=...;Database=...", else $WORKFLOWS_CONNECTION; --schema, else $WORKFLOWS_SCHEMA, else workflows).
        """;
}

/// <summary>A failure the command reports as one line on stderr with its exit code.</summary>
internal sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    public static CliException BadInput(string message) => new(ExitCodes.BadInput, "bad input: " + message);
    public static CliException NotFound(string message) => new(ExitCodes.NotFound, "not found: " + message);
    public static CliException Unavailable(string message) => new(ExitCodes.StoreUnavailable, "store unavailable: " + message);
    public static CliException Refused(string message) => new(ExitCodes.Refused, "refused: " + message);
}
