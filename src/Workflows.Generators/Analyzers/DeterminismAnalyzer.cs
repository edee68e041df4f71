using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Workflows.Generators.Diagnostics;

namespace Workflows.Generators.Analyzers;

/// <summary>
/// WF0007: non-deterministic code in a workflow outside its steps. Workflow code runs again on every replay, so a
/// clock, a random value, a thread or I/O there gives a different result each time. The analysis follows the
/// [WorkflowRun] method into the workflow's own non-step methods it calls, transitively, and names the call chain.
/// Constructors and field initializers are roots too: every replay constructs the workflow again.
/// </summary>
/// <remarks>
/// Per workflow class: each method's operation block records the non-deterministic uses it holds (lambdas and local
/// functions included) and the calls it makes to the class's own methods; at the end of the class, a breadth-first
/// walk from the run method decides which methods workflow code reaches and by which shortest chain. Step bodies are
/// never collected: anything may happen inside a step, whose result is journaled.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class DeterminismAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.NonDeterministicCode);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (WorkflowAttributeSymbols.Resolve(start.Compilation) is not { } attributes) return;
            var apis = NonDeterministicApis.Resolve(start.Compilation);
            start.RegisterSymbolStartAction(symbolStart => StartWorkflow(symbolStart, attributes, apis), SymbolKind.NamedType);
        });
    }

    private static void StartWorkflow(SymbolStartAnalysisContext context, WorkflowAttributeSymbols attributes, NonDeterministicApis apis)
    {
        if (context.Symbol is not INamedTypeSymbol workflow || !attributes.IsWorkflow(workflow)) return;
        var methods = new ConcurrentDictionary<IMethodSymbol, MethodFacts>(SymbolEqualityComparer.Default);

        // Field and property initializers run with every construction of the workflow, which a replay repeats:
        // their facts are kept with the constructor's.
        var constructor = workflow.InstanceConstructors.Length > 0 ? WorkflowAttributeSymbols.Definition(workflow.InstanceConstructors[0]) : null;
        context.RegisterOperationBlockStartAction(block =>
        {
            IMethodSymbol? owner = block.OwningSymbol switch
            {
                IMethodSymbol method when WorkflowAttributeSymbols.SameType(method.ContainingType, workflow) && !attributes.IsStep(method)
                    => WorkflowAttributeSymbols.Definition(method),
                IFieldSymbol or IPropertySymbol when WorkflowAttributeSymbols.SameType(block.OwningSymbol.ContainingType, workflow) => constructor,
                _ => null,
            };
            if (owner is null)
            {
                return;
            }
            var facts = methods.GetOrAdd(owner, static _ => new MethodFacts());
            block.RegisterOperationAction(
                operation => Collect(operation.Operation, workflow, attributes, apis, facts),
                OperationKind.Invocation,
                OperationKind.MethodReference,
                OperationKind.PropertyReference,
                OperationKind.FieldReference,
                OperationKind.EventReference,
                OperationKind.ObjectCreation,
                OperationKind.Loop);
        });

        context.RegisterSymbolEndAction(end => Report(end, workflow, attributes, methods));
    }

    private static void Collect(IOperation operation, INamedTypeSymbol workflow, WorkflowAttributeSymbols attributes, NonDeterministicApis apis, MethodFacts facts)
    {
        NonDeterministicUsage? usage = null;
        switch (operation)
        {
            case IInvocationOperation invocation:
                if (AddCallee(invocation.TargetMethod, workflow, attributes, facts)) return;
                usage = apis.MatchMember(invocation.TargetMethod);
                break;
            case IMethodReferenceOperation reference:
                if (AddCallee(reference.Method, workflow, attributes, facts)) return;
                usage = apis.MatchMember(reference.Method);
                break;
            case IPropertyReferenceOperation property:
                if (WorkflowAttributeSymbols.SameType(property.Property.ContainingType, workflow))
                {
                    foreach (var accessor in AccessorsUsed(property))
                    {
                        AddCallee(accessor, workflow, attributes, facts);
                    }
                    return;
                }
                usage = apis.MatchMember(property.Property);
                break;
            case IFieldReferenceOperation field:
                usage = apis.MatchMember(field.Field);
                break;
            case IEventReferenceOperation @event:
                usage = apis.MatchMember(@event.Event);
                break;
            case IObjectCreationOperation creation:
                usage = apis.MatchCreation(creation);
                break;
            case IForEachLoopOperation loop:
                usage = apis.MatchIteration(loop);
                break;
        }
        if (usage is { } found && !WorkflowAttributeSymbols.IsInsideNameOf(operation))
        {
            facts.AddUsage(operation.Syntax.GetLocation(), found);
        }
    }

    /// <summary>Records a call of one of the workflow's own methods; true when <paramref name="method"/> is one (steps included, which are not followed).</summary>
    private static bool AddCallee(IMethodSymbol? method, INamedTypeSymbol workflow, WorkflowAttributeSymbols attributes, MethodFacts facts)
    {
        if (method is null || !WorkflowAttributeSymbols.SameType(method.ContainingType, workflow)) return false;
        // Local functions and lambdas are part of the block that declares them, and already collected with it.
        if (method.MethodKind is MethodKind.LocalFunction or MethodKind.AnonymousFunction) return false;
        if (!attributes.IsStep(method)) facts.AddCallee(WorkflowAttributeSymbols.Definition(method));
        return true;
    }

    /// <summary>The accessors a property reference runs: the setter when assigned, both when updated, else the getter.</summary>
    private static IEnumerable<IMethodSymbol?> AccessorsUsed(IPropertyReferenceOperation reference)
    {
        var parent = reference.Parent;
        if (parent is ISimpleAssignmentOperation simple && simple.Target == reference)
        {
            yield return reference.Property.SetMethod;
            yield break;
        }
        yield return reference.Property.GetMethod;
        if ((parent is ICompoundAssignmentOperation compound && compound.Target == reference)
            || (parent is ICoalesceAssignmentOperation coalesce && coalesce.Target == reference)
            || parent is IIncrementOrDecrementOperation)
        {
            yield return reference.Property.SetMethod;
        }
    }

    private static void Report(
        SymbolAnalysisContext context,
        INamedTypeSymbol workflow,
        WorkflowAttributeSymbols attributes,
        ConcurrentDictionary<IMethodSymbol, MethodFacts> methods)
    {
        // Breadth-first from every run method (a workflow has one; WF0006 reports more), so each method is reached by
        // a shortest chain, once, however the calls loop.
        var parents = new Dictionary<IMethodSymbol, IMethodSymbol?>(SymbolEqualityComparer.Default);
        var queue = new Queue<IMethodSymbol>();
        foreach (var member in workflow.GetMembers())
        {
            if (member is IMethodSymbol method
                && ((attributes.IsRun(method) && !attributes.IsStep(method)) || method.MethodKind == MethodKind.Constructor))
            {
                var root = WorkflowAttributeSymbols.Definition(method);
                if (parents.ContainsKey(root)) continue;
                parents.Add(root, null);
                queue.Enqueue(root);
            }
        }

        var reported = new HashSet<Location>();
        while (queue.Count > 0)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            var method = queue.Dequeue();
            if (!methods.TryGetValue(method, out var facts)) continue;
            var (usages, callees) = facts.Snapshot();
            if (usages.Count > 0)
            {
                var chain = Chain(method, parents);
                foreach (var (location, usage) in usages)
                {
                    if (!reported.Add(location)) continue;
                    context.ReportDiagnostic(Diagnostic.Create(
                        DiagnosticDescriptors.NonDeterministicCode,
                        location,
                        ImmutableDictionary<string, string?>.Empty.Add("Api", usage.Api),
                        usage.Api,
                        chain,
                        usage.Advice));
                }
            }
            foreach (var callee in callees)
            {
                if (parents.ContainsKey(callee)) continue;
                parents.Add(callee, method);
                queue.Enqueue(callee);
            }
        }
    }

    /// <summary>" (reached through RunAsync → Helper)", or nothing when the code is in the run method itself.</summary>
    private static string Chain(IMethodSymbol method, Dictionary<IMethodSymbol, IMethodSymbol?> parents)
    {
        var names = new List<string>();
        for (IMethodSymbol? current = method; current is not null; current = parents.TryGetValue(current, out var parent) ? parent : null)
        {
            names.Add(DisplayName(current));
        }
        if (names.Count < 2) return "";
        names.Reverse();
        return " (reached through " + string.Join(" \u2192 ", names) + ")";
    }

    private static string DisplayName(IMethodSymbol method) => method switch
    {
        { MethodKind: MethodKind.PropertyGet or MethodKind.PropertySet, AssociatedSymbol: { } property } => property.Name,
        { MethodKind: MethodKind.Constructor } => method.ContainingType.Name + " constructor",
        _ => method.Name,
    };

    /// <summary>What one method's body does that matters here; written by its operation actions, read at the end of the class.</summary>
    private sealed class MethodFacts
    {
        private readonly List<(Location Location, NonDeterministicUsage Usage)> _usages = new();
        private readonly List<IMethodSymbol> _callees = new();
        private readonly HashSet<IMethodSymbol> _knownCallees = new(SymbolEqualityComparer.Default);

        public void AddUsage(Location location, NonDeterministicUsage usage)
        {
            lock (_usages) _usages.Add((location, usage));
        }

        public void AddCallee(IMethodSymbol callee)
        {
            lock (_usages)
            {
                if (_knownCallees.Add(callee)) _callees.Add(callee);
            }
        }

        public (List<(Location Location, NonDeterministicUsage Usage)> Usages, List<IMethodSymbol> Callees) Snapshot()
        {
            lock (_usages)
            {
                var usages = new List<(Location Location, NonDeterministicUsage Usage)>(_usages);
                // Operation actions may run in any order: sort so that reports and chains do not depend on it.
                usages.Sort((a, b) => a.Location.SourceSpan.Start.CompareTo(b.Location.SourceSpan.Start));
                var callees = new List<IMethodSymbol>(_callees);
                callees.Sort((a, b) => FirstPosition(a).CompareTo(FirstPosition(b)));
                return (usages, callees);
            }
        }

        private static int FirstPosition(IMethodSymbol method) =>
            method.Locations.Length > 0 ? method.Locations[0].SourceSpan.Start : int.MaxValue;
    }
}
