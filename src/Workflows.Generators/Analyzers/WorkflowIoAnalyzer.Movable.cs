using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Workflows.Generators.Parsing;

namespace Workflows.Generators.Analyzers;

public sealed partial class WorkflowIoAnalyzer
{
    /// <summary>
    /// Whether the code fix can move a reported call into a new [Step] method of the workflow and get code that compiles
    /// with no new diagnostic: the analyzer knows the journal's rules (<see cref="SerializableTypes"/>), the fix does not,
    /// so it decides here and says so in a diagnostic property.
    /// </summary>
    /// <remarks>
    /// The step is <c>[Step] private T Name(params) =&gt; receiver.Method(args)</c>: the receiver must mean the same in
    /// any member of the class (a field or property of <c>this</c>, a primary constructor parameter, a type), every
    /// argument that becomes a parameter must be journaled by value, and the result must be an awaitable a step may
    /// return (or, for a synchronous call, a value awaited where the call stood).
    /// </remarks>
    private sealed class StepMovability(INamedTypeSymbol workflow)
    {
        // Created on first use, at the end of the class (one thread): SerializableTypes is not thread-safe.
        private SerializableTypes? _types;

        private SerializableTypes Types => _types ??= new SerializableTypes(SerializableTypes.JsonContextOf(workflow));

        public bool CanMove(IInvocationOperation invocation, IMethodSymbol owner)
        {
            // Constructors, initializers and accessors cannot await a step.
            if (owner.MethodKind != MethodKind.Ordinary) return false;
            if (invocation.Syntax is not InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access }) return false;
            var method = invocation.TargetMethod;
            if (method.IsGenericMethod && !AllConcrete(method.TypeArguments)) return false;
            if (!HasPortableReceiver(invocation, method, access)) return false;
            foreach (var argument in invocation.Arguments)
            {
                if (!CanPass(argument)) return false;
            }
            return CanReturn(invocation, method);
        }

        /// <summary>A receiver the new step can name as the call did: <c>this</c>'s field or property, a primary constructor parameter, or a type.</summary>
        private bool HasPortableReceiver(IInvocationOperation invocation, IMethodSymbol method, MemberAccessExpressionSyntax access)
        {
            var receiver = Receiver(method, invocation.Instance, invocation.Arguments);
            if (receiver is null) return method.IsStatic && !method.IsExtensionMethod;
            if (receiver.Syntax != access.Expression) return false;
            return receiver switch
            {
                IFieldReferenceOperation or IPropertyReferenceOperation => ThisMember(receiver) is not null,
                IParameterReferenceOperation parameter => IsPrimaryConstructorParameter(parameter.Parameter),
                _ => false,
            };
        }

        private bool IsPrimaryConstructorParameter(IParameterSymbol parameter)
        {
            if (parameter.ContainingSymbol is not IMethodSymbol { MethodKind: MethodKind.Constructor } constructor
                || !WorkflowAttributeSymbols.SameType(constructor.ContainingType, workflow)) return false;
            foreach (var reference in constructor.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax() is TypeDeclarationSyntax) return true;
            }
            return false;
        }

        /// <summary>An argument stays a literal in the step, is passed through (a CancellationToken), or becomes a journaled parameter.</summary>
        private bool CanPass(IArgumentOperation argument)
        {
            // An optional parameter left out stays left out; the receiver of an extension call is not an argument.
            if (argument.ArgumentKind == ArgumentKind.DefaultValue) return true;
            if (argument.Syntax is not ArgumentSyntax) return argument.Parameter?.Ordinal == 0 && argument.Parameter.ContainingSymbol is IMethodSymbol { IsExtensionMethod: true };
            if (argument.ArgumentKind != ArgumentKind.Explicit || argument.Parameter is not { RefKind: RefKind.None } parameter) return false;
            if (argument.Syntax is ArgumentSyntax { Expression: LiteralExpressionSyntax }) return true;
            if (WorkflowSymbols.IsCancellationToken(parameter.Type)) return true;
            return IsJournaled(parameter.Type);
        }

        /// <summary>
        /// A result the step may return: an awaitable of a journaled type, or a synchronous call's journaled value (or
        /// nothing), which the call site then awaits; and a place where the step, an instance method, can be called.
        /// </summary>
        private bool CanReturn(IInvocationOperation invocation, IMethodSymbol method)
        {
            if (WorkflowSymbols.ShapeOf(method.ReturnType) is { } shape)
            {
                return (WorkflowSymbols.ResultOf(method.ReturnType, shape) is not { } result || IsJournaled(result))
                    && CanCallStepAt(invocation, needsAwait: false);
            }
            if (!method.ReturnsVoid && !IsJournaled(method.ReturnType)) return false;
            return CanCallStepAt(invocation, needsAwait: true);
        }

        private bool IsJournaled(ITypeSymbol type) =>
            type.TypeKind != TypeKind.Error && !type.IsRefLikeType && AllConcrete(type) && Types.Check(type) is null;

        /// <summary>
        /// Not in a static function (the step is an instance method); where the call must be awaited, inside an async
        /// method, lambda or local function, and not in a lock, a catch filter or a query clause.
        /// </summary>
        private static bool CanCallStepAt(IOperation operation, bool needsAwait)
        {
            for (var node = operation.Syntax.Parent; node is not null; node = node.Parent)
            {
                switch (node)
                {
                    case LockStatementSyntax or CatchFilterClauseSyntax or QueryClauseSyntax or SelectOrGroupClauseSyntax or QueryContinuationSyntax
                        when needsAwait:
                        return false;
                    case AnonymousFunctionExpressionSyntax lambda:
                        return !lambda.Modifiers.Any(SyntaxKind.StaticKeyword) && (!needsAwait || lambda.AsyncKeyword.IsKind(SyntaxKind.AsyncKeyword));
                    case LocalFunctionStatementSyntax local:
                        return !local.Modifiers.Any(SyntaxKind.StaticKeyword) && (!needsAwait || local.Modifiers.Any(SyntaxKind.AsyncKeyword));
                    case MethodDeclarationSyntax declared:
                        return !declared.Modifiers.Any(SyntaxKind.StaticKeyword) && (!needsAwait || declared.Modifiers.Any(SyntaxKind.AsyncKeyword));
                    case MemberDeclarationSyntax:
                        return false;
                }
            }
            return false;
        }

        private static bool AllConcrete(System.Collections.Immutable.ImmutableArray<ITypeSymbol> types)
        {
            foreach (var type in types)
            {
                if (!AllConcrete(type)) return false;
            }
            return true;
        }

        /// <summary>No type parameter anywhere in <paramref name="type"/>: the step needs concrete types.</summary>
        private static bool AllConcrete(ITypeSymbol type) => type switch
        {
            ITypeParameterSymbol => false,
            IArrayTypeSymbol array => AllConcrete(array.ElementType),
            INamedTypeSymbol named => AllConcrete(named.TypeArguments),
            _ => true,
        };
    }
}
