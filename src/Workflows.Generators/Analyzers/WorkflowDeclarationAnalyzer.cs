using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Workflows.Generators.Parsing;
using static Workflows.Generators.Diagnostics.DiagnosticDescriptors;

namespace Workflows.Generators.Analyzers;

/// <summary>
/// Checks how workflows, run methods and steps are declared: everything the generator needs to extend a class and
/// journal its steps (WF0001 to WF0006, WF0010, WF0011). What the generator silently leaves out of its model, this
/// analyzer reports, reading the same <see cref="WorkflowSymbols"/> and <see cref="SerializableTypes"/> rules.
/// </summary>
/// <remarks>
/// A [Workflow] class is analyzed as one symbol, so its partial declarations are seen together; its members are
/// visited in source order (file path, then position) so that "the second" of two duplicates is always the same one.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed partial class WorkflowDeclarationAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DuplicateStepName,
        StepResultNotSerializable,
        ValueNotSerializable,
        InvalidWorkflowClass,
        InvalidStepSignature,
        InvalidRunMethod,
        InvalidName,
        DuplicateWorkflowName);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (WorkflowAttributeSymbols.Resolve(start.Compilation) is not { } attributes) return;

            var workflowNames = new ConcurrentBag<DeclaredWorkflowName>();
            start.RegisterSymbolAction(symbol => AnalyzeWorkflow(symbol, attributes, workflowNames), SymbolKind.NamedType);
            start.RegisterSymbolAction(symbol => AnalyzeMethodOutsideWorkflow(symbol, attributes), SymbolKind.Method);
            start.RegisterSyntaxNodeAction(node => AnalyzeFunction(node, attributes),
                SyntaxKind.LocalFunctionStatement, SyntaxKind.ParenthesizedLambdaExpression);
            start.RegisterOperationAction(operation => AnalyzeEventCall(operation, attributes), OperationKind.Invocation);
            start.RegisterOperationAction(operation => AnalyzeReturn(operation, attributes), OperationKind.Return);
            start.RegisterCompilationEndAction(end => ReportDuplicateWorkflowNames(end, workflowNames));
        });
    }

    /// <summary>What one workflow's checks share: where to report, and the workflow's serializability model.</summary>
    private sealed class Scope(Action<Diagnostic> report, SerializableTypes types, CancellationToken cancellationToken)
    {
        public CancellationToken CancellationToken { get; } = cancellationToken;

        public void Report(DiagnosticDescriptor descriptor, Location location, params object[] arguments) =>
            report(Diagnostic.Create(descriptor, location, arguments));

        /// <summary>
        /// Why a journaled value of <paramref name="type"/> cannot round-trip, or null. A type written with a name the
        /// compiler could not resolve (half-typed code) is the compiler's error to report, not ours.
        /// </summary>
        public string? ValueProblem(ITypeSymbol type) => IsUnresolved(type) ? null : types.Check(type);

        private static bool IsUnresolved(ITypeSymbol type) => type switch
        {
            { TypeKind: TypeKind.Error } => true,
            IArrayTypeSymbol array => IsUnresolved(array.ElementType),
            INamedTypeSymbol named => named.TypeArguments.Any(IsUnresolved),
            _ => false,
        };
    }

    /// <summary>A workflow's journal name and where it is declared, for WF0011 once every class has been seen.</summary>
    private sealed record DeclaredWorkflowName(string Name, string ClassName, Location Location);

    private static void AnalyzeWorkflow(SymbolAnalysisContext context, WorkflowAttributeSymbols attributes, ConcurrentBag<DeclaredWorkflowName> workflowNames)
    {
        if (context.Symbol is not INamedTypeSymbol type || WorkflowOf(attributes, type) is not { } attribute) return;
        var cancellationToken = context.CancellationToken;
        var scope = new Scope(context.ReportDiagnostic, new SerializableTypes(SerializableTypes.JsonContextOf(type)), cancellationToken);
        var identifier = WorkflowDeclarationSyntax.TypeIdentifier(type, attribute, cancellationToken);

        // WF0004: exactly the classes the generator will not extend (WorkflowSymbols.CanBeExtended is this list being empty).
        var problems = WorkflowSymbols.ExtensionProblems(type);
        if (problems.Count > 0)
        {
            scope.Report(InvalidWorkflowClass, identifier, type.Name, JoinPhrases(problems) + "; the generator cannot extend it with its step wrappers, registration and interceptors");
        }

        if (CheckName(scope, "Workflow", attribute, type))
        {
            workflowNames.Add(new DeclaredWorkflowName(WorkflowSymbols.WorkflowName(type, attribute), type.ToDisplayString(), identifier));
        }

        var runs = new List<IMethodSymbol>();
        var steps = new List<(IMethodSymbol Method, AttributeData Attribute)>();
        foreach (var member in type.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (member is not IMethodSymbol method) continue;
            if (RunOf(attributes, method) is not null)
            {
                runs.Add(method);
                // The generator takes a method marked both ways as the run method and ignores [Step].
                if (StepOf(attributes, method) is not null)
                {
                    scope.Report(InvalidStepSignature, WorkflowDeclarationSyntax.Identifier(method), method.Name,
                        "it is also the [WorkflowRun] method, which is not journaled as a step; remove one of the attributes");
                }
            }
            else if (StepOf(attributes, method) is { } step)
            {
                steps.Add((method, step));
            }
        }
        runs.Sort((x, y) => WorkflowDeclarationSyntax.SourceOrder.Compare(WorkflowDeclarationSyntax.Identifier(x), WorkflowDeclarationSyntax.Identifier(y)));
        steps.Sort((x, y) => WorkflowDeclarationSyntax.SourceOrder.Compare(WorkflowDeclarationSyntax.Identifier(x.Method), WorkflowDeclarationSyntax.Identifier(y.Method)));

        AnalyzeRunMethods(scope, type, identifier, runs);
        AnalyzeSteps(scope, type, steps);
    }

    /// <summary>[Step] and [WorkflowRun] on a method of a class that is not a workflow: the generator never sees them.</summary>
    private static void AnalyzeMethodOutsideWorkflow(SymbolAnalysisContext context, WorkflowAttributeSymbols attributes)
    {
        // Every method of the compilation comes here: its own attributes first, its type's only for the few marked ones.
        if (context.Symbol is not IMethodSymbol method) return;
        var isRun = RunOf(attributes, method) is not null;
        var step = isRun ? null : StepOf(attributes, method);
        if ((!isRun && step is null) || method.ContainingType is not { } owner || WorkflowOf(attributes, owner) is not null) return;

        var scope = new Scope(context.ReportDiagnostic, new SerializableTypes(), context.CancellationToken);
        if (isRun)
        {
            scope.Report(InvalidRunMethod, WorkflowDeclarationSyntax.Identifier(method), owner.Name,
                $"is not marked [Workflow], so its [WorkflowRun] method '{method.Name}' is never started");
        }
        else if (step is not null)
        {
            AnalyzeStep(scope, method, step, $"it is declared in '{owner.Name}', which is not a [Workflow] class; only a workflow's own steps are journaled");
        }
    }

    /// <summary>[Step] and [WorkflowRun] on a local function or lambda, which are not members the generator can wrap.</summary>
    private static void AnalyzeFunction(SyntaxNodeAnalysisContext context, WorkflowAttributeSymbols attributes)
    {
        var cancellationToken = context.CancellationToken;
        var (symbol, location, kind) = context.Node switch
        {
            LocalFunctionStatementSyntax { AttributeLists.Count: > 0 } local =>
                (context.SemanticModel.GetDeclaredSymbol(local, cancellationToken), local.Identifier.GetLocation(), "local function"),
            ParenthesizedLambdaExpressionSyntax { AttributeLists.Count: > 0 } lambda =>
                (context.SemanticModel.GetSymbolInfo(lambda, cancellationToken).Symbol, lambda.ParameterList.GetLocation(), "lambda"),
            _ => (null, Location.None, ""),
        };
        if (symbol is not IMethodSymbol function) return;

        if (RunOf(attributes, function) is not null)
        {
            context.ReportDiagnostic(Diagnostic.Create(InvalidRunMethod, location, function.ContainingType?.Name ?? "?",
                $"has a [WorkflowRun] {kind}; the run method must be a method of the workflow class"));
        }
        if (StepOf(attributes, function) is { } step)
        {
            var name = WorkflowSymbols.ExplicitName(step) ?? (function.MethodKind == MethodKind.LocalFunction ? function.Name : kind);
            context.ReportDiagnostic(Diagnostic.Create(InvalidStepSignature, location, name,
                $"it is a {kind}, not a method of the workflow class; only methods are journaled as steps"));
        }
    }

    /// <summary>
    /// WF0003 for the payload or published-value type of a <c>Workflow.WaitForEventAsync&lt;T&gt;</c>,
    /// <c>TryWaitForEventAsync&lt;T&gt;</c> or <c>SetEventAsync&lt;T&gt;</c> call without a codec in a [Workflow] class's
    /// own code: the generator emits and registers T's codec, so T must round-trip like a step type. Reported at the
    /// type argument when it is written, else at the call.
    /// </summary>
    private static void AnalyzeEventCall(OperationAnalysisContext context, WorkflowAttributeSymbols attributes)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (WorkflowSymbols.EventTypeOf(invocation.TargetMethod) is not { } type) return;
        if (WorkflowAttributeSymbols.EnclosingMember(context.ContainingSymbol)?.ContainingType is not { } workflow
            || WorkflowOf(attributes, workflow) is null)
        {
            return;
        }
        var scope = new Scope(context.ReportDiagnostic, new SerializableTypes(SerializableTypes.JsonContextOf(workflow)), context.CancellationToken);
        if (scope.ValueProblem(type) is not { } problem) return;

        var method = invocation.TargetMethod;
        var label = Argument(invocation, method.Name == "SetEventAsync" ? "key" : "name")?.ConstantValue is { HasValue: true, Value: string name }
            ? (method.Name == "SetEventAsync" ? $"The value published under '{name}'" : $"The payload of event '{name}'")
            : (method.Name == "SetEventAsync" ? "The value published by Workflow.SetEventAsync" : $"The event payload of Workflow.{method.Name}");
        var location = invocation.Syntax is InvocationExpressionSyntax { Expression: var callee }
            && (callee is MemberAccessExpressionSyntax { Name: GenericNameSyntax generic } ? generic : callee as GenericNameSyntax) is { TypeArgumentList.Arguments.Count: 1 } written
                ? written.TypeArgumentList.Arguments[0].GetLocation()
                : invocation.Syntax.GetLocation();
        scope.Report(ValueNotSerializable, location, label, problem);
    }

    private static IOperation? Argument(IInvocationOperation invocation, string parameterName)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Name == parameterName) return argument.Value;
        }
        return null;
    }

    /// <summary>WF0011, once every workflow of the compilation is known: the first in source order keeps its name.</summary>
    private static void ReportDuplicateWorkflowNames(CompilationAnalysisContext context, ConcurrentBag<DeclaredWorkflowName> workflowNames)
    {
        var first = new Dictionary<string, DeclaredWorkflowName>(StringComparer.Ordinal);
        foreach (var declared in workflowNames
            .OrderBy(d => d.Location, WorkflowDeclarationSyntax.SourceOrder)
            .ThenBy(d => d.ClassName, StringComparer.Ordinal))
        {
            if (first.TryGetValue(declared.Name, out var earlier))
            {
                context.ReportDiagnostic(Diagnostic.Create(DuplicateWorkflowName, declared.Location, declared.Name, declared.ClassName, earlier.ClassName));
            }
            else
            {
                first.Add(declared.Name, declared);
            }
        }
    }

    /// <summary>
    /// WF0010 for an explicit name the journal cannot store, at the name argument. Returns whether the name is usable
    /// (a defaulted name is an identifier, always valid), so that duplicate checks skip names already reported.
    /// </summary>
    private static bool CheckName(Scope scope, string kind, AttributeData attribute, ISymbol owner)
    {
        if (WorkflowSymbols.ExplicitName(attribute) is not { } name || WorkflowSymbols.NameProblem(name) is not { } problem) return true;
        var location = WorkflowDeclarationSyntax.NameArgument(attribute, scope.CancellationToken) ?? WorkflowDeclarationSyntax.Identifier(owner);
        scope.Report(InvalidName, location, kind, Printable(name), problem);
        return false;
    }

    /// <summary>A name as it can be shown in a one-line message: control characters escaped.</summary>
    private static string Printable(string name)
    {
        var text = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            text.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => "\\u" + ((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }
        return text.ToString();
    }

    // The attribute itself, not just whether it is there: names and their locations come from it.
    private static AttributeData? WorkflowOf(WorkflowAttributeSymbols attributes, INamedTypeSymbol type) => WorkflowSymbols.FindAttribute(type, attributes.Workflow);

    private static AttributeData? RunOf(WorkflowAttributeSymbols attributes, IMethodSymbol method) => WorkflowSymbols.FindAttribute(method, attributes.Run);

    private static AttributeData? StepOf(WorkflowAttributeSymbols attributes, IMethodSymbol method) => WorkflowSymbols.FindAttribute(method, attributes.Step);

    /// <summary>"a", "a and b", "a, b and c".</summary>
    private static string JoinPhrases(IReadOnlyList<string> phrases) =>
        phrases.Count == 1 ? phrases[0] : string.Join(", ", phrases.Take(phrases.Count - 1)) + " and " + phrases[phrases.Count - 1];
}
