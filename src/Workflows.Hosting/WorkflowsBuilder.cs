using Microsoft.Extensions.DependencyInjection;

namespace Workflows.Hosting;

/// <summary>
/// Returned by <c>services.AddWorkflows()</c>: adds workflow definitions to the container's engine. The generator emits,
/// per assembly, <c>AddGeneratedWorkflows(this WorkflowsBuilder)</c>, which adds every <c>[Workflow]</c> of it.
/// </summary>
public sealed class WorkflowsBuilder
{
    internal WorkflowsBuilder(IServiceCollection services) => Services = services;

    /// <summary>The services the workflows are added to.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Registers <paramref name="definition"/> with the engine when the container builds it (a workflow's generated
    /// <c>Definition</c>). Adding the same definition twice registers it once; two definitions of one workflow name make
    /// the engine's construction fail, naming the workflow.
    /// </summary>
    /// <returns>This builder.</returns>
    public WorkflowsBuilder AddWorkflow(WorkflowDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        Services.AddSingleton(new WorkflowRegistration(definition));
        return this;
    }
}

/// <summary>One definition added through <see cref="WorkflowsBuilder.AddWorkflow"/>.</summary>
internal sealed record WorkflowRegistration(WorkflowDefinition Definition);
