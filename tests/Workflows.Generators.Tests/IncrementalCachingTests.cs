using Microsoft.CodeAnalysis;
using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests;

/// <summary>
/// The generator re-runs with the same driver after an edit: what the edit cannot affect must come from the cache,
/// so the IDE does not regenerate (and recompile) a workflow's file on every keystroke elsewhere.
/// </summary>
public sealed class IncrementalCachingTests
{
    private static readonly string[] s_trackedSteps = { TrackingNames.Workflows, TrackingNames.Interceptors, TrackingNames.InterceptorGroups, TrackingNames.HostingBuilder, TrackingNames.Registration };

    private const string RegistrationHintName = "Workflows-Registration.g.cs";

    private static readonly SourceFile s_unrelated = new("/src/Unrelated.cs", """
        namespace Other;

        public static class Arithmetic
        {
            public static int Twice(int value) => Add(value, value);

            private static int Add(int left, int right) => left + right;
        }
        """);

    [Fact]
    public void Adding_an_unrelated_file_leaves_every_output_cached_or_unchanged()
    {
        var first = GeneratorHarness.Run(TestWorkflows.Order.Files);

        var second = GeneratorHarness.Run(first.Driver, first.InputCompilation.AddSyntaxTrees(GeneratorHarness.Parse(s_unrelated)));

        AssertEveryOutputCachedOrUnchanged(second);
        Assert.Equal(first.Sources, second.Sources);
    }

    [Fact]
    public void Editing_an_unrelated_file_leaves_every_output_cached_or_unchanged()
    {
        var first = GeneratorHarness.Run(TestWorkflows.Order.Files.Append(s_unrelated).ToArray());
        var edited = s_unrelated with { Text = s_unrelated.Text.Replace("left + right", "right + left") };

        var second = GeneratorHarness.Run(first.Driver, Replace(first.InputCompilation, s_unrelated, edited));

        AssertEveryOutputCachedOrUnchanged(second);
        Assert.Equal(first.Sources, second.Sources);
    }

    [Fact]
    public void Editing_a_step_body_does_not_regenerate_the_workflow_file()
    {
        var first = GeneratorHarness.Run(TestWorkflows.Order.Files);
        var workflowFile = TestWorkflows.Order.Files[0];
        var edited = workflowFile with { Text = workflowFile.Text.Replace("is on its way", "has shipped") };
        Assert.NotEqual(workflowFile.Text, edited.Text);

        var second = GeneratorHarness.Run(first.Driver, Replace(first.InputCompilation, workflowFile, edited));

        Assert.All(OutputReasons(second, TrackingNames.Workflows), AssertCachedOrUnchanged);
        Assert.All(SourceOutputSteps(second).Where(step => step.Inputs.Any(input => input.Source.Name == TrackingNames.Workflows))
            .SelectMany(step => step.Outputs).Select(output => output.Reason), AssertCachedOrUnchanged);
        Assert.Equal(first.Source("OrderFulfillment.OrderWorkflow.g.cs"), second.Source("OrderFulfillment.OrderWorkflow.g.cs"));
    }

    [Fact]
    public void Editing_a_step_body_moves_the_interceptors_with_the_edit()
    {
        var first = GeneratorHarness.Run(TestWorkflows.Order.Files);
        var workflowFile = TestWorkflows.Order.Files[0];
        var edited = workflowFile with { Text = workflowFile.Text.Replace("is on its way", "has shipped") };

        var second = GeneratorHarness.Run(first.Driver, Replace(first.InputCompilation, workflowFile, edited));

        // The interceptor locations carry a checksum of the file: they must be re-emitted, and still compile.
        Assert.NotEqual(first.Source("OrderFulfillment.OrderWorkflow.Interceptors.g.cs"), second.Source("OrderFulfillment.OrderWorkflow.Interceptors.g.cs"));
        second.AssertCompilesCleanly();
    }

    [Fact]
    public void Running_twice_on_the_same_compilation_caches_every_step()
    {
        var first = GeneratorHarness.Run(TestWorkflows.Order.Files);

        var second = GeneratorHarness.Run(first.Driver, first.InputCompilation);

        Assert.All(s_trackedSteps.SelectMany(name => OutputReasons(second, name)), reason => Assert.Equal(IncrementalStepRunReason.Cached, reason));
    }

    [Fact]
    public void Editing_a_step_body_leaves_the_registration_file_cached()
    {
        var first = GeneratorHarness.Run(TestWorkflows.Hosting.Files);
        var workflowFile = TestWorkflows.Hosting.Files[0];
        var edited = workflowFile with { Text = workflowFile.Text.Replace("\"refunded \" + orderId", "\"refund of \" + orderId") };
        Assert.NotEqual(workflowFile.Text, edited.Text);

        var second = GeneratorHarness.Run(first.Driver, Replace(first.InputCompilation, workflowFile, edited));

        Assert.Equal(new[] { IncrementalStepRunReason.Unchanged }, OutputReasons(second, TrackingNames.HostingBuilder));
        Assert.Equal(new[] { IncrementalStepRunReason.Cached }, OutputReasons(second, TrackingNames.Registration));
        Assert.Equal(new[] { IncrementalStepRunReason.Cached }, RegistrationOutputReasons(second));
        Assert.Equal(first.Source(RegistrationHintName), second.Source(RegistrationHintName));
    }

