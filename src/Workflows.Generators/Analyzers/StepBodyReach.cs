using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Workflows.Generators.Diagnostics;

namespace Workflows.Generators.Analyzers;

/// <summary>
/// WF0009 and WF0012 past a step body's own code: what the methods a step body calls do, followed through the calls
/// they make (any method whose source is in the compilation, up to <see cref="CallChain.MaxDepth"/> calls deep). A
/// reached method that uses a recording <c>Workflow</c> API or calls a step is a durable operation inside the step; one
/// that changes state the step handed it (the workflow itself, an object a workflow field holds, a parameter object)
/// changes workflow state. Each method's facts are read from its source once per compilation; what they mean for
/// workflow state depends on what its instance and parameters stand for in the step, which the walk carries along.
/// </summary>
internal sealed class StepBodyReach
{
    private readonly WorkflowAttributeSymbols _attributes;
    private readonly SourceMethods _code;
    private readonly System.Func<IOperation, string?> _durableOperation;
    private readonly ConcurrentDictionary<IMethodSymbol, ReachedFacts> _facts = new(SymbolEqualityComparer.Default);

    /// <param name="durableOperation">"Workflow.UtcNow", "Step 'charge'": the durable operation an operation is, or null.</param>
    public StepBodyReach(WorkflowAttributeSymbols attributes, SourceMethods code, System.Func<IOperation, string?> durableOperation)
    {
        _attributes = attributes;
        _code = code;
        _durableOperation = durableOperation;
    }

    /// <summary>
    /// The durable operations (WF0009) and workflow state changes (WF0012) reached through the methods that
    /// <paramref name="operation"/>, in the body of <paramref name="step"/> (whose roots are <paramref name="stepBinding"/>),
    /// runs: each a descriptor and the text that names it in the message, chain included.
    /// </summary>
    public IReadOnlyList<(DiagnosticDescriptor Descriptor, string Text)> Follow(
        IOperation operation, IMethodSymbol step, StateBinding stepBinding, CancellationToken cancellationToken)
    {
        var found = new List<(DiagnosticDescriptor, string)>();
        var roots = new List<(IMethodSymbol, StateBinding)>();
        foreach (var call in CallsOf(operation, step)) roots.Add((call.Callee, call.BindIn(stepBinding)));
        if (roots.Count == 0) return found;

        var seen = new HashSet<string>(System.StringComparer.Ordinal);
        CallChain.Walk(roots, (chain, binding) =>
        {
            var facts = Facts(chain.Method, cancellationToken);
            var through = chain.Names(step.ContainingType);
            foreach (var durable in facts.DurableOperations)
            {
                var text = durable + " (reached through " + through + ")";
                if (seen.Add("9" + text)) found.Add((DiagnosticDescriptors.DurableOperationInStep, text));
            }
            foreach (var write in facts.Writes)
            {
                if (binding.Describe(write, through) is { } text && seen.Add("12" + text)) found.Add((DiagnosticDescriptors.StepMutatesWorkflowState, text));
            }
            var next = new List<(IMethodSymbol, Location, StateBinding)>(facts.Calls.Count);
            foreach (var call in facts.Calls) next.Add((call.Callee, call.At, call.BindIn(binding)));
            return next;
        }, cancellationToken);
        return found;
    }

