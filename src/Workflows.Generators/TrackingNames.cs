namespace Workflows.Generators;

/// <summary>Names of the generator's incremental steps, for caching tests.</summary>
public static class TrackingNames
{
    public const string Workflows = nameof(Workflows);
    public const string Interceptors = nameof(Interceptors);
    public const string InterceptorGroups = nameof(InterceptorGroups);

    /// <summary>Whether the compilation has an accessible <c>Workflows.Hosting.WorkflowsBuilder</c> (a bool).</summary>
    public const string HostingBuilder = nameof(HostingBuilder);

    /// <summary>The names of the workflows <c>AddGeneratedWorkflows()</c> registers, or null without the builder.</summary>
    public const string Registration = nameof(Registration);
}
