using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Workflows.Generators.Parsing;
using static Workflows.Generators.Diagnostics.DiagnosticDescriptors;

namespace Workflows.Generators.Analyzers;

/// <summary>The checks of a workflow's [WorkflowRun] method (WF0006) and of its journaled input and result (WF0003).</summary>
public sealed partial class WorkflowDeclarationAnalyzer
{
    /// <param name="runs">The workflow's [WorkflowRun] methods in source order.</param>
    private static void AnalyzeRunMethods(Scope scope, INamedTypeSymbol workflow, Location workflowIdentifier, List<IMethodSymbol> runs)
    {
        if (runs.Count == 0)
        {
            scope.Report(InvalidRunMethod, workflowIdentifier, workflow.Name, "has no [WorkflowRun] method; the engine has no entry point to start it");
            return;
        }

        for (var i = 0; i < runs.Count; i++)
        {
            var run = runs[i];
            var identifier = WorkflowDeclarationSyntax.Identifier(run);
            if (i > 0)
            {
                scope.Report(InvalidRunMethod, identifier, workflow.Name,
                    $"already has the [WorkflowRun] method '{runs[0].Name}'; '{run.Name}' is a second one, and a workflow has exactly one");
            }
            else if (RunMethodProblem(run) is { } problem)
            {
                scope.Report(InvalidRunMethod, identifier, workflow.Name, $"has an invalid [WorkflowRun] method '{run.Name}': {problem}");
            }
            AnalyzeRunValues(scope, run);
        }
    }

    /// <summary>The first reason the generator would not take <paramref name="run"/> as the entry point, or null.</summary>
    private static string? RunMethodProblem(IMethodSymbol run)
    {
        if (WorkflowDeclarationSignatures.MethodProblem(run) is { } problem) return problem;
        foreach (var parameter in run.Parameters)
        {
            if (WorkflowDeclarationSignatures.ParameterProblem(parameter) is { } parameterProblem) return parameterProblem;
        }
        var inputs = run.Parameters.Where(WorkflowDeclarationSignatures.IsJournaled).ToList();
        return inputs.Count > 1
            ? $"it takes {inputs.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)} inputs besides a CancellationToken ({string.Join(", ", inputs.Select(p => "'" + p.Name + "'"))}); a run method takes at most one: wrap them in a record"
            : null;
    }

    /// <summary>WF0003 for the run's journaled input and result.</summary>
    private static void AnalyzeRunValues(Scope scope, IMethodSymbol run)
    {
        // The types of a generic method are not known until it is called: WF0006 already says it is generic.
        if (run.IsGenericMethod) return;
        var cancellationToken = scope.CancellationToken;
        foreach (var parameter in run.Parameters)
        {
            if (WorkflowDeclarationSignatures.ParameterProblem(parameter) is null
                && WorkflowDeclarationSignatures.IsJournaled(parameter)
                && scope.ValueProblem(parameter.Type) is { } reason)
            {
                scope.Report(ValueNotSerializable, WorkflowDeclarationSyntax.ParameterType(parameter, cancellationToken),
                    $"The input of run method '{run.Name}'", reason);
            }
        }
        if (WorkflowSymbols.ShapeOf(run.ReturnType) is { } shape
            && WorkflowSymbols.ResultOf(run.ReturnType, shape) is { } result
            && scope.ValueProblem(result) is { } resultProblem)
        {
            scope.Report(ValueNotSerializable, WorkflowDeclarationSyntax.ReturnType(run, cancellationToken),
                $"The result of run method '{run.Name}'", resultProblem);
        }
    }
}
