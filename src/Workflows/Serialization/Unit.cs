namespace Workflows;

/// <summary>The value of a step or run that takes or returns nothing; journaled as <c>null</c>.</summary>
public readonly record struct Unit
{
    public static Unit Value => default;
}