    [Fact]
    public void Changing_a_step_signature_regenerates_the_workflow_but_not_the_registration()
    {
        var first = GeneratorHarness.Run(TestWorkflows.Hosting.Files);
        var workflowFile = TestWorkflows.Hosting.Files[0];
        var edited = workflowFile with { Text = workflowFile.Text.Replace("private Task ReserveAsync(int cartId)", "private Task ReserveAsync(long cartId)") };
        Assert.NotEqual(workflowFile.Text, edited.Text);

        var second = GeneratorHarness.Run(first.Driver, Replace(first.InputCompilation, workflowFile, edited));

        Assert.Contains(IncrementalStepRunReason.Modified, OutputReasons(second, TrackingNames.Workflows));
        Assert.All(OutputReasons(second, TrackingNames.Registration), AssertCachedOrUnchanged);
        Assert.All(RegistrationOutputReasons(second), AssertCachedOrUnchanged);
        Assert.Equal(first.Source(RegistrationHintName), second.Source(RegistrationHintName));
    }

    [Fact]
    public void Adding_a_workflow_regenerates_the_registration()
    {
        var first = GeneratorHarness.Run(TestWorkflows.Hosting.Files);
        var added = new SourceFile("/src/Audit.cs", """
            using Workflows;

            namespace Shop;

            [Workflow("audit")]
            public partial class AuditWorkflow
            {
                [WorkflowRun]
                public Task RunAsync(string input) => Task.CompletedTask;
            }
            """);

        var second = GeneratorHarness.Run(first.Driver, first.InputCompilation.AddSyntaxTrees(GeneratorHarness.Parse(added)));

        Assert.Equal(new[] { IncrementalStepRunReason.Modified }, OutputReasons(second, TrackingNames.Registration));
        Assert.Contains("builder.AddWorkflow(global::Shop.AuditWorkflow.Definition);", second.Source(RegistrationHintName));
        second.AssertCompilesCleanly();
    }

    [Fact]
    public void Adding_the_builder_type_turns_the_registration_file_on()
    {
        var withoutBuilder = TestWorkflows.Hosting.Files.Where(f => f != TestWorkflows.HostingStub && f.Path != "/src/Startup.cs").ToArray();
        var first = GeneratorHarness.Run(withoutBuilder);
        Assert.DoesNotContain(RegistrationHintName, first.HintNames);

        var second = GeneratorHarness.Run(first.Driver, first.InputCompilation.AddSyntaxTrees(GeneratorHarness.Parse(TestWorkflows.HostingStub)));

        Assert.Equal(new[] { IncrementalStepRunReason.Modified }, OutputReasons(second, TrackingNames.HostingBuilder));
        Assert.Contains("builder.AddWorkflow(global::Shop.RefundWorkflow.Definition);", second.Source(RegistrationHintName));
        // The per-workflow files did not depend on it.
        Assert.All(OutputReasons(second, TrackingNames.Workflows), AssertCachedOrUnchanged);
    }

    private static List<IncrementalStepRunReason> RegistrationOutputReasons(GeneratorRun run) =>
        SourceOutputSteps(run)
            .Where(step => step.Inputs.Any(input => input.Source.Name == TrackingNames.Registration))
            .SelectMany(step => step.Outputs)
            .Select(output => output.Reason)
            .ToList();

    private static void AssertEveryOutputCachedOrUnchanged(GeneratorRun run)
    {
        foreach (var name in s_trackedSteps)
        {
            var reasons = OutputReasons(run, name);
            Assert.NotEmpty(reasons);
            Assert.All(reasons, AssertCachedOrUnchanged);
        }
        var outputs = SourceOutputSteps(run).SelectMany(step => step.Outputs).Select(output => output.Reason).ToList();
        Assert.NotEmpty(outputs);
        Assert.All(outputs, AssertCachedOrUnchanged);
    }

    private static void AssertCachedOrUnchanged(IncrementalStepRunReason reason) =>
        Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"expected Cached or Unchanged, was {reason}");

    private static List<IncrementalStepRunReason> OutputReasons(GeneratorRun run, string trackingName) =>
        run.Generator.TrackedSteps.TryGetValue(trackingName, out var steps)
            ? steps.SelectMany(step => step.Outputs).Select(output => output.Reason).ToList()
            : throw new Xunit.Sdk.XunitException($"No tracked step '{trackingName}'; tracked: {string.Join(", ", run.Generator.TrackedSteps.Keys)}");

    private static IEnumerable<IncrementalGeneratorRunStep> SourceOutputSteps(GeneratorRun run) =>
        run.Generator.TrackedOutputSteps.SelectMany(pair => pair.Value);

    private static Compilation Replace(Compilation compilation, SourceFile old, SourceFile edited) =>
        compilation.ReplaceSyntaxTree(
            compilation.SyntaxTrees.Single(tree => tree.FilePath == old.Path),
            GeneratorHarness.Parse(edited));
}
