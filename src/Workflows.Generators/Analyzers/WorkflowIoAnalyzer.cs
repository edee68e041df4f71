using System.Collections.Concurrent;
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
/// WF0015: I/O called in workflow code outside a step. Workflow code runs again on every replay, so a payment charged
/// or a row written there is charged or written again each time. Reported: a call of a method of an injected service
/// (a constructor parameter of the workflow, or a field or property set from one), and a call of an I/O type's method
/// (<see cref="IoApis.Table"/>: streams, HTTP, database connections and commands, ...) wherever its instance comes from.
/// </summary>
/// <remarks>
/// Workflow code is what <see cref="DeterminismAnalyzer"/> calls it: the [WorkflowRun] method and the workflow's own
/// non-step methods it reaches (lambdas and local functions included), and the constructors and member initializers
/// that every replay runs again. Per workflow class, each method's operation block records its candidate calls and the
/// class's own methods it calls, and every assignment of a constructor parameter to a member; at the end of the class
/// the members that hold services are known, and a breadth-first walk from the run method decides what is reached.
/// A call that WF0007's table matches is left to WF0007, so no call is reported twice.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed partial class WorkflowIoAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The diagnostic property the code fix reads: present when the call can be moved into a new step as it stands.</summary>
    public const string MovableProperty = "MovableIntoStep";

    private const string ServiceDescription = "an injected service";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.IoOutsideStep);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (WorkflowAttributeSymbols.Resolve(start.Compilation) is not { } attributes) return;
            var tables = new Tables(NonDeterministicApis.Resolve(start.Compilation), IoApis.Resolve(start.Compilation));
            start.RegisterSymbolStartAction(symbolStart => StartWorkflow(symbolStart, attributes, tables), SymbolKind.NamedType);
        });
    }

    /// <summary>The two API tables of one compilation.</summary>
    private sealed class Tables(NonDeterministicApis nonDeterministic, IoApis io)
    {
        public NonDeterministicApis NonDeterministic { get; } = nonDeterministic;

        public IoApis Io { get; } = io;
    }

    private static void StartWorkflow(SymbolStartAnalysisContext context, WorkflowAttributeSymbols attributes, Tables tables)
    {
        if (context.Symbol is not INamedTypeSymbol workflow || !attributes.IsWorkflow(workflow)) return;
        var facts = new WorkflowFacts();

        // Member initializers run with every construction of the workflow, as the constructor does: their calls are
        // kept with the constructor's.
        var constructor = workflow.InstanceConstructors.Length > 0 ? WorkflowAttributeSymbols.Definition(workflow.InstanceConstructors[0]) : null;
        context.RegisterOperationBlockStartAction(block =>
        {
            IMethodSymbol? owner = block.OwningSymbol switch
            {
                IMethodSymbol method when WorkflowAttributeSymbols.SameType(method.ContainingType, workflow) && !attributes.IsStep(method)
                    => WorkflowAttributeSymbols.Definition(method),
                IFieldSymbol or IPropertySymbol when WorkflowAttributeSymbols.SameType(block.OwningSymbol.ContainingType, workflow) => constructor,
                _ => null,
            };
            if (owner is null) return;
            var ownerFacts = facts.Method(owner);
            block.RegisterOperationAction(
                operation => Collect(operation.Operation, workflow, attributes, tables, facts, ownerFacts),
                OperationKind.Invocation,
                OperationKind.MethodReference,
                OperationKind.PropertyReference,
                OperationKind.SimpleAssignment,
                OperationKind.FieldInitializer,
                OperationKind.PropertyInitializer);
        });

        context.RegisterSymbolEndAction(end => Report(end, workflow, attributes, facts));
    }

    private static void Collect(IOperation operation, INamedTypeSymbol workflow, WorkflowAttributeSymbols attributes, Tables tables,
        WorkflowFacts facts, MethodFacts method)
    {
        switch (operation)
        {
            case IInvocationOperation invocation:
                if (AddCallee(invocation.TargetMethod, workflow, attributes, method)) return;
                CollectCall(operation, invocation.TargetMethod, invocation.Instance, invocation.Arguments, workflow, tables, method);
                return;
            case IMethodReferenceOperation reference:
                if (AddCallee(reference.Method, workflow, attributes, method)) return;
                CollectCall(operation, reference.Method, reference.Instance, ImmutableArray<IArgumentOperation>.Empty, workflow, tables, method);
                return;
            case IPropertyReferenceOperation property when WorkflowAttributeSymbols.SameType(property.Property.ContainingType, workflow):
                // A property of the workflow runs its accessor: followed like a method (reading a service's property is not I/O).
                AddCallee(property.Parent is ISimpleAssignmentOperation simple && simple.Target == property
                    ? property.Property.SetMethod
                    : property.Property.GetMethod, workflow, attributes, method);
                return;
            case ISimpleAssignmentOperation assignment:
                if (ServiceParameter(assignment.Value, workflow) is not null && AssignedMember(assignment.Target) is { } member) facts.AddServiceMember(member);
                return;
            case IFieldInitializerOperation fieldInitializer when ServiceParameter(fieldInitializer.Value, workflow) is not null:
                foreach (var field in fieldInitializer.InitializedFields) facts.AddServiceMember(field);
                return;
            case IPropertyInitializerOperation propertyInitializer when ServiceParameter(propertyInitializer.Value, workflow) is not null:
                foreach (var property in propertyInitializer.InitializedProperties) facts.AddServiceMember(property);
                return;
        }
    }

    /// <summary>Records a call of one of the workflow's own methods; true when <paramref name="method"/> is one (steps included, which are not followed).</summary>
    private static bool AddCallee(IMethodSymbol? method, INamedTypeSymbol workflow, WorkflowAttributeSymbols attributes, MethodFacts facts)
    {
        if (method is null || !WorkflowAttributeSymbols.SameType(method.ContainingType, workflow)) return false;
        // Local functions and lambdas are part of the block that declares them, and already collected with it.
        if (method.MethodKind is MethodKind.LocalFunction or MethodKind.AnonymousFunction) return false;
        if (!attributes.IsStep(method)) facts.AddCallee(WorkflowAttributeSymbols.Definition(method));
        return true;
    }

    /// <summary>Records a call (or a method group) when it is I/O on an I/O type, or when its receiver may be an injected service.</summary>
    private static void CollectCall(IOperation operation, IMethodSymbol method, IOperation? instance, ImmutableArray<IArgumentOperation> arguments,
        INamedTypeSymbol workflow, Tables tables, MethodFacts facts)
    {
        if (WorkflowAttributeSymbols.IsInsideNameOf(operation) || IoApis.IsObjectMember(method)) return;
        // WF0007 reports what its table matches (HttpClient.GetAsync, File.*, FileStream): not reported twice.
        if (tables.NonDeterministic.MatchMember(method) is not null) return;

        var receiver = Receiver(method, instance, arguments);
        var receiverType = receiver?.Type ?? (method.IsStatic && !method.IsExtensionMethod ? method.ContainingType : null);
        // An I/O type's row decides for its calls, whether its instance was injected or not.
        if (tables.Io.RowOf(receiverType) is { } row)
        {
            if (IoApis.IsIo(row, method))
            {
                facts.AddCall(new CandidateCall(operation, Display(receiver, receiverType, method), row.Description, serviceMember: null));
            }
            return;
        }

        if (receiver is null || !IoApis.CanBeService(receiver.Type) || tables.Io.IsExemptService(receiver.Type!)) return;
        // A factory that returns an I/O object (IHttpClientFactory.CreateClient, a connection factory) does no I/O itself:
        // the calls on what it returns are reported.
        if (!method.ReturnsVoid && WorkflowSymbols.ShapeOf(method.ReturnType) is null && tables.Io.RowOf(method.ReturnType) is not null) return;

        if (ServiceParameter(receiver, workflow) is not null)
        {
            facts.AddCall(new CandidateCall(operation, Display(receiver, receiverType, method), ServiceDescription, serviceMember: null));
        }
        else if (ThisMember(receiver) is { } member)
        {
            // Whether the member holds a service is known once the whole class has been seen.
            facts.AddCall(new CandidateCall(operation, Display(receiver, receiverType, method), ServiceDescription, member));
        }
    }

    /// <summary>What the call acts on: its instance, or for an extension method its first argument; null for a static call.</summary>
    private static IOperation? Receiver(IMethodSymbol method, IOperation? instance, ImmutableArray<IArgumentOperation> arguments)
    {
        if (instance is not null) return Unwrap(instance);
        if (!method.IsExtensionMethod) return null;
        foreach (var argument in arguments)
        {
            if (argument.Parameter?.Ordinal == 0) return Unwrap(argument.Value);
        }
        return null;
    }

    /// <summary>A constructor parameter of the workflow that <paramref name="value"/> is (through conversions and <c>?? throw</c>), or null.</summary>
    private static IParameterSymbol? ServiceParameter(IOperation? value, INamedTypeSymbol workflow) =>
        Unwrap(value) is IParameterReferenceOperation { Parameter: var parameter }
        && parameter.ContainingSymbol is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor
        && WorkflowAttributeSymbols.SameType(constructor.ContainingType, workflow)
            ? parameter
            : null;

    /// <summary>The field or property of <c>this</c> that <paramref name="operation"/> reads, or null.</summary>
    private static ISymbol? ThisMember(IOperation operation) => operation switch
    {
        IFieldReferenceOperation field when WorkflowAttributeSymbols.IsThis(field.Instance) => field.Field.OriginalDefinition,
        IPropertyReferenceOperation { Arguments.Length: 0 } property when WorkflowAttributeSymbols.IsThis(property.Instance) => property.Property.OriginalDefinition,
        _ => null,
    };

    /// <summary>The member of <c>this</c> an assignment writes, or null.</summary>
    private static ISymbol? AssignedMember(IOperation target) => ThisMember(target) switch
    {
        IFieldSymbol { AssociatedSymbol: IPropertySymbol property } => property,
        var member => member,
    };

    private static IOperation? Unwrap(IOperation? operation)
    {
        while (true)
        {
            switch (operation)
            {
                case IConversionOperation conversion:
                    operation = conversion.Operand;
                    break;
                case IParenthesizedOperation parenthesized:
                    operation = parenthesized.Operand;
                    break;
                case ICoalesceOperation coalesce when Unwrap(coalesce.WhenNull) is IThrowOperation:
                    operation = coalesce.Value;
                    break;
                default:
                    return operation;
            }
        }
    }

    /// <summary>
    /// "_payments.ChargeAsync": the receiver as written when it is a name or a chain of names (this. left out), else
    /// its type's name; a static call is named by its type.
    /// </summary>
    private static string Display(IOperation? receiver, ITypeSymbol? receiverType, IMethodSymbol method)
    {
        var name = receiver switch
        {
            IParameterReferenceOperation parameter => parameter.Parameter.Name,
            IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field => field.Field.AssociatedSymbol?.Name ?? field.Field.Name,
            IPropertyReferenceOperation { Instance: null or IInstanceReferenceOperation, Arguments.Length: 0 } property => property.Property.Name,
            ILocalReferenceOperation local => local.Local.Name,
            not null when IsNameChain(receiver.Syntax) => receiver.Syntax.ToString(),
            _ => receiverType?.Name ?? method.ContainingType.Name,
        };
        return name + "." + method.Name;
    }

    private static bool IsNameChain(SyntaxNode syntax) => syntax switch
    {
        IdentifierNameSyntax => true,
        MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax } => true,
        MemberAccessExpressionSyntax access => access.Name is IdentifierNameSyntax && IsNameChain(access.Expression),
        _ => false,
    };

    private static void Report(SymbolAnalysisContext context, INamedTypeSymbol workflow, WorkflowAttributeSymbols attributes, WorkflowFacts facts)
    {
        // From every run method (a workflow has one; WF0006 reports more) and constructor, by the one walk the analyzers
        // share (CallChain): each method is reached once, by a shortest chain, however the calls loop.
        var roots = new List<(IMethodSymbol, bool)>();
        foreach (var member in workflow.GetMembers())
        {
            if (member is IMethodSymbol method
                && ((attributes.IsRun(method) && !attributes.IsStep(method)) || method.MethodKind == MethodKind.Constructor))
            {
                roots.Add((WorkflowAttributeSymbols.Definition(method), true));
            }
        }

        var serviceMembers = facts.ServiceMembers();
        var movability = new StepMovability(workflow);
        var reported = new HashSet<Location>();
        CallChain.Walk(roots, (chain, state) =>
        {
            var next = new List<(IMethodSymbol, Location, bool)>();
            if (!facts.TryGetMethod(chain.Method, out var methodFacts)) return next;
            var (calls, callees) = methodFacts.Snapshot();
            foreach (var call in calls)
            {
                if (call.ServiceMember is { } member && !serviceMembers.Contains(member)) continue;
                var location = call.Operation.Syntax.GetLocation();
                if (!reported.Add(location)) continue;
                var properties = ImmutableDictionary<string, string?>.Empty;
                if (call.Operation is IInvocationOperation invocation && movability.CanMove(invocation, chain.Method))
                {
                    properties = properties.Add(MovableProperty, "true");
                }
                context.ReportDiagnostic(Diagnostic.Create(
                    DiagnosticDescriptors.IoOutsideStep,
                    location,
                    properties,
                    call.Display,
                    call.Description,
                    chain.Caller is null ? "" : " (reached through " + chain.Names(workflow) + ")"));
            }
            foreach (var callee in callees)
            {
                next.Add((callee, callee.Locations.Length > 0 ? callee.Locations[0] : Location.None, state));
            }
            return next;
        }, context.CancellationToken);
    }

    /// <summary>A call that may be reported: its operation, how the message names it, and the member that must hold a service for it to count.</summary>
    private sealed class CandidateCall(IOperation operation, string display, string description, ISymbol? serviceMember)
    {
        public IOperation Operation { get; } = operation;

        public string Display { get; } = display;

        public string Description { get; } = description;

        /// <summary>The field or property the call's receiver is, when it is an injected service only if the class assigns one to it.</summary>
        public ISymbol? ServiceMember { get; } = serviceMember;
    }

    /// <summary>What one workflow class holds: each method's facts, and the members assigned from constructor parameters.</summary>
    private sealed class WorkflowFacts
    {
        private readonly ConcurrentDictionary<IMethodSymbol, MethodFacts> _methods = new(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<ISymbol, bool> _serviceMembers = new(SymbolEqualityComparer.Default);

        public MethodFacts Method(IMethodSymbol method) => _methods.GetOrAdd(method, static _ => new MethodFacts());

        public bool TryGetMethod(IMethodSymbol method, out MethodFacts facts) => _methods.TryGetValue(method, out facts!);

        public void AddServiceMember(ISymbol member) => _serviceMembers.TryAdd(member.OriginalDefinition, true);

        public HashSet<ISymbol> ServiceMembers() => new(_serviceMembers.Keys, SymbolEqualityComparer.Default);
    }

    /// <summary>What one method's body does that matters here; written by its operation actions, read at the end of the class.</summary>
    private sealed class MethodFacts
    {
        private readonly List<CandidateCall> _calls = new();
        private readonly List<IMethodSymbol> _callees = new();
        private readonly HashSet<IMethodSymbol> _knownCallees = new(SymbolEqualityComparer.Default);

        public void AddCall(CandidateCall call)
        {
            lock (_calls) _calls.Add(call);
        }

        public void AddCallee(IMethodSymbol callee)
        {
            lock (_calls)
            {
                if (_knownCallees.Add(callee)) _callees.Add(callee);
            }
        }

        public (List<CandidateCall> Calls, List<IMethodSymbol> Callees) Snapshot()
        {
            lock (_calls)
            {
                var calls = new List<CandidateCall>(_calls);
                // Operation actions may run in any order: sort so that reports and chains do not depend on it.
                calls.Sort((a, b) => a.Operation.Syntax.SpanStart.CompareTo(b.Operation.Syntax.SpanStart));
                var callees = new List<IMethodSymbol>(_callees);
                callees.Sort((a, b) => FirstPosition(a).CompareTo(FirstPosition(b)));
                return (calls, callees);
            }
        }

        private static int FirstPosition(IMethodSymbol method) =>
            method.Locations.Length > 0 ? method.Locations[0].SourceSpan.Start : int.MaxValue;
    }
}
