using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests;

/// <summary>
/// The generator and the analyzers run on every keystroke: whatever half-typed code they are given, they must not
/// throw (a throwing generator is reported as CS8785 and produces nothing at all; a throwing analyzer as AD0001).
/// </summary>
public sealed class RobustnessTests
{
    /// <summary>Workflow code full of the mistakes the analyzers look for, cut up like the valid cases.</summary>
    private static readonly WorkflowCase Mistakes = new(
        "Mistakes",
        new SourceFile("/src/MistakesWorkflow.cs", """
            using System.Diagnostics;
            using Workflows;

            namespace Mistakes;

            [Workflow("mistakes")]
            public partial class MistakesWorkflow(int seed)
            {
                private int _total;

                [WorkflowRun]
                public async Task<int> RunAsync(List<int> items)
                {
                    foreach (var item in items)
                    {
                        Func<DateTime> clock = () => DateTime.Now;
                        Func<int, Task<int>> step = AddAsync;
                        _total += await step(item) + clock().Second;
                    }
                    await Task.Delay(10);
                    try { await AddAsync(1); } catch (FormatException e) when (e.HResult > 0) { _total--; } catch (OperationCanceledException) { throw; }
                    var watch = Stopwatch.StartNew();
                    return _total + Helper() + new Random().Next() + (int)watch.ElapsedTicks;
                }

                private int Helper() => Environment.TickCount + Guid.NewGuid().GetHashCode();

                [Step]
                private async Task<int> AddAsync(int value)
                {
                    _total += value;
                    seed++;
                    await Workflow.SleepAsync(TimeSpan.FromSeconds(1));
                    return await AddAsync(value - 1);
                }

                [Step("add")]
                private Task<object> AddAsync(string value) => Task.FromResult<object>(value);
            }

            public class Outsider
            {
                public Task<int> Call(MistakesWorkflow workflow) => workflow.GetType().GetMethod("AddAsync")!.Invoke(workflow, [1]) as Task<int> ?? Task.FromResult(0);
            }
            """));

    public static TheoryData<string> Cases
    {
        get
        {
            var cases = TestWorkflows.Names();
            cases.Add(Mistakes.Name);
            return cases;
        }
    }

    private static WorkflowCase Named(string name) => name == Mistakes.Name ? Mistakes : TestWorkflows.Named(name);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Never_throws_on_any_prefix_of_a_workflow_source(string name)
    {
        AssertNeverThrows(Named(name), Prefixes);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Never_throws_when_any_one_line_is_missing(string name)
    {
        AssertNeverThrows(Named(name), WithOneLineRemoved);
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
                var run = AnalyzerHarness.Run(files);
                runs++;
                if (run.Generation.Generator.Exception is { } exception)
                {
                    failures.Add($"{files[i].Path}, {variant.Split('\n').Length} lines: {exception.GetType().Name}: {exception.Message}\n--- source ---\n{variant}\n");
                }
                else if (run.Failures.FirstOrDefault() is { } diagnostic)
                {
                    failures.Add($"{files[i].Path}, {variant.Split('\n').Length} lines: {diagnostic.Id} {diagnostic.GetMessage()}\n--- source ---\n{variant}\n");
                }
            }
        }
        Assert.True(runs > 10, "the sweep ran too few variants to mean anything");
        Assert.True(failures.Count == 0, $"{failures.Count} of {runs} variants made the generator or an analyzer throw:\n" + string.Join("\n", failures.Take(3)));
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
