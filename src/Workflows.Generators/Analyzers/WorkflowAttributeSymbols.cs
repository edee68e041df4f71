using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Workflows.Generators.Common;

namespace Workflows.Generators.Analyzers;

/// <summary>
/// The Workflows attribute types of one compilation, resolved once at compilation start, and the questions the
/// determinism and step-usage analyzers ask of symbols with them (by symbol identity, not by display string).
/// </summary>
internal sealed class WorkflowAttributeSymbols
{
    private WorkflowAttributeSymbols(INamedTypeSymbol workflow, INamedTypeSymbol step, INamedTypeSymbol run)
    {
        Workflow = workflow;
        Step = step;
        Run = run;
    }

    public INamedTypeSymbol Workflow { get; }

    public INamedTypeSymbol Step { get; }

    public INamedTypeSymbol Run { get; }

    /// <summary>The attribute types, or null when the compilation does not reference Workflows (nothing to analyze).</summary>
    public static WorkflowAttributeSymbols? Resolve(Compilation compilation)
    {
        var workflow = compilation.GetTypeByMetadataName(KnownNames.WorkflowAttribute);
        var step = compilation.GetTypeByMetadataName(KnownNames.StepAttribute);
        var run = compilation.GetTypeByMetadataName(KnownNames.WorkflowRunAttribute);
        return workflow is null || step is null || run is null ? null : new WorkflowAttributeSymbols(workflow, step, run);
    }

    public bool IsWorkflow(INamedTypeSymbol? type) => type is not null && Has(type.OriginalDefinition, Workflow);

    public bool IsStep(IMethodSymbol? method) => method is not null && Has(Definition(method), Step);

    public bool IsRun(IMethodSymbol? method) => method is not null && Has(Definition(method), Run);

    /// <summary>
    /// A step declared in a [Workflow] class: the only kind whose calls the generator can journal. The class is asked
    /// first: this runs for every call in the compilation, and few types are workflows.
    /// </summary>
    /// <remarks>A [Step] local function or lambda is no step (WF0005 says so); its calls are not step calls.</remarks>
    public bool IsWorkflowStep(IMethodSymbol? method) =>
        method is { MethodKind: MethodKind.Ordinary } && IsWorkflow(method.ContainingType) && IsStep(method);

    /// <summary>
    /// One symbol per method whatever the form it is seen in: the unconstructed definition, and for a partial method
    /// its defining declaration (calls bind to it, while the body belongs to the implementation).
    /// </summary>
    public static IMethodSymbol Definition(IMethodSymbol method)
    {
        var definition = method.OriginalDefinition;
        return definition.PartialDefinitionPart ?? definition;
    }

    /// <summary>The member whose body holds the code: lambdas and local functions belong to the method they are written in.</summary>
    public static ISymbol? EnclosingMember(ISymbol? symbol)
    {
        while (symbol is IMethodSymbol { MethodKind: MethodKind.AnonymousFunction or MethodKind.LocalFunction })
        {
            symbol = symbol.ContainingSymbol;
        }
        return symbol;
    }

    public static bool SameType(ITypeSymbol? left, ITypeSymbol? right) =>
        left is not null && right is not null && SymbolEqualityComparer.Default.Equals(left.OriginalDefinition, right.OriginalDefinition);

    /// <summary>Whether <paramref name="type"/> is <paramref name="ancestor"/> or derives from it.</summary>
    public static bool IsOrDerivesFrom(ITypeSymbol? type, ITypeSymbol ancestor)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (SameType(current, ancestor)) return true;
        }
        return false;
    }

    /// <summary><c>this</c>, written or implied, in an instance member of the type being declared.</summary>
    public static bool IsThis(IOperation? instance) =>
        instance is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance };

    /// <summary>Inside <c>nameof(...)</c> nothing is evaluated: a member named there is not used.</summary>
    public static bool IsInsideNameOf(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is INameOfOperation) return true;
        }
        return false;
    }

    private static bool Has(ISymbol symbol, INamedTypeSymbol attributeType)
    {
        foreach (var attribute in symbol.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, attributeType)) return true;
        }
        return false;
    }
}
