using Workflows.CodeFixes.Tests.Infrastructure;

namespace Workflows.CodeFixes.Tests;

/// <summary>
/// WF0007's newer table entries (an injected TimeProvider, hash codes, machine facts, timeouts, locks, static fields,
/// hash-ordered iteration) have no recorded equivalent to swap in: the Workflow API fix is never offered for them.
/// </summary>
public sealed class ApiTableNoFixTests
{
    private static readonly UseWorkflowApiCodeFixProvider s_provider = new();

    [Theory]
    [InlineData("var now = [|clock.GetUtcNow()|];")]
    [InlineData("var hash = [|input.GetHashCode()|];")]
    [InlineData("var cores = [|Environment.ProcessorCount|];")]
    [InlineData("using var timeout = [|new CancellationTokenSource(1000)|];")]
    [InlineData("using var gate = [|new SemaphoreSlim(1)|];")]
    [InlineData("[|s_runs|]++;")]
    [InlineData("[|foreach (var pair in new System.Collections.Concurrent.ConcurrentDictionary<string, int>()) { }|]")]
    public Task No_fix_is_offered(string statement) => CodeFixHarness.VerifyNoFixAsync(s_provider, $$"""
        using Workflows;

        namespace Shop;

        [Workflow]
        public partial class TableWorkflow(TimeProvider clock)
        {
            private static int s_runs;

            [WorkflowRun]
            public async Task<string> RunAsync(string input)
            {
                {{statement}}
                return await EchoAsync(input);
            }

            [Step]
            private Task<string> EchoAsync(string value) => Task.FromResult(value);
        }
        """);
}
