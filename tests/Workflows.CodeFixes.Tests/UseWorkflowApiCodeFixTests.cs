using Workflows.CodeFixes.Tests.Infrastructure;

namespace Workflows.CodeFixes.Tests;

/// <summary>WF0007: non-deterministic calls in workflow code become the recording Workflow API.</summary>
public sealed class UseWorkflowApiCodeFixTests
{
    private static readonly UseWorkflowApiCodeFixProvider s_provider = new();

    /// <summary>A workflow whose run method holds <paramref name="body"/>, with `using Workflows;` at the top.</summary>
    private static string InRun(string body, string usings = "using Workflows;\n\n") => usings + $$"""
        namespace Shop;

        [Workflow]
        public partial class StampWorkflow
        {
            [WorkflowRun]
            public async Task<string> RunAsync(string input, CancellationToken cancellationToken)
            {
        {{body}}
            }

            [Step]
            private Task<string> EchoAsync(string value) => Task.FromResult(value);
        }
        """;

    [Fact]
    public Task DateTime_UtcNow_becomes_Workflow_UtcNow() => CodeFixHarness.VerifyFixAsync(s_provider,
        InRun("""
                    var started = [|DateTime.UtcNow|]; // when the order was stamped
                    return await EchoAsync(input + started.Ticks);
            """),
        InRun("""
                    var started = Workflow.UtcNow; // when the order was stamped
                    return await EchoAsync(input + started.Ticks);
            """));

    [Fact]
    public Task DateTime_Now_becomes_Workflow_Now() => CodeFixHarness.VerifyFixAsync(s_provider,
        InRun("""
                    return await EchoAsync(input + [|DateTime.Now|].Hour);
            """),
        InRun("""
                    return await EchoAsync(input + Workflow.Now.Hour);
            """));

    [Fact]
    public Task Fully_qualified_System_DateTime_UtcNow_becomes_Workflow_UtcNow() => CodeFixHarness.VerifyFixAsync(s_provider,
        InRun("""
                    var started = [|System.DateTime.UtcNow|];
                    return await EchoAsync(input + started.Ticks);
            """),
        InRun("""
                    var started = Workflow.UtcNow;
                    return await EchoAsync(input + started.Ticks);
            """));

    [Fact]
    public Task DateTime_Today_becomes_the_date_of_Workflow_Now() => CodeFixHarness.VerifyFixAsync(s_provider,
        InRun("""
                    var today = [|DateTime.Today|];
                    return await EchoAsync(input + today.DayOfWeek);
            """),
        InRun("""
                    var today = Workflow.Now.Date;
                    return await EchoAsync(input + today.DayOfWeek);
            """));

    [Fact]
    public Task DateTimeOffset_UtcNow_and_Now_become_offsets_of_the_recorded_time() => CodeFixHarness.VerifyFixAllAsync(s_provider,
        InRun("""
                    var utc = [|DateTimeOffset.UtcNow|];
                    var local = [|DateTimeOffset.Now|];
                    return await EchoAsync(input + utc.Offset + local.Offset);
            """),
        InRun("""
                    var utc = new DateTimeOffset(Workflow.UtcNow);
                    var local = new DateTimeOffset(Workflow.Now);
                    return await EchoAsync(input + utc.Offset + local.Offset);
            """));

    [Fact]
    public Task Guid_NewGuid_becomes_Workflow_NewGuid() => CodeFixHarness.VerifyFixAsync(s_provider,
        InRun("""
                    var orderId = [|Guid.NewGuid()|];
                    return await EchoAsync(orderId.ToString("N"));
            """),
        InRun("""
                    var orderId = Workflow.NewGuid();
                    return await EchoAsync(orderId.ToString("N"));
            """));

    [Fact]
    public Task Task_Delay_with_a_TimeSpan_becomes_Workflow_SleepAsync() => CodeFixHarness.VerifyFixAsync(s_provider,
        InRun("""
                    await [|Task.Delay(TimeSpan.FromMinutes(5))|];
                    return await EchoAsync(input);
            """),
        InRun("""
                    await Workflow.SleepAsync(TimeSpan.FromMinutes(5));
                    return await EchoAsync(input);
            """));

