using System.Collections.Generic;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace Workflows.CodeFixes;

/// <summary>
/// Fix All for WF0001: gathers every duplicate step name in the scope and names them in one pass, in source order,
/// so that two duplicates of one name become "name-2" and "name-3" rather than both "name-2".
/// </summary>
internal sealed class UniqueStepNameFixAllProvider : FixAllProvider
{
    public static readonly UniqueStepNameFixAllProvider Instance = new();

    public override IEnumerable<FixAllScope> GetSupportedFixAllScopes() =>
        new[] { FixAllScope.Document, FixAllScope.Project, FixAllScope.Solution };

    public override async Task<CodeAction?> GetFixAsync(FixAllContext fixAllContext)
    {
        var diagnostics = new List<Diagnostic>();
        switch (fixAllContext.Scope)
        {
            case FixAllScope.Document when fixAllContext.Document is not null:
                diagnostics.AddRange(await fixAllContext.GetDocumentDiagnosticsAsync(fixAllContext.Document).ConfigureAwait(false));
                break;
            case FixAllScope.Project:
                diagnostics.AddRange(await fixAllContext.GetAllDiagnosticsAsync(fixAllContext.Project).ConfigureAwait(false));
                break;
            case FixAllScope.Solution:
                foreach (var project in fixAllContext.Solution.Projects)
                {
                    diagnostics.AddRange(await fixAllContext.GetAllDiagnosticsAsync(project).ConfigureAwait(false));
                }
                break;
            default:
                return null;
        }

        var solution = fixAllContext.Solution;
        var renames = await RenameDuplicateStepCodeFixProvider.PlanAsync(solution, diagnostics, fixAllContext.CancellationToken).ConfigureAwait(false);
        if (renames.Count == 0) return null;
        return CodeAction.Create(
            "Give every duplicate step a unique name",
            _ => Task.FromResult(RenameDuplicateStepCodeFixProvider.Apply(solution, renames)),
            fixAllContext.CodeActionEquivalenceKey);
    }
}
