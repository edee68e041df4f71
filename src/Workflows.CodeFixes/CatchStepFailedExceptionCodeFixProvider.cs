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
using Workflows.Generators.Analyzers;
using Workflows.Generators.Diagnostics;

namespace Workflows.CodeFixes;

/// <summary>
/// WF0013: rewrites <c>catch (T)</c> / <c>catch (T e)</c> around a step call to
/// <c>catch (StepFailedException e) when (e.Is&lt;T&gt;())</c>, keeping the variable's name and combining an existing
/// filter as <c>when (e.Is&lt;T&gt;() &amp;&amp; (filter))</c>. When the clause's block or filter uses the variable,
/// the code there reads it as a T (its members, its type), which a StepFailedException is not: no fix is offered then.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CatchStepFailedExceptionCodeFixProvider)), Shared]
public sealed class CatchStepFailedExceptionCodeFixProvider : CodeFixProvider
{
    /// <summary>One key for every rewrite, so Fix All turns all fixable WF0013 catches of a scope into filters.</summary>
    public const string EquivalenceKey = "WF0013.CatchStepFailedException";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.CatchMissesStepFailure.Id);

    /// <summary>
    /// Not the batch fixer: each single fix may add `using Workflows;`, and the batch fixer drops fixes whose changes
    /// overlap. This one rewrites a document's catches in one edit and adds the using once.
    /// </summary>
    public override FixAllProvider GetFixAllProvider() => s_fixAll;

    private static readonly FixAllProvider s_fixAll = FixAllProvider.Create(async (context, document, diagnostics) =>
    {
        var root = await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null) return document;
        var targets = new List<Target>();
        foreach (var diagnostic in diagnostics)
        {
            if (Find(root, diagnostic, model, context.CancellationToken) is { } target && !targets.Any(t => t.Clause == target.Clause)) targets.Add(target);
        }
        return targets.Count == 0 ? document : await RewriteAsync(document, targets, context.CancellationToken).ConfigureAwait(false);
    });

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null) return;

        foreach (var diagnostic in context.Diagnostics)
        {
            if (Find(root, diagnostic, model, context.CancellationToken) is not { } target) continue;
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Catch StepFailedException when {target.Variable}.Is<{target.TypeText}>()",
                    ct => RewriteAsync(context.Document, new[] { target }, ct),
                    EquivalenceKey),
                diagnostic);
        }
    }

    /// <summary>A clause the fix can rewrite: the clause, the variable name to declare and the caught type as written.</summary>
    private sealed class Target
    {
        public Target(CatchClauseSyntax clause, string variable, string typeText)
        {
            Clause = clause;
            Variable = variable;
            TypeText = typeText;
        }

        public CatchClauseSyntax Clause { get; }
        public string Variable { get; }
        public string TypeText { get; }
    }

    /// <summary>The catch clause at the diagnostic (its type, or anything inside its declaration), when it can be rewritten.</summary>
    private static Target? Find(SyntaxNode root, Diagnostic diagnostic, SemanticModel model, CancellationToken cancellationToken)
    {
        if (model.Compilation.GetTypeByMetadataName(StepFailureCatchAnalyzer.StepFailedExceptionName) is null) return null;
        var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        if (node.FirstAncestorOrSelf<CatchClauseSyntax>() is not { Declaration: { } declaration } clause) return null;
        // Only from the declaration: a span in the block belongs to some other diagnostic's code.
        if (!declaration.Span.Contains(diagnostic.Location.SourceSpan) && !diagnostic.Location.SourceSpan.Contains(declaration.Type.Span)) return null;
        if (model.GetTypeInfo(declaration.Type, cancellationToken).Type is not INamedTypeSymbol { TypeKind: TypeKind.Class }) return null;

        if (declaration.Identifier.IsKind(SyntaxKind.None) || declaration.Identifier.ValueText.Length == 0)
        {
            return new Target(clause, FreeName(clause, model, cancellationToken), declaration.Type.WithoutTrivia().ToString());
        }
        if (model.GetDeclaredSymbol(declaration, cancellationToken) is not { } local) return null;
        if (IsUsed(clause, local, model, cancellationToken)) return null;
        return new Target(clause, declaration.Identifier.ValueText, declaration.Type.WithoutTrivia().ToString());
    }

    /// <summary>Whether the clause's filter or block names the variable it declares.</summary>
    private static bool IsUsed(CatchClauseSyntax clause, ISymbol local, SemanticModel model, CancellationToken cancellationToken)
    {
        var scopes = new SyntaxNode?[] { clause.Filter, clause.Block };
        foreach (var scope in scopes)
        {
            if (scope is null) continue;
            foreach (var name in scope.DescendantNodes().OfType<IdentifierNameSyntax>())
            {
                if (name.Identifier.ValueText != local.Name) continue;
                if (SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(name, cancellationToken).Symbol, local)) return true;
            }
        }
        return false;
    }

    /// <summary>"e", or "e2", "e3", … when the name is taken where the clause stands or inside it.</summary>
    private static string FreeName(CatchClauseSyntax clause, SemanticModel model, CancellationToken cancellationToken)
    {
        var inside = new HashSet<string>(clause.DescendantTokens().Where(t => t.IsKind(SyntaxKind.IdentifierToken)).Select(t => t.ValueText));
        for (var i = 1; ; i++)
        {
            var name = i == 1 ? "e" : "e" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            cancellationToken.ThrowIfCancellationRequested();
            if (!inside.Contains(name) && model.LookupSymbols(clause.Block.SpanStart, name: name).IsEmpty) return name;
        }
    }

    /// <summary>Rewrites every target in one edit (innermost first, for a catch nested in another's block), then adds the import once.</summary>
    private static async Task<Document> RewriteAsync(Document document, IEnumerable<Target> targets, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var model = editor.SemanticModel;
        var stepFailed = model.Compilation.GetTypeByMetadataName(StepFailureCatchAnalyzer.StepFailedExceptionName)!;
        foreach (var target in targets.OrderBy(t => t.Clause.Span.Length).ThenBy(t => t.Clause.SpanStart))
        {
            var typeName = (TypeSyntax)editor.Generator.TypeExpression(stepFailed).WithAdditionalAnnotations(Simplifier.Annotation);
            // An import only when no type of that name is in scope (a using or a global using makes it redundant).
            if (model.LookupNamespacesAndTypes(target.Clause.SpanStart, name: stepFailed.Name).IsEmpty)
            {
                typeName = typeName.WithAdditionalAnnotations(Simplifier.AddImportsAnnotation);
            }
            editor.ReplaceNode(target.Clause, (current, _) => Rewrite((CatchClauseSyntax)current, target, typeName));
        }
        return await ImportAdder.AddImportsAsync(editor.GetChangedDocument(), Simplifier.AddImportsAnnotation, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
    }

    private static CatchClauseSyntax Rewrite(CatchClauseSyntax clause, Target target, TypeSyntax stepFailed)
    {
        var declaration = clause.Declaration!;
        var isCall = SyntaxFactory.ParseExpression(target.Variable + ".Is<" + target.TypeText + ">()");
        var newDeclaration = declaration
            .WithType(stepFailed.WithTriviaFrom(declaration.Type))
            .WithIdentifier(SyntaxFactory.Identifier(SyntaxFactory.TriviaList(SyntaxFactory.Space), target.Variable, SyntaxFactory.TriviaList()));

        if (clause.Filter is { } filter)
        {
            // when (old) -> when (e.Is<T>() && (old)): the old condition keeps its meaning whatever its operators.
            var old = filter.FilterExpression;
            var oldOperand = old is ParenthesizedExpressionSyntax
                ? old.WithoutTrivia()
                : SyntaxFactory.ParenthesizedExpression(old.WithoutTrivia());
            var combined = SyntaxFactory.BinaryExpression(
                SyntaxKind.LogicalAndExpression,
                isCall,
                SyntaxFactory.Token(SyntaxFactory.TriviaList(SyntaxFactory.Space), SyntaxKind.AmpersandAmpersandToken, SyntaxFactory.TriviaList(SyntaxFactory.Space)),
                oldOperand);
            return clause
                .WithDeclaration(newDeclaration)
                .WithFilter(filter.WithFilterExpression(combined.WithTriviaFrom(old)));
        }

        // The declaration's closing parenthesis carries the trivia before the block (a new line, a comment); the filter
        // now stands between them and takes it over.
        var closeParen = newDeclaration.CloseParenToken;
        var newFilter = SyntaxFactory.CatchFilterClause(
            SyntaxFactory.Token(SyntaxFactory.TriviaList(SyntaxFactory.Space), SyntaxKind.WhenKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space)),
            SyntaxFactory.Token(SyntaxKind.OpenParenToken).WithoutTrivia(),
            isCall,
            SyntaxFactory.Token(SyntaxFactory.TriviaList(), SyntaxKind.CloseParenToken, closeParen.TrailingTrivia));
        return clause
            .WithDeclaration(newDeclaration.WithCloseParenToken(closeParen.WithTrailingTrivia()))
            .WithFilter(newFilter);
    }
}
