using System.CommandLine;
using System.CommandLine.Help;
using System.Data.Common;
using System.Globalization;
using System.Text;
using Workflows.Inspection;
using Workflows.Journal;
using Workflows.Serialization;
using Workflows.Storage;

namespace Workflows.Cli;

/// <summary>The command tree of <c>workflows</c> and what each command does.</summary>
internal static class Commands
{
    private static readonly Option<string?> Db = new("--db")
    {
        Description = $"The SQLite journal (default: ${JournalLocation.EnvironmentVariable}, else ./workflows.db). Reads never change it.",
        Recursive = true,
    };

    private static readonly Option<string?> Connection = new("--connection")
    {
        Description = $"A PostgreSQL journal instead of a SQLite file: an Npgsql connection string, e.g. \"Host=db;Username=app;Database=app\" " +
            $"(default: ${JournalLocation.ConnectionVariable}). Not with --db. The CLI never creates a journal there.",
        Recursive = true,
    };

    private static readonly Option<string?> Schema = new("--schema")
    {
        Description = $"The PostgreSQL journal's schema (default: ${JournalLocation.SchemaVariable}, else workflows). Only with --connection.",
        Recursive = true,
    };

    private static readonly Option<bool> Json = new("--json") { Description = "Machine-readable output (camelCase JSON; journaled payloads embedded as JSON)." };

    private static Option<string?> TenantOption(string description) => new("--tenant") { Description = description };

