namespace Workflows;

/// <summary>
/// Marks a workflow method as a durable step: its input, output or failure is journaled, and on replay
/// the recorded outcome is returned instead of running the body again.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class StepAttribute : Attribute
{
    /// <summary>Names the step after its method.</summary>
    public StepAttribute() { }

    /// <summary>Names the step explicitly; the name is the replay check at its sequence number.</summary>
    public StepAttribute(string name) => Name = name;

    /// <summary>The step's journal name, or null for the method name.</summary>
    public string? Name { get; }

    /// <summary>How many times the body may run before the failure is recorded as final. At least 1.</summary>
    public int MaxAttempts { get; set; } = 1;

    /// <summary>Delay before the second attempt, in milliseconds.</summary>
    public int RetryDelayMilliseconds { get; set; } = 200;

    /// <summary>Factor applied to the delay after each further failed attempt.</summary>
    public double BackoffFactor { get; set; } = 2.0;
}
