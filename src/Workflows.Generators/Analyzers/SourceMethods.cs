using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Workflows.Generators.Analyzers;

/// <summary>
/// The code of any method whose source is in the compilation, for the analyzers that follow calls out of workflow code
/// (WF0007, WF0009, WF0012): which method a call runs (interface and virtual dispatch resolved where the receiver's
/// type is known), and the operations of that method's body. A constructor's code includes the initializers of the
/// instance fields and properties of its type. Methods without source (metadata) have no code here: the analyzers match
/// them against their API tables instead. Generated source is not followed, as it is not analyzed either.
/// </summary>
internal sealed class SourceMethods
{
    private readonly Compilation _compilation;
    private readonly ConcurrentDictionary<SyntaxTree, SemanticModel> _models = new();

    public SourceMethods(Compilation compilation) => _compilation = compilation;

    /// <summary>
    /// The method whose code <paramref name="target"/> called on <paramref name="instance"/> runs, in its one
    /// <see cref="WorkflowAttributeSymbols.Definition"/> form, when that code is in the compilation; null otherwise,
    /// and for lambdas and local functions (their code belongs to the method that declares them).
    /// </summary>
    public IMethodSymbol? Followed(IMethodSymbol? target, IOperation? instance)
    {
        if (target is null || target.MethodKind is MethodKind.AnonymousFunction or MethodKind.LocalFunction) return null;
        target = target.ReducedFrom ?? target;
        if (Dispatched(target, instance) is { } implementation && HasCode(implementation)) return WorkflowAttributeSymbols.Definition(implementation);
        return HasCode(target) ? WorkflowAttributeSymbols.Definition(target) : null;
    }

    /// <summary>
    /// For an interface member, or a virtual or abstract one, the implementation in the receiver's type when that type
    /// is a class or struct known at compile time (<c>this</c>, a new object, a variable of a concrete type); else null.
    /// With <paramref name="throughLocals"/>, a local the method never assigns again counts as the expression it is
    /// declared with (<c>IPayments payments = this;</c>): WF0008 asks that, to see a step called on the workflow.
    /// Following calls does not: a local typed as a base type or interface is taken for what its type says.
    /// </summary>
    public static IMethodSymbol? Dispatched(IMethodSymbol target, IOperation? instance, bool throughLocals = false)
    {
        // base.M() runs the base class's M itself, whatever the receiver overrides.
        if (instance is null || target.IsStatic || instance.Syntax is BaseExpressionSyntax) return null;
        var isInterfaceMember = target.ContainingType?.TypeKind == TypeKind.Interface;
        if (!isInterfaceMember && !target.IsVirtual && !target.IsAbstract && !target.IsOverride) return null;
        if (ReceiverType(instance, throughLocals) is not INamedTypeSymbol { TypeKind: TypeKind.Class or TypeKind.Struct } receiver) return null;
        if (isInterfaceMember) return receiver.FindImplementationForInterfaceMember(target) as IMethodSymbol;
        for (INamedTypeSymbol? type = receiver; type is not null; type = type.BaseType)
        {
            foreach (var member in type.GetMembers(target.Name))
            {
                if (member is IMethodSymbol candidate && Overrides(candidate, target)) return candidate;
            }
        }
        return null;
    }

    /// <summary>
    /// The type of the object <paramref name="instance"/> refers to, as far as the expression tells: through conversions,
    /// and for a local, through the expression it is declared with (<c>IPayments payments = this;</c>).
    /// </summary>
    private static ITypeSymbol? ReceiverType(IOperation instance, bool throughLocals)
    {
        var receiver = WithoutConversions(instance);
        if (throughLocals
            && receiver is ILocalReferenceOperation { Local: { DeclaringSyntaxReferences: { Length: 1 } declarations } local } && receiver.SemanticModel is { } model
            && declarations[0].GetSyntax() is VariableDeclaratorSyntax { Initializer.Value: var value } declarator
            && value.SyntaxTree == model.SyntaxTree
            && declarator.FirstAncestorOrSelf<MemberDeclarationSyntax>() is { } member
            && !AssignedNames(member).Contains(local.Name)
            && model.GetOperation(value) is { } initial)
        {
            receiver = WithoutConversions(initial);
        }
        return receiver.Type;
    }

