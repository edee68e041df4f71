using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Workflows.Generators.Parsing;
using static Workflows.Generators.Diagnostics.DiagnosticDescriptors;

namespace Workflows.Generators.Analyzers;

/// <summary>
/// What a step or run method returns, against what it declares (WF0002, WF0003): a subtype of a concrete, unsealed
/// result class comes back from the journal as the base class (<see cref="SerializableTypes.SubtypeLoss"/>).
/// </summary>
/// <remarks>
/// Seen where the code shows it: the expression of a <c>return</c> statement or expression body of the method itself
/// (not of its lambdas or local functions), through conditional and switch expressions, upcasts, and in a method that
/// is not async, <c>Task.FromResult</c>, <c>ValueTask.FromResult</c> and <c>new ValueTask&lt;T&gt;(...)</c>. A subtype
/// held in a variable of the base type is not followed.
/// </remarks>
public sealed partial class WorkflowDeclarationAnalyzer
{
    private static void AnalyzeReturn(OperationAnalysisContext context, WorkflowAttributeSymbols attributes)
    {
        var operation = (IReturnOperation)context.Operation;
        if (operation.ReturnedValue is not { } returned) return;
        if (context.ContainingSymbol is not IMethodSymbol { MethodKind: MethodKind.Ordinary, IsGenericMethod: false } method) return;
        for (var parent = operation.Parent; parent is not null; parent = parent.Parent)
        {
            if (parent is IAnonymousFunctionOperation or ILocalFunctionOperation) return; // its own return type, not the method's
        }
        if (method.ContainingType is not { } workflow || WorkflowOf(attributes, workflow) is null) return;
        var isRun = RunOf(attributes, method) is not null;
        var step = isRun ? null : StepOf(attributes, method);
        if (!isRun && step is null) return;
        if (WorkflowSymbols.ShapeOf(method.ReturnType) is not { } shape || WorkflowSymbols.ResultOf(method.ReturnType, shape) is not { } declared) return;

        var types = new SerializableTypes(SerializableTypes.JsonContextOf(workflow));
        var value = method.IsAsync ? returned : AwaitableArgument(returned);
        if (value is null) return;
        foreach (var leaf in Leaves(value))
        {
            if (leaf.Type is not { } actual || types.SubtypeLoss(declared, actual) is not { } loss) continue;
            var location = leaf.Syntax.GetLocation();
            if (isRun)
            {
                context.ReportDiagnostic(Diagnostic.Create(ValueNotSerializable, location, $"The result of run method '{method.Name}'", loss));
            }
            else
            {
                var name = WorkflowSymbols.StepName(method, step);
                var label = WorkflowSymbols.NameProblem(name) is null ? name : method.Name;
                context.ReportDiagnostic(Diagnostic.Create(StepResultNotSerializable, location, label, loss));
            }
        }
    }

    /// <summary>
    /// In a method that is not async, the value inside the awaitable it returns: the argument of <c>Task.FromResult</c>,
    /// <c>ValueTask.FromResult</c> or <c>new ValueTask&lt;T&gt;(value)</c>; null for any other expression.
    /// </summary>
    private static IOperation? AwaitableArgument(IOperation returned)
    {
        switch (WithoutUpcasts(returned))
        {
            case IInvocationOperation { TargetMethod: { Name: "FromResult", ContainingType: var owner }, Arguments.Length: 1 } call
                when owner?.ToDisplayString() is "System.Threading.Tasks.Task" or "System.Threading.Tasks.ValueTask":
                return call.Arguments[0].Value;
            case IObjectCreationOperation { Constructor: { } constructor, Arguments.Length: 1 } creation
                when constructor.ContainingType.OriginalDefinition.ToDisplayString() == "System.Threading.Tasks.ValueTask<TResult>"
                    && constructor.OriginalDefinition.Parameters[0].Type is ITypeParameterSymbol: // ValueTask<T>(T result), not (Task<T>)
                return creation.Arguments[0].Value;
            default:
                return null;
        }
    }

    /// <summary>The expressions that give the value: both sides of a conditional, every arm of a switch expression.</summary>
    private static IEnumerable<IOperation> Leaves(IOperation value)
    {
        var pending = new Stack<IOperation>();
        pending.Push(value);
        while (pending.Count > 0)
        {
            var current = WithoutUpcasts(pending.Pop());
            switch (current)
            {
                case IConditionalOperation { WhenFalse: { } whenFalse } conditional:
                    pending.Push(whenFalse);
                    pending.Push(conditional.WhenTrue);
                    break;
                case ISwitchExpressionOperation switchExpression:
                    for (var i = switchExpression.Arms.Length - 1; i >= 0; i--) pending.Push(switchExpression.Arms[i].Value);
                    break;
                default:
                    yield return current;
                    break;
            }
        }
    }

    /// <summary>Strips conversions that keep the object as it is (identity and reference upcasts, written or implied).</summary>
    private static IOperation WithoutUpcasts(IOperation operation)
    {
        while (operation is IConversionOperation { Operand: var operand } conversion
            && (conversion.Conversion.IsIdentity || (conversion.Conversion.IsImplicit && conversion.Conversion.IsReference)))
        {
            operation = operand;
        }
        return operation;
    }
}
