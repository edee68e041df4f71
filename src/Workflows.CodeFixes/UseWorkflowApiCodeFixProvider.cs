using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Simplification;
using Workflows.Generators.Diagnostics;

namespace Workflows.CodeFixes;

/// <summary>
/// WF0007: replaces a non-deterministic call in workflow code with the <c>Workflow</c> API that records its value:
/// <c>DateTime.UtcNow</c> → <c>Workflow.UtcNow</c>, <c>DateTime.Now</c> → <c>Workflow.Now</c>,
/// <c>DateTime.Today</c> → <c>Workflow.Now.Date</c>, <c>DateTimeOffset.UtcNow</c>/<c>Now</c> →
/// <c>new DateTimeOffset(Workflow.UtcNow)</c>/<c>(Workflow.Now)</c>,
/// <c>Guid.NewGuid()</c> → <c>Workflow.NewGuid()</c>, <c>Task.Delay(…)</c> → <c>Workflow.SleepAsync(…)</c>,
/// <c>Task.WhenAny(…)</c> → <c>Workflow.WhenAnyAsync(…)</c>.
/// Other WF0007 APIs have no recorded equivalent, so no fix is offered for them.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UseWorkflowApiCodeFixProvider)), Shared]
public sealed class UseWorkflowApiCodeFixProvider : CodeFixProvider
{
    /// <summary>One key for every replacement, so Fix All turns all fixable WF0007 calls of a scope into the Workflow API.</summary>
    public const string EquivalenceKey = "WF0007.UseWorkflowApi";

