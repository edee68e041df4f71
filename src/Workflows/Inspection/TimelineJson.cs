using System.Text.Json;
using Workflows.Journal;

namespace Workflows.Inspection;

/// <summary>
/// The machine-readable form of runs and timelines, with stable camelCase property names; journaled payloads (inputs,
/// outputs, event payloads) are embedded as JSON values, not as strings. Absent values are written as null.
/// </summary>
public static class TimelineJson
{
    /// <summary>Writes <paramref name="view"/>: <c>{"run": {…}, "rows": [{…}], "childRuns": [{…}], "totals": {…}, "counts": {…}}</c>.</summary>
    public static void Write(Utf8JsonWriter writer, TimelineView view)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(view);
        writer.WriteStartObject();
        writer.WritePropertyName("run");
        WriteRun(writer, view.Run);
        writer.WriteStartArray("rows");
        foreach (var row in view.Rows) WriteRow(writer, row);
        writer.WriteEndArray();
        writer.WriteStartArray("childRuns");
        foreach (var child in view.ChildRuns.Values.OrderBy(r => r.ParentStep).ThenBy(r => r.Id)) WriteRun(writer, child);
        writer.WriteEndArray();
        writer.WritePropertyName("totals");
        WriteUsage(writer, view.Totals);
        writer.WriteStartObject("counts");
        foreach (var group in view.Rows.GroupBy(r => r.State).OrderBy(g => g.Key))
        {
            writer.WriteNumber(TimelineGlyphs.Word(group.Key), group.Count());
        }
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>
    /// Writes one run: id, workflow, status (lower case), glyph, tenantId, schemaVersion, createdAt, startedAt,
    /// completedAt, updatedAt, durationMs, parentRunId, parentStep, forkedFromRunId, waitingFor, wakeAt, deadlineAt,
    /// cancelRequestedAt, cancelReason, owner, leaseExpiresAt, idempotencyKey, input, output, error.
    /// </summary>
    public static void WriteRun(Utf8JsonWriter writer, RunRecord run)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(run);
        writer.WriteStartObject();
        writer.WriteString("id", run.Id);
        writer.WriteString("workflow", run.Workflow);
        writer.WriteString("status", TimelineGlyphs.Word(run.Status));
        writer.WriteString("glyph", TimelineGlyphs.Of(run.Status));
        writer.WriteString("tenantId", run.TenantId);
        writer.WriteString("schemaVersion", run.SchemaVersion);
        Time(writer, "createdAt", run.CreatedAt);
        Time(writer, "startedAt", run.StartedAt);
        Time(writer, "completedAt", run.CompletedAt);
        Time(writer, "updatedAt", run.UpdatedAt);
        if (run.CompletedAt is { } end) writer.WriteNumber("durationMs", (long)Math.Max(0, (end - (run.StartedAt ?? run.CreatedAt)).TotalMilliseconds));
        else writer.WriteNull("durationMs");
        Id(writer, "parentRunId", run.ParentRunId);
        Number(writer, "parentStep", run.ParentStep);
        Id(writer, "forkedFromRunId", run.ForkedFromRunId);
        Text(writer, "waitingFor", run.WaitingFor);
        Time(writer, "wakeAt", run.WakeAt);
        Time(writer, "deadlineAt", run.DeadlineAt);
        Time(writer, "cancelRequestedAt", run.CancelRequestedAt);
        Text(writer, "cancelReason", run.CancelReason);
        Text(writer, "owner", run.Owner);
        Time(writer, "leaseExpiresAt", run.LeaseExpiresAt);
        Text(writer, "idempotencyKey", run.IdempotencyKey);
        Payload(writer, "input", run.Input);
        Payload(writer, "output", run.Output);
        Error(writer, "error", run.Error);
        writer.WriteEndObject();
    }

    /// <summary>
    /// Writes one row: runId, sequence, depth, name, kind (the label, "step" for a plain step), state, glyph, position,
    /// sharesPosition, attempt, durationMs, duration, inputTokens, outputTokens, costUsd, startedAt, completedAt, input,
    /// output, error, detail, childRunId, origin.
    /// </summary>
    public static void WriteRow(Utf8JsonWriter writer, TimelineRow row, bool withPayloads = true)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(row);
        writer.WriteStartObject();
        writer.WriteString("runId", row.RunId);
        writer.WriteNumber("sequence", row.Sequence);
        writer.WriteNumber("depth", row.Depth);
        writer.WriteString("name", row.Name);
        writer.WriteString("kind", row.KindLabel ?? "step");
        writer.WriteString("state", TimelineGlyphs.Word(row.State));
        writer.WriteString("glyph", TimelineGlyphs.Of(row.State));
        writer.WriteNumber("position", row.Position);
        writer.WriteBoolean("sharesPosition", row.SharesPosition);
        writer.WriteNumber("attempt", row.Attempt);
        if (row.DurationMs is { } ms) writer.WriteNumber("durationMs", ms);
        else writer.WriteNull("durationMs");
        writer.WriteString("duration", row.Duration);
        Number(writer, "inputTokens", row.InputTokens);
        Number(writer, "outputTokens", row.OutputTokens);
        if (row.CostUsd is { } cost) writer.WriteNumber("costUsd", cost);
        else writer.WriteNull("costUsd");
        Time(writer, "startedAt", row.Step.StartedAt);
        Time(writer, "completedAt", row.Step.CompletedAt);
        if (withPayloads)
        {
            Payload(writer, "input", row.Step.Input);
            Payload(writer, "output", row.Step.Status == StepStatus.Succeeded ? row.Step.Output : null);
        }
        Error(writer, "error", row.Error);
        Text(writer, "detail", row.Detail);
        Id(writer, "childRunId", row.ChildRunId);
        Text(writer, "origin", row.Origin);
        writer.WriteEndObject();
    }

    /// <summary>Writes <c>{"inputTokens": n, "outputTokens": n, "costUsd": n}</c>.</summary>
    public static void WriteUsage(Utf8JsonWriter writer, RunUsage usage)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(usage);
        writer.WriteStartObject();
        writer.WriteNumber("inputTokens", usage.InputTokens);
        writer.WriteNumber("outputTokens", usage.OutputTokens);
        writer.WriteNumber("costUsd", usage.CostUsd);
        writer.WriteEndObject();
    }

    /// <summary>Writes a journaled JSON payload as a JSON value (null when absent; a string when it is not valid JSON).</summary>
    public static void Payload(Utf8JsonWriter writer, string name, string? json)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (json is null)
        {
            writer.WriteNull(name);
            return;
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            writer.WriteString(name, json);
            return;
        }
        using (document)
        {
            writer.WritePropertyName(name);
            document.RootElement.WriteTo(writer);
        }
    }

    private static void Error(Utf8JsonWriter writer, string name, ErrorInfo? error)
    {
        if (error is null)
        {
            writer.WriteNull(name);
            return;
        }
        writer.WriteStartObject(name);
        writer.WriteString("kind", error.Kind.ToString());
        writer.WriteString("message", error.Message);
        Text(writer, "type", error.Type);
        writer.WriteEndObject();
    }

    private static void Time(Utf8JsonWriter writer, string name, DateTimeOffset? at)
    {
        if (at is { } value) writer.WriteString(name, value.ToUniversalTime());
        else writer.WriteNull(name);
    }

    private static void Id(Utf8JsonWriter writer, string name, Guid? id)
    {
        if (id is { } value) writer.WriteString(name, value);
        else writer.WriteNull(name);
    }

    private static void Number(Utf8JsonWriter writer, string name, int? value)
    {
        if (value is { } number) writer.WriteNumber(name, number);
        else writer.WriteNull(name);
    }

    private static void Text(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null) writer.WriteNull(name);
        else writer.WriteString(name, value);
    }
}
