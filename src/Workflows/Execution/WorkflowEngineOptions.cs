namespace Workflows;

/// <summary>Settings of a <see cref="WorkflowEngine"/>.</summary>
public sealed class WorkflowEngineOptions
{
    /// <summary>Resolves the services that workflow constructors take. Optional when no workflow takes any.</summary>
    public IServiceProvider? Services { get; init; }

    /// <summary>The clock for timestamps and retry backoff; tests pass a fake one.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>The tenant of runs started without one.</summary>
    public string DefaultTenantId { get; init; } = "default";

    /// <summary>
    /// Called after each step's outcome is durably committed, on the workflow's flow. For diagnostics and
    /// for tests that stop a process at a precise point; it must not throw.
    /// </summary>
    public Action<Journal.StepRecord>? OnStepCommitted { get; init; }
}

/// <summary>How to start one run.</summary>
public sealed class StartOptions
{
    /// <summary>The run's id; a new UUIDv7 when null.</summary>
    public Guid? RunId { get; init; }

    /// <summary>The run's tenant; the engine's default when null.</summary>
    public string? TenantId { get; init; }

    /// <summary>A second start with the same key (same tenant and workflow) returns the first run instead of a new one.</summary>
    public string? IdempotencyKey { get; init; }
}
