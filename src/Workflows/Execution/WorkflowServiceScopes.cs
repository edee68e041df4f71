namespace Workflows;

/// <summary>
/// Creates the services of one run execution: the workflow object's constructor dependencies are resolved from
/// <see cref="IWorkflowServiceScope.Services"/>, and the scope is disposed when the execution ends (it suspends, ends, or
/// the engine stops). The hosting package implements it over the container's <c>IServiceScopeFactory</c>.
/// </summary>
public interface IWorkflowServiceScopeFactory
{
    /// <summary>A new scope for one execution of a run.</summary>
    IWorkflowServiceScope CreateScope();
}

/// <summary>The services of one run execution (see <see cref="IWorkflowServiceScopeFactory"/>).</summary>
public interface IWorkflowServiceScope : IAsyncDisposable
{
    IServiceProvider Services { get; }
}
