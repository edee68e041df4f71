using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests;

/// <summary>The generated files of representative workflows, compared with committed baselines.</summary>
public sealed class EmittedSourceTests
{
    public static TheoryData<string> Cases => TestWorkflows.Names();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generated_code_compiles(string name)
    {
        var run = GeneratorHarness.Run(TestWorkflows.Named(name).Files);

        run.AssertCompilesCleanly();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generated_files_match_their_baselines(string name)
    {
        var run = GeneratorHarness.Run(TestWorkflows.Named(name).Files);

        Assert.NotEmpty(run.Sources);
        foreach (var (hintName, text) in run.Sources)
        {
            Baseline.AssertMatches(hintName, text);
        }
    }

    [Fact]
    public void Every_baseline_file_belongs_to_a_generated_file()
    {
        var generated = TestWorkflows.All.SelectMany(c => GeneratorHarness.Run(c.Files).HintNames).ToHashSet(StringComparer.Ordinal);
        var baselines = Directory.GetFiles(Baseline.Directory, "*.txt").Select(p => Path.GetFileNameWithoutExtension(p));

        Assert.All(baselines, hintName => Assert.Contains(hintName, generated));
    }

    [Fact]
    public void Order_workflow_produces_its_definition_file_and_its_interceptors()
    {
        var run = GeneratorHarness.Run(TestWorkflows.Order.Files);

        Assert.Equal(
            new[] { "OrderFulfillment.OrderWorkflow.Interceptors.g.cs", "OrderFulfillment.OrderWorkflow.g.cs" },
            run.HintNames);
    }
}
