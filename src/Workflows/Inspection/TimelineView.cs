using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Workflows.Journal;
using Workflows.Storage;

namespace Workflows.Inspection;

/// <summary>
/// A run and its timeline, ready to show: one row per journal entry in sequence order, a child run's entries under the
/// entry that started it, and the model usage summed over the run and its children. The console text is
/// <see cref="TimelineText"/>, the JSON form <see cref="TimelineJson"/>.
/// </summary>
/// <param name="Totals">Tokens and cost of the run and of the children listed in <paramref name="Rows"/>.</param>
public sealed record TimelineView(RunRecord Run, IReadOnlyList<TimelineRow> Rows, RunUsage Totals)
{
    /// <summary>How deep child runs are followed.</summary>
    public const int MaxChildDepth = 8;

    /// <summary>The child runs whose entries are listed in <see cref="Rows"/>, by id.</summary>
    public IReadOnlyDictionary<Guid, RunRecord> ChildRuns { get; init; } = new Dictionary<Guid, RunRecord>();

    /// <summary>
    /// Builds the view of <paramref name="run"/>. The entries of each child run found in <paramref name="children"/> are
    /// listed under the entry that started it (children of children too, from the same dictionary).
    /// </summary>
    /// <param name="origin">"ran"/"replayed"/… for an entry, when the caller knows it; null for unknown.</param>
    public static TimelineView Of(RunTimeline run, IReadOnlyDictionary<Guid, RunTimeline>? children = null, Func<StepRecord, string?>? origin = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        var rows = new List<TimelineRow>();
        var childRuns = new Dictionary<Guid, RunRecord>();
        var totals = RunUsage.None;
        Add(run, 0);
        return new TimelineView(run.Run, rows, totals) { ChildRuns = childRuns };

        void Add(RunTimeline timeline, int depth)
        {
            totals += timeline.Usage;
            var positions = timeline.Steps.GroupBy(s => s.Position).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
            foreach (var step in timeline.Steps)
            {
                var row = RowOf(timeline.Run, step, depth, positions.Contains(step.Position), origin?.Invoke(step));
                rows.Add(row);
                if (row.ChildRunId is { } childId && depth < MaxChildDepth && children is not null
                    && children.TryGetValue(childId, out var child) && !childRuns.ContainsKey(childId))
                {
                    childRuns[childId] = child.Run;
                    Add(child, depth + 1);
                }
            }
        }
    }

    /// <summary>Reads a run's timeline through <paramref name="engine"/> and, with <paramref name="withChildren"/>, those of its child runs.</summary>
    /// <exception cref="WorkflowNotFoundException">The tenant has no such run.</exception>
    public static async Task<TimelineView> LoadAsync(WorkflowEngine engine, Guid runId, string? tenantId = null, bool withChildren = true, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(engine);
        var timeline = await engine.GetTimelineAsync(runId, tenantId, ct).ConfigureAwait(false);
        return withChildren ? await LoadAsync(engine, timeline, null, ct).ConfigureAwait(false) : Of(timeline);
    }

    /// <summary>The view of a timeline already read, with its child runs read through <paramref name="engine"/>.</summary>
    public static Task<TimelineView> LoadAsync(WorkflowEngine engine, RunTimeline timeline, Func<StepRecord, string?>? origin, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(timeline);
        return WithChildrenAsync(timeline, origin, async (tenant, childId) =>
        {
            try
            {
                return await engine.GetTimelineAsync(childId, tenant, ct).ConfigureAwait(false);
            }
            catch (WorkflowNotFoundException)
            {
                return null;
            }
        });
    }

    /// <summary>
    /// Reads a run's timeline straight from a store (a read-only one beside a live engine: no engine, no scheduler) and,
    /// with <paramref name="withChildren"/>, those of its child runs.
    /// </summary>
    /// <exception cref="WorkflowNotFoundException">The tenant has no such run.</exception>
    public static async Task<TimelineView> LoadAsync(IWorkflowStore store, Guid runId, string tenantId, bool withChildren = true, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(tenantId);
        var timeline = await ReadAsync(tenantId, runId).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException($"No run {runId} in tenant '{tenantId}'.");
        return withChildren ? await WithChildrenAsync(timeline, null, ReadAsync).ConfigureAwait(false) : Of(timeline);

        async Task<RunTimeline?> ReadAsync(string tenant, Guid id)
        {
            if (await store.GetRunAsync(tenant, id, ct).ConfigureAwait(false) is not { } run) return null;
            return new RunTimeline(run, await store.GetStepsAsync(tenant, id, ct).ConfigureAwait(false));
        }
    }

