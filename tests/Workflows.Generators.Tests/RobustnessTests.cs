using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests;

/// <summary>
/// The generator runs on every keystroke: whatever half-typed code it is given, it must not throw (a throwing
/// generator is reported as CS8785 and produces nothing at all).
/// </summary>
public sealed class RobustnessTests
{
    public static TheoryData<string> Cases => TestWorkflows.Names();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Never_throws_on_any_prefix_of_a_workflow_source(string name)
    {
        AssertNeverThrows(TestWorkflows.Named(name), Prefixes);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Never_throws_when_any_one_line_is_missing(string name)
    {
        AssertNeverThrows(TestWorkflows.Named(name), WithOneLineRemoved);
    }

    /// <summary>Each file of the case in turn is replaced by every variant; the other files stay whole.</summary>
    private static void AssertNeverThrows(WorkflowCase workflowCase, Func<string, IEnumerable<string>> variants)
    {
        var failures = new List<string>();
        var runs = 0;
        for (var i = 0; i < workflowCase.Files.Length; i++)
        {
            foreach (var variant in variants(workflowCase.Files[i].Text))
            {
                var files = workflowCase.Files.ToArray();
                files[i] = files[i] with { Text = variant };
                var run = GeneratorHarness.Run(files);
                runs++;
                if (run.Generator.Exception is { } exception)
                {
                    failures.Add($"{files[i].Path}, {variant.Split('\n').Length} lines: {exception.GetType().Name}: {exception.Message}\n--- source ---\n{variant}\n");
                }
                else if (run.DriverDiagnostics.FirstOrDefault(d => d.Id == "CS8785") is { } diagnostic)
                {
                    failures.Add($"{files[i].Path}, {variant.Split('\n').Length} lines: {diagnostic.GetMessage()}");
                }
            }
        }
        Assert.True(runs > 10, "the sweep ran too few variants to mean anything");
        Assert.True(failures.Count == 0, $"{failures.Count} of {runs} variants made the generator throw:\n" + string.Join("\n", failures.Take(3)));
    }

    private static IEnumerable<string> Prefixes(string text)
    {
        var lines = text.Split('\n');
        for (var count = 0; count <= lines.Length; count++)
        {
            yield return string.Join('\n', lines.Take(count));
        }
    }

    private static IEnumerable<string> WithOneLineRemoved(string text)
    {
        var lines = text.Split('\n');
        for (var removed = 0; removed < lines.Length; removed++)
        {
            yield return string.Join('\n', lines.Where((_, index) => index != removed));
        }
    }
}
