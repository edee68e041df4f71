using System.Text;
using System.Text.Json;
using Workflows.Journal;
using Workflows.Serialization;

namespace Workflows;

/// <summary>
/// What a step's body can tell the journal about the attempt it is running: model usage (tokens, cost), debug messages,
/// and that it skipped its work. Call it only inside a [Step] body: it records nothing of its own (unlike the
/// <see cref="Workflow"/> API, which journals entries and is refused there, WF0009); what it collects is committed with
/// the step's outcome, and replayed with it.
/// </summary>
public static class CurrentStep
{
    private static readonly AsyncLocal<StepScope?> s_scope = new();

    /// <summary>Whether the caller is inside a step body that the journal records.</summary>
    public static bool IsRunning => s_scope.Value is not null;

    /// <summary>The step's journal name.</summary>
    public static string Name => Scope(nameof(Name)).Name;

    /// <summary>The attempt running (1 for the first).</summary>
    public static int Attempt => Scope(nameof(Attempt)).Attempt;

    /// <summary>
    /// A key for external calls made by this attempt, the same on every machine: <c>{run id}:{sequence}:{attempt}</c>.
    /// Hand it to a payment or mail API as its idempotency key, so that a body run again after a crash is not charged twice.
    /// </summary>
    public static string IdempotencyKey => Scope(nameof(IdempotencyKey)).IdempotencyKey;

    /// <summary>
    /// Adds a model call's usage to the step: tokens in and out and its cost in US dollars. Usage adds up over the step's
    /// attempts (a failed attempt's calls were paid for too); the run's totals are the sum over its steps.
    /// </summary>
    public static void ReportUsage(int inputTokens = 0, int outputTokens = 0, decimal costUsd = 0m)
    {
        if (inputTokens < 0) throw new ArgumentOutOfRangeException(nameof(inputTokens), inputTokens, "Token counts cannot be negative.");
        if (outputTokens < 0) throw new ArgumentOutOfRangeException(nameof(outputTokens), outputTokens, "Token counts cannot be negative.");
        if (costUsd < 0) throw new ArgumentOutOfRangeException(nameof(costUsd), costUsd, "A cost cannot be negative.");
        Scope(nameof(ReportUsage)).AddUsage(inputTokens, outputTokens, costUsd);
    }

    /// <summary>Adds a debug message (a prompt, a model's reply, a note) to the step's debug trace, kept as a JSON array of strings.</summary>
    public static void Debug(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        Scope(nameof(Debug)).AddDebug(message);
    }

    /// <summary>
    /// Marks the step skipped, with a reason: when the body returns, its result is recorded with status
    /// <see cref="StepStatus.Skipped"/> (the reason in the record's error, kind <see cref="ErrorKind.Skipped"/>), and a replay
    /// returns that result again. The body still returns what the workflow should see (often a default or a placeholder).
    /// </summary>
    public static void Skip(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        Scope(nameof(Skip)).SkipReason = reason;
    }

    internal static StepScope? Current
    {
        get => s_scope.Value;
        set => s_scope.Value = value;
    }

    private static StepScope Scope(string member) => s_scope.Value
        ?? throw new InvalidOperationException($"CurrentStep.{member} is only available inside the body of a [Step] that a running workflow called.");
}

/// <summary>What one step execution collected from its body (over its attempts), committed with each outcome it records.</summary>
internal sealed class StepScope
{
    private readonly Lock _gate = new();
    private List<string>? _debug; // made when the body (or the recorded step) has a debug message
    private long _inputTokens;
    private long _outputTokens;
    private decimal _cost;
    private bool _hasUsage;

    internal StepScope(Guid runId, int sequence, StepDescriptor step, StepRecord? recorded)
    {
        RunId = runId;
        Sequence = sequence;
        Step = step;
        _inputTokens = recorded?.InputTokens ?? 0;
        _outputTokens = recorded?.OutputTokens ?? 0;
        _cost = recorded?.CostUsd ?? 0m;
        _hasUsage = recorded?.InputTokens is not null || recorded?.OutputTokens is not null || recorded?.CostUsd is not null;
        _debug = recorded?.DebugMessages is { } debug ? ReadDebug(debug) : null;
    }

    public Guid RunId { get; }
    public int Sequence { get; }
    /// <summary>The step whose body runs in this scope (a step called inside it is refused: WF0009).</summary>
    public StepDescriptor Step { get; }
    public string Name => Step.Name;
    public int Attempt { get; set; } = 1;
    public string IdempotencyKey => $"{RunId}:{Sequence}:{Attempt}";
    public string? SkipReason { get; set; }

    public void AddUsage(int inputTokens, int outputTokens, decimal costUsd)
    {
        lock (_gate)
        {
            _inputTokens += inputTokens;
            _outputTokens += outputTokens;
            _cost += costUsd;
            _hasUsage = true;
        }
    }

    public void AddDebug(string message)
    {
        lock (_gate)
        {
            (_debug ??= []).Add(message);
        }
    }

    /// <summary><paramref name="record"/> with what the body reported so far.</summary>
    public StepRecord Apply(StepRecord record)
    {
        lock (_gate)
        {
            if (_hasUsage)
            {
                record = record with
                {
                    InputTokens = (int)Math.Min(int.MaxValue, _inputTokens),
                    OutputTokens = (int)Math.Min(int.MaxValue, _outputTokens),
                    CostUsd = _cost,
                };
            }
            if (_debug is { Count: > 0 })
            {
                record = record with { DebugMessages = JournalJson.Write(_debug, static (writer, messages) =>
                {
                    writer.WriteStartArray();
                    foreach (var message in messages) writer.WriteStringValue(message);
                    writer.WriteEndArray();
                }) };
            }
            return record;
        }
    }

    private static List<string> ReadDebug(string json)
    {
        var messages = new List<string>();
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.String) messages.Add(reader.GetString()!);
            }
        }
        catch (JsonException)
        {
            messages.Add(json); // kept as it was recorded, not lost
        }
        return messages;
    }
}
