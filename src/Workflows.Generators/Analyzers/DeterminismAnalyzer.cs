using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Workflows.Generators.Diagnostics;

namespace Workflows.Generators.Analyzers;

/// <summary>
/// WF0007: non-deterministic code in a workflow outside its steps. Workflow code runs again on every replay, so a
/// clock, a random value, a thread or I/O there gives a different result each time. The analysis follows the
/// [WorkflowRun] method into every method it calls whose source is in the compilation (the workflow's own methods,
/// helpers in other classes, extension methods, base class methods, property accessors, the constructors and member
/// initializers of the objects it creates), transitively up to <see cref="CallChain.MaxDepth"/> calls deep, and names
/// the call chain. Constructors and field initializers are roots too: every replay constructs the workflow again.
/// </summary>
/// <remarks>
/// Per workflow class: each method's operation block records the non-deterministic uses it holds (lambdas and local
/// functions included) and the methods with source it calls; a method outside the class gets the same facts from its
/// source, once per compilation, however many workflows reach it. At the end of the class, a breadth-first walk from
/// the run method decides which methods workflow code reaches and by which shortest chain. A finding in the class's
/// own code is reported where it is; one in code elsewhere is reported at the call in the workflow that leads to it
/// (with the finding's own place as an additional location), since that call is what the workflow author can change.
/// Step bodies are never collected, nor followed: anything may happen inside a step, whose result is journaled.
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
            var analysis = new Analysis(attributes, NonDeterministicApis.Resolve(start.Compilation), new SourceMethods(start.Compilation));
            start.RegisterSymbolStartAction(symbolStart => StartWorkflow(symbolStart, analysis), SymbolKind.NamedType);
        });
    }

    private static void StartWorkflow(SymbolStartAnalysisContext context, Analysis analysis)
    {
        if (context.Symbol is not INamedTypeSymbol workflow || !analysis.Attributes.IsWorkflow(workflow)) return;
        var attributes = analysis.Attributes;
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
                operation => Collect(operation.Operation, analysis, facts),
                OperationKind.Invocation,
                OperationKind.MethodReference,
                OperationKind.PropertyReference,
                OperationKind.FieldReference,
                OperationKind.EventReference,
                OperationKind.ObjectCreation,
                OperationKind.Loop);
        });

        context.RegisterSymbolEndAction(end => Report(end, workflow, analysis, methods));
    }

    private static void Collect(IOperation operation, Analysis analysis, MethodFacts facts)
    {
        if (AddCallees(operation, analysis, facts)) return;
        var apis = analysis.Apis;
        NonDeterministicUsage? usage = null;
        switch (operation)
        {
            case IInvocationOperation invocation:
                usage = apis.MatchMember(invocation.TargetMethod);
                break;
            case IMethodReferenceOperation reference:
                usage = apis.MatchMember(reference.Method);
                break;
            case IPropertyReferenceOperation property:
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

    /// <summary>
    /// Records the methods with source that <paramref name="operation"/> runs; true when it runs one, or a step (which is
    /// not followed): either way the API table, which lists metadata APIs, has nothing to say about it.
    /// </summary>
    private static bool AddCallees(IOperation operation, Analysis analysis, MethodFacts facts)
    {
        List<IMethodSymbol>? callees = null;
        var isCall = false;
        foreach (var (method, instance) in SourceMethods.Calls(operation))
        {
            // A step is opaque. So is a service the workflow was given (a constructor parameter, a field set from one):
            // calling one in workflow code is a question of its own, not one of this rule's APIs.
            if (analysis.Attributes.IsStep(method) || (WorkflowStateWrites.IsInjectedService(instance) && analysis.Code.Followed(method, instance) is not null))
            {
                isCall = true;
            }
            else if (analysis.Code.Followed(method, instance) is { } callee)
            {
                isCall = true;
                (callees ??= new List<IMethodSymbol>()).Add(callee);
            }
        }
        // Inside nameof(...) nothing runs.
        if (callees is not null && !WorkflowAttributeSymbols.IsInsideNameOf(operation))
        {
            var location = operation.Syntax.GetLocation();
            foreach (var callee in callees) facts.AddCallee(callee, location);
        }
        return isCall;
    }

    private static void Report(
        SymbolAnalysisContext context,
        INamedTypeSymbol workflow,
        Analysis analysis,
        ConcurrentDictionary<IMethodSymbol, MethodFacts> methods)
    {
        // From every run method (a workflow has one; WF0006 reports more) and constructor, so each method is reached by
        // a shortest chain, once, however the calls loop.
        var roots = new List<(IMethodSymbol, bool)>();
        foreach (var member in workflow.GetMembers())
        {
            if (member is IMethodSymbol method
                && ((analysis.Attributes.IsRun(method) && !analysis.Attributes.IsStep(method)) || method.MethodKind == MethodKind.Constructor))
            {
                roots.Add((WorkflowAttributeSymbols.Definition(method), false));
            }
        }

        var reported = new HashSet<(Location, Location)>();
        CallChain.Walk(roots, (chain, _) => Visit(chain), context.CancellationToken);

        IEnumerable<(IMethodSymbol, Location, bool)> Visit(CallChain chain)
        {
            var method = chain.Method;
            var facts = WorkflowAttributeSymbols.SameType(method.ContainingType, workflow)
                ? (methods.TryGetValue(method, out var own) ? own : null)
                : analysis.FactsOutsideWorkflows(method, context.CancellationToken);
            var next = new List<(IMethodSymbol, Location, bool)>();
            if (facts is not null)
            {
                var (usages, callees) = facts.Snapshot();
                if (usages.Count > 0)
                {
                    var through = chain.Depth == 0 ? "" : " (reached through " + chain.Names(workflow) + ")";
                    var exit = chain.ExitFrom(workflow);
                    foreach (var (location, usage) in usages)
                    {
                        if (!reported.Add((exit ?? location, location))) continue;
                        context.ReportDiagnostic(Diagnostic.Create(
                            DiagnosticDescriptors.NonDeterministicCode,
                            exit ?? location,
                            exit is null ? null : new[] { location },
                            ImmutableDictionary<string, string?>.Empty.Add("Api", usage.Api),
                            usage.Api,
                            through,
                            usage.Advice));
                    }
                }
                foreach (var (callee, at) in callees) next.Add((callee, at, false));
            }
            // The base constructor call that is not written is reported on the constructor (or, when that is not written
            // either, the class name) in the user's own file.
            if (analysis.Code.ImplicitBaseConstructor(method) is { } baseConstructor
                && method.Locations.FirstOrDefault(l => l.SourceTree is { } tree && !SourceMethods.IsGenerated(tree)) is { } written)
            {
                next.Add((baseConstructor, written, false));
            }
            return next;
        }
    }

    /// <summary>What the analysis of one compilation shares between its workflows.</summary>
    private sealed class Analysis
    {
        private readonly ConcurrentDictionary<IMethodSymbol, MethodFacts> _outsideWorkflows = new(SymbolEqualityComparer.Default);

        public Analysis(WorkflowAttributeSymbols attributes, NonDeterministicApis apis, SourceMethods code)
        {
            Attributes = attributes;
            Apis = apis;
            Code = code;
        }

        public WorkflowAttributeSymbols Attributes { get; }

        public NonDeterministicApis Apis { get; }

        public SourceMethods Code { get; }

        /// <summary>The facts of a method outside the workflow being reported, read from its source once per compilation.</summary>
        public MethodFacts FactsOutsideWorkflows(IMethodSymbol method, System.Threading.CancellationToken cancellationToken) =>
            _outsideWorkflows.GetOrAdd(method, m =>
            {
                var facts = new MethodFacts();
                // A step is opaque wherever it is declared.
                if (Attributes.IsStep(m)) return facts;
                foreach (var root in Code.Code(m, cancellationToken))
                {
                    foreach (var operation in root.DescendantsAndSelf()) Collect(operation, this, facts);
                }
                return facts;
            });
    }

    /// <summary>What one method's body does that matters here; written by its operation actions, read by the walk.</summary>
    private sealed class MethodFacts
    {
        private readonly List<(Location Location, NonDeterministicUsage Usage)> _usages = new();
        private readonly Dictionary<IMethodSymbol, Location> _callees = new(SymbolEqualityComparer.Default);

        public void AddUsage(Location location, NonDeterministicUsage usage)
        {
            lock (_usages) _usages.Add((location, usage));
        }

        /// <summary>A call of <paramref name="callee"/> at <paramref name="location"/>; the first in the source is kept.</summary>
        public void AddCallee(IMethodSymbol callee, Location location)
        {
            lock (_usages)
            {
                if (!_callees.TryGetValue(callee, out var known) || Compare(location, known) < 0) _callees[callee] = location;
            }
        }

        public (List<(Location Location, NonDeterministicUsage Usage)> Usages, List<(IMethodSymbol Callee, Location At)> Callees) Snapshot()
        {
            lock (_usages)
            {
                var usages = new List<(Location Location, NonDeterministicUsage Usage)>(_usages);
                // Operation actions may run in any order: sort so that reports and chains do not depend on it.
                usages.Sort((a, b) => Compare(a.Location, b.Location));
                var callees = new List<(IMethodSymbol Callee, Location At)>();
                foreach (var pair in _callees) callees.Add((pair.Key, pair.Value));
                callees.Sort((a, b) =>
                {
                    var byPlace = Compare(a.At, b.At);
                    return byPlace != 0 ? byPlace : string.CompareOrdinal(a.Callee.ToDisplayString(), b.Callee.ToDisplayString());
                });
                return (usages, callees);
            }
        }

        private static int Compare(Location left, Location right)
        {
            var byFile = string.CompareOrdinal(left.SourceTree?.FilePath, right.SourceTree?.FilePath);
            return byFile != 0 ? byFile : left.SourceSpan.Start.CompareTo(right.SourceSpan.Start);
        }
    }
}
