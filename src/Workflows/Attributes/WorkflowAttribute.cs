namespace Workflows;

/// <summary>
/// Marks a <c>partial</c> class as a durable workflow. The source generator emits its step wrappers,
/// serializers, schema version and <c>Definition</c> registration.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class WorkflowAttribute : Attribute
{
    /// <summary>Names the workflow after its class.</summary>
    public WorkflowAttribute() { }

    /// <summary>Names the workflow explicitly; the name is stored with every run and must stay stable.</summary>
    public WorkflowAttribute(string name) => Name = name;

    /// <summary>The workflow's journal name, or null for the class name.</summary>
    public string? Name { get; }

    /// <summary>
    /// A System.Text.Json <c>JsonSerializerContext</c> of your own for step and run types outside what the generator
    /// serializes itself (polymorphic hierarchies, custom converters). Types the generator supports keep its codecs;
    /// every other type must be declared on the context with <c>[JsonSerializable]</c>, which the analyzer checks.
    /// </summary>
    public Type? JsonSerializerContext { get; set; }
}
