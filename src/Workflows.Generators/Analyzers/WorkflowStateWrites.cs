using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Workflows.Generators.Analyzers;

/// <summary>Where the storage an expression names lives, seen from the method whose code holds it.</summary>
internal enum StateRoot
{
    /// <summary>The instance the method runs on (<c>this</c>, its fields and properties, captured primary constructor parameters).</summary>
    This,

    /// <summary>A parameter of the method (the object it refers to).</summary>
    Parameter,

    /// <summary>A static field or auto-property of a workflow class.</summary>
    Static,
}

/// <summary>
/// An expression that names state reached from one of a method's roots: <c>total</c> (field 'total' of this),
/// <c>_order.Status</c> (inside the object held in field '_order'), <c>order.Lines</c> (inside parameter 'order').
/// </summary>
internal readonly struct StateReference
{
    public StateReference(StateRoot root, int ordinal, string description, bool isSelf, bool contents, string? lastMember, bool injected = false)
    {
        Root = root;
        Ordinal = ordinal;
        Description = description;
        IsSelf = isSelf;
        Contents = contents;
        LastMember = lastMember;
        Injected = injected;
    }

    public StateRoot Root { get; }

    /// <summary>The parameter's position, for <see cref="StateRoot.Parameter"/>.</summary>
    public int Ordinal { get; }

    /// <summary>"field 'total'", "property 'Status'", "parameter 'order'": the variable the state starts from.</summary>
    public string Description { get; }

    /// <summary>The expression is the root itself (<c>this</c>, or the parameter), not something reached through it.</summary>
    public bool IsSelf { get; }

    /// <summary>The expression is inside the object that <see cref="Description"/> holds, not that variable itself.</summary>
    public bool Contents { get; }

    /// <summary>The last member named on the way (<c>Status</c> in <c>_order.Status</c>); null after an index.</summary>
    public string? LastMember { get; }

    /// <summary>
    /// <see cref="Description"/> is a constructor parameter, or a field or property set from one: a service the
    /// workflow was given, whose own state is not the workflow's (calling it is what steps are for).
    /// </summary>
    public bool Injected { get; }

    public StateReference Inside(string? member, bool contents) =>
        new(Root, Ordinal, Description, isSelf: false, Contents || contents, member, Injected);
}

/// <summary>A change a method's code makes to state it reaches: where, which state, and the mutating call if it is one.</summary>
internal readonly struct StateWrite
{
    public StateWrite(Location location, StateReference target, string? mutator)
    {
        Location = location;
        Target = target;
        Mutator = mutator;
    }

    public Location Location { get; }

    public StateReference Target { get; }

    /// <summary>The collection or builder method that changes the target (<c>Add</c>, <c>Append</c>), or null for an assignment.</summary>
    public string? Mutator { get; }
}

/// <summary>What one root of a reached method stands for in the step that reached it.</summary>
internal sealed class BoundState : System.IEquatable<BoundState>
{
    public static readonly BoundState Workflow = new(isWorkflow: true, "this workflow");

    private BoundState(bool isWorkflow, string description)
    {
        IsWorkflow = isWorkflow;
        Description = description;
    }

    /// <summary>The root is the workflow instance itself: its fields are the workflow's fields.</summary>
    public bool IsWorkflow { get; }

    /// <summary>"field '_order'", "parameter 'items'": the workflow state the root refers into.</summary>
    public string Description { get; }

    public static BoundState Inside(string description) => new(isWorkflow: false, description);

    public bool Equals(BoundState? other) => other is not null && other.IsWorkflow == IsWorkflow && other.Description == Description;

    public override bool Equals(object? obj) => Equals(obj as BoundState);

    public override int GetHashCode() => Description.GetHashCode() ^ (IsWorkflow ? 1 : 0);
}

