using System.Collections;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Workflows.Generators.Model;
using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests;

/// <summary>
/// The incremental model must compare by value: a symbol, syntax node or compilation held in it would defeat caching
/// and keep whole compilations alive in the IDE. This walks every output of every tracked step.
/// </summary>
public sealed class ModelPurityTests
{
    private static readonly Type[] s_forbidden =
    {
        typeof(ISymbol), typeof(SyntaxNode), typeof(SyntaxTree), typeof(Location), typeof(SemanticModel), typeof(Compilation),
    };

    public static TheoryData<string> Cases => TestWorkflows.Names();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Tracked_step_outputs_hold_no_compiler_objects(string name)
    {
        var run = GeneratorHarness.Run(TestWorkflows.Named(name).Files);
        var walker = new ModelWalker();

        foreach (var trackingName in new[] { TrackingNames.Workflows, TrackingNames.Interceptors, TrackingNames.InterceptorGroups, TrackingNames.HostingBuilder, TrackingNames.Registration })
        {
            Assert.True(run.Generator.TrackedSteps.TryGetValue(trackingName, out var steps), $"step {trackingName} is not tracked");
            foreach (var step in steps)
            {
                foreach (var (value, _) in step.Outputs)
                {
                    walker.Walk(value, trackingName);
                }
            }
        }

        Assert.Empty(walker.Violations);
        // Not vacuous: the walk reached the specs it is meant to check.
        Assert.Contains(typeof(WorkflowSpec), walker.VisitedTypes);
        Assert.Contains(typeof(StepSpec), walker.VisitedTypes);
        Assert.Contains(typeof(InterceptorSpec), walker.VisitedTypes);
        Assert.Contains(typeof(InterceptorGroup), walker.VisitedTypes);
        if (TestWorkflows.Named(name).Files.Contains(TestWorkflows.HostingStub))
        {
            Assert.Contains(typeof(RegistrationSpec), walker.VisitedTypes);
            Assert.Contains(typeof(RegisteredWorkflow), walker.VisitedTypes);
        }
    }

    [Fact]
    public void The_walker_finds_a_compiler_object_inside_an_equatable_array()
    {
        var symbol = GeneratorHarness.Compile().GetSpecialType(SpecialType.System_Int32);
        var walker = new ModelWalker();

        walker.Walk(new { Items = System.Collections.Immutable.ImmutableArray.Create<object>("text", new[] { symbol }) }, "root");

        Assert.Single(walker.Violations);
    }

    private sealed class ModelWalker
    {
        private readonly HashSet<object> _seen = new(ReferenceEqualityComparer.Instance);

        public List<string> Violations { get; } = new();

        public HashSet<Type> VisitedTypes { get; } = new();

        public void Walk(object? value, string path)
        {
            if (value is null) return;
            var type = value.GetType();
            VisitedTypes.Add(type);
            if (s_forbidden.FirstOrDefault(f => f.IsInstanceOfType(value)) is { } forbidden)
            {
                Violations.Add($"{path} is a {forbidden.Name} ({type.FullName})");
                return;
            }
            if (type.IsPrimitive || type.IsEnum || value is string or decimal) return;
            if (!type.IsValueType && !_seen.Add(value)) return;

            if (value is IEnumerable items)
            {
                var index = 0;
                foreach (var item in items) Walk(item, $"{path}[{index++}]");
            }
            for (var current = type; current is not null && current != typeof(object); current = current.BaseType)
            {
                foreach (var field in current.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                {
                    Walk(field.GetValue(value), path + "." + field.Name);
                }
            }
        }
    }
}
