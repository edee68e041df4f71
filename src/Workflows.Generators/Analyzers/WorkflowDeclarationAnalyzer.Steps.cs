using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Workflows.Generators.Parsing;
using static Workflows.Generators.Diagnostics.DiagnosticDescriptors;

namespace Workflows.Generators.Analyzers;

/// <summary>The checks of a workflow's [Step] methods: names (WF0001, WF0010), signatures (WF0005) and journaled types (WF0002, WF0003).</summary>
public sealed partial class WorkflowDeclarationAnalyzer
{
    /// <summary>Shows overloads by their parameter types, so that "'Send' is already used by 'Send'" cannot happen.</summary>
    private static readonly SymbolDisplayFormat s_signature = new(
        memberOptions: SymbolDisplayMemberOptions.IncludeParameters,
        parameterOptions: SymbolDisplayParameterOptions.IncludeType,
        genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters,
        miscellaneousOptions: SymbolDisplayMiscellaneousOptions.UseSpecialTypes);

    /// <param name="steps">The workflow's [Step] methods in source order.</param>
    private static void AnalyzeSteps(Scope scope, INamedTypeSymbol workflow, List<(IMethodSymbol Method, AttributeData Attribute)> steps)
    {
        var firstByName = new Dictionary<string, IMethodSymbol>(StringComparer.Ordinal);
        foreach (var (method, attribute) in steps)
        {
            scope.CancellationToken.ThrowIfCancellationRequested();
            if (!AnalyzeStep(scope, method, attribute, placementProblem: null)) continue;

            // WF0001: steps of every partial declaration are members of the one symbol, so duplicates across files are found too.
            var name = WorkflowSymbols.StepName(method, attribute);
            if (firstByName.TryGetValue(name, out var first))
            {
                scope.Report(DuplicateStepName, WorkflowDeclarationSyntax.Identifier(method),
                    name, MethodDisplay(method, first), MethodDisplay(first, method), workflow.Name);
            }
            else
            {
                firstByName.Add(name, method);
            }
        }
    }

    /// <summary>Checks one step; returns whether its name is valid (and so takes part in the duplicate check).</summary>
    /// <param name="placementProblem">Why the method is not a step at all wherever it stands (outside a workflow), or null.</param>
    private static bool AnalyzeStep(Scope scope, IMethodSymbol method, AttributeData attribute, string? placementProblem)
    {
        var cancellationToken = scope.CancellationToken;
        var nameIsValid = CheckName(scope, "Step", attribute, method);
        var label = nameIsValid ? WorkflowSymbols.StepName(method, attribute) : method.Name;

        if ((placementProblem ?? WorkflowDeclarationSignatures.MethodProblem(method)) is { } problem)
        {
            scope.Report(InvalidStepSignature, WorkflowDeclarationSyntax.Identifier(method), label, problem);
        }

        // The types of a generic method are not known until it is called: "it is generic" says all there is to say.
        var checkValues = !method.IsGenericMethod;
        foreach (var parameter in method.Parameters)
        {
            if (WorkflowDeclarationSignatures.ParameterProblem(parameter) is { } parameterProblem)
            {
                scope.Report(InvalidStepSignature, WorkflowDeclarationSyntax.Parameter(parameter, cancellationToken), label, parameterProblem);
            }
            else if (checkValues && WorkflowDeclarationSignatures.IsJournaled(parameter) && scope.ValueProblem(parameter.Type) is { } reason)
            {
                scope.Report(ValueNotSerializable, WorkflowDeclarationSyntax.ParameterType(parameter, cancellationToken),
                    $"Parameter '{parameter.Name}' of step '{label}'", reason);
            }
        }

        if (checkValues
            && WorkflowSymbols.ShapeOf(method.ReturnType) is { } shape
            && WorkflowSymbols.ResultOf(method.ReturnType, shape) is { } result
            && scope.ValueProblem(result) is { } resultProblem)
        {
            scope.Report(StepResultNotSerializable, WorkflowDeclarationSyntax.ReturnType(method, cancellationToken), label, resultProblem);
        }
        return nameIsValid;
    }

    private static string MethodDisplay(IMethodSymbol method, IMethodSymbol other) =>
        method.Name == other.Name ? method.ToDisplayString(s_signature) : method.Name;
}
