using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Workflows.Generators.Analyzers;

/// <summary>
/// Iteration order: a <c>foreach</c> over a collection that enumerates in hash order (string hash codes are randomized
/// per process) or in the order threads happened to add items gives another order on replay. Collections that keep the
/// order items were added in (<c>List</c>, <c>Dictionary</c>, <c>HashSet</c> without removals in another order,
/// <c>ConcurrentQueue</c>, <c>ConcurrentStack</c>) and sorted sequences are fine.
/// </summary>
internal sealed partial class NonDeterministicApis
{
    private const string StableOrder =
        "Sort it first (OrderBy), or keep the items in a List, Dictionary or ConcurrentQueue, which enumerate in the order they were added";

    /// <summary>The collections whose enumeration order differs from process to process (metadata names).</summary>
    public static readonly IReadOnlyList<string> HashOrderedCollections = new[]
    {
        "System.Collections.Concurrent.ConcurrentDictionary`2", // hash buckets
        "System.Collections.Concurrent.ConcurrentBag`1",         // per-thread lists
        "System.Collections.Immutable.ImmutableDictionary`2",    // sorted by hash code
        "System.Collections.Immutable.ImmutableHashSet`1",       // sorted by hash code
        "System.Collections.Hashtable",                          // hash buckets
    };

    /// <summary>The members of those collections that hand out their items in that same order.</summary>
    private static readonly HashSet<string> s_orderedViews = new(System.StringComparer.Ordinal) { "Keys", "Values", "ToArray" };

    /// <summary>The LINQ operators that sort: what comes out of them has a stable order whatever went in.</summary>
    private static readonly HashSet<string> s_sortingOperators = new(System.StringComparer.Ordinal)
    {
        "OrderBy", "OrderByDescending", "Order", "OrderDescending",
    };

    private readonly IterationOrder _iteration;

    /// <summary>
    /// A <c>foreach</c> whose order is not deterministic: over a hash-ordered collection, one of its views
    /// (<c>Keys</c>, <c>Values</c>, <c>ToArray()</c>), or a LINQ query over either that does not sort.
    /// </summary>
    public NonDeterministicUsage? MatchIteration(IForEachLoopOperation loop)
    {
        var source = WithoutConversions(loop.Collection);
        // Down through the LINQ operators, which pass their source's order on, unless one of them sorts.
        while (source is IInvocationOperation { TargetMethod: { IsExtensionMethod: true } method } query
            && SymbolEqualityComparer.Default.Equals(method.ContainingType, _iteration.Enumerable))
        {
            if (s_sortingOperators.Contains(method.Name) || query.Arguments.Length == 0) return null;
            source = WithoutConversions(query.Arguments[0].Value);
        }
        switch (source)
        {
            case IPropertyReferenceOperation { Instance: { } owner } view
                when s_orderedViews.Contains(view.Property.Name) && HashOrderedType(owner.Type) is { } viewed:
                return Iterating(viewed.Name + "." + view.Property.Name);
            case IInvocationOperation { Instance: { } owner } copy
                when s_orderedViews.Contains(copy.TargetMethod.Name) && HashOrderedType(owner.Type) is { } copied:
                return Iterating(copied.Name + "." + copy.TargetMethod.Name + "()");
        }
        return HashOrderedType(source?.Type) is { } collection ? Iterating(collection.Name) : null;
    }

    private static NonDeterministicUsage Iterating(string what) => new("foreach over " + what, StableOrder);

    private static IOperation? WithoutConversions(IOperation? operation)
    {
        while (operation is IConversionOperation conversion) operation = conversion.Operand;
        return operation;
    }

    /// <summary>The hash-ordered collection <paramref name="type"/> is or derives from, if any.</summary>
    private INamedTypeSymbol? HashOrderedType(ITypeSymbol? type)
    {
        for (var current = type as INamedTypeSymbol; current is not null; current = current.BaseType)
        {
            if (_iteration.HashOrdered.Contains(current.OriginalDefinition)) return current.OriginalDefinition;
        }
        return null;
    }

    /// <summary>The iteration table as symbols of one compilation.</summary>
    private sealed class IterationOrder
    {
        private IterationOrder(HashSet<INamedTypeSymbol> hashOrdered, INamedTypeSymbol? enumerable)
        {
            HashOrdered = hashOrdered;
            Enumerable = enumerable;
        }

        public HashSet<INamedTypeSymbol> HashOrdered { get; }

        /// <summary><c>System.Linq.Enumerable</c>, whose operators pass their source's order on.</summary>
        public INamedTypeSymbol? Enumerable { get; }

        public static IterationOrder Resolve(Compilation compilation)
        {
            var hashOrdered = new HashSet<INamedTypeSymbol>(SymbolEqualityComparer.Default);
            foreach (var name in HashOrderedCollections)
            {
                if (compilation.GetTypeByMetadataName(name) is { } type) hashOrdered.Add(type);
            }
            return new IterationOrder(hashOrdered, compilation.GetTypeByMetadataName("System.Linq.Enumerable"));
        }
    }
}
