using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Workflows.Generators.Diagnostics;
using Workflows.Generators.Parsing;

namespace Workflows.Generators.Analyzers;

/// <summary>
/// How steps are used, where the generator's interception cannot see it:
/// WF0008, a step used where its call is not journaled (a delegate, reflection, a call from another class or on
/// another instance); WF0009, a step or a recording <c>Workflow</c> API called inside a step body; WF0012, a step body
/// assigning the workflow's state (a field, an auto-property, a captured primary constructor parameter), which replay
/// would not restore; WF0014, <c>CurrentStep</c> members that need a running step used in workflow code between steps
/// (the run method, or a helper the run method calls directly), where they throw.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class StepUsageAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.StepNotRecordable,
        DiagnosticDescriptors.DurableOperationInStep,
        DiagnosticDescriptors.StepMutatesWorkflowState,
        DiagnosticDescriptors.CurrentStepOutsideStep);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (WorkflowAttributeSymbols.Resolve(start.Compilation) is not { } attributes) return;
            var analysis = new StepUsage(attributes, start.Compilation);
            start.RegisterOperationAction(analysis.AnalyzeInvocation, OperationKind.Invocation);
            start.RegisterOperationAction(analysis.AnalyzeMethodReference, OperationKind.MethodReference);
            start.RegisterOperationAction(analysis.AnalyzePropertyReference, OperationKind.PropertyReference);
            start.RegisterOperationAction(
                analysis.AnalyzeAssignment,
                OperationKind.SimpleAssignment,
                OperationKind.CompoundAssignment,
                OperationKind.CoalesceAssignment,
                OperationKind.Increment,
                OperationKind.Decrement,
                OperationKind.DeconstructionAssignment);
            start.RegisterOperationAction(analysis.AnalyzeArgument, OperationKind.Argument);
            if (start.Compilation.GetTypeByMetadataName("Workflows.CurrentStep") is { } currentStep)
            {
                start.RegisterSymbolStartAction(symbolStart => CurrentStepUse.Start(symbolStart, attributes, currentStep), SymbolKind.NamedType);
            }
        });
    }

    /// <summary>The symbols of one compilation, resolved once, and the checks that use them.</summary>
    private sealed class StepUsage
    {
        /// <summary>The <c>Workflow</c> members that write to the journal; the rest (RunId, IsReplaying, ...) only read the context.</summary>
        private static readonly ImmutableHashSet<string> s_recordingMembers =
            ImmutableHashSet.Create(System.StringComparer.Ordinal, "UtcNow", "Now", "NewGuid", "SleepAsync", "WaitForEventAsync",
                "TryWaitForEventAsync", "SetEventAsync", "Random", "StartChildAsync", "RunChildAsync", "WhenAnyAsync");

        private readonly WorkflowAttributeSymbols _attributes;
        private readonly INamedTypeSymbol? _workflowApi;
        private readonly INamedTypeSymbol? _systemType;
        private readonly INamedTypeSymbol? _reflectionExtensions;

        public StepUsage(WorkflowAttributeSymbols attributes, Compilation compilation)
        {
            _attributes = attributes;
            _workflowApi = compilation.GetTypeByMetadataName("Workflows.Workflow");
            _systemType = compilation.GetTypeByMetadataName("System.Type");
            _reflectionExtensions = compilation.GetTypeByMetadataName("System.Reflection.RuntimeReflectionExtensions");
        }

        public void AnalyzeInvocation(OperationAnalysisContext context)
        {
            var invocation = (IInvocationOperation)context.Operation;
            var target = invocation.TargetMethod;
            var caller = WorkflowAttributeSymbols.EnclosingMember(context.ContainingSymbol);
            var enclosingStep = EnclosingStep(caller);

            if (_attributes.IsWorkflowStep(target))
            {
                if (enclosingStep is not null)
                {
                    Report(context, DiagnosticDescriptors.DurableOperationInStep, invocation,
                        "Step '" + WorkflowSymbols.StepName(target) + "'", WorkflowSymbols.StepName(enclosingStep));
                }
                else if (!WorkflowAttributeSymbols.SameType(caller?.ContainingType, target.ContainingType))
                {
                    Report(context, DiagnosticDescriptors.StepNotRecordable, invocation,
                        WorkflowSymbols.StepName(target), "called from outside its workflow class '" + target.ContainingType.Name + "'");
                }
                else if (!WorkflowAttributeSymbols.IsThis(invocation.Instance) && invocation.Instance is not IConditionalAccessInstanceOperation)
                {
                    Report(context, DiagnosticDescriptors.StepNotRecordable, invocation,
                        WorkflowSymbols.StepName(target), "called on an instance other than 'this'");
                }
                return;
            }

            if (enclosingStep is not null && IsRecordingWorkflowApi(target))
            {
                Report(context, DiagnosticDescriptors.DurableOperationInStep, invocation, "Workflow." + target.Name, WorkflowSymbols.StepName(enclosingStep));
                return;
            }

            // _items.Add(x) in a step body changes workflow state as surely as an assignment does.
            if (enclosingStep is not null && invocation.Instance is { } holder && IsCollectionMutator(target)
                && StateWritten(holder, enclosingStep.ContainingType) is { } state)
            {
                Report(context, DiagnosticDescriptors.StepMutatesWorkflowState, invocation, WorkflowSymbols.StepName(enclosingStep),
                    "the contents of " + state + " (" + target.Name + ")");
                return;
            }

            if (ReflectedStep(invocation) is { } reflected)
            {
                Report(context, DiagnosticDescriptors.StepNotRecordable, invocation, WorkflowSymbols.StepName(reflected), "looked up through reflection");
            }
        }

        public void AnalyzeMethodReference(OperationAnalysisContext context)
        {
            var reference = (IMethodReferenceOperation)context.Operation;
            if (WorkflowAttributeSymbols.IsInsideNameOf(reference)) return;
            if (_attributes.IsWorkflowStep(reference.Method))
            {
                Report(context, DiagnosticDescriptors.StepNotRecordable, reference, WorkflowSymbols.StepName(reference.Method), "used as a delegate");
            }
            else if (IsRecordingWorkflowApi(reference.Method) && EnclosingStep(WorkflowAttributeSymbols.EnclosingMember(context.ContainingSymbol)) is { } step)
            {
                Report(context, DiagnosticDescriptors.DurableOperationInStep, reference, "Workflow." + reference.Method.Name, WorkflowSymbols.StepName(step));
            }
        }

        public void AnalyzePropertyReference(OperationAnalysisContext context)
        {
            var reference = (IPropertyReferenceOperation)context.Operation;
            if (!IsRecordingWorkflowApi(reference.Property) || WorkflowAttributeSymbols.IsInsideNameOf(reference)) return;
            if (EnclosingStep(WorkflowAttributeSymbols.EnclosingMember(context.ContainingSymbol)) is { } step)
            {
                Report(context, DiagnosticDescriptors.DurableOperationInStep, reference, "Workflow." + reference.Property.Name, WorkflowSymbols.StepName(step));
            }
        }

        public void AnalyzeAssignment(OperationAnalysisContext context)
        {
            var target = context.Operation switch
            {
                IAssignmentOperation assignment => assignment.Target,
                IIncrementOrDecrementOperation increment => increment.Target,
                _ => null,
            };
            if (target is not null) CheckStateWrite(context, target);
        }

        public void AnalyzeArgument(OperationAnalysisContext context)
        {
            var argument = (IArgumentOperation)context.Operation;
            if (argument.Parameter?.RefKind is RefKind.Ref or RefKind.Out) CheckStateWrite(context, argument.Value);
        }

        private void CheckStateWrite(OperationAnalysisContext context, IOperation target)
        {
            if (EnclosingStep(WorkflowAttributeSymbols.EnclosingMember(context.ContainingSymbol)) is not { } step) return;
            if (target is ITupleOperation tuple)
            {
                // (total, count) = ...: each element is written.
                foreach (var element in tuple.Elements) CheckStateWrite(context, element);
                return;
            }
            if (StateWritten(target, step.ContainingType) is { } state)
            {
                Report(context, DiagnosticDescriptors.StepMutatesWorkflowState, target, WorkflowSymbols.StepName(step), state);
            }
        }

        /// <summary>"field 'total'" when <paramref name="target"/> is workflow state that replay would not restore.</summary>
        private static string? StateWritten(IOperation target, INamedTypeSymbol workflow)
        {
            switch (target)
            {
                case IFieldReferenceOperation field when WorkflowAttributeSymbols.IsOrDerivesFrom(workflow, field.Field.ContainingType)
                    && (field.Field.IsStatic || WorkflowAttributeSymbols.IsThis(field.Instance)):
                    return field.Field.AssociatedSymbol is IPropertySymbol backed
                        ? "property '" + backed.Name + "'"
                        : "field '" + field.Field.Name + "'";
                case IPropertyReferenceOperation property when WorkflowAttributeSymbols.IsOrDerivesFrom(workflow, property.Property.ContainingType)
                    && (property.Property.IsStatic || WorkflowAttributeSymbols.IsThis(property.Instance))
                    && IsAutoProperty(property.Property):
                    return "property '" + property.Property.Name + "'";
                case IParameterReferenceOperation parameter
                    when parameter.Parameter.ContainingSymbol is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor
                    && WorkflowAttributeSymbols.SameType(constructor.ContainingType, workflow):
                    // A step is not the constructor, so a constructor parameter it can name is a captured primary one.
                    return "primary constructor parameter '" + parameter.Parameter.Name + "'";
                case IMemberReferenceOperation { Instance: { Type.IsValueType: true } instance }:
                    // point.X = 1 writes into the struct held by 'point'.
                    return StateWritten(instance, workflow);
                case IPropertyReferenceOperation { Property.IsIndexer: true, Instance: { } collection }
                    when StateWritten(collection, workflow) is { } holder:
                    // _totals[key] = 1 writes into the collection held by '_totals'.
                    return "the contents of " + holder;
                default:
                    return null;
            }
        }

        private static readonly ImmutableHashSet<string> s_collectionMutators = ImmutableHashSet.Create(
            "Add", "AddRange", "Insert", "InsertRange", "Remove", "RemoveAt", "RemoveAll", "RemoveRange", "RemoveWhere", "Clear",
            "Push", "Pop", "Enqueue", "Dequeue", "TryAdd", "TryRemove", "TryPop", "TryDequeue", "TryUpdate", "AddOrUpdate",
            "GetOrAdd", "Sort", "Reverse", "UnionWith", "IntersectWith", "ExceptWith", "SymmetricExceptWith");

        /// <summary>A method that changes the collection it is called on (List.Add, Dictionary.Remove, Queue.Enqueue, ...).</summary>
        private static bool IsCollectionMutator(IMethodSymbol method) =>
            !method.IsStatic
            && s_collectionMutators.Contains(method.Name)
            && method.ContainingType is { } type
            && (type.SpecialType == SpecialType.System_Collections_IEnumerable
                || type.AllInterfaces.Any(i => i.SpecialType == SpecialType.System_Collections_IEnumerable));

        /// <summary>A property whose value lives in a compiler-made backing field (auto-properties and <c>field</c> properties).</summary>
        private static bool IsAutoProperty(IPropertySymbol property)
        {
            foreach (var member in property.ContainingType.GetMembers())
            {
                if (member is IFieldSymbol { IsImplicitlyDeclared: true } field
                    && SymbolEqualityComparer.Default.Equals(field.AssociatedSymbol, property.OriginalDefinition))
                {
                    return true;
                }
            }
            return false;
        }

        /// <summary>The workflow step whose body holds the code, or null outside step bodies.</summary>
        private IMethodSymbol? EnclosingStep(ISymbol? member) =>
            member is IMethodSymbol method && _attributes.IsWorkflowStep(method) ? method : null;

        private bool IsRecordingWorkflowApi(ISymbol? member) =>
            member is not null && _workflowApi is not null
            && SymbolEqualityComparer.Default.Equals(member.ContainingType, _workflowApi)
            && s_recordingMembers.Contains(member.Name);

        /// <summary>
        /// The step that <c>typeof(W).GetMethod("Name")</c> (or GetMember, or GetRuntimeMethod, or on <c>x.GetType()</c>)
        /// looks up by a constant name, <c>nameof</c> included; null for anything else.
        /// </summary>
        private IMethodSymbol? ReflectedStep(IInvocationOperation invocation)
        {
            var target = invocation.TargetMethod;
            IOperation? typeExpression;
            if (target.Name is "GetMethod" or "GetMember" && _systemType is not null
                && WorkflowAttributeSymbols.IsOrDerivesFrom(target.ContainingType, _systemType))
            {
                typeExpression = invocation.Instance;
            }
            else if (target.Name == "GetRuntimeMethod" && _reflectionExtensions is not null
                && WorkflowAttributeSymbols.SameType(target.ContainingType, _reflectionExtensions))
            {
                typeExpression = Argument(invocation, "type");
            }
            else
            {
                return null;
            }

            if (Argument(invocation, "name")?.ConstantValue is not { HasValue: true, Value: string name }) return null;
            if (ReflectedType(typeExpression) is not { } type || !_attributes.IsWorkflow(type)) return null;
            foreach (var member in type.GetMembers(name))
            {
                if (member is IMethodSymbol method && _attributes.IsStep(method)) return method;
            }
            return null;
        }

        private static IOperation? Argument(IInvocationOperation invocation, string parameterName)
        {
            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter?.Name == parameterName) return argument.Value;
            }
            return null;
        }

        /// <summary>The type a <c>Type</c>-valued expression stands for, when it is known at compile time.</summary>
        private static INamedTypeSymbol? ReflectedType(IOperation? expression)
        {
            while (expression is IConversionOperation conversion) expression = conversion.Operand;
            return expression switch
            {
                ITypeOfOperation typeOf => typeOf.TypeOperand as INamedTypeSymbol,
                IInvocationOperation { TargetMethod: { Name: "GetType", Parameters.Length: 0 }, Instance: { } instance } =>
                    WithoutConversions(instance).Type as INamedTypeSymbol,
                _ => null,
            };
        }

        private static IOperation WithoutConversions(IOperation operation)
        {
            while (operation is IConversionOperation conversion) operation = conversion.Operand;
            return operation;
        }

        private static void Report(OperationAnalysisContext context, DiagnosticDescriptor descriptor, IOperation at, params object[] arguments) =>
            context.ReportDiagnostic(Diagnostic.Create(descriptor, at.Syntax.GetLocation(), arguments));
    }

    /// <summary>
    /// WF0014 for one [Workflow] class: the uses of <c>CurrentStep</c> members that need a running step, in the run method
    /// (its lambdas and local functions included) or in a method of the class that the run method calls directly and that
    /// is not a step. Reported once the class's code has been seen, since a helper may be written before the run method.
    /// </summary>
    private sealed class CurrentStepUse
    {
        /// <summary>The members that throw without a running step; <c>IsRunning</c> is the one that does not.</summary>
        private static readonly ImmutableHashSet<string> s_stepOnlyMembers =
            ImmutableHashSet.Create(System.StringComparer.Ordinal, "ReportUsage", "Debug", "Skip", "Attempt", "IdempotencyKey", "Name");

        private readonly WorkflowAttributeSymbols _attributes;
        private readonly INamedTypeSymbol _workflow;
        private readonly INamedTypeSymbol _currentStep;
        private readonly System.Collections.Concurrent.ConcurrentDictionary<IMethodSymbol, IMethodSymbol> _calledByRun = new(SymbolEqualityComparer.Default);
        private readonly System.Collections.Concurrent.ConcurrentQueue<(IOperation Use, string Member, IMethodSymbol Method)> _uses = new();

        private CurrentStepUse(WorkflowAttributeSymbols attributes, INamedTypeSymbol workflow, INamedTypeSymbol currentStep)
        {
            _attributes = attributes;
            _workflow = workflow;
            _currentStep = currentStep;
        }

        public static void Start(SymbolStartAnalysisContext context, WorkflowAttributeSymbols attributes, INamedTypeSymbol currentStep)
        {
            if (context.Symbol is not INamedTypeSymbol type || !attributes.IsWorkflow(type)) return;
            var analysis = new CurrentStepUse(attributes, type, currentStep);
            context.RegisterOperationAction(analysis.AnalyzeInvocation, OperationKind.Invocation);
            context.RegisterOperationAction(analysis.AnalyzePropertyReference, OperationKind.PropertyReference);
            context.RegisterSymbolEndAction(analysis.Report);
        }

        private void AnalyzeInvocation(OperationAnalysisContext context)
        {
            var invocation = (IInvocationOperation)context.Operation;
            if (MemberOfThisType(context.ContainingSymbol) is not { } caller) return;
            var target = invocation.TargetMethod;
            if (IsStepOnly(target))
            {
                _uses.Enqueue((invocation, target.Name, caller));
            }
            else if (_attributes.IsRun(caller)
                && target.MethodKind == MethodKind.Ordinary
                && WorkflowAttributeSymbols.SameType(target.ContainingType, _workflow)
                && !_attributes.IsStep(target)
                && !_attributes.IsRun(target))
            {
                var helper = WorkflowAttributeSymbols.Definition(target);
                _calledByRun.TryAdd(helper, caller);
                // A partial method's calls bind to its definition; its body (and so its uses) belongs to the implementation.
                if (helper.PartialImplementationPart is { } implementation) _calledByRun.TryAdd(implementation, caller);
            }
        }

        private void AnalyzePropertyReference(OperationAnalysisContext context)
        {
            var reference = (IPropertyReferenceOperation)context.Operation;
            if (!IsStepOnly(reference.Property) || WorkflowAttributeSymbols.IsInsideNameOf(reference)) return;
            if (MemberOfThisType(context.ContainingSymbol) is { } member) _uses.Enqueue((reference, reference.Property.Name, member));
        }

        private void Report(SymbolAnalysisContext context)
        {
            foreach (var (use, member, method) in _uses)
            {
                string where;
                if (_attributes.IsRun(method))
                {
                    where = "the run method '" + method.Name + "'";
                }
                else if (!_attributes.IsStep(method) && _calledByRun.TryGetValue(method, out var run))
                {
                    where = "'" + method.Name + "', which the run method '" + run.Name + "' calls";
                }
                else
                {
                    continue;
                }
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.CurrentStepOutsideStep, use.Syntax.GetLocation(), member, where));
            }
        }

        /// <summary>The method of this workflow class whose body holds the code (lambdas and local functions belong to it), or null.</summary>
        private IMethodSymbol? MemberOfThisType(ISymbol? symbol) =>
            WorkflowAttributeSymbols.EnclosingMember(symbol) is IMethodSymbol { MethodKind: MethodKind.Ordinary } method
            && WorkflowAttributeSymbols.SameType(method.ContainingType, _workflow)
                ? method
                : null;

        private bool IsStepOnly(ISymbol member) =>
            WorkflowAttributeSymbols.SameType(member.ContainingType, _currentStep) && s_stepOnlyMembers.Contains(member.Name);
    }
}