    private static async Task<TimelineView> WithChildrenAsync(RunTimeline timeline, Func<StepRecord, string?>? origin, Func<string, Guid, Task<RunTimeline?>> read)
    {
        var children = new Dictionary<Guid, RunTimeline>();
        await CollectAsync(timeline, 0).ConfigureAwait(false);
        return Of(timeline, children, origin);

        async Task CollectAsync(RunTimeline parent, int depth)
        {
            if (depth >= MaxChildDepth) return;
            foreach (var step in parent.Steps)
            {
                if (step.Kind != StepKind.ChildWorkflow || ChildRunIdOf(step) is not { } childId || children.ContainsKey(childId)) continue;
                // A child that cannot be read is shown without its entries.
                if (await read(step.TenantId, childId).ConfigureAwait(false) is not { } child) continue;
                children[childId] = child;
                await CollectAsync(child, depth + 1).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The row of one entry.</summary>
    public static TimelineRow RowOf(RunRecord run, StepRecord step, int depth = 0, bool sharesPosition = false, string? origin = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(step);
        var state = TimelineGlyphs.StateOf(step);
        var childId = step.Kind == StepKind.ChildWorkflow ? ChildRunIdOf(step) : null;
        return new TimelineRow
        {
            RunId = step.RunId,
            Sequence = step.Sequence,
            Depth = depth,
            Name = step.Name,
            Kind = step.Kind,
            KindLabel = KindLabelOf(step.Kind),
            State = state,
            Position = step.Position,
            SharesPosition = sharesPosition,
            Attempt = step.Attempt,
            DurationMs = step.DurationMs,
            Duration = FormatDuration(step.DurationMs),
            InputTokens = step.InputTokens,
            OutputTokens = step.OutputTokens,
            CostUsd = step.CostUsd,
            OutputJson = step.Status == StepStatus.Succeeded ? Indent(step.Output) : null,
            Error = step.Status == StepStatus.Succeeded ? null : step.Error,
            Detail = DetailOf(run, step, state, childId),
            ChildRunId = childId,
            Origin = origin,
            Step = step,
        };
    }

    /// <summary>"sleep", "event", "child", … for an entry kind; null for a plain step.</summary>
    public static string? KindLabelOf(StepKind kind) => kind switch
    {
        StepKind.Step => null,
        StepKind.ChildWorkflow => "child",
        StepKind.WhenAny => "when-any",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>"43 ms", "2.0 s", "1 min 3 s", "2 h 5 min"; "-" when null.</summary>
    public static string FormatDuration(long? milliseconds)
    {
        if (milliseconds is not { } ms || ms < 0) return "-";
        if (ms < 1000) return ms.ToString(CultureInfo.InvariantCulture) + " ms";
        if (ms < 60_000) return (ms / 1000.0).ToString("0.0", CultureInfo.InvariantCulture) + " s";
        var span = TimeSpan.FromMilliseconds(ms);
        if (span.TotalHours < 1) return $"{(int)span.TotalMinutes} min {span.Seconds} s";
        if (span.TotalDays < 1) return $"{(int)span.TotalHours} h {span.Minutes} min";
        return $"{(int)span.TotalDays} d {span.Hours} h";
    }

    /// <summary>The child run id a <see cref="StepKind.ChildWorkflow"/> entry's input names; null when it names none.</summary>
    public static Guid? ChildRunIdOf(StepRecord step)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (step.Kind != StepKind.ChildWorkflow || step.Input is null) return null;
        try
        {
            using var json = JsonDocument.Parse(step.Input);
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("runId", out var id) && id.TryGetGuid(out var guid)
                ? guid
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>JSON indented by two spaces (non-ASCII kept readable); the text as it is when it is not JSON; null for null.</summary>
    public static string? Indent(string? json)
    {
        if (json is null) return null;
        try
        {
            using var document = JsonDocument.Parse(json);
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions
            {
                Indented = true,
                IndentSize = 2,
                Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
                MaxDepth = 256,
            }))
            {
                document.RootElement.WriteTo(writer);
            }
            return Encoding.UTF8.GetString(buffer.ToArray());
        }
        catch (JsonException)
        {
            return json;
        }
    }

    private static string? DetailOf(RunRecord run, StepRecord step, TimelineState state, Guid? childId) => state switch
    {
        TimelineState.Skipped => "skipped: " + step.Error?.Message,
        TimelineState.Failed or TimelineState.Cancelled => step.Error is { } error ? $"{error.Kind}: {OneLine(error.Message)}" : "failed",
        TimelineState.Waiting => step.Kind switch
        {
            StepKind.Event => $"waiting for event '{step.Name}'" + Until(run),
            StepKind.ChildWorkflow => $"waiting for child run {childId}",
            _ => "waiting" + Until(run),
        },
        TimelineState.Running => "running",
        TimelineState.Pending => step.Error is { } last ? $"pending (attempt {step.Attempt}; last {last.Kind}: {OneLine(last.Message)})" : "pending",
        _ => step.Kind switch
        {
            StepKind.Event => "payload " + step.Output,
            StepKind.ChildWorkflow => "child run " + childId,
            _ => null,
        },
    };

    private static string Until(RunRecord run) => run.Status == RunStatus.Waiting && run.WakeAt is { } at
        ? " until " + at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)
        : "";

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
