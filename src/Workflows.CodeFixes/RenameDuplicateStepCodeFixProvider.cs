using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Workflows.Generators.Diagnostics;

namespace Workflows.CodeFixes;

/// <summary>
/// WF0001: gives the reported step a journal name no other step of its workflow uses, by setting the
/// <c>[Step]</c> attribute's name argument to "&lt;name&gt;-2" (or -3, … when that is taken). The method keeps its
/// name; only the journal name changes, and the duplicate could never have been recorded, so no run is affected.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RenameDuplicateStepCodeFixProvider)), Shared]
public sealed class RenameDuplicateStepCodeFixProvider : CodeFixProvider
{
    public const string EquivalenceKey = "WF0001.RenameStep";

    private const string StepAttributeName = "Workflows.StepAttribute";

    /// <summary>The longest name WF0010 accepts; a suffixed name is kept within it.</summary>
    private const int MaxNameLength = 100;

    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.DuplicateStepName.Id);

    /// <summary>
    /// Not the batch fixer: each new name changes which names are free, so fixes computed independently would give
    /// two duplicates the same new name. <see cref="UniqueStepNameFixAllProvider"/> names them one after another.
    /// </summary>
    public override FixAllProvider GetFixAllProvider() => UniqueStepNameFixAllProvider.Instance;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            var renames = await PlanAsync(context.Document.Project.Solution, new[] { diagnostic }, context.CancellationToken).ConfigureAwait(false);
            if (renames.Count == 0) continue;
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Name the step '{renames[0].NewName}'",
                    _ => Task.FromResult(Apply(context.Document.Project.Solution, renames)),
                    EquivalenceKey),
                diagnostic);
        }
    }

    /// <summary>One planned rename: the [Step] attribute to change and the name it gets.</summary>
    internal sealed class StepRename
    {
        public StepRename(DocumentId document, AttributeSyntax attribute, string newName)
        {
            Document = document;
            Attribute = attribute;
            NewName = newName;
        }

        public DocumentId Document { get; }
        public AttributeSyntax Attribute { get; }
        public string NewName { get; }
    }

    /// <summary>
    /// A new name for the step at each diagnostic, in source order, each unique among its workflow's step names and
    /// the names given before it. Diagnostics whose location is not on a step are skipped.
    /// </summary>
    internal static async Task<IReadOnlyList<StepRename>> PlanAsync(Solution solution, IEnumerable<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var renames = new List<StepRename>();
        var takenByWorkflow = new Dictionary<INamedTypeSymbol, HashSet<string>>(SymbolEqualityComparer.Default);
        var ordered = diagnostics
            .Where(d => d.Location.IsInSource)
            .OrderBy(d => d.Location.SourceTree!.FilePath, System.StringComparer.Ordinal)
            .ThenBy(d => d.Location.SourceSpan.Start);
        foreach (var diagnostic in ordered)
        {
            if (solution.GetDocument(diagnostic.Location.SourceTree) is not { } document) continue;
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (root is null || model is null) continue;

            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            if (node.AncestorsAndSelf().OfType<MethodDeclarationSyntax>().FirstOrDefault() is not { } declaration) continue;
            if (model.GetDeclaredSymbol(declaration, cancellationToken) is not { } method) continue;
            if (FindStepAttribute(declaration, model, cancellationToken) is not { } attribute) continue;
            if (renames.Any(r => r.Attribute == attribute)) continue;

            if (!takenByWorkflow.TryGetValue(method.ContainingType, out var taken))
            {
                // Every step of the workflow, across its partial declarations; the reported step's own name is among
                // them, which is right: another step keeps it.
                taken = new HashSet<string>(
                    method.ContainingType.GetMembers().OfType<IMethodSymbol>().Select(StepName).OfType<string>(),
                    System.StringComparer.Ordinal);
                takenByWorkflow.Add(method.ContainingType, taken);
            }
            var unique = UniqueName(StepName(method) ?? method.Name, taken);
            taken.Add(unique);
            renames.Add(new StepRename(document.Id, attribute, unique));
        }
        return renames;
    }

    /// <summary>The solution with every planned rename applied.</summary>
    internal static Solution Apply(Solution solution, IReadOnlyList<StepRename> renames)
    {
        foreach (var group in renames.GroupBy(r => r.Document))
        {
            var root = group.First().Attribute.SyntaxTree.GetRoot();
            var names = group.ToDictionary(r => r.Attribute, r => r.NewName);
            solution = solution.WithDocumentSyntaxRoot(group.Key, root.ReplaceNodes(names.Keys, (original, _) => WithName(original, names[original])));
        }
        return solution;
    }

    /// <summary>The journal name of a step (the attribute's argument, or the method name), or null when it is no step.</summary>
    private static string? StepName(IMethodSymbol method)
    {
        foreach (var attribute in method.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() != StepAttributeName) continue;
            return attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string name
                ? name
                : method.Name;
        }
        return null;
    }

    private static AttributeSyntax? FindStepAttribute(MethodDeclarationSyntax declaration, SemanticModel model, CancellationToken cancellationToken)
    {
        foreach (var attribute in declaration.AttributeLists.SelectMany(list => list.Attributes))
        {
            if (model.GetSymbolInfo(attribute, cancellationToken).Symbol is IMethodSymbol constructor
                && constructor.ContainingType.ToDisplayString() == StepAttributeName)
            {
                return attribute;
            }
        }
        return null;
    }

    /// <summary>"name-2", "name-3", … : the first that is free, shortened at the end if needed to stay a valid name.</summary>
    internal static string UniqueName(string name, ISet<string> taken)
    {
        for (var counter = 2; ; counter++)
        {
            var suffix = "-" + counter.ToString(CultureInfo.InvariantCulture);
            var stem = name.Length + suffix.Length > MaxNameLength ? name.Substring(0, MaxNameLength - suffix.Length) : name;
            var candidate = stem + suffix;
            if (!taken.Contains(candidate)) return candidate;
        }
    }

    /// <summary>
    /// Sets the name argument: replaces the first positional argument (the name) when there is one, and otherwise
    /// inserts it before the named properties: <c>[Step]</c> → <c>[Step("x-2")]</c>, <c>[Step(MaxAttempts = 3)]</c> →
    /// <c>[Step("x-2", MaxAttempts = 3)]</c>.
    /// </summary>
    private static AttributeSyntax WithName(AttributeSyntax attribute, string name)
    {
        var literal = SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(name));
        var arguments = attribute.ArgumentList?.Arguments ?? default;
        var positional = arguments.FirstOrDefault(a => a.NameEquals is null);
        if (positional is not null)
        {
            return attribute.ReplaceNode(positional, positional.WithExpression(literal.WithTriviaFrom(positional.Expression)));
        }

        var argument = SyntaxFactory.AttributeArgument(literal);
        if (attribute.ArgumentList is null)
        {
            // The argument list goes between the name and whatever trivia followed it.
            return attribute
                .WithName(attribute.Name.WithoutTrailingTrivia())
                .WithArgumentList(SyntaxFactory.AttributeArgumentList(SyntaxFactory.SingletonSeparatedList(argument))
                    .WithTrailingTrivia(attribute.Name.GetTrailingTrivia()));
        }

        var separator = SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(SyntaxFactory.Space);
        var withName = SyntaxFactory.SeparatedList(
            new[] { argument }.Concat(arguments),
            new[] { separator }.Concat(arguments.GetSeparators()));
        return attribute.WithArgumentList(attribute.ArgumentList.WithArguments(withName));
    }
}
