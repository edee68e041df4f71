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
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;
using Workflows.Generators.Analyzers;
using Workflows.Generators.Diagnostics;

namespace Workflows.CodeFixes;

/// <summary>
/// WF0015: moves an I/O call out of workflow code into a new <c>[Step]</c> method of the workflow, placed after the
/// member that made the call: <c>var r = await _payments.ChargeAsync(order.Id, total);</c> becomes
/// <c>var r = await ChargeAsync(order.Id, total);</c> with
/// <c>[Step] private Task&lt;Receipt&gt; ChargeAsync(Guid orderId, decimal total) =&gt; _payments.ChargeAsync(orderId, total);</c>.
/// </summary>
/// <remarks>
/// Each argument becomes a parameter of the step (named after the variable passed, or else after the callee's
/// parameter), except literals, which stay in the step's body; a CancellationToken is passed through. A synchronous
/// call becomes a step returning <c>Task</c> (or <c>Task&lt;T&gt;</c>) that is awaited where the call stood. The step's
/// name is the method's (with "Async" added to a synchronous one), else prefixed with the receiver's name, else
/// numbered: never one a member, a local or another step's journal name already has. The analyzer decides whether the
/// move gives code that compiles with no new diagnostic (<see cref="WorkflowIoAnalyzer.MovableProperty"/>): only then
/// is the fix offered.
/// </remarks>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MoveIoIntoStepCodeFixProvider)), Shared]
public sealed class MoveIoIntoStepCodeFixProvider : CodeFixProvider
{
    /// <summary>One key for every move, so Fix All moves every movable WF0015 call of a document.</summary>
    public const string EquivalenceKey = "WF0015.MoveIntoStep";

