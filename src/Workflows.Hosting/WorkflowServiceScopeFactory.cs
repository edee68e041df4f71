using Microsoft.Extensions.DependencyInjection;

namespace Workflows.Hosting;

/// <summary>The engine's scope per run execution, over the container's <see cref="IServiceScopeFactory"/>.</summary>
internal sealed class WorkflowServiceScopeFactory(IServiceScopeFactory scopes) : IWorkflowServiceScopeFactory
{
    public IWorkflowServiceScope CreateScope() => new Scope(scopes.CreateAsyncScope());

    private sealed class Scope(AsyncServiceScope scope) : IWorkflowServiceScope
    {
        public IServiceProvider Services => scope.ServiceProvider;

        public ValueTask DisposeAsync() => scope.DisposeAsync();
    }
}