    [Fact]
    public Task Task_Delay_with_a_TimeSpan_and_a_token_keeps_the_token() => CodeFixHarness.VerifyFixAsync(s_provider,
        InRun("""
                    await [|Task.Delay(TimeSpan.FromSeconds(30), cancellationToken)|].ConfigureAwait(false);
                    return await EchoAsync(input);
            """),
        InRun("""
                    await Workflow.SleepAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
                    return await EchoAsync(input);
            """));

    [Fact]
    public Task Task_Delay_with_milliseconds_becomes_SleepAsync_of_TimeSpan_FromMilliseconds() => CodeFixHarness.VerifyFixAsync(s_provider,
        InRun("""
                    await [|Task.Delay(500)|];
                    return await EchoAsync(input);
            """),
        InRun("""
                    await Workflow.SleepAsync(TimeSpan.FromMilliseconds(500));
                    return await EchoAsync(input);
            """));

    [Fact]
    public Task Task_Delay_with_milliseconds_and_a_token() => CodeFixHarness.VerifyFixAsync(s_provider,
        InRun("""
                    var wait = 250;
                    await [|Task.Delay(wait * 2, cancellationToken)|];
                    return await EchoAsync(input);
            """),
        InRun("""
                    var wait = 250;
                    await Workflow.SleepAsync(TimeSpan.FromMilliseconds(wait * 2), cancellationToken);
                    return await EchoAsync(input);
            """));

    [Fact]
    public Task Task_Delay_named_arguments_take_SleepAsyncs_parameter_names() => CodeFixHarness.VerifyFixAsync(s_provider,
        InRun("""
                    await [|Task.Delay(delay: TimeSpan.FromSeconds(1), cancellationToken: cancellationToken)|];
                    return await EchoAsync(input);
            """),
        InRun("""
                    await Workflow.SleepAsync(duration: TimeSpan.FromSeconds(1), cancellationToken: cancellationToken);
                    return await EchoAsync(input);
            """));

    [Fact]
    public Task A_missing_using_Workflows_is_added() => CodeFixHarness.VerifyFixAsync(s_provider,
        """
        using System.Text;

        namespace Shop;

        [Workflows.Workflow]
        public partial class StampWorkflow
        {
            [Workflows.WorkflowRun]
            public async Task<string> RunAsync(string input)
            {
                var started = [|DateTime.UtcNow|];
                return await EchoAsync(new StringBuilder(input).Append(started.Ticks).ToString());
            }

            [Workflows.Step]
            private Task<string> EchoAsync(string value) => Task.FromResult(value);
        }
        """,
        """
        using System.Text;
        using Workflows;

        namespace Shop;

        [Workflows.Workflow]
        public partial class StampWorkflow
        {
            [Workflows.WorkflowRun]
            public async Task<string> RunAsync(string input)
            {
                var started = Workflow.UtcNow;
                return await EchoAsync(new StringBuilder(input).Append(started.Ticks).ToString());
            }

            [Workflows.Step]
            private Task<string> EchoAsync(string value) => Task.FromResult(value);
        }
        """);

    [Fact]
    public Task A_file_without_usings_gets_using_Workflows_above_its_namespace() => CodeFixHarness.VerifyFixAsync(s_provider,
        """
        namespace Shop;

        [Workflows.Workflow]
        public partial class StampWorkflow
        {
            [Workflows.WorkflowRun]
            public async Task<string> RunAsync(string input)
            {
                return await EchoAsync(input + [|Guid.NewGuid()|]);
            }

            [Workflows.Step]
            private Task<string> EchoAsync(string value) => Task.FromResult(value);
        }
        """,
        """
        using Workflows;

        namespace Shop;

        [Workflows.Workflow]
        public partial class StampWorkflow
        {
            [Workflows.WorkflowRun]
            public async Task<string> RunAsync(string input)
            {
                return await EchoAsync(input + Workflow.NewGuid());
            }

            [Workflows.Step]
            private Task<string> EchoAsync(string value) => Task.FromResult(value);
        }
        """);

    [Fact]
    public Task A_global_using_Workflows_elsewhere_is_enough() => CodeFixHarness.VerifyFixAsync(s_provider,
        """
        namespace Shop;

        [Workflow]
        public partial class StampWorkflow
        {
            [WorkflowRun]
            public async Task RunAsync()
            {
                await [|Task.Delay(10)|];
                await NoteAsync();
            }

            [Step]
            private Task NoteAsync() => Task.CompletedTask;
        }
        """,
        """
        namespace Shop;

        [Workflow]
        public partial class StampWorkflow
        {
            [WorkflowRun]
            public async Task RunAsync()
            {
                await Workflow.SleepAsync(TimeSpan.FromMilliseconds(10));
                await NoteAsync();
            }

            [Step]
            private Task NoteAsync() => Task.CompletedTask;
        }
        """,
        ("/src/WorkflowsUsing.cs", "global using Workflows;\n"));

