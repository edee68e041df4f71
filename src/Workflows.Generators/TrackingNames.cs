namespace Workflows.Generators;

/// <summary>Names of the generator's incremental steps, for caching tests.</summary>
public static class TrackingNames
{
    public const string Workflows = nameof(Workflows);
    public const string Interceptors = nameof(Interceptors);
    public const string InterceptorGroups = nameof(InterceptorGroups);
}
