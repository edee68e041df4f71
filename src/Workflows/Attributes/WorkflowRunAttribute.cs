namespace Workflows;

/// <summary>
/// Marks the entry point of a workflow: at most one input parameter (plus an optional
/// <see cref="CancellationToken"/>), returning <c>Task</c>, <c>Task&lt;T&gt;</c>, <c>ValueTask</c> or <c>ValueTask&lt;T&gt;</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class WorkflowRunAttribute : Attribute
{
}