/// <summary>The roots of a reached method that are workflow state: its instance, and each of its parameters.</summary>
internal readonly struct StateBinding : System.IEquatable<StateBinding>
{
    public StateBinding(BoundState? instance, ImmutableArray<BoundState?> parameters)
    {
        Instance = instance;
        Parameters = parameters;
    }

    public BoundState? Instance { get; }

    public ImmutableArray<BoundState?> Parameters { get; }

    /// <summary>
    /// A step's own roots: the workflow, and every parameter that refers to an object (workflow code passed it in),
    /// unless the step assigns the parameter somewhere: then it may hold an object of the step's own, and is left out.
    /// </summary>
    public static StateBinding ForStep(IMethodSymbol step)
    {
        var reassigned = WorkflowStateWrites.ReassignedParameters(step);
        return new StateBinding(
            BoundState.Workflow,
            step.Parameters
                .Select(p => (p.Type.IsValueType && p.RefKind == RefKind.None) || reassigned.Contains(p.Name) ? null : BoundState.Inside("parameter '" + p.Name + "'"))
                .ToImmutableArray());
    }

    public BoundState? ParameterAt(int ordinal) => ordinal >= 0 && ordinal < Parameters.Length ? Parameters[ordinal] : null;

    /// <summary>What <paramref name="reference"/> (in the code this binding is for) stands for, passed on to a callee.</summary>
    public BoundState? Bind(StateReference? reference)
    {
        if (reference is not { } state || state.Injected) return null;
        switch (state.Root)
        {
            case StateRoot.Static:
                return BoundState.Inside(state.Description);
            case StateRoot.Parameter:
                return ParameterAt(state.Ordinal);
            default:
                if (Instance is null) return null;
                return state.IsSelf || !Instance.IsWorkflow ? Instance : BoundState.Inside(state.Description);
        }
    }

    /// <summary>
    /// "field 'total'", "the contents of field 'history' (Add)", "the contents of parameter 'order' (Status)": the
    /// workflow state <paramref name="write"/> changes, with <paramref name="through"/> (a call chain) in the detail;
    /// null when the write changes nothing of the workflow's.
    /// </summary>
    public string? Describe(StateWrite write, string? through)
    {
        var target = write.Target;
        if (target.Injected && (target.Contents || write.Mutator is not null)) return null;
        var detail = write.Mutator ?? target.LastMember;
        switch (target.Root)
        {
            case StateRoot.Static:
                return Phrase(target.Description, target.Contents || write.Mutator is not null, write.Mutator ?? (target.Contents ? detail : null), through);
            case StateRoot.Parameter:
                return ParameterAt(target.Ordinal) is { } parameter ? Phrase(parameter.Description, contents: true, detail, through) : null;
            default:
                if (Instance is null) return null;
                if (Instance.IsWorkflow)
                {
                    var contents = target.Contents || write.Mutator is not null;
                    return Phrase(target.Description, contents, contents ? detail : null, through);
                }
                return Phrase(Instance.Description, contents: true, detail, through);
        }
    }

    private static string Phrase(string state, bool contents, string? detail, string? through)
    {
        var text = contents ? "the contents of " + state : state;
        var parts = new List<string>(2);
        if (detail is not null) parts.Add(detail);
        if (through is not null) parts.Add("reached through " + through);
        return parts.Count == 0 ? text : text + " (" + string.Join(", ", parts) + ")";
    }

    public bool Equals(StateBinding other) =>
        Equals(Instance, other.Instance) && Parameters.SequenceEqual(other.Parameters, EqualityComparer<BoundState?>.Default);

    public override bool Equals(object? obj) => obj is StateBinding other && Equals(other);

    public override int GetHashCode()
    {
        var hash = Instance?.GetHashCode() ?? 0;
        foreach (var parameter in Parameters) hash = (hash * 31) ^ (parameter?.GetHashCode() ?? 0);
        return hash;
    }
}

/// <summary>
/// WF0012's reading of code: which state an expression names (<see cref="Resolve"/>) and which state an operation
/// changes (<see cref="WritesOf"/>), for a step body and for every method a step body reaches alike.
/// </summary>
internal static class WorkflowStateWrites
{
    private static readonly ImmutableHashSet<string> s_collectionMutators = ImmutableHashSet.Create(
        "Add", "AddRange", "Insert", "InsertRange", "Remove", "RemoveAt", "RemoveAll", "RemoveRange", "RemoveWhere", "Clear",
        "Push", "Pop", "Enqueue", "Dequeue", "TryAdd", "TryRemove", "TryPop", "TryDequeue", "TryUpdate", "AddOrUpdate",
        "GetOrAdd", "Sort", "Reverse", "UnionWith", "IntersectWith", "ExceptWith", "SymmetricExceptWith");

    private static readonly ImmutableHashSet<string> s_builderMutators = ImmutableHashSet.Create(
        "Append", "AppendLine", "AppendFormat", "AppendJoin", "Insert", "Remove", "Replace", "Clear");

