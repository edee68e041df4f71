using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace Workflows.Generators.Analyzers;

/// <summary>
/// How analyzed code reaches a method: the calls from a root (a run method, a constructor, a step body) down to it, and
/// the breadth-first walk that finds them. The walk is the one way WF0007, WF0009 and WF0012 follow calls: each
/// (method, state) pair is visited once, by a shortest chain, so recursion and call cycles end; and no chain goes
/// deeper than <see cref="MaxDepth"/> calls, which bounds the cost of a root whatever the code.
/// </summary>
internal sealed class CallChain
{
    /// <summary>How many calls deep a chain may go from its root; code reached only through more calls is not looked at.</summary>
    public const int MaxDepth = 8;

    private CallChain(IMethodSymbol method, CallChain? caller, Location? callSite, int depth)
    {
        Method = method;
        Caller = caller;
        CallSite = callSite;
        Depth = depth;
    }

    /// <summary>The method reached.</summary>
    public IMethodSymbol Method { get; }

    /// <summary>The chain to the method that made the call; null at the root.</summary>
    public CallChain? Caller { get; }

    /// <summary>Where, in the caller's code, the call is; null at the root.</summary>
    public Location? CallSite { get; }

    /// <summary>Calls from the root: 0 at the root.</summary>
    public int Depth { get; }

    /// <summary>
    /// Breadth-first from <paramref name="roots"/>: <paramref name="visit"/> sees each reached (method, state) once, with
    /// the chain that reached it, and answers the calls the method makes there (with the state each callee runs in).
    /// </summary>
    public static void Walk<TState>(
        IEnumerable<(IMethodSymbol Method, TState State)> roots,
        System.Func<CallChain, TState, IEnumerable<(IMethodSymbol Callee, Location At, TState State)>> visit,
        CancellationToken cancellationToken)
    {
        var seen = new HashSet<(IMethodSymbol, TState)>(new VisitComparer<TState>());
        var queue = new Queue<(CallChain Chain, TState State)>();
        foreach (var (method, state) in roots)
        {
            if (seen.Add((method, state))) queue.Enqueue((new CallChain(method, null, null, 0), state));
        }
        while (queue.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (chain, state) = queue.Dequeue();
            foreach (var (callee, at, calleeState) in visit(chain, state))
            {
                if (chain.Depth >= MaxDepth || !seen.Add((callee, calleeState))) continue;
                queue.Enqueue((new CallChain(callee, chain, at, chain.Depth + 1), calleeState));
            }
        }
    }

    /// <summary>"RunAsync → OrderFactory.Create → Order constructor": the methods of <paramref name="home"/> by name alone.</summary>
    public string Names(INamedTypeSymbol home)
    {
        var names = new List<string>();
        for (var current = this; current is not null; current = current.Caller)
        {
            names.Add(DisplayName(current.Method, home));
        }
        names.Reverse();
        return string.Join(" \u2192 ", names);
    }

    /// <summary>
    /// The call in <paramref name="home"/>'s code through which the chain first leaves it, when the method reached is
    /// not <paramref name="home"/>'s own: the place to report what that method does, in the code being analyzed.
    /// </summary>
    public Location? ExitFrom(INamedTypeSymbol home)
    {
        if (WorkflowAttributeSymbols.SameType(Method.ContainingType, home)) return null;
        Location? exit = null;
        for (var current = this; current.Caller is { } caller; current = caller)
        {
            if (WorkflowAttributeSymbols.SameType(caller.Method.ContainingType, home)
                && !WorkflowAttributeSymbols.SameType(current.Method.ContainingType, home))
            {
                exit = current.CallSite;
            }
        }
        return exit;
    }

    /// <summary>A method as a chain names it: bare within <paramref name="home"/>, with its type elsewhere.</summary>
    public static string DisplayName(IMethodSymbol method, INamedTypeSymbol home)
    {
        var type = method.ContainingType;
        var name = method switch
        {
            { MethodKind: MethodKind.PropertyGet or MethodKind.PropertySet, AssociatedSymbol: { } property } => property.Name,
            { MethodKind: MethodKind.Constructor } => type.Name + " constructor",
            _ => method.Name,
        };
        return method.MethodKind == MethodKind.Constructor || WorkflowAttributeSymbols.SameType(type, home) || type is null
            ? name
            : type.Name + "." + name;
    }

    private sealed class VisitComparer<TState> : IEqualityComparer<(IMethodSymbol Method, TState State)>
    {
        public bool Equals((IMethodSymbol Method, TState State) x, (IMethodSymbol Method, TState State) y) =>
            SymbolEqualityComparer.Default.Equals(x.Method, y.Method) && EqualityComparer<TState>.Default.Equals(x.State, y.State);

        public int GetHashCode((IMethodSymbol Method, TState State) obj) =>
            (SymbolEqualityComparer.Default.GetHashCode(obj.Method) * 397) ^ (obj.State is null ? 0 : EqualityComparer<TState>.Default.GetHashCode(obj.State));
    }
}
