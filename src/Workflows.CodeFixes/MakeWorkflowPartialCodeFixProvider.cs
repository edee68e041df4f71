using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Workflows.Generators.Diagnostics;

namespace Workflows.CodeFixes;

/// <summary>
/// WF0004: makes a workflow class partial, and every type it is nested in, so the generator can extend it.
/// Offered only when one of them lacks <c>partial</c>; a generic, static or abstract workflow needs a decision
/// this fix cannot make.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakeWorkflowPartialCodeFixProvider)), Shared]
public sealed class MakeWorkflowPartialCodeFixProvider : CodeFixProvider
{
    public const string EquivalenceKey = "WF0004.MakePartial";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.InvalidWorkflowClass.Id);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;

        foreach (var diagnostic in context.Diagnostics)
        {
            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            // The nearest type declaration: a workflow may be a record class, and a class found further out would be
            // the containing type, not the workflow.
            if (node.AncestorsAndSelf().OfType<TypeDeclarationSyntax>().FirstOrDefault() is not { } workflow) continue;
            var types = workflow.AncestorsAndSelf().OfType<TypeDeclarationSyntax>().Where(t => !IsPartial(t)).ToList();
            if (types.Count == 0) continue;

            var title = types.Count == 1 && types[0] == workflow
                ? $"Make '{workflow.Identifier.ValueText}' partial"
                : $"Make '{workflow.Identifier.ValueText}' and its containing types partial";
            context.RegisterCodeFix(
                CodeAction.Create(
                    title,
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNodes(types, (_, rewritten) => AddPartial(rewritten)))),
                    EquivalenceKey),
                diagnostic);
        }
    }

    private static bool IsPartial(TypeDeclarationSyntax type) => type.Modifiers.Any(SyntaxKind.PartialKeyword);

    /// <summary>
    /// Puts <c>partial</c> directly before the type keyword, where C# requires it. The keyword's leading trivia (the
    /// indentation, or a doc comment when there is no other modifier) moves to <c>partial</c>, so the layout stays.
    /// </summary>
    private static SyntaxNode AddPartial(SyntaxNode node)
    {
        var type = (TypeDeclarationSyntax)node;
        var keyword = type.Keyword;
        var partial = SyntaxFactory.Token(keyword.LeadingTrivia, SyntaxKind.PartialKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space));
        var modifiers = type.Modifiers.Add(partial);
        return type.WithKeyword(keyword.WithLeadingTrivia()).WithModifiers(modifiers);
    }
}