    /// <summary>The methods with source <paramref name="operation"/> runs (steps excepted: calling one is itself the finding), with what it hands them.</summary>
    private IEnumerable<ReachedCall> CallsOf(IOperation operation, IMethodSymbol method)
    {
        foreach (var (target, instance) in SourceMethods.Calls(operation))
        {
            if (_attributes.IsStep(target) || _code.Followed(target, instance) is not { } callee) continue;
            if (WorkflowAttributeSymbols.IsInsideNameOf(operation)) yield break;
            var arguments = new StateReference?[callee.Parameters.Length];
            var given = operation switch
            {
                IInvocationOperation invocation => invocation.Arguments,
                IObjectCreationOperation creation => creation.Arguments,
                _ => ImmutableArray<IArgumentOperation>.Empty,
            };
            foreach (var argument in given)
            {
                // A value passed by value is a copy: changing it changes nothing of the caller's.
                if (argument.Parameter is not { } parameter || parameter.Ordinal >= arguments.Length
                    || (parameter.RefKind == RefKind.None && parameter.Type.IsValueType))
                {
                    continue;
                }
                arguments[parameter.Ordinal] = WorkflowStateWrites.Resolve(argument.Value, method, _attributes);
            }
            var receiver = callee.IsStatic || callee.MethodKind == MethodKind.Constructor
                ? null
                : WorkflowStateWrites.Resolve(instance, method, _attributes);
            yield return new ReachedCall(callee, operation.Syntax.GetLocation(), receiver, arguments.ToImmutableArray());
        }
    }

    private ReachedFacts Facts(IMethodSymbol method, CancellationToken cancellationToken) =>
        _facts.GetOrAdd(method, m =>
        {
            var facts = new ReachedFacts();
            var reassigned = WorkflowStateWrites.ReassignedParameters(m);
            foreach (var root in _code.Code(m, cancellationToken))
            {
                foreach (var operation in root.DescendantsAndSelf())
                {
                    if (_durableOperation(operation) is { } durable) facts.DurableOperations.Add(durable);
                    foreach (var write in WorkflowStateWrites.WritesOf(operation, m, _attributes))
                    {
                        if (!IsReassigned(write.Target, m, reassigned)) facts.Writes.Add(write);
                    }
                    foreach (var call in CallsOf(operation, m))
                    {
                        facts.Calls.Add(reassigned.IsEmpty ? call : call.Without(r => IsReassigned(r, m, reassigned)));
                    }
                }
            }
            return facts;
        });

    /// <summary>A parameter the method assigns may hold an object of its own: not taken for the caller's (see <see cref="WorkflowStateWrites.ReassignedParameters"/>).</summary>
    private static bool IsReassigned(StateReference reference, IMethodSymbol method, ImmutableHashSet<string> reassigned) =>
        reference.Root == StateRoot.Parameter && reference.Ordinal < method.Parameters.Length && reassigned.Contains(method.Parameters[reference.Ordinal].Name);

    /// <summary>What a reached method's own code does: read once per compilation, in source order.</summary>
    private sealed class ReachedFacts
    {
        public List<string> DurableOperations { get; } = new();

        public List<StateWrite> Writes { get; } = new();

        public List<ReachedCall> Calls { get; } = new();
    }

    /// <summary>A call a method's code makes to a method with source, and the state it hands over (receiver, arguments).</summary>
    private sealed class ReachedCall
    {
        public ReachedCall(IMethodSymbol callee, Location at, StateReference? receiver, ImmutableArray<StateReference?> arguments)
        {
            Callee = callee;
            At = at;
            Receiver = receiver;
            Arguments = arguments;
        }

        public IMethodSymbol Callee { get; }

        public Location At { get; }

        public StateReference? Receiver { get; }

        public ImmutableArray<StateReference?> Arguments { get; }

        /// <summary>The same call with the state references <paramref name="drop"/> picks forgotten.</summary>
        public ReachedCall Without(System.Func<StateReference, bool> drop)
        {
            var arguments = Arguments.Select(a => a is { } state && drop(state) ? null : a).ToImmutableArray();
            var receiver = Receiver is { } own && drop(own) ? null : Receiver;
            return new ReachedCall(Callee, At, receiver, arguments);
        }

        /// <summary>The callee's roots as workflow state, given what the caller's roots are.</summary>
        public StateBinding BindIn(StateBinding caller)
        {
            var parameters = ImmutableArray.CreateBuilder<BoundState?>(Arguments.Length);
            foreach (var argument in Arguments) parameters.Add(caller.Bind(argument));
            return new StateBinding(caller.Bind(Receiver), parameters.MoveToImmutable());
        }
    }
}
