using System.Composition;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;

namespace Workflows.CodeFixes.Tests;

/// <summary>How the IDE finds and batches the fixes: MEF export for C#, shared, the ids they fix, their Fix All.</summary>
public sealed class CodeFixProviderShapeTests
{
    public static TheoryData<Type, string, bool> Providers => new()
    {
        // WF0007 rewrites a document's calls in one edit (batched fixes each adding `using Workflows;` overlap).
        { typeof(UseWorkflowApiCodeFixProvider), "WF0007", false },
        { typeof(MakeWorkflowPartialCodeFixProvider), "WF0004", true },
        // WF0001 names duplicates one after another (two batched fixes would pick the same free name).
        { typeof(RenameDuplicateStepCodeFixProvider), "WF0001", false },
        // WF0013 rewrites a document's catches in one edit (batched fixes each adding `using Workflows;` overlap).
        { typeof(CatchStepFailedExceptionCodeFixProvider), "WF0013", false },
        // WF0015 moves a document's calls one after another (two batched moves would pick the same free step name).
        { typeof(MoveIoIntoStepCodeFixProvider), "WF0015", false },
    };

    [Theory]
    [MemberData(nameof(Providers))]
    public void Each_provider_is_exported_shared_and_fixes_its_one_id(Type type, string id, bool batched)
    {
        var export = type.GetCustomAttribute<ExportCodeFixProviderAttribute>();
        Assert.NotNull(export);
        Assert.Equal(new[] { LanguageNames.CSharp }, export.Languages);
        Assert.NotNull(type.GetCustomAttribute<SharedAttribute>());

        var provider = (CodeFixProvider)Activator.CreateInstance(type)!;
        Assert.Equal(new[] { id }, provider.FixableDiagnosticIds);
        var fixAll = provider.GetFixAllProvider();
        Assert.NotNull(fixAll);
        Assert.Equal(batched, ReferenceEquals(fixAll, WellKnownFixAllProviders.BatchFixer));
    }

    [Fact]
    public void The_assembly_holds_exactly_these_providers()
    {
        var providers = typeof(UseWorkflowApiCodeFixProvider).Assembly.GetTypes()
            .Where(t => typeof(CodeFixProvider).IsAssignableFrom(t) && !t.IsAbstract)
            .Select(t => t.Name)
            .Order(StringComparer.Ordinal);
        Assert.Equal(
            new[] { nameof(CatchStepFailedExceptionCodeFixProvider), nameof(MakeWorkflowPartialCodeFixProvider), nameof(MoveIoIntoStepCodeFixProvider), nameof(RenameDuplicateStepCodeFixProvider), nameof(UseWorkflowApiCodeFixProvider) },
            providers);
    }
}