    /// <summary>
    /// The simple names <paramref name="code"/> assigns (<c>x = …</c>, <c>x += …</c>, <c>x++</c>, <c>out x</c>, <c>ref x</c>),
    /// read from syntax: a cheap, conservative answer to "may this variable hold something else later".
    /// </summary>
    public static HashSet<string> AssignedNames(SyntaxNode code)
    {
        var names = new HashSet<string>(System.StringComparer.Ordinal);
        foreach (var node in code.DescendantNodes())
        {
            var assigned = node switch
            {
                AssignmentExpressionSyntax assignment => assignment.Left,
                PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression } prefix => prefix.Operand,
                PostfixUnaryExpressionSyntax postfix => postfix.Operand,
                ArgumentSyntax { RefKindKeyword.RawKind: (int)SyntaxKind.OutKeyword or (int)SyntaxKind.RefKeyword } argument => argument.Expression,
                _ => null,
            };
            if (assigned is IdentifierNameSyntax identifier) names.Add(identifier.Identifier.ValueText);
        }
        return names;
    }

    /// <summary>The operations of <paramref name="method"/>'s code (see the class summary); empty without source.</summary>
    public ImmutableArray<IOperation> Code(IMethodSymbol method, CancellationToken cancellationToken)
    {
        var code = ImmutableArray.CreateBuilder<IOperation>();
        var source = method.PartialImplementationPart ?? method;
        var chainsToThis = false;
        foreach (var reference in source.DeclaringSyntaxReferences)
        {
            var syntax = reference.GetSyntax(cancellationToken);
            if (syntax is TypeDeclarationSyntax || IsGenerated(syntax.SyntaxTree)) continue;
            if (syntax is ConstructorDeclarationSyntax { Initializer: { } initializer } && initializer.ThisOrBaseKeyword.Text == "this") chainsToThis = true;
            if (Model(syntax.SyntaxTree).GetOperation(syntax, cancellationToken) is { } operation) code.Add(operation);
        }
        // Initializers run in every constructor that does not hand over to another one of its type with this(...).
        if (method.MethodKind == MethodKind.Constructor && !method.IsStatic && !chainsToThis)
        {
            foreach (var member in method.ContainingType.GetMembers())
            {
                if (member.IsStatic || member.IsImplicitlyDeclared || member is not (IFieldSymbol or IPropertySymbol)) continue;
                foreach (var reference in member.DeclaringSyntaxReferences)
                {
                    var initializer = reference.GetSyntax(cancellationToken) switch
                    {
                        VariableDeclaratorSyntax variable => variable.Initializer,
                        PropertyDeclarationSyntax property => property.Initializer,
                        _ => null,
                    };
                    if (initializer is null || IsGenerated(initializer.SyntaxTree)) continue;
                    if (Model(initializer.SyntaxTree).GetOperation(initializer, cancellationToken) is { } operation) code.Add(operation);
                }
            }
        }
        return code.ToImmutable();
    }

    /// <summary>
    /// The base class constructor an instance constructor runs without writing <c>base(...)</c> (or that a type without
    /// a constructor runs), when that base class is in the compilation; the written <c>base(...)</c> is part of the code.
    /// </summary>
    public IMethodSymbol? ImplicitBaseConstructor(IMethodSymbol constructor)
    {
        if (constructor.MethodKind != MethodKind.Constructor || constructor.IsStatic) return null;
        foreach (var reference in constructor.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is ConstructorDeclarationSyntax { Initializer: not null }) return null;
        }
        if (constructor.ContainingType.BaseType is not { } baseType) return null;
        foreach (var candidate in baseType.InstanceConstructors)
        {
            if (candidate.Parameters.Length == 0) return Followed(candidate, null);
        }
        return null;
    }

    /// <summary>
    /// The methods an operation runs by itself, with the receiver they run on: a call, a method taken as a delegate,
    /// <c>new</c> (the constructor), a property (the accessors used).
    /// </summary>
    public static IEnumerable<(IMethodSymbol Method, IOperation? Instance)> Calls(IOperation operation)
    {
        switch (operation)
        {
            case IInvocationOperation invocation:
                yield return (invocation.TargetMethod, invocation.Instance);
                break;
            case IMethodReferenceOperation reference:
                yield return (reference.Method, reference.Instance);
                break;
            case IObjectCreationOperation { Constructor: { } constructor }:
                yield return (constructor, null);
                break;
            case IPropertyReferenceOperation property:
                foreach (var accessor in AccessorsUsed(property))
                {
                    if (accessor is not null) yield return (accessor, property.Instance);
                }
                break;
        }
    }

    /// <summary>The accessors a property reference runs: the setter when assigned, both when updated, else the getter.</summary>
    public static IEnumerable<IMethodSymbol?> AccessorsUsed(IPropertyReferenceOperation reference)
    {
        var parent = reference.Parent;
        if (parent is ISimpleAssignmentOperation simple && simple.Target == reference)
        {
            yield return reference.Property.SetMethod;
            yield break;
        }
        yield return reference.Property.GetMethod;
        if ((parent is ICompoundAssignmentOperation compound && compound.Target == reference)
            || (parent is ICoalesceAssignmentOperation coalesce && coalesce.Target == reference)
            || parent is IIncrementOrDecrementOperation)
        {
            yield return reference.Property.SetMethod;
        }
    }

    public static IOperation WithoutConversions(IOperation operation)
    {
        while (operation is IConversionOperation { OperatorMethod: null } conversion) operation = conversion.Operand;
        return operation;
    }

    /// <summary>
    /// Whether the method has code in the compilation: a body in a source file that is not generated (an auto-property's
    /// <c>get;</c> has none), or, for a constructor of a source type, the initializers it runs.
    /// </summary>
    private static bool HasCode(IMethodSymbol method)
    {
        var source = method.PartialImplementationPart ?? method;
        if (source.IsAbstract || source.IsExtern) return false;
        var isConstructor = method.MethodKind == MethodKind.Constructor && !method.IsStatic;
        foreach (var reference in source.DeclaringSyntaxReferences)
        {
            if (IsGenerated(reference.SyntaxTree)) continue;
            var hasBody = reference.GetSyntax() switch
            {
                BaseMethodDeclarationSyntax declared => declared.Body is not null || declared.ExpressionBody is not null,
                AccessorDeclarationSyntax accessor => accessor.Body is not null || accessor.ExpressionBody is not null,
                ArrowExpressionClauseSyntax => true,
                // A primary constructor, or the implicit one of a declared type.
                _ => isConstructor,
            };
            if (hasBody) return true;
        }
        return isConstructor && method.IsImplicitlyDeclared && method.ContainingType.Locations.Length > 0
            && method.ContainingType.Locations[0].IsInSource;
    }

    private static bool Overrides(IMethodSymbol candidate, IMethodSymbol target)
    {
        for (var current = candidate; current is not null; current = current.OverriddenMethod)
        {
            if (SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, target.OriginalDefinition)) return true;
        }
        return false;
    }

    /// <summary>The generator's output and other generated files, by the naming conventions analyzers use for them.</summary>
    public static bool IsGenerated(SyntaxTree tree)
    {
        var path = tree.FilePath;
        return path.EndsWith(".g.cs", System.StringComparison.OrdinalIgnoreCase)
            || path.EndsWith(".generated.cs", System.StringComparison.OrdinalIgnoreCase)
            || path.EndsWith(".designer.cs", System.StringComparison.OrdinalIgnoreCase);
    }

    // The code of a method in another file than the one being analyzed is read through a model of that file; the
    // analyzer driver caches models per tree, and this class asks once per tree.
#pragma warning disable RS1030 // Do not invoke Compilation.GetSemanticModel() method within a diagnostic analyzer
    private SemanticModel Model(SyntaxTree tree) => _models.GetOrAdd(tree, t => _compilation.GetSemanticModel(t));
#pragma warning restore RS1030
}