    [Fact]
    public Task A_type_of_the_users_named_Workflow_keeps_the_namespace_qualifier() => CodeFixHarness.VerifyFixAsync(s_provider,
        InRun("""
                    var started = [|DateTime.UtcNow|];
                    return await EchoAsync(input + started.Ticks + Workflow.Kind);
            """) + "\n\npublic static class Workflow { public const string Kind = \"stamp\"; }\n",
        InRun("""
                    var started = Workflows.Workflow.UtcNow;
                    return await EchoAsync(input + started.Ticks + Workflow.Kind);
            """) + "\n\npublic static class Workflow { public const string Kind = \"stamp\"; }\n");

    [Fact]
    public Task Fix_all_replaces_every_fixable_call_in_the_document() => CodeFixHarness.VerifyFixAllAsync(s_provider,
        InRun("""
                    var id = [|Guid.NewGuid()|];
                    var started = [|DateTime.UtcNow|];
                    await [|Task.Delay(1000)|];
                    var local = [|DateTime.Now|];
                    await [|Task.Delay(TimeSpan.FromHours(1), cancellationToken)|];
                    return await EchoAsync($"{id} {started} {local}");
            """),
        InRun("""
                    var id = Workflow.NewGuid();
                    var started = Workflow.UtcNow;
                    await Workflow.SleepAsync(TimeSpan.FromMilliseconds(1000));
                    var local = Workflow.Now;
                    await Workflow.SleepAsync(TimeSpan.FromHours(1), cancellationToken);
                    return await EchoAsync($"{id} {started} {local}");
            """));

    [Fact]
    public Task Fix_all_adds_one_using_for_many_calls() => CodeFixHarness.VerifyFixAllAsync(s_provider,
        """
        namespace Shop;

        [Workflows.Workflow]
        public partial class StampWorkflow
        {
            [Workflows.WorkflowRun]
            public async Task<string> RunAsync(string input)
            {
                var id = [|Guid.NewGuid()|];
                await [|Task.Delay(20)|];
                return await EchoAsync($"{input} {id} {[|DateTime.UtcNow|]:O}");
            }

            [Workflows.Step]
            private Task<string> EchoAsync(string value) => Task.FromResult(value);
        }
        """,
        """
        using Workflows;

        namespace Shop;

        [Workflows.Workflow]
        public partial class StampWorkflow
        {
            [Workflows.WorkflowRun]
            public async Task<string> RunAsync(string input)
            {
                var id = Workflow.NewGuid();
                await Workflow.SleepAsync(TimeSpan.FromMilliseconds(20));
                return await EchoAsync($"{input} {id} {Workflow.UtcNow:O}");
            }

            [Workflows.Step]
            private Task<string> EchoAsync(string value) => Task.FromResult(value);
        }
        """);

    [Fact]
    public Task Fix_all_rewrites_a_call_nested_in_another() => CodeFixHarness.VerifyFixAllAsync(s_provider,
        InRun("""
                    await [|Task.Delay([|DateTime.UtcNow|].Millisecond, cancellationToken)|];
                    return await EchoAsync(input);
            """),
        InRun("""
                    await Workflow.SleepAsync(TimeSpan.FromMilliseconds(Workflow.UtcNow.Millisecond), cancellationToken);
                    return await EchoAsync(input);
            """));

    [Theory]
    [InlineData("[|Console.WriteLine(input)|];")]
    [InlineData("var dice = [|new Random()|].Next(6);")]
    [InlineData("[|Thread.Sleep(100)|];")]
    [InlineData("var ticks = [|Environment.TickCount64|];")]
    [InlineData("await [|Task.Delay(TimeSpan.FromSeconds(1), [|TimeProvider.System|])|];")]
    public Task No_fix_is_offered_for_calls_without_a_recorded_equivalent(string statement) => CodeFixHarness.VerifyNoFixAsync(s_provider,
        InRun($$"""
                    {{statement}}
                    return await EchoAsync(input);
            """));
}
