using System;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Workflows.Generators.Common;
using Workflows.Generators.Emitting;
using Workflows.Generators.Model;
using Workflows.Generators.Parsing;

namespace Workflows.Generators;

/// <summary>
/// The Workflows source generator. Three pipelines: one per [Workflow] class (definition, step wrappers, codecs,
/// schema version), which depends only on the workflow's declarations; one for step call sites (interceptors),
/// which changes with any edit of a calling file; and one file per assembly, when it references the hosting package,
/// with <c>AddGeneratedWorkflows()</c>, which depends only on the workflows' names. It reports no diagnostics: the
/// analyzers do.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class WorkflowGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var workflows = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownNames.WorkflowAttribute,
                static (node, _) => node is ClassDeclarationSyntax or RecordDeclarationSyntax,
                static (syntax, cancellationToken) => syntax.TargetSymbol is INamedTypeSymbol type
                    ? Guard(() => WorkflowParser.Parse(type, cancellationToken, syntax.SemanticModel.Compilation))
                    : null)
            .Where(static spec => spec is not null)
            .Select(static (spec, _) => spec!)
            .WithTrackingName(TrackingNames.Workflows);

        context.RegisterSourceOutput(workflows, static (output, spec) =>
            output.AddSource(spec.HintName + ".g.cs", WorkflowEmitter.Emit(spec)));

        var calls = context.SyntaxProvider
            .CreateSyntaxProvider(
                InterceptorParser.IsCandidate,
                static (syntax, cancellationToken) => Guard(() => InterceptorParser.Parse(syntax, cancellationToken)))
            .Where(static call => call is not null)
            .Select(static (call, _) => call!)
            .WithTrackingName(TrackingNames.Interceptors);

        var wrappers = workflows
            .Select(static (spec, _) => new EmittedWrappers(spec.FullyQualifiedName, spec.Steps.Select(s => s.WrapperName).ToEquatableArray()))
            .Collect();

        var groups = calls.Collect()
            .Combine(wrappers)
            .SelectMany(static (pair, _) => Group(pair.Left, pair.Right))
            .WithTrackingName(TrackingNames.InterceptorGroups);

        context.RegisterSourceOutput(groups, static (output, group) =>
            output.AddSource(group.WorkflowHintName + ".Interceptors.g.cs", InterceptorEmitter.Emit(group)));

        // Per compilation a bool: every edit re-evaluates it, but an equal value leaves everything after it cached.
        var hasBuilder = context.CompilationProvider
            .Select(static (compilation, _) => HasWorkflowsBuilder(compilation))
            .WithTrackingName(TrackingNames.HostingBuilder);

        // Only the workflows that get a Definition (a valid [WorkflowRun]), by name: a step body or signature edit
        // changes the spec, not these names, so the registration file stays cached.
        var registered = workflows
            .Where(static spec => spec.Run is not null)
            .Select(static (spec, _) => new RegisteredWorkflow(spec.FullyQualifiedName, spec.WorkflowName))
            .Collect();

        var registration = registered
            .Combine(hasBuilder)
            .Select(static (pair, _) => pair.Right ? Registration(pair.Left) : null)
            .WithTrackingName(TrackingNames.Registration);

        context.RegisterSourceOutput(registration, static (output, spec) =>
        {
            if (spec is not null) output.AddSource(RegistrationEmitter.HintName, RegistrationEmitter.Emit(spec));
        });
    }

    /// <summary>The builder type exists, is a class, and this assembly can see it (an internal one elsewhere does not count).</summary>
    private static bool HasWorkflowsBuilder(Compilation compilation) =>
        compilation.GetTypeByMetadataName(KnownNames.WorkflowsBuilder) is { TypeKind: TypeKind.Class } builder
        && compilation.IsSymbolAccessibleWithin(builder, compilation.Assembly);

    /// <summary>Distinct by class (a class is one workflow however many declarations it has), ordinal order.</summary>
    private static RegistrationSpec Registration(ImmutableArray<RegisteredWorkflow> workflows) =>
        new(workflows
            .GroupBy(w => w.FullyQualifiedName, StringComparer.Ordinal)
            .Select(g => g.First())
            .OrderBy(w => w.FullyQualifiedName, StringComparer.Ordinal)
            .ToEquatableArray());

    /// <summary>Calls grouped by workflow, keeping only calls of wrappers the workflow's file declares.</summary>
    private static ImmutableArray<InterceptorGroup> Group(ImmutableArray<InterceptorSpec> calls, ImmutableArray<EmittedWrappers> wrappers)
    {
        var builder = ImmutableArray.CreateBuilder<InterceptorGroup>();
        foreach (var byWorkflow in calls.GroupBy(c => c.WorkflowFullyQualifiedName).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var declared = wrappers.FirstOrDefault(w => w.WorkflowFullyQualifiedName == byWorkflow.Key);
            if (declared is null) continue;
            var kept = byWorkflow.Where(c => declared.WrapperNames.Items.Contains(c.WrapperName))
                .OrderBy(c => c.WrapperName, StringComparer.Ordinal)
                .ThenBy(c => c.LocationData, StringComparer.Ordinal)
                .ToEquatableArray();
            if (kept.Length > 0)
            {
                builder.Add(new InterceptorGroup(kept[0].WorkflowHintName, byWorkflow.Key, kept));
            }
        }
        return builder.ToImmutable();
    }

    /// <summary>The generator never throws on user code, however incomplete; what it cannot model, it skips.</summary>
    private static T? Guard<T>(Func<T?> parse) where T : class
    {
        try
        {
            return parse();
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception)
        {
            return null;
        }
    }
}
