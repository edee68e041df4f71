using Workflows.CodeFixes.Tests.Infrastructure;

namespace Workflows.CodeFixes.Tests;

/// <summary>
/// WF0007 on <c>Task.WhenAny</c>: the fix turns it into <c>Workflow.WhenAnyAsync</c>, which journals the winner, for
/// every overload where the new call compiles with the same type (two tasks, params, arrays, sequences through
/// <c>.ToArray()</c>), and offers nothing where it would not.
/// </summary>
public sealed class WhenAnyCodeFixTests
{
    private static readonly UseWorkflowApiCodeFixProvider s_provider = new();

    /// <summary>A workflow with two steps whose run method holds <paramref name="body"/>.</summary>
    private static string InRun(string body, string usings = "using Workflows;\n\n") => usings + $$"""
        namespace Shop;

        [Workflow]
        public partial class RaceWorkflow
        {
            [WorkflowRun]
            public async Task<string> RunAsync(string input)
            {
        {{body}}
            }

            [Step]
            private Task<string> SlowAsync(string value) => Task.FromResult("slow:" + value);

            [Step]
            private Task<string> FastAsync(string value) => Task.FromResult("fast:" + value);

            [Step]
            private Task NoteAsync(string value) => Task.CompletedTask;
        }
        """;

    [Fact]
    public Task Two_steps_of_one_type_become_the_typed_WhenAnyAsync() => CodeFixHarness.VerifyFixAsync(s_provider,
        InRun("""
                    Task<string> first = await [|Task.WhenAny(SlowAsync(input), FastAsync(input))|];
                    return await first;
            """),
        InRun("""
                    Task<string> first = await Workflow.WhenAnyAsync(SlowAsync(input), FastAsync(input));
                    return await first;
            """));

    [Fact]
    public Task Tasks_of_different_types_become_the_untyped_WhenAnyAsync() => CodeFixHarness.VerifyFixAsync(s_provider,
        InRun("""
                    var answer = SlowAsync(input);
                    Task winner = await [|Task.WhenAny(answer, Workflow.SleepAsync(TimeSpan.FromMinutes(5)))|];
                    return winner == answer ? await answer : "timed out";
            """),
        InRun("""
                    var answer = SlowAsync(input);
                    Task winner = await Workflow.WhenAnyAsync(answer, Workflow.SleepAsync(TimeSpan.FromMinutes(5)));
                    return winner == answer ? await answer : "timed out";
            """));

    [Fact]
    public Task Three_tasks_in_the_params_form_keep_their_arguments() => CodeFixHarness.VerifyFixAsync(s_provider,
        InRun("""
                    var first = await [|Task.WhenAny(SlowAsync(input), FastAsync(input), NoteAsync(input))|].ConfigureAwait(false);
                    return first.IsCompletedSuccessfully ? "done" : "failed";
            """),
        InRun("""
                    var first = await Workflow.WhenAnyAsync(SlowAsync(input), FastAsync(input), NoteAsync(input)).ConfigureAwait(false);
                    return first.IsCompletedSuccessfully ? "done" : "failed";
            """));

    [Fact]
    public Task An_array_of_tasks_is_passed_as_it_is() => CodeFixHarness.VerifyFixAsync(s_provider,
        InRun("""
                    Task<string>[] racers = [SlowAsync(input), FastAsync(input)];
                    return await await [|Task.WhenAny(racers)|];
            """),
        InRun("""
                    Task<string>[] racers = [SlowAsync(input), FastAsync(input)];
                    return await await Workflow.WhenAnyAsync(racers);
            """));

    [Fact]
    public Task Explicit_type_arguments_bind_the_typed_WhenAnyAsync_and_are_reduced_where_inferred() => CodeFixHarness.VerifyFixAsync(s_provider,
        InRun("""
                    return await await [|Task.WhenAny<string>(SlowAsync(input), FastAsync(input))|];
            """),
        InRun("""
                    return await await Workflow.WhenAnyAsync(SlowAsync(input), FastAsync(input));
            """));

    [Fact]
    public Task A_list_of_tasks_is_passed_as_an_array() => CodeFixHarness.VerifyFixAsync(s_provider,
        InRun("""
                    var racers = new List<Task<string>> { SlowAsync(input), FastAsync(input) };
                    return await await [|Task.WhenAny(racers)|];
            """),
        InRun("""
                    var racers = new List<Task<string>> { SlowAsync(input), FastAsync(input) };
                    return await await Workflow.WhenAnyAsync(racers.ToArray());
            """));

