using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Workflows.Generators.Diagnostics;
using Workflows.Generators.Parsing;

namespace Workflows.Generators.Analyzers;

/// <summary>
/// WF0013: in workflow code, a <c>catch (T)</c> around a journaled step call where T is not the type a step's failure
/// arrives as. Every step failure reaches workflow code as <c>StepFailedException</c> (a replay cannot rebuild the
/// original exception object, and the first execution behaves like the replay), so such a clause never sees it; the
/// original type is asked with <c>StepFailedException.Is&lt;T&gt;()</c> in a filter.
/// </summary>
/// <remarks>
/// Workflow code and step calls are what <see cref="StepUsageAnalyzer"/> takes them to be: code of the workflow class
/// outside step bodies (lambdas and local functions belong to the member they are written in), and a call of one of the
/// class's own steps on <c>this</c>, the only calls the generator intercepts. Not reported: catches whose type a
/// <c>StepFailedException</c> is (<c>Exception</c>), <c>OperationCanceledException</c> and its derived types (a
/// cancelled run is a real one), and the engine's own exceptions (<c>NonDeterminismException</c>, ...), which are not a
/// step's failure.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class StepFailureCatchAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The metadata name of the one type a step's failure arrives as.</summary>
    public const string StepFailedExceptionName = "Workflows.StepFailedException";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.CatchMissesStepFailure);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (WorkflowAttributeSymbols.Resolve(start.Compilation) is not { } attributes) return;
            if (start.Compilation.GetTypeByMetadataName(StepFailedExceptionName) is not { } stepFailed) return;
            var analysis = new CatchAnalysis(attributes, stepFailed, start.Compilation.GetTypeByMetadataName("System.OperationCanceledException"));
            start.RegisterOperationAction(analysis.AnalyzeTry, OperationKind.Try);
        });
    }

    private sealed class CatchAnalysis
    {
        private readonly WorkflowAttributeSymbols _attributes;
        private readonly INamedTypeSymbol _stepFailed;
        private readonly INamedTypeSymbol? _cancelled;

        public CatchAnalysis(WorkflowAttributeSymbols attributes, INamedTypeSymbol stepFailed, INamedTypeSymbol? cancelled)
        {
            _attributes = attributes;
            _stepFailed = stepFailed;
            _cancelled = cancelled;
        }

        public void AnalyzeTry(OperationAnalysisContext context)
        {
            var tryOperation = (ITryOperation)context.Operation;
            if (tryOperation.Catches.IsEmpty || tryOperation.Body is null) return;

            // Workflow code: a member of a [Workflow] class that is not a step body.
            var caller = WorkflowAttributeSymbols.EnclosingMember(context.ContainingSymbol);
            if (caller?.ContainingType is not { } workflow || !_attributes.IsWorkflow(workflow)) return;
            if (caller is IMethodSymbol method && _attributes.IsStep(method)) return;

            List<string>? steps = null;
            foreach (var catchClause in tryOperation.Catches)
            {
                if (catchClause.Syntax is not CatchClauseSyntax { Declaration.Type: { } typeSyntax }) continue;
                if (!MissesStepFailure(catchClause.ExceptionType)) continue;
                steps ??= StepsCalledIn(tryOperation.Body, workflow);
                if (steps.Count == 0) return;
                var variable = catchClause.ExceptionDeclarationOrExpression is IVariableDeclaratorOperation { Symbol.Name: { Length: > 0 } declared }
                    ? declared
                    : "e";
                var typeName = catchClause.ExceptionType.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
                context.ReportDiagnostic(Diagnostic.Create(
                    DiagnosticDescriptors.CatchMissesStepFailure,
                    typeSyntax.GetLocation(),
                    typeName,
                    Describe(steps),
                    variable));
            }
        }

        /// <summary>
        /// Whether a clause catching <paramref name="type"/> can never see a step's failure: an exception type that a
        /// StepFailedException is not, and that is neither a cancellation nor one of the engine's own exceptions.
        /// </summary>
        private bool MissesStepFailure(ITypeSymbol? type)
        {
            if (type is not INamedTypeSymbol { TypeKind: TypeKind.Class } named) return false;
            if (WorkflowAttributeSymbols.IsOrDerivesFrom(_stepFailed, named)) return false;
            if (_cancelled is not null && WorkflowAttributeSymbols.IsOrDerivesFrom(named, _cancelled)) return false;
            if (SymbolEqualityComparer.Default.Equals(named.ContainingAssembly, _stepFailed.ContainingAssembly)) return false;
            // Only exception types can be caught; anything else is the compiler's error to report.
            return _stepFailed.BaseType is { } exception && WorkflowAttributeSymbols.IsOrDerivesFrom(named, exception);
        }

        /// <summary>
        /// The journal names of the workflow's steps called in <paramref name="body"/>, in source order, each once. A
        /// call inside a nested try whose own catch takes StepFailedException is left out: its failure is handled there
        /// (and whatever that handler throws may well be of the outer clause's type).
        /// </summary>
        private List<string> StepsCalledIn(IOperation body, INamedTypeSymbol workflow)
        {
            var calls = new List<(int Position, string Name)>();
            var pending = new Stack<IOperation>();
            pending.Push(body);
            while (pending.Count > 0)
            {
                var operation = pending.Pop();
                if (operation is ITryOperation nested && HandlesStepFailure(nested))
                {
                    if (nested.Finally is { } @finally) pending.Push(@finally);
                    foreach (var handler in nested.Catches) pending.Push(handler);
                    continue;
                }
                // A local function declared here runs only where it is called.
                if (operation is ILocalFunctionOperation) continue;
                if (operation is IInvocationOperation invocation && IsJournaledStepCall(invocation, workflow))
                {
                    calls.Add((invocation.Syntax.SpanStart, WorkflowSymbols.StepName(invocation.TargetMethod)));
                }
                foreach (var child in operation.ChildOperations) pending.Push(child);
            }
            calls.Sort((a, b) => a.Position.CompareTo(b.Position));
            var names = new List<string>();
            foreach (var (_, name) in calls)
            {
                if (!names.Contains(name)) names.Add(name);
            }
            return names;
        }

        /// <summary>A call the generator intercepts: one of the workflow's own steps, on <c>this</c> (WF0008 reports the others).</summary>
        private bool IsJournaledStepCall(IInvocationOperation invocation, INamedTypeSymbol workflow) =>
            _attributes.IsWorkflowStep(invocation.TargetMethod)
            && WorkflowAttributeSymbols.SameType(invocation.TargetMethod.ContainingType, workflow)
            && (WorkflowAttributeSymbols.IsThis(invocation.Instance) || invocation.Instance is IConditionalAccessInstanceOperation);

        /// <summary>Whether one of the try's clauses can catch a StepFailedException (<c>catch</c>, <c>catch (Exception)</c>, ...).</summary>
        private bool HandlesStepFailure(ITryOperation tryOperation)
        {
            foreach (var handler in tryOperation.Catches)
            {
                if (handler.ExceptionType is not INamedTypeSymbol type || WorkflowAttributeSymbols.IsOrDerivesFrom(_stepFailed, type)) return true;
            }
            return false;
        }

        /// <summary>"step 'credit'", "steps 'credit' and 'refund'", "steps 'a', 'b' and 'c'".</summary>
        private static string Describe(List<string> steps)
        {
            if (steps.Count == 1) return "step '" + steps[0] + "'";
            var quoted = new List<string>(steps.Count);
            foreach (var step in steps) quoted.Add("'" + step + "'");
            return "steps " + string.Join(", ", quoted.GetRange(0, quoted.Count - 1)) + " and " + quoted[quoted.Count - 1];
        }
    }
}