    private const string WorkflowTypeName = "Workflows.Workflow";
    private const string TimeSpanTypeName = "System.TimeSpan";
    private const string DateTimeOffsetTypeName = "System.DateTimeOffset";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.NonDeterministicCode.Id);

    /// <summary>
    /// Not the batch fixer: each single fix may add `using Workflows;`, and the batch fixer drops fixes whose text
    /// changes overlap, so with the using missing it left calls unfixed. This one rewrites a document's calls in one
    /// edit and adds the using once.
    /// </summary>
    public override FixAllProvider GetFixAllProvider() => s_fixAll;

    private static readonly FixAllProvider s_fixAll = FixAllProvider.Create(async (context, document, diagnostics) =>
    {
        var root = await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null || model.Compilation.GetTypeByMetadataName(WorkflowTypeName) is null) return document;
        var targets = new List<Target>();
        foreach (var diagnostic in diagnostics)
        {
            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            if (Find(node, model, context.CancellationToken) is { } target && !targets.Any(t => t.Node == target.Node)) targets.Add(target);
        }
        return targets.Count == 0 ? document : await ReplaceAsync(document, targets, context.CancellationToken).ConfigureAwait(false);
    });

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null) return;
        // Without the runtime's Workflow type there is nothing to replace the call with.
        if (model.Compilation.GetTypeByMetadataName(WorkflowTypeName) is null) return;

        foreach (var diagnostic in context.Diagnostics)
        {
            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            if (Find(node, model, context.CancellationToken) is not { } target) continue;
            context.RegisterCodeFix(
                CodeAction.Create(
                    "Use " + target.Title,
                    ct => ReplaceAsync(context.Document, new[] { target }, ct),
                    EquivalenceKey),
                diagnostic);
        }
    }

    /// <summary>A call the fix knows how to replace: the node to replace and what to put in its place.</summary>
    private sealed class Target
    {
        public Target(ExpressionSyntax node, Replacement replacement, string title)
        {
            Node = node;
            Replacement = replacement;
            Title = title;
        }

        public ExpressionSyntax Node { get; }
        public Replacement Replacement { get; }
        public string Title { get; }
    }

    private enum Replacement
    {
        UtcNow,
        Now,
        Today,
        OffsetUtcNow,
        OffsetNow,
        NewGuid,
        SleepTimeSpan,
        SleepMilliseconds,
        WhenAny,
        WhenAnyOfArray,
    }

    /// <summary>
    /// The replaceable expression at or around the diagnostic's node. The analyzer reports the offending expression,
    /// but a span on a part of it (the member name) or around it (an await, parentheses) is accepted too.
    /// </summary>
    private static Target? Find(SyntaxNode node, SemanticModel model, CancellationToken cancellationToken)
    {
        // Inward through wrappers the span might include.
        while (true)
        {
            if (node is AwaitExpressionSyntax awaited) node = awaited.Expression;
            else if (node is ParenthesizedExpressionSyntax parenthesized) node = parenthesized.Expression;
            else if (node is ArgumentSyntax argument) node = argument.Expression;
            else break;
        }

        // Outward from a name to the member access and invocation it belongs to, classifying each.
        for (var current = node; current is ExpressionSyntax expression; current = current.Parent)
        {
            if (Classify(expression, model, cancellationToken) is { } target) return target;
            var parent = current.Parent;
            var isPartOfCall =
                (parent is MemberAccessExpressionSyntax access && access.Name == current)
                || (parent is InvocationExpressionSyntax invocation && invocation.Expression == current);
            if (!isPartOfCall) break;
        }
        return null;
    }

    private static Target? Classify(ExpressionSyntax expression, SemanticModel model, CancellationToken cancellationToken)
    {
        switch (expression)
        {
            case InvocationExpressionSyntax invocation:
                if (model.GetSymbolInfo(invocation, cancellationToken).Symbol is not IMethodSymbol method) return null;
                if (IsMember(method, "System.Guid", "NewGuid") && method.Parameters.Length == 0)
                    return new Target(invocation, Replacement.NewGuid, "Workflow.NewGuid()");
                if (IsMember(method, "System.Threading.Tasks.Task", "Delay")) return ClassifyDelay(invocation, method, model.Compilation.GetTypeByMetadataName(TimeSpanTypeName));
                if (IsMember(method, "System.Threading.Tasks.Task", "WhenAny")) return ClassifyWhenAny(invocation, method, model);
                return null;

            case MemberAccessExpressionSyntax or IdentifierNameSyntax:
                // The callee of an invocation is classified with its invocation, a member name with its member access.
                if (expression.Parent is InvocationExpressionSyntax call && call.Expression == expression) return null;
                if (expression.Parent is MemberAccessExpressionSyntax access && access.Name == expression) return null;
                if (model.GetSymbolInfo(expression, cancellationToken).Symbol is not IPropertySymbol property) return null;
                if (IsMember(property, "System.DateTime", "UtcNow")) return new Target(expression, Replacement.UtcNow, "Workflow.UtcNow");
                if (IsMember(property, "System.DateTime", "Now")) return new Target(expression, Replacement.Now, "Workflow.Now");
                if (IsMember(property, "System.DateTime", "Today")) return new Target(expression, Replacement.Today, "Workflow.Now.Date");
                if (IsMember(property, DateTimeOffsetTypeName, "UtcNow")) return new Target(expression, Replacement.OffsetUtcNow, "new DateTimeOffset(Workflow.UtcNow)");
                if (IsMember(property, DateTimeOffsetTypeName, "Now")) return new Target(expression, Replacement.OffsetNow, "new DateTimeOffset(Workflow.Now)");
                return null;

            default:
                return null;
        }
    }

    /// <summary>
    /// Task.Delay(TimeSpan[, CancellationToken]) maps onto Workflow.SleepAsync directly, Task.Delay(int[, CancellationToken])
    /// through TimeSpan.FromMilliseconds. The TimeProvider overloads have no durable equivalent.
    /// </summary>
    private static Target? ClassifyDelay(InvocationExpressionSyntax invocation, IMethodSymbol method, INamedTypeSymbol? timeSpan)
    {
        var parameters = method.Parameters;
        if (parameters.Length is < 1 or > 2) return null;
        if (parameters.Length == 2 && parameters[1].Type.ToDisplayString() != "System.Threading.CancellationToken") return null;
        var arguments = invocation.ArgumentList.Arguments;
        if (arguments.Count != parameters.Length) return null;
        // Named arguments out of declaration order would have to be reordered, which changes evaluation order: no fix.
        for (var i = 0; i < arguments.Count; i++)
        {
            if (arguments[i].NameColon is { } nameColon && nameColon.Name.Identifier.ValueText != parameters[i].Name) return null;
        }
        return parameters[0].Type.SpecialType switch
        {
            SpecialType.System_Int32 when timeSpan is not null => new Target(invocation, Replacement.SleepMilliseconds, "Workflow.SleepAsync"),
            _ when SymbolEqualityComparer.Default.Equals(parameters[0].Type, timeSpan) => new Target(invocation, Replacement.SleepTimeSpan, "Workflow.SleepAsync"),
            _ => null,
        };
    }

    /// <summary>
    /// Task.WhenAny becomes Workflow.WhenAnyAsync, which takes <c>params Task[]</c> or <c>params Task&lt;T&gt;[]</c>: the
    /// two-task and params overloads keep their arguments, a sequence (the IEnumerable overloads) is passed as
    /// <c>.ToArray()</c>. The fix is offered only where the new call binds, at the same place, to WhenAnyAsync with the
    /// same return type, so that it compiles and the code around it keeps its types; a span of tasks or named arguments
    /// (<c>task1:</c>, which WhenAnyAsync has no name for) get no fix.
    /// </summary>
    private static Target? ClassifyWhenAny(InvocationExpressionSyntax invocation, IMethodSymbol method, SemanticModel model)
    {
        var arguments = invocation.ArgumentList.Arguments;
        if (arguments.Count == 0 || arguments.Any(a => a.NameColon is not null || !a.RefKindKeyword.IsKind(SyntaxKind.None))) return null;
        if (BindsToWhenAnyAsync(invocation, invocation.ArgumentList, method, model))
        {
            return new Target(invocation, Replacement.WhenAny, "Workflow.WhenAnyAsync");
        }
        if (arguments.Count == 1 && method.Parameters.Length == 1 && method.Parameters[0].Type is INamedTypeSymbol { Name: "IEnumerable" }
            && BindsToWhenAnyAsync(invocation, ArgumentsAsArray(invocation.ArgumentList), method, model))
        {
            return new Target(invocation, Replacement.WhenAnyOfArray, "Workflow.WhenAnyAsync");
        }
        return null;
    }

    /// <summary>Whether <c>Workflow.WhenAnyAsync</c> with <paramref name="arguments"/>, bound where the call stands, has the call's return type.</summary>
    private static bool BindsToWhenAnyAsync(InvocationExpressionSyntax invocation, ArgumentListSyntax arguments, IMethodSymbol whenAny, SemanticModel model)
    {
        var callee = SyntaxFactory.MemberAccessExpression(
            SyntaxKind.SimpleMemberAccessExpression,
            SyntaxFactory.ParseExpression("global::" + WorkflowTypeName),
            WhenAnyAsyncName(invocation));
        var candidate = SyntaxFactory.InvocationExpression(callee, arguments.WithoutTrivia());
        return model.GetSpeculativeSymbolInfo(invocation.SpanStart, candidate, SpeculativeBindingOption.BindAsExpression).Symbol is IMethodSymbol bound
            && bound.Name == "WhenAnyAsync"
            && bound.ContainingType?.ToDisplayString() == WorkflowTypeName
            && SymbolEqualityComparer.Default.Equals(bound.ReturnType, whenAny.ReturnType);
    }

    /// <summary>WhenAnyAsync, with the type arguments the call spelled out (<c>Task.WhenAny&lt;int&gt;(…)</c>), if any.</summary>
    private static SimpleNameSyntax WhenAnyAsyncName(InvocationExpressionSyntax invocation)
    {
        var name = invocation.Expression switch
        {
            MemberAccessExpressionSyntax access => access.Name,
            SimpleNameSyntax simple => simple,
            _ => null,
        };
        return name is GenericNameSyntax generic
            ? SyntaxFactory.GenericName(SyntaxFactory.Identifier("WhenAnyAsync"), generic.TypeArgumentList.WithoutTrivia())
            : SyntaxFactory.IdentifierName("WhenAnyAsync");
    }

    /// <summary>The one sequence argument as <c>sequence.ToArray()</c> (parenthesized when it has to be).</summary>
    private static ArgumentListSyntax ArgumentsAsArray(ArgumentListSyntax arguments)
    {
        var sequence = arguments.Arguments[0];
        var array = SyntaxFactory.InvocationExpression(SyntaxFactory.MemberAccessExpression(
            SyntaxKind.SimpleMemberAccessExpression,
            Receiver(sequence.Expression.WithoutTrivia()),
            SyntaxFactory.IdentifierName("ToArray")));
        return arguments.WithArguments(arguments.Arguments.Replace(sequence, sequence.WithExpression(array.WithTriviaFrom(sequence.Expression))));
    }

    /// <summary><paramref name="expression"/> as the left side of a member access: parenthesized unless it is a name, an access, a call or an element access.</summary>
    private static ExpressionSyntax Receiver(ExpressionSyntax expression) =>
        expression is SimpleNameSyntax or MemberAccessExpressionSyntax or InvocationExpressionSyntax or ElementAccessExpressionSyntax
            or ParenthesizedExpressionSyntax or ThisExpressionSyntax or BaseExpressionSyntax
            ? expression
            : SyntaxFactory.ParenthesizedExpression(expression);

    private static bool IsMember(ISymbol symbol, string containingType, string name) =>
        symbol.Name == name && symbol.IsStatic && symbol.ContainingType?.ToDisplayString() == containingType;

    /// <summary>
    /// Replaces every target in one edit, innermost first so that a call nested in another's arguments is kept when
    /// the outer one is rebuilt, then adds the imports the new names need once.
    /// </summary>
    private static async Task<Document> ReplaceAsync(Document document, IEnumerable<Target> targets, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var model = editor.SemanticModel;
        var workflowType = model.Compilation.GetTypeByMetadataName(WorkflowTypeName)!;
        var timeSpanType = model.Compilation.GetTypeByMetadataName(TimeSpanTypeName);
        var dateTimeOffsetType = model.Compilation.GetTypeByMetadataName(DateTimeOffsetTypeName);

        foreach (var target in targets.OrderBy(t => t.Node.Span.Length).ThenBy(t => t.Node.SpanStart))
        {
            // Names are resolved where the original call stood; the rewrite works on the current node, which may
            // already hold an inner replacement.
            var workflow = TypeName(editor.Generator, workflowType, model, target.Node.SpanStart);
            var timeSpan = timeSpanType is null ? null : TypeName(editor.Generator, timeSpanType, model, target.Node.SpanStart);
            var dateTimeOffset = dateTimeOffsetType is null ? null : TypeName(editor.Generator, dateTimeOffsetType, model, target.Node.SpanStart);
            editor.ReplaceNode(target.Node, (current, generator) =>
                Rewrite((ExpressionSyntax)current, target.Replacement, generator, workflow, timeSpan, dateTimeOffset).WithTriviaFrom(current));
        }

        // The code action's cleanup reduces the annotated names but does not add imports; add them first.
        return await ImportAdder.AddImportsAsync(editor.GetChangedDocument(), Simplifier.AddImportsAnnotation, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
    }

    private static SyntaxNode Rewrite(ExpressionSyntax current, Replacement replacement, SyntaxGenerator generator, SyntaxNode workflow,
        SyntaxNode? timeSpan, SyntaxNode? dateTimeOffset)
    {
        switch (replacement)
        {
            case Replacement.UtcNow:
                return generator.MemberAccessExpression(workflow, "UtcNow");
            case Replacement.Now:
                return generator.MemberAccessExpression(workflow, "Now");
            case Replacement.Today:
                return generator.MemberAccessExpression(generator.MemberAccessExpression(workflow, "Now"), "Date");
            case Replacement.OffsetUtcNow:
                return generator.ObjectCreationExpression(dateTimeOffset!, generator.MemberAccessExpression(workflow, "UtcNow"));
            case Replacement.OffsetNow:
                return generator.ObjectCreationExpression(dateTimeOffset!, generator.MemberAccessExpression(workflow, "Now"));
            case Replacement.NewGuid:
                var guidCall = (InvocationExpressionSyntax)current;
                return guidCall.WithExpression(((ExpressionSyntax)generator.MemberAccessExpression(workflow, "NewGuid")).WithTriviaFrom(guidCall.Expression));
            case Replacement.WhenAny or Replacement.WhenAnyOfArray:
                var race = (InvocationExpressionSyntax)current;
                var whenAnyAsync = (ExpressionSyntax)generator.MemberAccessExpression(workflow, WhenAnyAsyncName(race));
                return race
                    .WithExpression(whenAnyAsync.WithTriviaFrom(race.Expression))
                    .WithArgumentList(replacement == Replacement.WhenAnyOfArray ? ArgumentsAsArray(race.ArgumentList) : race.ArgumentList);
            default:
                return Sleep((InvocationExpressionSyntax)current, replacement, generator, workflow, timeSpan!);
        }
    }

    private static SyntaxNode Sleep(InvocationExpressionSyntax delay, Replacement replacement, SyntaxGenerator generator, SyntaxNode workflow, SyntaxNode timeSpan)
    {
        var arguments = delay.ArgumentList.Arguments;
        var first = arguments[0];
        if (replacement == Replacement.SleepMilliseconds)
        {
            var fromMilliseconds = (ExpressionSyntax)generator.InvocationExpression(
                generator.MemberAccessExpression(timeSpan, "FromMilliseconds"),
                first.Expression.WithoutTrivia());
            first = first.WithExpression(fromMilliseconds.WithTriviaFrom(first.Expression));
        }
        arguments = arguments.Replace(arguments[0], Rename(first, "duration"));
        if (arguments.Count == 2) arguments = arguments.Replace(arguments[1], Rename(arguments[1], "cancellationToken"));

        var callee = (ExpressionSyntax)generator.MemberAccessExpression(workflow, "SleepAsync");
        return delay
            .WithExpression(callee.WithTriviaFrom(delay.Expression))
            .WithArgumentList(delay.ArgumentList.WithArguments(arguments));
    }

    /// <summary>
    /// A fully qualified name for <paramref name="type"/>, annotated so the code action's cleanup reduces it as far as
    /// it stays unambiguous. An import is asked for only when nothing of that name is in scope: when the type is
    /// reachable already (a using, a global using) adding one would only leave a redundant line behind, and when
    /// another type of that name is in scope an import would not help.
    /// </summary>
    private static SyntaxNode TypeName(SyntaxGenerator generator, INamedTypeSymbol type, SemanticModel model, int position)
    {
        var name = generator.TypeExpression(type).WithAdditionalAnnotations(Simplifier.Annotation);
        return model.LookupNamespacesAndTypes(position, name: type.Name).IsEmpty
            ? name.WithAdditionalAnnotations(Simplifier.AddImportsAnnotation)
            : name;
    }

    /// <summary>Task.Delay's parameter names differ from SleepAsync's; a named argument takes the new name.</summary>
    private static ArgumentSyntax Rename(ArgumentSyntax argument, string name) =>
        argument.NameColon is null
            ? argument
            : argument.WithNameColon(argument.NameColon.WithName(
                SyntaxFactory.IdentifierName(name).WithTriviaFrom(argument.NameColon.Name)));
}
