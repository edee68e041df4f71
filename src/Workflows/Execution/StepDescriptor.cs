using Workflows.Journal;

namespace Workflows;

/// <summary>What the generator knows of one step: its journal name, kind and retry policy.</summary>
public sealed class StepDescriptor
{
    public StepDescriptor(string name, StepKind kind = StepKind.Step, int maxAttempts = 1, int retryDelayMilliseconds = 200, double backoffFactor = 2.0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        Kind = kind;
        MaxAttempts = Math.Max(1, maxAttempts);
        RetryDelay = TimeSpan.FromMilliseconds(Math.Max(0, retryDelayMilliseconds));
        BackoffFactor = double.IsFinite(backoffFactor) && backoffFactor >= 1 ? backoffFactor : 1;
    }

    public string Name { get; }
    public StepKind Kind { get; }
    public int MaxAttempts { get; }
    public TimeSpan RetryDelay { get; }
    public double BackoffFactor { get; }

    /// <summary>The wait before attempt <paramref name="nextAttempt"/> (2 or more).</summary>
    public TimeSpan DelayBefore(int nextAttempt) =>
        TimeSpan.FromMilliseconds(RetryDelay.TotalMilliseconds * Math.Pow(BackoffFactor, Math.Max(0, nextAttempt - 2)));

    public override string ToString() => $"'{Name}' ({Kind})";
}