    /// <summary>The state <paramref name="expression"/> names, in the code of <paramref name="method"/>; null for locals, new objects, values.</summary>
    public static StateReference? Resolve(IOperation? expression, IMethodSymbol method, WorkflowAttributeSymbols attributes)
    {
        if (expression is null) return null;
        switch (SourceMethods.WithoutConversions(expression))
        {
            case IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } when !method.IsStatic:
                return new StateReference(StateRoot.This, -1, "this workflow", isSelf: true, contents: false, lastMember: null);
            case IParameterReferenceOperation { Parameter: var parameter }:
                if (parameter.ContainingSymbol is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor
                    && method.MethodKind != MethodKind.Constructor && !method.IsStatic
                    && WorkflowAttributeSymbols.SameType(constructor.ContainingType, method.ContainingType))
                {
                    // Outside the constructor, a constructor parameter it can name is a captured primary one: instance state.
                    return new StateReference(StateRoot.This, -1, "primary constructor parameter '" + parameter.Name + "'", isSelf: false, contents: false, parameter.Name, injected: true);
                }
                return parameter.ContainingSymbol is IMethodSymbol owner
                    && SymbolEqualityComparer.Default.Equals(WorkflowAttributeSymbols.Definition(owner), WorkflowAttributeSymbols.Definition(method))
                    ? new StateReference(StateRoot.Parameter, parameter.Ordinal, "parameter '" + parameter.Name + "'", isSelf: true, contents: false, lastMember: null)
                    : null;
            case IFieldReferenceOperation { Field: var field } reference:
                if (field.IsConst) return null;
                if (field.IsStatic)
                {
                    return IsWorkflowStatic(field.ContainingType, method, attributes)
                        ? new StateReference(StateRoot.Static, -1, Describe(field), isSelf: false, contents: false, field.Name)
                        : null;
                }
                return Through(Resolve(reference.Instance, method, attributes), reference.Instance, field, Describe(field), field.Name);
            case IPropertyReferenceOperation { Property: var property } reference:
                if (property.IsStatic)
                {
                    return IsWorkflowStatic(property.ContainingType, method, attributes) && IsAutoProperty(property)
                        ? new StateReference(StateRoot.Static, -1, "property '" + property.Name + "'", isSelf: false, contents: false, property.Name)
                        : null;
                }
                return property.IsIndexer
                    ? Within(Resolve(reference.Instance, method, attributes), reference.Instance)
                    : Through(Resolve(reference.Instance, method, attributes), reference.Instance, property, "property '" + property.Name + "'", property.Name);
            case IArrayElementReferenceOperation element:
                return Within(Resolve(element.ArrayReference, method, attributes), element.ArrayReference);
            default:
                return null;
        }
    }

    /// <summary>The state <paramref name="operation"/> changes in the code of <paramref name="method"/> (none for most operations).</summary>
    public static IEnumerable<StateWrite> WritesOf(IOperation operation, IMethodSymbol method, WorkflowAttributeSymbols attributes)
    {
        switch (operation)
        {
            case IAssignmentOperation assignment:
                return Assigned(assignment.Target, method, attributes);
            case IIncrementOrDecrementOperation increment:
                return Assigned(increment.Target, method, attributes);
            case IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } argument:
                return Assigned(argument.Value, method, attributes);
            case IInvocationOperation invocation when Mutated(invocation) is { } changed:
                // _items.Add(x) changes the collection _items holds; items.Add(x) the one parameter 'items' refers to.
                return Resolve(changed, method, attributes) is { } target && (!target.IsSelf || target.Root == StateRoot.Parameter)
                    ? new[] { new StateWrite(invocation.Syntax.GetLocation(), target, invocation.TargetMethod.Name) }
                    : Enumerable.Empty<StateWrite>();
            default:
                return Enumerable.Empty<StateWrite>();
        }
    }

    private static IEnumerable<StateWrite> Assigned(IOperation target, IMethodSymbol method, WorkflowAttributeSymbols attributes)
    {
        if (target is ITupleOperation tuple)
        {
            // (total, count) = ...: each element is written.
            return tuple.Elements.SelectMany(element => Assigned(element, method, attributes));
        }
        // A property with a setter in source is not written here: its setter runs, and is followed as a call.
        if (target is IPropertyReferenceOperation { Property: var property } && !property.IsIndexer && !IsAutoProperty(property)
            && property.SetMethod is { DeclaringSyntaxReferences.Length: > 0 })
        {
            return Enumerable.Empty<StateWrite>();
        }
        // Assigning a parameter itself (or this, in a struct) changes a local copy.
        if (Resolve(target, method, attributes) is not { IsSelf: false } state) return Enumerable.Empty<StateWrite>();
        // Assigning a non-auto property of this is not a write of state either, without a setter in source: it has none.
        if (state.Root == StateRoot.This && !state.Contents && target is IPropertyReferenceOperation { Property: var own } && !IsAutoProperty(own))
        {
            return Enumerable.Empty<StateWrite>();
        }
        return new[] { new StateWrite(target.Syntax.GetLocation(), state, mutator: null) };
    }

    /// <summary>The collection, builder or array a call changes: <c>_items</c> in <c>_items.Add(x)</c>, <c>_slots</c> in <c>Array.Fill(_slots, 0)</c>.</summary>
    private static IOperation? Mutated(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        if (method.IsStatic)
        {
            return method.ContainingType?.SpecialType == SpecialType.System_Array
                && method.Name is "Sort" or "Reverse" or "Clear" or "Fill"
                && invocation.Arguments.Length > 0
                ? invocation.Arguments[0].Value
                : null;
        }
        if (invocation.Instance is null || method.ContainingType is not { } type) return null;
        if (s_builderMutators.Contains(method.Name) && type.Name == "StringBuilder" && type.ContainingNamespace?.ToDisplayString() == "System.Text")
        {
            return invocation.Instance;
        }
        return s_collectionMutators.Contains(method.Name)
            && (type.SpecialType == SpecialType.System_Collections_IEnumerable
                || type.AllInterfaces.Any(i => i.SpecialType == SpecialType.System_Collections_IEnumerable))
            ? invocation.Instance
            : null;
    }

    /// <summary>A member reached through <paramref name="holder"/>: a member of this, or inside the object a parameter or member holds.</summary>
    private static StateReference? Through(StateReference? holder, IOperation? holderExpression, ISymbol symbol, string description, string member)
    {
        if (holder is not { } state) return null;
        if (state.IsSelf)
        {
            if (state.Root == StateRoot.This)
            {
                return new StateReference(StateRoot.This, -1, description, isSelf: false, contents: false, member, IsInjected(symbol));
            }
            // A struct passed by value is a copy: what is written into it stays in the method.
            return IsCopy(holderExpression) ? null : state.Inside(member, contents: true);
        }
        // tally.Count, with tally a struct field, is part of the variable 'tally'; through a reference it is inside the object.
        return state.Inside(member, contents: holderExpression?.Type?.IsValueType != true);
    }

    /// <summary>An element of the collection or array <paramref name="holder"/> names.</summary>
    private static StateReference? Within(StateReference? holder, IOperation? holderExpression)
    {
        if (holder is not { } state) return null;
        if (state.IsSelf && state.Root == StateRoot.Parameter && IsCopy(holderExpression)) return null;
        return state.Inside(member: null, contents: true);
    }

    private static bool IsCopy(IOperation? expression) =>
        expression is not null && SourceMethods.WithoutConversions(expression) is IParameterReferenceOperation { Parameter: { RefKind: RefKind.None, Type.IsValueType: true } };

    /// <summary>A static member of a workflow class (or of a base class of the workflow whose code this is).</summary>
    private static bool IsWorkflowStatic(INamedTypeSymbol? owner, IMethodSymbol method, WorkflowAttributeSymbols attributes) =>
        owner is not null
        && (attributes.IsWorkflow(owner)
            || (attributes.IsWorkflow(method.ContainingType) && WorkflowAttributeSymbols.IsOrDerivesFrom(method.ContainingType, owner)));

    private static string Describe(IFieldSymbol field) =>
        field.AssociatedSymbol is IPropertySymbol backed ? "property '" + backed.Name + "'" : "field '" + field.Name + "'";

    /// <summary>
    /// The parameters <paramref name="method"/>'s code assigns (<c>order = new Order()</c>, <c>out order</c>, <c>order++</c>),
    /// read from its syntax: what such a parameter refers to depends on where the code is, so it is not taken for the
    /// caller's object anywhere in the method.
    /// </summary>
    public static ImmutableHashSet<string> ReassignedParameters(IMethodSymbol method)
    {
        if (method.Parameters.Length == 0) return ImmutableHashSet<string>.Empty;
        var names = ImmutableHashSet.CreateBuilder<string>(System.StringComparer.Ordinal);
        var source = method.PartialImplementationPart ?? method;
        foreach (var reference in source.DeclaringSyntaxReferences)
        {
            names.UnionWith(SourceMethods.AssignedNames(reference.GetSyntax()));
        }
        names.IntersectWith(method.Parameters.Select(p => p.Name));
        return names.ToImmutable();
    }

    private static readonly ConditionalWeakTable<INamedTypeSymbol, ImmutableHashSet<string>> s_injectedMembers = new();

    /// <summary>
    /// <paramref name="instance"/> is a service the code's type was given: a constructor parameter (captured or not), or
    /// a field or property of <c>this</c> set from one.
    /// </summary>
    public static bool IsInjectedService(IOperation? instance)
    {
        switch (instance is null ? null : SourceMethods.WithoutConversions(instance))
        {
            case IParameterReferenceOperation { Parameter.ContainingSymbol: IMethodSymbol { MethodKind: MethodKind.Constructor } }:
                return true;
            case IFieldReferenceOperation { Field: { IsStatic: false } field } reference when WorkflowAttributeSymbols.IsThis(reference.Instance):
                return IsInjected(field);
            case IPropertyReferenceOperation { Property: { IsStatic: false } property } reference when WorkflowAttributeSymbols.IsThis(reference.Instance):
                return IsInjected(property);
            default:
                return false;
        }
    }

    /// <summary>A field or property its type sets from a constructor parameter (<c>_payments = payments</c>): a service.</summary>
    private static bool IsInjected(ISymbol member)
    {
        if (member.ContainingType?.OriginalDefinition is not { } type) return false;
        var name = member is IFieldSymbol { AssociatedSymbol: IPropertySymbol property } ? property.Name : member.Name;
        return s_injectedMembers.GetValue(type, InjectedMembers).Contains(name);
    }

    /// <summary>The fields and properties of <paramref name="type"/> initialized from a (primary) constructor parameter, read from its syntax.</summary>
    private static ImmutableHashSet<string> InjectedMembers(INamedTypeSymbol type)
    {
        var names = ImmutableHashSet.CreateBuilder<string>(System.StringComparer.Ordinal);
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is not TypeDeclarationSyntax declaration) continue;
            var primary = declaration.ParameterList?.Parameters.Select(p => p.Identifier.ValueText).ToImmutableHashSet() ?? ImmutableHashSet<string>.Empty;
            foreach (var member in declaration.Members)
            {
                switch (member)
                {
                    case FieldDeclarationSyntax field:
                        foreach (var variable in field.Declaration.Variables)
                        {
                            if (IsParameterValue(variable.Initializer?.Value, primary)) names.Add(variable.Identifier.ValueText);
                        }
                        break;
                    case PropertyDeclarationSyntax property when IsParameterValue(property.Initializer?.Value, primary):
                        names.Add(property.Identifier.ValueText);
                        break;
                    case ConstructorDeclarationSyntax constructor:
                        var parameters = constructor.ParameterList.Parameters.Select(p => p.Identifier.ValueText).ToImmutableHashSet();
                        foreach (var assignment in constructor.DescendantNodes().OfType<AssignmentExpressionSyntax>())
                        {
                            if (!IsParameterValue(assignment.Right, parameters)) continue;
                            switch (assignment.Left)
                            {
                                case IdentifierNameSyntax identifier:
                                    names.Add(identifier.Identifier.ValueText);
                                    break;
                                case MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: var memberName }:
                                    names.Add(memberName.Identifier.ValueText);
                                    break;
                            }
                        }
                        break;
                }
            }
        }
        return names.ToImmutable();
    }

    /// <summary><c>payments</c>, <c>(payments)</c> or <c>payments ?? throw ...</c> with <c>payments</c> one of <paramref name="parameters"/>.</summary>
    private static bool IsParameterValue(ExpressionSyntax? value, ImmutableHashSet<string> parameters)
    {
        while (true)
        {
            switch (value)
            {
                case ParenthesizedExpressionSyntax parenthesized:
                    value = parenthesized.Expression;
                    continue;
                case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.CoalesceExpression } coalesce:
                    value = coalesce.Left;
                    continue;
                case IdentifierNameSyntax identifier:
                    return parameters.Contains(identifier.Identifier.ValueText);
                default:
                    return false;
            }
        }
    }

    /// <summary>A property whose value lives in a compiler-made backing field (auto-properties and <c>field</c> properties).</summary>
    public static bool IsAutoProperty(IPropertySymbol property)
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
}
