using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Workflows.Generators.Common;
using Workflows.Generators.Model;

namespace Workflows.Generators.Parsing;

/// <summary>Finds the calls of a step made by its own workflow's code, outside step bodies.</summary>
internal static class InterceptorParser
{
    /// <summary>Syntax only: <c>Step(...)</c> or <c>this.Step(...)</c>.</summary>
    public static bool IsCandidate(SyntaxNode node, CancellationToken cancellationToken) =>
        node is InvocationExpressionSyntax
        {
            Expression: IdentifierNameSyntax or MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: IdentifierNameSyntax }
        };

    /// <summary>"path/File.cs(3,5)" as "File.cs(3,5)": emitted comments must not depend on the machine.</summary>
    private static string FileOnly(string display)
    {
        var slash = display.LastIndexOfAny(new[] { '/', '\\' });
        return slash < 0 ? display : display.Substring(slash + 1);
    }

    /// <summary>
    /// The step an invocation calls. The generator sees the compilation without generated code, so an argument whose type
    /// comes from it (<c>var drafts = await Task.WhenAll(... Workflow.RunChildAsync(X.Definition, ...))</c>, then
    /// <c>ComposeAsync(drafts)</c>) leaves the call unresolved here though the real build resolves it: the one step the
    /// name can mean, with as many parameters as the call has arguments, is that call's target. Never skip such a call:
    /// it would run unjournaled, silently.
    /// </summary>
    private static IMethodSymbol? StepCalled(SymbolInfo info, InvocationExpressionSyntax invocation)
    {
        if (info.Symbol is IMethodSymbol resolved)
        {
            return resolved is { MethodKind: MethodKind.Ordinary, IsStatic: false } && WorkflowSymbols.IsStep(resolved) ? resolved : null;
        }
        if (info.CandidateReason is not (CandidateReason.OverloadResolutionFailure or CandidateReason.Ambiguous) || info.CandidateSymbols.Length != 1)
        {
            return null;
        }
        return info.CandidateSymbols[0] is IMethodSymbol { MethodKind: MethodKind.Ordinary, IsStatic: false } candidate
            && WorkflowSymbols.IsStep(candidate)
            && invocation.ArgumentList.Arguments.Count <= candidate.Parameters.Length
            && invocation.ArgumentList.Arguments.Count >= candidate.Parameters.Count(p => !p.IsOptional && !p.IsParams)
                ? candidate
                : null;
    }

    public static InterceptorSpec? Parse(GeneratorSyntaxContext context, CancellationToken cancellationToken)
    {
        var invocation = (InvocationExpressionSyntax)context.Node;
        var model = context.SemanticModel;
        if (StepCalled(model.GetSymbolInfo(invocation, cancellationToken), invocation) is not { } method)
        {
            return null;
        }
        var workflow = method.ContainingType;
        if (!WorkflowSymbols.IsWorkflow(workflow) || !WorkflowSymbols.CanBeExtended(workflow)) return null;

        // Only the workflow's own code is journaled: not other classes, and not a step's body (WF0009).
        var caller = model.GetEnclosingSymbol(invocation.SpanStart, cancellationToken);
        while (caller is IMethodSymbol { MethodKind: MethodKind.AnonymousFunction or MethodKind.LocalFunction })
        {
            caller = caller.ContainingSymbol;
        }
        if (caller is null || !SymbolEqualityComparer.Default.Equals(caller.ContainingType, workflow)) return null;
        if (caller is IMethodSymbol callerMethod && WorkflowSymbols.IsStep(callerMethod)) return null;

        var location = model.GetInterceptableLocation(invocation, cancellationToken);
        if (location is null) return null;

        var parameters = method.Parameters
            .Select(p => new ParameterSpec(p.Name, SerializableTypes.IdOf(p.Type), WorkflowSymbols.IsCancellationToken(p.Type)))
            .ToEquatableArray();
        return new InterceptorSpec(
            SerializableTypes.IdOf(workflow),
            WorkflowParser.HintNameOf(workflow),
            WorkflowSymbols.WrapperName(method),
            SerializableTypes.IdOf(method.ReturnType),
            parameters,
            location.Version,
            location.Data,
            FileOnly(location.GetDisplayLocation()));
    }
}