    public static async Task<int> RunAsync(string[] args)
    {
        // A plain command named as the tool is installed (a RootCommand takes the name of the process's file).
        var root = new Command("workflows", "Inspect and operate the runs of a Workflows journal.\n\n" + ExitCodes.HelpText)
        {
            new HelpOption(),
            new VersionOption(),
        };
        root.Options.Add(Db);
        root.Options.Add(Connection);
        root.Options.Add(Schema);
        root.Subcommands.Add(RunsCommand());
        root.Subcommands.Add(EventsCommand());

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            Output.Error("bad input: " + string.Join("; ", parse.Errors.Select(e => e.Message).Distinct()) + " (see workflows --help)");
            return ExitCodes.BadInput;
        }
        try
        {
            return await parse.InvokeAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            return Report(e);
        }
    }

    private static Command RunsCommand()
    {
        var runs = new Command("runs", "List, show and operate runs.");
        runs.Subcommands.Add(ListCommand());
        runs.Subcommands.Add(ShowCommand());
        runs.Subcommands.Add(StepsCommand());
        runs.Subcommands.Add(ClaimsCommand());
        runs.Subcommands.Add(ParkedCommand());
        runs.Subcommands.Add(CancelCommand());
        runs.Subcommands.Add(ResumeCommand());
        runs.Subcommands.Add(ForkCommand());
        runs.Subcommands.Add(PurgeCommand());
        return runs;
    }

    // ---- reads ----------------------------------------------------------------------------------------------------

    private static Command ListCommand()
    {
        var workflow = new Option<string?>("--workflow") { Description = "Only runs of this workflow (its journal name)." };
        var status = new Option<string?>("--status") { Description = "Only runs in these statuses, comma-separated: pending, running, waiting, succeeded, failed, cancelled, parked." };
        var tenant = TenantOption("Only runs of this tenant (default: every tenant).");
        var since = new Option<string?>("--since") { Description = "Only runs created since a date (2026-12-01), an instant, or an age (30m, 1h, 7d)." };
        var limit = new Option<int>("--limit") { Description = "Page size, 1 to 1000.", DefaultValueFactory = _ => 50 };
        var after = new Option<string?>("--after") { Description = "The next page: the id the previous page printed." };
        var command = new Command("list", "Runs, newest first, a page at a time (prints the id to pass to --after for the next page).")
        {
            workflow, status, tenant, since, limit, after, Json,
        };
        Handle(command, async (parse, ct) =>
        {
            var query = new RunQuery
            {
                Workflow = parse.GetValue(workflow),
                Statuses = Inputs.Statuses(parse.GetValue(status)),
                TenantId = Inputs.Tenant(parse.GetValue(tenant)),
                CreatedFrom = Inputs.Since(parse.GetValue(since), DateTimeOffset.UtcNow),
                AfterId = parse.GetValue(after) is { } id ? Inputs.RunId(id, "--after") : null,
                Limit = Inputs.Limit(parse.GetValue(limit)),
                NewestFirst = true,
            };
            await using var store = await Location(parse).OpenForReadingAsync(ct).ConfigureAwait(false);
            var runs = await store.ListRunsAsync(query, ct).ConfigureAwait(false);
            WriteRuns(runs, runs.Count == query.Limit ? runs[^1].Id : null, parse.GetValue(Json), withErrors: false);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command ParkedCommand()
    {
        var tenant = TenantOption("Only runs of this tenant (default: every tenant).");
        var limit = new Option<int>("--limit") { Description = "Page size, 1 to 1000.", DefaultValueFactory = _ => 50 };
        var after = new Option<string?>("--after") { Description = "The next page: the id the previous page printed." };
        var command = new Command("parked", "Parked runs (stopped for something only a person can fix), newest first, each with why.") { tenant, limit, after, Json };
        Handle(command, async (parse, ct) =>
        {
            var query = new RunQuery
            {
                Statuses = [RunStatus.Parked],
                TenantId = Inputs.Tenant(parse.GetValue(tenant)),
                AfterId = parse.GetValue(after) is { } id ? Inputs.RunId(id, "--after") : null,
                Limit = Inputs.Limit(parse.GetValue(limit)),
                NewestFirst = true,
            };
            await using var store = await Location(parse).OpenForReadingAsync(ct).ConfigureAwait(false);
            var runs = await store.ListRunsAsync(query, ct).ConfigureAwait(false);
            WriteRuns(runs, runs.Count == query.Limit ? runs[^1].Id : null, parse.GetValue(Json), withErrors: true);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command ShowCommand() => RunCommand("show",
        "A run and its timeline: each entry's state, name, duration, wave, attempt, tokens and cost, child runs' entries under them, the JSON output or error beneath each.",
        async (store, run, json, ct) =>
        {
            var view = await TimelineView.LoadAsync(store, run.Id, run.TenantId, withChildren: true, ct).ConfigureAwait(false);
            if (json) Output.Json(writer => TimelineJson.Write(writer, view));
            else Output.Text(TimelineText.Render(view));
        });

    private static Command ClaimsCommand() => RunCommand("claims",
        "A run's claim history: which worker executed it and when, each claim released or taken over after its lease lapsed.",
        async (store, run, json, ct) =>
        {
            var claims = await store.GetClaimsAsync(run.TenantId, run.Id, ct).ConfigureAwait(false);
            if (json) Output.Json(writer => ClaimHistory.Write(writer, run.Id, claims));
            else Output.Text(ClaimHistory.Render(run.Id, claims));
        });

    /// <summary>A read of one run: its id, <c>--tenant</c> and <c>--json</c>; the run is found (in every tenant unless one is given), then shown.</summary>
    private static Command RunCommand(string name, string description, Func<IWorkflowStore, RunRecord, bool, CancellationToken, Task> show)
    {
        var id = new Argument<string>("id") { Description = "The run's id." };
        var tenant = TenantOption("The run's tenant (default: the run is looked up in every tenant).");
        var command = new Command(name, description)
        {
            id, tenant, Json,
        };
        Handle(command, async (parse, ct) =>
        {
            var runId = Inputs.RunId(parse.GetValue(id));
            var tenantId = Inputs.Tenant(parse.GetValue(tenant));
            await using var store = await Location(parse).OpenForReadingAsync(ct).ConfigureAwait(false);
            var run = await FindRunAsync(store, runId, tenantId, ct).ConfigureAwait(false);
            await show(store, run, parse.GetValue(Json), ct).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command StepsCommand() => RunCommand("steps", "The run's journal entries, one line each, without the JSON bodies.",
        async (store, run, json, ct) =>
        {
            var view = await TimelineView.LoadAsync(store, run.Id, run.TenantId, withChildren: false, ct).ConfigureAwait(false);
            if (json)
            {
                Output.Json(writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteString("runId", run.Id);
                    writer.WriteString("tenantId", run.TenantId);
                    writer.WriteStartArray("steps");
                    foreach (var row in view.Rows) TimelineJson.WriteRow(writer, row, withPayloads: false);
                    writer.WriteEndArray();
                    writer.WriteEndObject();
                });
            }
            else
            {
                Output.Text(TimelineText.Render(view, new TimelineTextOptions
                {
                    Header = false,
                    JsonBeneath = false,
                    ShowOutputs = false,
                    Totals = false,
                    RunOutput = false,
                }));
            }
        });

    // ---- writes (through an engine: fenced like any engine's writes) ------------------------------------------------

    private static Command CancelCommand()
    {
        var id = new Argument<string>("id") { Description = "The run's id." };
        var tenant = TenantOption("The run's tenant (default: the run is looked up in every tenant).");
        var reason = new Option<string?>("--reason") { Description = "Who asks and why; journaled as the run's error." };
        var command = new Command("cancel", "Cancels a run that has not ended (one an engine is executing stops cooperatively; its children are cancelled too).") { id, tenant, reason };
        Handle(command, async (parse, ct) =>
        {
            var runId = Inputs.RunId(parse.GetValue(id));
            var tenantId = Inputs.Tenant(parse.GetValue(tenant));
            return await WriteAsync(parse, ct, async (engine, ct) =>
            {
                var run = await FindRunAsync(engine, runId, tenantId, ct).ConfigureAwait(false);
                var outcome = await engine.CancelAsync(run.Id, run.TenantId, parse.GetValue(reason), ct).ConfigureAwait(false);
                switch (outcome)
                {
                    case CancelOutcome.Cancelled:
                        Output.Line($"cancelled run {run.Id}");
                        return ExitCodes.Ok;
                    case CancelOutcome.Requested:
                        Output.Line($"cancellation requested for run {run.Id}: the engine executing it stops it at its next step");
                        return ExitCodes.Ok;
                    case CancelOutcome.AlreadyEnded:
                        var now = await FindRunAsync(engine, run.Id, run.TenantId, ct).ConfigureAwait(false);
                        throw CliException.Refused($"run {run.Id} has already ended ({now.Status}); nothing changed");
                    default:
                        throw CliException.NotFound($"no run {run.Id} in tenant '{run.TenantId}'");
                }
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static Command PurgeCommand()
    {
        var olderThan = new Option<string?>("--older-than") { Description = "Delete runs that ended longer ago than this age (30d, 12h, 2w).", Required = true };
        var tenant = TenantOption("Only this tenant's runs (name a tenant or --all-tenants).");
        var allTenants = new Option<bool>("--all-tenants") { Description = "The runs of every tenant." };
        var batch = new Option<int>("--batch") { Description = "Runs deleted per transaction, 1 to 1000.", DefaultValueFactory = _ => 500 };
        var command = new Command("purge", "Retention: deletes runs that ended (succeeded, failed, cancelled) longer ago than --older-than, with their steps and events; a run that has not ended is never deleted.")
        {
            olderThan, tenant, allTenants, batch, Json,
        };
        Handle(command, async (parse, ct) =>
        {
            var age = Inputs.Age(parse.GetValue(olderThan), "--older-than");
            var tenantId = Inputs.Tenant(parse.GetValue(tenant));
            var all = parse.GetValue(allTenants);
            if (all == (tenantId is not null))
            {
                throw CliException.BadInput("name one tenant (--tenant T) or --all-tenants, not both and not neither");
            }
            var size = parse.GetValue(batch);
            if (size is < 1 or > RunQuery.MaxLimit) throw CliException.BadInput($"--batch {size} is not between 1 and {RunQuery.MaxLimit}");
            return await WriteAsync(parse, ct, async (engine, ct) =>
            {
                var deleted = await engine.DeleteEndedRunsAsync(age, tenantId, all, size, ct).ConfigureAwait(false);
                if (parse.GetValue(Json))
                {
                    Output.Line($"{{\"deleted\":{deleted.ToString(CultureInfo.InvariantCulture)}}}");
                }
                else
                {
                    Output.Line($"deleted {deleted} run(s) that ended before {(DateTimeOffset.UtcNow - age):yyyy-MM-dd HH:mm:ss}Z ({(all ? "all tenants" : $"tenant '{tenantId}'")})");
                }
                return ExitCodes.Ok;
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static Command ResumeCommand()
    {
        var id = new Argument<string>("id") { Description = "The run's id." };
        var tenant = TenantOption("The run's tenant (default: the run is looked up in every tenant).");
        var command = new Command("resume", "Reopens a parked or failed run (a failed one from its failed step): it becomes pending, for the application's worker to run.") { id, tenant };
        Handle(command, async (parse, ct) =>
        {
            var runId = Inputs.RunId(parse.GetValue(id));
            var tenantId = Inputs.Tenant(parse.GetValue(tenant));
            return await WriteAsync(parse, ct, async (engine, ct) =>
            {
                var run = await FindRunAsync(engine, runId, tenantId, ct).ConfigureAwait(false);
                if (run.Status is not (RunStatus.Parked or RunStatus.Failed))
                {
                    throw CliException.Refused($"run {run.Id} is {run.Status.ToString().ToLowerInvariant()}: only a parked or failed run can be resumed");
                }
                var reopened = await engine.ReopenRunAsync(run.Id, run.TenantId, ct).ConfigureAwait(false);
                if (reopened.Status is RunStatus.Parked or RunStatus.Failed)
                {
                    throw CliException.Refused($"run {run.Id} was not reopened (still {reopened.Status.ToString().ToLowerInvariant()})");
                }
                Output.Line($"resumed run {run.Id} (was {run.Status.ToString().ToLowerInvariant()}, now {reopened.Status.ToString().ToLowerInvariant()}): an engine with workflow '{run.Workflow}' runs it");
                return ExitCodes.Ok;
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static Command ForkCommand()
    {
        var id = new Argument<string>("id") { Description = "The run's id." };
        var tenant = TenantOption("The run's tenant (default: the run is looked up in every tenant).");
        var from = new Option<int>("--from") { Description = "The first entry (sequence) to run again; the entries before it are copied and replay.", Required = true };
        var command = new Command("fork", "Creates a new run of the same workflow and input whose journal is the run's entries before --from (prints the new run's id).") { id, tenant, from, Json };
        Handle(command, async (parse, ct) =>
        {
            var runId = Inputs.RunId(parse.GetValue(id));
            var tenantId = Inputs.Tenant(parse.GetValue(tenant));
            var sequence = parse.GetValue(from);
            if (sequence < 1) throw CliException.BadInput($"--from {sequence} is not a sequence number (1 or more)");
            return await WriteAsync(parse, ct, async (engine, ct) =>
            {
                var run = await FindRunAsync(engine, runId, tenantId, ct).ConfigureAwait(false);
                RunRecord fork;
                try
                {
                    fork = await engine.ForkRunAsync(run.Id, sequence, run.TenantId, ct).ConfigureAwait(false);
                }
                catch (ArgumentOutOfRangeException e)
                {
                    throw CliException.Refused(FirstLine(e.Message));
                }
                if (parse.GetValue(Json))
                {
                    Output.Json(writer =>
                    {
                        writer.WriteStartObject();
                        writer.WriteString("runId", fork.Id);
                        writer.WriteString("forkedFromRunId", run.Id);
                        writer.WriteNumber("fromSequence", sequence);
                        writer.WriteEndObject();
                    });
                }
                else
                {
                    Output.Line(fork.Id.ToString());
                }
                return ExitCodes.Ok;
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static Command EventsCommand()
    {
        var run = new Argument<string>("run") { Description = "The run's id." };
        var name = new Argument<string>("name") { Description = "The event's name, as the run waits for it." };
        var payload = new Argument<string>("json") { Description = "The payload: any JSON value (quote it for the shell: '{\"approved\":true}')." };
        var key = new Option<string?>("--key") { Description = "Idempotency key: an event sent again with a key the run has seen is delivered once." };
        var tenant = TenantOption("The run's tenant (default: the run is looked up in every tenant).");
        var send = new Command("send", "Sends an event to a run: delivered to its first wait of that name, now or when it gets there.") { run, name, payload, key, tenant };
        Handle(send, async (parse, ct) =>
        {
            var runId = Inputs.RunId(parse.GetValue(run));
            var eventName = parse.GetValue(name)!;
            var value = Inputs.Json(parse.GetValue(payload), "the json argument");
            var tenantId = Inputs.Tenant(parse.GetValue(tenant));
            return await WriteAsync(parse, ct, async (engine, ct) =>
            {
                var target = await FindRunAsync(engine, runId, tenantId, ct).ConfigureAwait(false);
                var sent = await engine.SendEventAsync(target.Id, eventName, value, JsonCodecs.JsonElement, target.TenantId, parse.GetValue(key), ct).ConfigureAwait(false);
                Output.Line($"sent event '{sent.Name}' to run {target.Id} (event {sent.Id})");
                return ExitCodes.Ok;
            }).ConfigureAwait(false);
        });
        var events = new Command("events", "Send events to runs.");
        events.Subcommands.Add(send);
        return events;
    }

    // ---- shared -------------------------------------------------------------------------------------------------------

    private static JournalLocation Location(ParseResult parse) => JournalLocation.From(parse.GetValue(Db), parse.GetValue(Connection), parse.GetValue(Schema));

    /// <summary>How long a write waits for a journal that another process keeps locked (the engine retries an unavailable store).</summary>
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs a write under an engine over the read-write store, then disposes both; a journal locked past <see cref="WriteTimeout"/> is exit code 4.</summary>
    private static async Task<int> WriteAsync(ParseResult parse, CancellationToken ct, Func<WorkflowEngine, CancellationToken, Task<int>> write)
    {
        var location = Location(parse);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(WriteTimeout);
        try
        {
            var (engine, store) = await location.OpenForWritingAsync(deadline.Token).ConfigureAwait(false);
            await using (store.ConfigureAwait(false))
            await using (engine.ConfigureAwait(false))
            {
                return await write(engine, deadline.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw CliException.Unavailable($"{location.Description} stayed locked or unreachable for {WriteTimeout.TotalSeconds:0} s");
        }
    }

    private static void Handle(Command command, Func<ParseResult, CancellationToken, Task<int>> body) =>
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                return await body(parse, ct).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                return Report(e);
            }
        });

    /// <summary>The run, in the tenant given, else in whichever tenant holds it.</summary>
    private static async Task<RunRecord> FindRunAsync(IWorkflowStore store, Guid runId, string? tenantId, CancellationToken ct)
    {
        if (tenantId is not null)
        {
            return await store.GetRunAsync(tenantId, runId, ct).ConfigureAwait(false)
                ?? throw CliException.NotFound($"no run {runId} in tenant '{tenantId}'");
        }
        var found = await store.ListRunsAsync(new RunQuery { RunIds = [runId], Limit = 1 }, ct).ConfigureAwait(false);
        return found.Count > 0 ? found[0] : throw CliException.NotFound($"no run {runId} in any tenant");
    }

    private static async Task<RunRecord> FindRunAsync(WorkflowEngine engine, Guid runId, string? tenantId, CancellationToken ct)
    {
        var page = await engine.ListRunsAsync(new RunQuery { RunIds = [runId], TenantId = tenantId, Limit = 1 }, ct).ConfigureAwait(false);
        return page.Runs.Count > 0
            ? page.Runs[0]
            : throw CliException.NotFound(tenantId is null ? $"no run {runId} in any tenant" : $"no run {runId} in tenant '{tenantId}'");
    }

    private static void WriteRuns(IReadOnlyList<RunRecord> runs, Guid? next, bool json, bool withErrors)
    {
        if (json)
        {
            Output.Json(writer =>
            {
                writer.WriteStartObject();
                writer.WriteStartArray("runs");
                foreach (var run in runs) TimelineJson.WriteRun(writer, run);
                writer.WriteEndArray();
                if (next is { } id) writer.WriteString("nextAfterId", id);
                else writer.WriteNull("nextAfterId");
                writer.WriteEndObject();
            });
            return;
        }
        var text = new StringBuilder();
        if (runs.Count == 0)
        {
            text.AppendLine("no runs");
        }
        else
        {
            var workflowWidth = Math.Max(8, runs.Max(r => r.Workflow.Length));
            var tenantWidth = Math.Max(6, runs.Max(r => r.TenantId.Length));
            text.Append(CultureInfo.InvariantCulture, $"  {"status",-11}  {"run",-36}  {"workflow".PadRight(workflowWidth)}  {"tenant".PadRight(tenantWidth)}  {"created",-20}  duration").AppendLine();
            foreach (var run in runs)
            {
                var status = TimelineGlyphs.Of(run.Status) + " " + TimelineGlyphs.Word(run.Status);
                text.Append(CultureInfo.InvariantCulture,
                    $"  {status,-11}  {run.Id}  {run.Workflow.PadRight(workflowWidth)}  {run.TenantId.PadRight(tenantWidth)}  {TimelineText.Time(run.CreatedAt),-20}  {TimelineText.RunDuration(run)}").AppendLine();
                if (withErrors && run.Error is { } error)
                {
                    text.Append(CultureInfo.InvariantCulture, $"      {error.Kind}: {JournalLocation.OneLine(error.Message)}").AppendLine();
                }
            }
            text.Append(CultureInfo.InvariantCulture, $"  {runs.Count} run(s)").AppendLine();
        }
        if (next is { } after) text.Append(CultureInfo.InvariantCulture, $"next page: --after {after}").AppendLine();
        Output.Text(text.ToString());
    }

    /// <summary>One line on stderr, and the exit code of its cause.</summary>
    private static int Report(Exception e)
    {
        var (code, message) = e switch
        {
            CliException cli => (cli.ExitCode, cli.Message),
            WorkflowNotFoundException => (ExitCodes.NotFound, "not found: " + e.Message),
            FileNotFoundException file => (ExitCodes.NotFound, $"not found: no journal at {file.FileName}"),
            EventDeliveryException delivery => delivery.RunStatus is null
                ? (ExitCodes.NotFound, "not found: " + e.Message)
                : (ExitCodes.Refused, "refused: " + e.Message),
            StoreUnavailableException or DbException or IOException => (ExitCodes.StoreUnavailable, "store unavailable: " + e.Message),
            ArgumentException => (ExitCodes.BadInput, "bad input: " + e.Message),
            OperationCanceledException => (ExitCodes.Error, "interrupted"),
            _ => (ExitCodes.Error, $"{e.GetType().Name}: {e.Message}"),
        };
        Output.Error(FirstLine(message));
        return code;
    }

    private static string FirstLine(string message)
    {
        var line = message.ReplaceLineEndings("\n");
        var end = line.IndexOf('\n', StringComparison.Ordinal);
        return end < 0 ? line : line[..end];
    }
}
