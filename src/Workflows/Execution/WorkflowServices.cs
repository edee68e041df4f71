namespace Workflows;

/// <summary>Resolves a workflow constructor's parameters from the engine's services; called by generated factories.</summary>
public static class WorkflowServices
{
    /// <summary>The service of type <typeparamref name="T"/>, or a clear error naming the workflow and the parameter.</summary>
    /// <exception cref="WorkflowConstructionException">No provider was configured, or it has no such service.</exception>
    public static T Resolve<T>(IServiceProvider? services, string workflow, string parameter)
    {
        if (services is null)
        {
            throw new WorkflowConstructionException(workflow,
                $"its constructor takes '{parameter}' ({typeof(T).FullName}) but WorkflowEngineOptions.Services is not set.");
        }
        return services.GetService(typeof(T)) is T service
            ? service
            : throw new WorkflowConstructionException(workflow,
                $"no service of type {typeof(T).FullName} is registered for constructor parameter '{parameter}'.");
    }
}