    private const string StepAttributeName = "Workflows.StepAttribute";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.IoOutsideStep.Id);

    /// <summary>
    /// Not the batch fixer: two moves in one workflow would each pick the same free step name, and each inserts a
    /// member. This one moves a document's calls one after another, each seeing the steps the previous ones added.
    /// </summary>
    public override FixAllProvider GetFixAllProvider() => s_fixAll;

    private static readonly FixAllProvider s_fixAll = FixAllProvider.Create(async (context, document, diagnostics) =>
    {
        var root = await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return document;
        var targets = new List<(InvocationExpressionSyntax Call, SyntaxAnnotation Mark)>();
        foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
        {
            if (!diagnostic.Properties.ContainsKey(WorkflowIoAnalyzer.MovableProperty)) continue;
            if (Find(root, diagnostic) is { } call && !targets.Any(t => t.Call == call)) targets.Add((call, new SyntaxAnnotation()));
        }
        if (targets.Count == 0) return document;

        // Marked first, then moved one at a time: each move changes the tree, and finds its call again by its mark.
        var marks = targets.ToDictionary(t => (SyntaxNode)t.Call, t => t.Mark);
        document = document.WithSyntaxRoot(root.ReplaceNodes(marks.Keys, (original, rewritten) => rewritten.WithAdditionalAnnotations(marks[original])));
        foreach (var (_, mark) in targets)
        {
            var current = await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            if (current?.GetAnnotatedNodes(mark).OfType<InvocationExpressionSyntax>().FirstOrDefault() is not { } call) continue;
            if (await PlanAsync(document, call, context.CancellationToken).ConfigureAwait(false) is { } plan)
            {
                document = await MoveAsync(document, plan, context.CancellationToken).ConfigureAwait(false);
            }
        }
        return await ImportAdder.AddImportsAsync(document, Simplifier.AddImportsAnnotation, cancellationToken: context.CancellationToken).ConfigureAwait(false);
    });

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.ContainsKey(WorkflowIoAnalyzer.MovableProperty)) continue;
            if (Find(root, diagnostic) is not { } call) continue;
            if (await PlanAsync(context.Document, call, context.CancellationToken).ConfigureAwait(false) is not { } plan) continue;
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Move '{plan.Display}' into a new step '{plan.StepName}'",
                    async ct =>
                    {
                        var moved = await MoveAsync(context.Document, plan, ct).ConfigureAwait(false);
                        return await ImportAdder.AddImportsAsync(moved, Simplifier.AddImportsAnnotation, cancellationToken: ct).ConfigureAwait(false);
                    },
                    EquivalenceKey),
                diagnostic);
        }
    }

    /// <summary>The reported call: the analyzer reports the invocation itself.</summary>
    private static InvocationExpressionSyntax? Find(SyntaxNode root, Diagnostic diagnostic) =>
        root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) as InvocationExpressionSyntax;

    /// <summary>What one move writes: the call, the member it is in, the new step's name, and each argument's fate.</summary>
    private sealed class Plan
    {
        public Plan(InvocationExpressionSyntax call, MemberDeclarationSyntax member, string display, string stepName,
            IReadOnlyList<StepArgument> arguments, ITypeSymbol returnType, Result result)
        {
            Call = call;
            Member = member;
            Display = display;
            StepName = stepName;
            Arguments = arguments;
            ReturnType = returnType;
            Result = result;
        }

        public InvocationExpressionSyntax Call { get; }
        public MemberDeclarationSyntax Member { get; }
        public string Display { get; }
        public string StepName { get; }
        public IReadOnlyList<StepArgument> Arguments { get; }
        /// <summary>The callee's return type (for <see cref="Result.Awaitable"/>) or result type (for <see cref="Result.Value"/>).</summary>
        public ITypeSymbol ReturnType { get; }
        public Result Result { get; }
    }

    /// <summary>An argument of the call: kept as written in the step's body (a literal), or passed in as a new parameter.</summary>
    private sealed class StepArgument
    {
        public StepArgument(ArgumentSyntax argument, string? parameterName, ITypeSymbol? parameterType)
        {
            Argument = argument;
            ParameterName = parameterName;
            ParameterType = parameterType;
        }

        public ArgumentSyntax Argument { get; }
        public string? ParameterName { get; }
        public ITypeSymbol? ParameterType { get; }
    }

    private enum Result
    {
        /// <summary>Task, Task&lt;T&gt;, ValueTask or ValueTask&lt;T&gt;: the step returns the call's task.</summary>
        Awaitable,

        /// <summary>A synchronous call returning nothing: the step returns Task, awaited where the call stood.</summary>
        Void,

        /// <summary>A synchronous call returning a value: the step returns Task&lt;T&gt;, awaited where the call stood.</summary>
        Value,
    }

    private static async Task<Plan?> PlanAsync(Document document, InvocationExpressionSyntax call, CancellationToken cancellationToken)
    {
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (model is null || call.Expression is not MemberAccessExpressionSyntax access) return null;
        if (model.GetOperation(call, cancellationToken) is not IInvocationOperation invocation) return null;
        if (call.FirstAncestorOrSelf<MethodDeclarationSyntax>() is not { Parent: TypeDeclarationSyntax type } member) return null;
        if (model.GetDeclaredSymbol(type, cancellationToken) is not INamedTypeSymbol workflow) return null;
        if (model.Compilation.GetTypeByMetadataName(StepAttributeName) is null
            || model.Compilation.GetTypeByMetadataName("System.Threading.Tasks.Task`1") is null) return null;

        var method = invocation.TargetMethod;
        var result = method.ReturnsVoid ? Result.Void : IsStepAwaitable(method.ReturnType) ? Result.Awaitable : Result.Value;

        var arguments = new List<StepArgument>();
        var parameterNames = new HashSet<string>(System.StringComparer.Ordinal);
        foreach (var argument in call.ArgumentList.Arguments)
        {
            if (argument.Expression is LiteralExpressionSyntax)
            {
                arguments.Add(new StepArgument(argument, null, null));
                continue;
            }
            var parameter = invocation.Arguments.FirstOrDefault(a => a.Syntax == argument)?.Parameter;
            if (parameter is null || !argument.RefKindKeyword.IsKind(SyntaxKind.None)) return null;
            // A local or parameter passed keeps its name; anything else is named after the callee's parameter.
            var passed = argument.Expression is IdentifierNameSyntax identifier
                && model.GetSymbolInfo(identifier, cancellationToken).Symbol is ILocalSymbol or IParameterSymbol
                    ? identifier.Identifier.ValueText
                    : parameter.Name;
            var name = Unique(passed, parameterNames);
            arguments.Add(new StepArgument(argument, name, parameter.Type));
        }

        var stepName = FreeStepName(method, access.Expression, result, workflow, model, call.SpanStart);
        var display = ReceiverName(access.Expression) + "." + method.Name;
        return new Plan(call, member, display, stepName, arguments, method.ReturnType, result);
    }

    private static bool IsStepAwaitable(ITypeSymbol type) => type.OriginalDefinition.ToDisplayString() is
        "System.Threading.Tasks.Task" or "System.Threading.Tasks.Task<TResult>" or "System.Threading.Tasks.ValueTask" or "System.Threading.Tasks.ValueTask<TResult>";

    /// <summary>"_payments" → "_payments", "this.Audit" → "Audit": how the title and the name prefix call the receiver.</summary>
    private static string ReceiverName(ExpressionSyntax receiver) => receiver switch
    {
        MemberAccessExpressionSyntax access => access.Name.Identifier.ValueText,
        SimpleNameSyntax name => name.Identifier.ValueText,
        _ => receiver.ToString(),
    };

    /// <summary>
    /// The method's name ("Async" added to a synchronous one), else the receiver's name and it ("PaymentsChargeAsync"),
    /// else numbered ("ChargeAsync2"): the first that no member, local, type or step journal name in scope has.
    /// </summary>
    private static string FreeStepName(IMethodSymbol method, ExpressionSyntax receiver, Result result, INamedTypeSymbol workflow, SemanticModel model, int position)
    {
        var stem = result != Result.Awaitable && !method.Name.EndsWith("Async", System.StringComparison.Ordinal) ? method.Name + "Async" : method.Name;
        var prefix = ReceiverName(receiver).TrimStart('_');
        prefix = prefix.Length == 0 ? "" : char.ToUpperInvariant(prefix[0]) + prefix.Substring(1);

        var journalNames = new HashSet<string>(workflow.GetMembers().OfType<IMethodSymbol>().Select(StepName).OfType<string>(), System.StringComparer.Ordinal);
        bool IsFree(string name) =>
            !journalNames.Contains(name)
            && model.LookupSymbols(position, name: name).IsEmpty
            && model.LookupSymbols(position, workflow, name).IsEmpty
            && SyntaxFacts.GetKeywordKind(name) == SyntaxKind.None;

        if (IsFree(stem)) return stem;
        if (prefix.Length > 0 && prefix != method.ContainingType.Name && IsFree(prefix + stem)) return prefix + stem;
        for (var counter = 2; ; counter++)
        {
            var numbered = stem + counter.ToString(CultureInfo.InvariantCulture);
            if (IsFree(numbered)) return numbered;
        }
    }

    /// <summary>The journal name of a step (the attribute's argument, or the method name), or null when it is no step.</summary>
    private static string? StepName(IMethodSymbol method)
    {
        foreach (var attribute in method.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() != StepAttributeName) continue;
            return attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string name ? name : method.Name;
        }
        return null;
    }

    private static string Unique(string name, HashSet<string> taken)
    {
        var candidate = name;
        for (var counter = 2; !taken.Add(candidate); counter++) candidate = name + counter.ToString(CultureInfo.InvariantCulture);
        return candidate;
    }

    /// <summary>Replaces the call with a call of the new step and inserts the step after the member that made it.</summary>
    private static async Task<Document> MoveAsync(Document document, Plan plan, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var generator = editor.Generator;

        // The step's body: the call as written, each passed-in argument replaced by its parameter.
        var bodyArguments = plan.Arguments.Select(a => a.ParameterName is null
            ? a.Argument.WithoutTrivia()
            : a.Argument.WithExpression(SyntaxFactory.IdentifierName(Identifier(a.ParameterName))).WithoutTrivia());
        var moved = plan.Call
            .WithArgumentList(SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(bodyArguments)))
            .WithoutTrivia();
        var stepCall = SyntaxFactory.InvocationExpression(
            SyntaxFactory.IdentifierName(plan.StepName),
            SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(
                plan.Arguments.Where(a => a.ParameterName is not null).Select(a => SyntaxFactory.Argument(a.Argument.Expression.WithoutTrivia())))));

        var task = editor.SemanticModel.Compilation.GetTypeByMetadataName("System.Threading.Tasks.Task");
        var taskOfT = editor.SemanticModel.Compilation.GetTypeByMetadataName("System.Threading.Tasks.Task`1");
        TypeSyntax returnType;
        MethodDeclarationSyntax step;
        var parameters = SyntaxFactory.ParameterList(SyntaxFactory.SeparatedList(plan.Arguments
            .Where(a => a.ParameterName is not null)
            .Select(a => SyntaxFactory.Parameter(Identifier(a.ParameterName!)).WithType(TypeName(generator, a.ParameterType!)))));
        switch (plan.Result)
        {
            case Result.Awaitable:
                returnType = TypeName(generator, plan.ReturnType);
                step = Declare(returnType, plan, parameters).WithExpressionBody(SyntaxFactory.ArrowExpressionClause(moved))
                    .WithSemicolonToken(SyntaxFactory.Token(SyntaxKind.SemicolonToken));
                break;
            case Result.Void:
                returnType = TypeName(generator, task!);
                step = Declare(returnType, plan, parameters).WithBody(SyntaxFactory.Block(
                    SyntaxFactory.ExpressionStatement(moved),
                    SyntaxFactory.ReturnStatement((ExpressionSyntax)generator.MemberAccessExpression(TypeName(generator, task!), "CompletedTask"))));
                break;
            default:
                returnType = TypeName(generator, taskOfT!.Construct(plan.ReturnType));
                step = Declare(returnType, plan, parameters).WithExpressionBody(SyntaxFactory.ArrowExpressionClause(
                        (ExpressionSyntax)generator.InvocationExpression(generator.MemberAccessExpression(TypeName(generator, task!), "FromResult"), moved)))
                    .WithSemicolonToken(SyntaxFactory.Token(SyntaxKind.SemicolonToken));
                break;
        }

        ExpressionSyntax replacement = plan.Result == Result.Awaitable
            ? stepCall
            : SyntaxFactory.ParenthesizedExpression(SyntaxFactory.AwaitExpression(stepCall)).WithAdditionalAnnotations(Simplifier.Annotation);
        editor.ReplaceNode(plan.Call, replacement.WithTriviaFrom(plan.Call));
        // Into the member list directly (not InsertAfter, which hands the next member's leading blank line to the step).
        var index = ((TypeDeclarationSyntax)plan.Member.Parent!).Members.IndexOf(plan.Member);
        // A blank line before the step (the member before it ends its own line) and the step's line ended, so that the
        // next member keeps the blank line before it.
        var newLine = plan.Member.GetTrailingTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia)) is { RawKind: not 0 } found
            ? found
            : SyntaxFactory.ElasticCarriageReturnLineFeed;
        step = step.WithLeadingTrivia(newLine).WithTrailingTrivia(newLine).WithAdditionalAnnotations(Formatter.Annotation);
        editor.ReplaceNode(plan.Member.Parent!, (current, _) =>
        {
            var type = (TypeDeclarationSyntax)current;
            return type.WithMembers(type.Members.Insert(index + 1, step));
        });
        return editor.GetChangedDocument();
    }

    private static MethodDeclarationSyntax Declare(TypeSyntax returnType, Plan plan, ParameterListSyntax parameters)
    {
        var attribute = SyntaxFactory.Attribute((NameSyntax)SyntaxFactory.ParseName("global::Workflows.Step")
            .WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation));
        return SyntaxFactory.MethodDeclaration(returnType, SyntaxFactory.Identifier(plan.StepName))
            .WithAttributeLists(SyntaxFactory.SingletonList(SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(attribute))))
            .WithModifiers(SyntaxFactory.TokenList(SyntaxFactory.Token(SyntaxKind.PrivateKeyword)))
            .WithParameterList(parameters);
    }

    /// <summary>A fully qualified name, reduced by the code action's cleanup as far as it stays unambiguous, with its import added when needed.</summary>
    private static TypeSyntax TypeName(SyntaxGenerator generator, ITypeSymbol type) =>
        ((TypeSyntax)generator.TypeExpression(type)).WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation);

    /// <summary>A parameter's name as an identifier, written <c>@event</c> when it is a keyword.</summary>
    private static SyntaxToken Identifier(string name) =>
        SyntaxFacts.GetKeywordKind(name) == SyntaxKind.None
            ? SyntaxFactory.Identifier(name)
            : SyntaxFactory.Identifier(default, SyntaxKind.IdentifierToken, "@" + name, name, default);
}