    [Fact]
    public Task A_query_of_tasks_is_passed_as_an_array() => CodeFixHarness.VerifyFixAsync(s_provider,
        InRun("""
                    IEnumerable<Task> notes = input.Split(',').Select(NoteAsync);
                    await [|Task.WhenAny(notes)|];
                    return "noted";
            """),
        InRun("""
                    IEnumerable<Task> notes = input.Split(',').Select(NoteAsync);
                    await Workflow.WhenAnyAsync(notes.ToArray());
                    return "noted";
            """));

    [Fact]
    public Task A_sequence_expression_is_parenthesized_before_ToArray() => CodeFixHarness.VerifyFixAsync(s_provider,
        InRun("""
                    List<Task<string>>? preferred = input.Length > 1 ? input.Split(',').Select(SlowAsync).ToList() : null;
                    return await await [|Task.WhenAny(preferred ?? [FastAsync(input)])|];
            """),
        InRun("""
                    List<Task<string>>? preferred = input.Length > 1 ? input.Split(',').Select(SlowAsync).ToList() : null;
                    return await await Workflow.WhenAnyAsync((preferred ?? [FastAsync(input)]).ToArray());
            """));

    [Fact]
    public Task A_using_static_WhenAny_becomes_Workflow_WhenAnyAsync() => CodeFixHarness.VerifyFixAsync(s_provider,
        InRun("""
                    return await await [|WhenAny(SlowAsync(input), FastAsync(input))|];
            """, "using Workflows;\nusing static System.Threading.Tasks.Task;\n\n"),
        InRun("""
                    return await await Workflow.WhenAnyAsync(SlowAsync(input), FastAsync(input));
            """, "using Workflows;\nusing static System.Threading.Tasks.Task;\n\n"));

    [Fact]
    public Task A_missing_using_Workflows_is_added() => CodeFixHarness.VerifyFixAsync(s_provider,
        """
        namespace Shop;

        [Workflows.Workflow]
        public partial class RaceWorkflow
        {
            [Workflows.WorkflowRun]
            public async Task<string> RunAsync(string input) => await await [|Task.WhenAny(SlowAsync(input), FastAsync(input))|];

            [Workflows.Step]
            private Task<string> SlowAsync(string value) => Task.FromResult("slow:" + value);

            [Workflows.Step]
            private Task<string> FastAsync(string value) => Task.FromResult("fast:" + value);
        }
        """,
        """
        using Workflows;

        namespace Shop;

        [Workflows.Workflow]
        public partial class RaceWorkflow
        {
            [Workflows.WorkflowRun]
            public async Task<string> RunAsync(string input) => await await Workflow.WhenAnyAsync(SlowAsync(input), FastAsync(input));

            [Workflows.Step]
            private Task<string> SlowAsync(string value) => Task.FromResult("slow:" + value);

            [Workflows.Step]
            private Task<string> FastAsync(string value) => Task.FromResult("fast:" + value);
        }
        """);

    [Fact]
    public Task Fix_all_rewrites_a_race_and_the_delay_inside_it() => CodeFixHarness.VerifyFixAllAsync(s_provider,
        InRun("""
                    var answer = SlowAsync(input);
                    var winner = await [|Task.WhenAny(answer, [|Task.Delay(1000)|])|];
                    return winner == answer ? await answer : "timed out";
            """),
        InRun("""
                    var answer = SlowAsync(input);
                    var winner = await Workflow.WhenAnyAsync(answer, Workflow.SleepAsync(TimeSpan.FromMilliseconds(1000)));
                    return winner == answer ? await answer : "timed out";
            """));

    [Fact]
    public Task Named_arguments_get_no_fix() => CodeFixHarness.VerifyNoFixAsync(s_provider,
        InRun("""
                    return await await [|Task.WhenAny(task1: SlowAsync(input), task2: FastAsync(input))|];
            """));

    [Fact]
    public Task A_span_of_tasks_gets_no_fix() => CodeFixHarness.VerifyNoFixAsync(s_provider,
        """
        using Workflows;

        namespace Shop;

        [Workflow]
        public partial class RaceWorkflow
        {
            [WorkflowRun]
            public async Task<string> RunAsync(string input) => await await Race(SlowAsync(input), FastAsync(input));

            private Task<Task<string>> Race(Task<string> a, Task<string> b)
            {
                ReadOnlySpan<Task<string>> racers = [a, b];
                return [|Task.WhenAny(racers)|];
            }

            [Step]
            private Task<string> SlowAsync(string value) => Task.FromResult("slow:" + value);

            [Step]
            private Task<string> FastAsync(string value) => Task.FromResult("fast:" + value);
        }
        """);
}
