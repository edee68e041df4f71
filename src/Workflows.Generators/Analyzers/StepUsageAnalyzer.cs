using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Workflows.Generators.Diagnostics;
using Workflows.Generators.Parsing;

namespace Workflows.Generators.Analyzers;

/// <summary>
/// How steps are used, where the generator's interception cannot see it:
/// WF0008, a step used where its call is not journaled (a delegate, reflection, a call from another class, on another
/// instance, or through an interface or virtual method); WF0009, a step or a recording <c>Workflow</c> API called inside
/// a step body; WF0012, a step body changing the workflow's state (a field, an auto-property, a captured primary
/// constructor parameter, what a workflow field or a parameter object holds), which replay would not restore. WF0009 and
/// WF0012 follow the calls a step body makes into any method with source (<see cref="StepBodyReach"/>). WF0014, <c>CurrentStep</c> members that need a running step used in workflow code between steps
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
            start.RegisterOperationAction(analysis.AnalyzeObjectCreation, OperationKind.ObjectCreation);
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
                "TryWaitForEventAsync", "SetEventAsync", "Random", "StartChildAsync", "RunChildAsync", "WhenAnyAsync", "Patched");

        private readonly WorkflowAttributeSymbols _attributes;
        private readonly INamedTypeSymbol? _workflowApi;
        private readonly INamedTypeSymbol? _systemType;
        private readonly INamedTypeSymbol? _reflectionExtensions;
        private readonly StepBodyReach _reach;
        private readonly System.Collections.Concurrent.ConcurrentDictionary<IMethodSymbol, StateBinding> _stepBindings = new(SymbolEqualityComparer.Default);

        public StepUsage(WorkflowAttributeSymbols attributes, Compilation compilation)
        {
            _attributes = attributes;
            _workflowApi = compilation.GetTypeByMetadataName("Workflows.Workflow");
            _systemType = compilation.GetTypeByMetadataName("System.Type");
            _reflectionExtensions = compilation.GetTypeByMetadataName("System.Reflection.RuntimeReflectionExtensions");
            _reach = new StepBodyReach(attributes, new SourceMethods(compilation), DurableOperation);
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
                    Report(context, DiagnosticDescriptors.DurableOperationInStep, invocation, DurableOperation(invocation)!, WorkflowSymbols.StepName(enclosingStep));
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

            if (DispatchedStep(invocation) is { } dispatched)
            {
                Report(context, DiagnosticDescriptors.StepNotRecordable, invocation, WorkflowSymbols.StepName(dispatched),
                    target.ContainingType.TypeKind == TypeKind.Interface
                        ? "called through the interface '" + target.ContainingType.Name + "'"
                        : "called through the virtual method '" + target.ContainingType.Name + "." + target.Name + "'");
                return;
            }

            if (enclosingStep is not null && IsRecordingWorkflowApi(target))
            {
                Report(context, DiagnosticDescriptors.DurableOperationInStep, invocation, DurableOperation(invocation)!, WorkflowSymbols.StepName(enclosingStep));
                return;
            }

            // _items.Add(x) in a step body changes workflow state as surely as an assignment does.
            if (enclosingStep is not null && ReportWrites(context, invocation, enclosingStep)) return;

            if (ReflectedStep(invocation) is { } reflected)
            {
                Report(context, DiagnosticDescriptors.StepNotRecordable, invocation, WorkflowSymbols.StepName(reflected), "looked up through reflection");
                return;
            }

            if (enclosingStep is not null) FollowCalls(context, invocation, enclosingStep);
        }

        public void AnalyzeMethodReference(OperationAnalysisContext context)
        {
            var reference = (IMethodReferenceOperation)context.Operation;
            if (WorkflowAttributeSymbols.IsInsideNameOf(reference)) return;
            var step = EnclosingStep(WorkflowAttributeSymbols.EnclosingMember(context.ContainingSymbol));
            if (_attributes.IsWorkflowStep(reference.Method))
            {
                Report(context, DiagnosticDescriptors.StepNotRecordable, reference, WorkflowSymbols.StepName(reference.Method), "used as a delegate");
            }
            else if (step is not null && DurableOperation(reference) is { } durable)
            {
                Report(context, DiagnosticDescriptors.DurableOperationInStep, reference, durable, WorkflowSymbols.StepName(step));
            }
            else if (step is not null)
            {
                FollowCalls(context, reference, step);
            }
        }

        public void AnalyzePropertyReference(OperationAnalysisContext context)
        {
            var reference = (IPropertyReferenceOperation)context.Operation;
            if (EnclosingStep(WorkflowAttributeSymbols.EnclosingMember(context.ContainingSymbol)) is not { } step) return;
            if (DurableOperation(reference) is { } durable)
            {
                Report(context, DiagnosticDescriptors.DurableOperationInStep, reference, durable, WorkflowSymbols.StepName(step));
            }
            else
            {
                FollowCalls(context, reference, step);
            }
        }

        public void AnalyzeObjectCreation(OperationAnalysisContext context)
        {
            if (EnclosingStep(WorkflowAttributeSymbols.EnclosingMember(context.ContainingSymbol)) is { } step) FollowCalls(context, context.Operation, step);
        }

        public void AnalyzeAssignment(OperationAnalysisContext context)
        {
            if (EnclosingStep(WorkflowAttributeSymbols.EnclosingMember(context.ContainingSymbol)) is { } step) ReportWrites(context, context.Operation, step);
        }

        public void AnalyzeArgument(OperationAnalysisContext context)
        {
            if (EnclosingStep(WorkflowAttributeSymbols.EnclosingMember(context.ContainingSymbol)) is { } step) ReportWrites(context, context.Operation, step);
        }

        /// <summary>
        /// "Step 'charge'" or "Workflow.UtcNow" when <paramref name="operation"/> is a durable operation (a step call, or a
        /// recording Workflow API read, called or taken as a delegate); null otherwise and inside <c>nameof</c>.
        /// </summary>
        private string? DurableOperation(IOperation operation)
        {
            var (member, isStepCall) = operation switch
            {
                IInvocationOperation invocation => ((ISymbol?)invocation.TargetMethod, _attributes.IsWorkflowStep(invocation.TargetMethod)),
                IMethodReferenceOperation reference => (reference.Method, false),
                IPropertyReferenceOperation property => (property.Property, false),
                _ => (null, false),
            };
            if (member is null || (!isStepCall && !IsRecordingWorkflowApi(member)) || WorkflowAttributeSymbols.IsInsideNameOf(operation)) return null;
            return isStepCall ? "Step '" + WorkflowSymbols.StepName((IMethodSymbol)member) + "'" : "Workflow." + member.Name;
        }

        /// <summary>Reports the workflow state <paramref name="operation"/>, in the body of <paramref name="step"/>, changes; true when it changes some.</summary>
        private bool ReportWrites(OperationAnalysisContext context, IOperation operation, IMethodSymbol step)
        {
            var binding = BindingOf(step);
            var any = false;
            foreach (var write in WorkflowStateWrites.WritesOf(operation, step, _attributes))
            {
                if (binding.Describe(write, through: null) is not { } state) continue;
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.StepMutatesWorkflowState, write.Location, WorkflowSymbols.StepName(step), state));
                any = true;
            }
            return any;
        }

        /// <summary>What a step's own roots are as workflow state, worked out once per step.</summary>
        private StateBinding BindingOf(IMethodSymbol step) =>
            _stepBindings.GetOrAdd(WorkflowAttributeSymbols.Definition(step), StateBinding.ForStep);

        /// <summary>WF0009 and WF0012 for what the methods <paramref name="operation"/> runs do, reported at <paramref name="operation"/>.</summary>
        private void FollowCalls(OperationAnalysisContext context, IOperation operation, IMethodSymbol step)
        {
            foreach (var (descriptor, text) in _reach.Follow(operation, step, BindingOf(step), context.CancellationToken))
            {
                Report(context, descriptor, operation, descriptor == DiagnosticDescriptors.DurableOperationInStep
                    ? new object[] { text, WorkflowSymbols.StepName(step) }
                    : new object[] { WorkflowSymbols.StepName(step), text });
            }
        }

        /// <summary>
        /// The step an interface or virtual call reaches, which the generator cannot intercept: the implementation in the
        /// receiver's type, when the code shows it (<c>((IPayments)this).ChargeAsync()</c>, <c>IPayments p = this;</c>).
        /// </summary>
        private IMethodSymbol? DispatchedStep(IInvocationOperation invocation) =>
            invocation.IsVirtual && SourceMethods.Dispatched(invocation.TargetMethod, invocation.Instance, throughLocals: true) is { } implementation
            && _attributes.IsWorkflowStep(implementation)
                ? implementation
                : null;

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
