using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Workflows;

namespace EngineHost;

/// <summary>What this process's step bodies do: journal-independent work, written to the ledger, with the test's pauses.</summary>
public sealed class HostBehaviour(Ledger ledger, IAttemptReader attempts, int hangMod, int hangAfterBegins, string? blockStep, string? releaseFile, int bodyMs)
{
    private int _begun;

    public async Task<StepResult> BodyAsync(string step, int index, long previous)
    {
        var runId = Workflow.RunId;
        // This execution's attempt, as the engine numbered it.
        var attempt = CurrentStep.Attempt;
        // The engine must have committed that attempt as Running before it called this body: the journal, read on a
        // connection of its own, says at least that much. It may say more: this process was paused after its commit and
        // another engine took the run over and began a later attempt (this process's own commits are then refused).
        var committed = await attempts.ReadAsync(runId, step);
        var begun = Interlocked.Increment(ref _begun);
        if (committed < attempt)
        {
            ledger.Write("uncommitted", runId, step, committed);
        }
        ledger.Write("begin", runId, step, attempt);
        if (hangMod > 0 && step == $"s{index % hangMod + 1}")
        {
            await Task.Delay(Timeout.Infinite); // until the test kills this process
        }
        if (hangAfterBegins > 0 && begun > hangAfterBegins)
        {
            await Task.Delay(Timeout.Infinite);
        }
        if (step == blockStep && releaseFile is not null)
        {
            // Deliberately deaf to cancellation: the body finishes, and the commit after it is what the test looks at.
            while (!File.Exists(releaseFile))
            {
                await Task.Delay(20);
            }
        }
        if (bodyMs > 0)
        {
            await Task.Delay(bodyMs);
        }
        var value = unchecked(previous * 31 + index * 7 + step[1] - '0');
        ledger.Write("end", runId, step, attempt);
        return new StepResult(value, Environment.ProcessId, attempt);
    }

    /// <summary>Workflow code after the last step: once per execution that reached the end (replays included).</summary>
    public void Finished() => ledger.Write("finish", Workflow.RunId, "-", 0);
}

/// <summary>One ledger file per process, a line per event, fsynced before the body goes on.</summary>
public sealed class Ledger(string path)
{
    private readonly Lock _gate = new();

    public void Write(string kind, Guid runId, string step, int attempt)
    {
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{DateTime.UtcNow.Ticks} {Environment.ProcessId} {kind} {runId:D} {step} {attempt}\n");
        lock (_gate)
        {
            using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            stream.Write(Encoding.UTF8.GetBytes(line));
            stream.Flush(flushToDisk: true);
        }
    }
}

/// <summary>Reads, on a connection of its own, the attempt number the engine recorded for a running step.</summary>
public interface IAttemptReader
{
    ValueTask<int> ReadAsync(Guid runId, string step);
}

/// <summary>The attempt reader on a SQLite journal file.</summary>
public sealed class SqliteAttemptReader(string path) : IAttemptReader
{
    private readonly Lock _gate = new();
    private SqliteConnection? _connection;

    public ValueTask<int> ReadAsync(Guid runId, string step) => ValueTask.FromResult(Read(runId, step));

    private int Read(Guid runId, string step)
    {
        lock (_gate)
        {
            try
            {
                if (_connection is null)
                {
                    _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
                    _connection.Open();
                    using var pragma = _connection.CreateCommand();
                    pragma.CommandText = "PRAGMA busy_timeout = 5000";
                    pragma.ExecuteNonQuery();
                }
                using var command = _connection.CreateCommand();
                command.CommandText = "SELECT attempt FROM workflow_steps WHERE run_id = $run AND name = $name";
                command.Parameters.AddWithValue("$run", runId.ToString("D"));
                command.Parameters.AddWithValue("$name", step);
                return Convert.ToInt32(command.ExecuteScalar() ?? 0, CultureInfo.InvariantCulture);
            }
            catch (SqliteException e)
            {
                Output.Line($"ATTEMPT-UNREADABLE {runId} {step}: {e.Message}");
                return 0;
            }
        }
    }
}

/// <summary>Lines on stdout, flushed at once: the test reads them while the process runs.</summary>
public static class Output
{
    private static readonly Lock Gate = new();

    public static void Line(string line)
    {
        lock (Gate)
        {
            Console.Out.WriteLine(line);
            Console.Out.Flush();
        }
    }
}

/// <summary>--name value pairs and bare --flags.</summary>
public sealed class HostOptions
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);

    public static HostOptions Parse(ReadOnlySpan<string> args)
    {
        var options = new HostOptions();
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"unexpected argument '{args[i]}'");
            }
            var name = args[i][2..];
            if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                options._values[name] = args[++i];
            }
            else
            {
                options._values[name] = null;
            }
        }
        return options;
    }

    public bool Flag(string name) => _values.ContainsKey(name);

    public string? Text(string name) => _values.TryGetValue(name, out var value) ? value : null;

    public string Required(string name) => Text(name) ?? throw new ArgumentException($"--{name} is required");

    public int Int(string name, int fallback) => Text(name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    /// <summary>The queue --queue NAME --queue-limit N [--queue-worker-limit N] declares, or null without --queue.</summary>
    public WorkflowQueue? Queue()
    {
        if (Text("queue") is not { } name)
        {
            if (Flag("queue-limit") || Flag("queue-worker-limit"))
            {
                throw new ArgumentException("--queue-limit and --queue-worker-limit need --queue NAME");
            }
            return null;
        }
        return new WorkflowQueue(name, int.Parse(Required("queue-limit"), CultureInfo.InvariantCulture))
        {
            WorkerConcurrency = Text("queue-worker-limit") is { } own ? int.Parse(own, CultureInfo.InvariantCulture) : null,
        };
    }
}
