using Microsoft.CodeAnalysis;
using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests.Analyzers;

/// <summary>WF0007: non-deterministic code in a workflow outside its steps, followed through the workflow's own methods.</summary>
public sealed class WF0007Tests
{
    private const string Replay = "; on replay it gives a different result. ";
    private const string RecordedUtcNow = "Use Workflow.UtcNow, which records the time";
    private const string IntoStep = "Move it into a step";
    private const string AwaitSteps = "Await steps directly (Task.WhenAll runs them side by side), or move the work into a step";

    /// <summary>A valid workflow whose run method holds <paramref name="body"/>, with one step and a service field.</summary>
    private static string InRunMethod(string body) => $$"""
        using System.Diagnostics;
        using System.Net;
        using System.Net.Sockets;
        using Workflows;

        namespace Sample;

        [Workflow]
        public partial class Work
        {
            private readonly HttpClient _http = new HttpClient();

            [WorkflowRun]
            public async Task<int> RunAsync(string path)
            {
                {{body}}
                return await CountAsync(path);
            }

            [Step]
            private Task<int> CountAsync(string path) => Task.FromResult(path.Length);
        }
        """;

    [Fact]
    public void Constructors_and_field_initializers_run_again_on_every_replay_and_are_reported()
    {
        Analyze("""
            using Workflows;

            namespace Sample;

            [Workflow]
            public partial class Work
            {
                private readonly DateTime _created = {|WF0007:DateTime.UtcNow|};
                private readonly Guid _id;

                public Work() => _id = Seed();

                private Guid Seed() => {|WF0007:Guid.NewGuid()|};

                [WorkflowRun]
                public async Task<int> RunAsync(string path) => await CountAsync(path);

                [Step]
                private Task<int> CountAsync(string path) => Task.FromResult(path.Length);
            }
            """).AssertExpected(
            "DateTime.UtcNow is not deterministic" + Replay + RecordedUtcNow,
            "Guid.NewGuid is not deterministic (reached through Work constructor \u2192 Seed)" + Replay + "Use Workflow.NewGuid(), which records the value");
    }

    [Fact]
    public void DateTime_UtcNow_in_the_run_method_is_reported_with_the_recorded_alternative()
    {
        Analyze(InRunMethod("var started = {|WF0007:DateTime.UtcNow|};"))
            .AssertExpected("DateTime.UtcNow is not deterministic" + Replay + RecordedUtcNow);
    }

    [Theory]
    [InlineData("var now = {|WF0007:DateTime.Now|};", "DateTime.Now", "Use Workflow.Now, which records the time")]
    [InlineData("var today = {|WF0007:DateTime.Today|};", "DateTime.Today", "Use Workflow.Now.Date, which records the time")]
    [InlineData("var at = {|WF0007:DateTimeOffset.UtcNow|};", "DateTimeOffset.UtcNow", RecordedUtcNow)]
    [InlineData("var at = {|WF0007:DateTimeOffset.Now|};", "DateTimeOffset.Now", RecordedUtcNow)]
    [InlineData("var id = {|WF0007:Guid.NewGuid()|};", "Guid.NewGuid", "Use Workflow.NewGuid(), which records the value")]
    [InlineData("var random = {|WF0007:new Random()|};", "new Random()", "Move it into a step, or use new Random(seed) with a seed the workflow recorded")]
    [InlineData("Random random = {|WF0007:new()|};", "new Random()", "Move it into a step, or use new Random(seed) with a seed the workflow recorded")]
    [InlineData("var dice = {|WF0007:Random.Shared|}.Next(6);", "Random.Shared", "Move it into a step, or use new Random(seed) with a seed the workflow recorded")]
    [InlineData("var watch = {|WF0007:Stopwatch.StartNew()|};", "Stopwatch.StartNew", IntoStep)]
    [InlineData("var watch = {|WF0007:new Stopwatch()|};", "new Stopwatch()", IntoStep)]
    [InlineData("var ticks = {|WF0007:Environment.TickCount|};", "Environment.TickCount", RecordedUtcNow)]
    [InlineData("var ticks = {|WF0007:Environment.TickCount64|};", "Environment.TickCount64", RecordedUtcNow)]
    [InlineData("var clock = {|WF0007:TimeProvider.System|};", "TimeProvider.System", RecordedUtcNow)]
    [InlineData("using var timer = {|WF0007:new PeriodicTimer(TimeSpan.FromSeconds(1))|};", "new PeriodicTimer(...)", "Use Workflow.SleepAsync, a durable timer")]
    [InlineData("using var timer = {|WF0007:new Timer(_ => { }, null, 1000, 0)|};", "new Timer(...)", "Use Workflow.SleepAsync, a durable timer")]
    [InlineData("await {|WF0007:Task.Delay(1000)|};", "Task.Delay", "Use Workflow.SleepAsync, a durable timer")]
    [InlineData("{|WF0007:Thread.Sleep(1000)|};", "Thread.Sleep", "Use Workflow.SleepAsync, a durable timer")]
    [InlineData("await {|WF0007:Task.Run(() => 1)|};", "Task.Run", AwaitSteps)]
    [InlineData("var first = await {|WF0007:Task.WhenAny(Task.FromResult(1), Task.FromResult(2))|};", "Task.WhenAny",
        "Use Workflow.WhenAnyAsync, which records which task finished first (on a replay every recorded entry is already finished)")]
    [InlineData("await {|WF0007:Task.Factory.StartNew(() => 1)|};", "TaskFactory.StartNew", AwaitSteps)]
    [InlineData("{|WF0007:Parallel.For(0, 3, i => { })|};", "Parallel.For", AwaitSteps)]
    [InlineData("{|WF0007:ThreadPool.QueueUserWorkItem(_ => { })|};", "ThreadPool.QueueUserWorkItem", AwaitSteps)]
    [InlineData("var text = {|WF0007:File.ReadAllText(path)|};", "File.ReadAllText", IntoStep)]
    [InlineData("var exists = {|WF0007:Directory.Exists(path)|};", "Directory.Exists", IntoStep)]
    [InlineData("var info = {|WF0007:new FileInfo(path)|};", "new FileInfo(...)", IntoStep)]
    [InlineData("using var stream = {|WF0007:new FileStream(path, FileMode.Open)|};", "new FileStream(...)", IntoStep)]
    [InlineData("using var reader = {|WF0007:new StreamReader(path)|};", "new StreamReader(...)", IntoStep)]
    [InlineData("using var writer = {|WF0007:new StreamWriter(path)|};", "new StreamWriter(...)", IntoStep)]
    [InlineData("var page = await {|WF0007:_http.GetStringAsync(path)|};", "HttpClient.GetStringAsync", IntoStep)]
    [InlineData("using var response = await {|WF0007:_http.PostAsync(path, null)|};", "HttpClient.PostAsync", IntoStep)]
    [InlineData("var addresses = {|WF0007:Dns.GetHostAddresses(path)|};", "Dns.GetHostAddresses", IntoStep)]
    [InlineData("using var client = {|WF0007:new TcpClient()|};", "new TcpClient()", IntoStep)]
    [InlineData("{|WF0007:Console.WriteLine(path)|};", "Console.WriteLine", IntoStep)]
    [InlineData("var line = {|WF0007:Console.ReadLine()|};", "Console.ReadLine", IntoStep)]
    [InlineData("var home = {|WF0007:Environment.GetEnvironmentVariable(\"HOME\")|};", "Environment.GetEnvironmentVariable", "Read it in a step, or pass it in with the run's input")]
    [InlineData("{|WF0007:Environment.SetEnvironmentVariable(\"MODE\", path)|};", "Environment.SetEnvironmentVariable", IntoStep)]
    public void Each_banned_api_is_reported_where_it_is_used(string statement, string api, string advice)
    {
        Analyze(InRunMethod(statement)).AssertExpected(api + " is not deterministic" + Replay + advice);
    }

    [Theory]
    [InlineData("var started = Workflow.UtcNow;")]
    [InlineData("var local = Workflow.Now;")]
    [InlineData("var id = Workflow.NewGuid();")]
    [InlineData("await Workflow.SleepAsync(TimeSpan.FromMinutes(5));")]
    [InlineData("var run = Workflow.RunId; var tenant = Workflow.TenantId; var replaying = Workflow.IsReplaying;")]
    [InlineData("var seeded = new Random(42).Next();")]
    [InlineData("using var reader = new StreamReader(new MemoryStream());")]
    [InlineData("var parsed = DateTime.Parse(\"2024-01-01\"); var empty = Guid.Empty; var max = DateTime.MaxValue;")]
    [InlineData("var name = nameof(DateTime.UtcNow) + nameof(Guid.NewGuid);")]
    [InlineData("var file = Path.Combine(path, \"x.txt\");")]
    [InlineData("await Task.WhenAll(CountAsync(path), CountAsync(path + \"!\"));")]
    public void The_deterministic_alternatives_raise_nothing(string statement)
    {
        Analyze(InRunMethod(statement)).AssertClean();
    }

    [Fact]
    public void Non_deterministic_code_inside_a_step_body_is_fine()
    {
        Analyze("""
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task<string> RunAsync(string input) => await StampAsync(input);

                [Step]
                private async Task<string> StampAsync(string input)
                {
                    await Task.Delay(10);
                    var id = Guid.NewGuid();
                    Func<DateTime> clock = () => DateTime.UtcNow;
                    return input + id + clock() + Helper();
                    string Helper() => File.Exists(input) ? Environment.GetEnvironmentVariable("HOME") ?? "" : "";
                }
            }
            """).AssertClean();
    }

    [Fact]
    public void A_lambda_inside_a_foreach_in_the_run_method_is_analyzed_without_crashing()
    {
        Analyze("""
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task<int> RunAsync(List<string> items)
                {
                    var total = 0;
                    foreach (var item in items)
                    {
                        Func<DateTime> stamp = () => {|WF0007:DateTime.Now|};
                        var all = items.Select(i => i + {|WF0007:Guid.NewGuid()|}).ToList();
                        total += await MeasureAsync(item + stamp());
                    }
                    return total;
                }

                [Step]
                private Task<int> MeasureAsync(string item) => Task.FromResult(item.Length);
            }
            """).AssertExpected(
                "DateTime.Now is not deterministic" + Replay + "Use Workflow.Now, which records the time",
                "Guid.NewGuid is not deterministic" + Replay + "Use Workflow.NewGuid(), which records the value");
    }

    [Fact]
    public void Half_typed_code_with_a_lambda_in_a_foreach_does_not_crash()
    {
        // Missing types, an unclosed foreach and lambdas bound to nothing: the analyzer sees error symbols, and still
        // reports what it can bind.
        Analyze("""
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task<int> RunAsync(List<string> items)
                {
                    foreach (var item in Missing.Items(x => {|WF0007:DateTime.Now|}, () => new Unknown()))
                    {
                        var f = y => {|WF0007:Guid.NewGuid()|};
                        Undeclared(() => {|WF0007:DateTime.UtcNow|});
                        var g = new Nope({|WF0007:Task.Run(() => 1)|});
                    return 0;
                }
            }
            """, allowErrors: true).AssertExpected(
                "DateTime.Now is not deterministic" + Replay + "Use Workflow.Now, which records the time",
                "Guid.NewGuid is not deterministic" + Replay + "Use Workflow.NewGuid(), which records the value",
                "DateTime.UtcNow is not deterministic" + Replay + RecordedUtcNow,
                "Task.Run is not deterministic" + Replay + AwaitSteps);
    }

    [Fact]
    public void Code_reached_through_two_helper_methods_names_the_call_chain()
    {
        Analyze("""
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task<string> RunAsync(string input)
                {
                    var plan = Plan(input);
                    return await ApplyAsync(plan);
                }

                private string Plan(string input) => input + ComputeDeadline();

                private DateTime ComputeDeadline() => {|WF0007:DateTime.UtcNow|}.AddDays(3);

                [Step]
                private Task<string> ApplyAsync(string plan) => Task.FromResult(plan);
            }
            """).AssertExpected(
                "DateTime.UtcNow is not deterministic (reached through RunAsync \u2192 Plan \u2192 ComputeDeadline)" + Replay + RecordedUtcNow);
    }

    [Fact]
    public void Recursive_helpers_are_walked_once_and_reported_once()
    {
        Analyze("""
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task<int> RunAsync(int depth) => await SaveAsync(A(depth) + B(depth));

                private int A(int n) => n <= 0 ? 0 : B(n - 1) + A(n - 1);

                private int B(int n) => n <= 0 ? {|WF0007:Environment.TickCount|} : A(n - 1);

                [Step]
                private Task<int> SaveAsync(int value) => Task.FromResult(value);
            }
            """).AssertExpected(
                "Environment.TickCount is not deterministic (reached through RunAsync \u2192 B)" + Replay + RecordedUtcNow);
    }

    [Fact]
    public void Helpers_the_run_method_does_not_reach_and_helpers_only_steps_call_raise_nothing()
    {
        Analyze("""
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task<string> RunAsync(string input) => await StampAsync(input);

                [Step]
                private Task<string> StampAsync(string input) => Task.FromResult(input + Stamp());

                private string Stamp() => DateTime.UtcNow.ToString("O");

                private string NeverCalled() => Guid.NewGuid().ToString();
            }

            public class NotAWorkflow
            {
                public DateTime Now() => DateTime.Now;
            }
            """).AssertClean();
    }

    [Fact]
    public void Properties_local_functions_static_helpers_and_partial_declarations_are_followed()
    {
        Analyze(
            new SourceFile("/src/Work.cs", """
                using Workflows;
                namespace Sample;
                [Workflow]
                public partial class Work
                {
                    [WorkflowRun]
                    public async Task<string> RunAsync(string input)
                    {
                        var deadline = Deadline;
                        var label = Label(input);
                        return await SendAsync(input + deadline + label + Local() + Elsewhere());

                        Guid Local() => {|WF0007:Guid.NewGuid()|};
                    }

                    private DateTime Deadline => {|WF0007:DateTime.UtcNow|}.AddHours(1);

                    private static string Label(string input) => input + {|WF0007:Environment.GetEnvironmentVariable("LABEL")|};

                    [Step]
                    private Task<string> SendAsync(string message) => Task.FromResult(message);
                }
                """),
            new SourceFile("/src/Work.Helpers.cs", """
                namespace Sample;
                public partial class Work
                {
                    private string Elsewhere() => Label("x") + {|WF0007:Console.ReadLine()|};
                }
                """))
            .AssertExpected(
                // In file order: Work.Helpers.cs sorts before Work.cs.
                "Console.ReadLine is not deterministic (reached through RunAsync \u2192 Elsewhere)" + Replay + IntoStep,
                "Guid.NewGuid is not deterministic" + Replay + "Use Workflow.NewGuid(), which records the value",
                "DateTime.UtcNow is not deterministic (reached through RunAsync \u2192 Deadline)" + Replay + RecordedUtcNow,
                "Environment.GetEnvironmentVariable is not deterministic (reached through RunAsync \u2192 Label)" + Replay + "Read it in a step, or pass it in with the run's input");
    }

    [Fact]
    public void A_helper_reached_along_several_paths_is_reported_once_by_its_shortest_chain()
    {
        Analyze("""
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task<int> RunAsync(int input) => await SaveAsync(Outer(input) + Inner() + Inner());

                private int Outer(int input) => input + Inner();

                private int Inner() => {|WF0007:Random.Shared|}.Next();

                [Step]
                private Task<int> SaveAsync(int value) => Task.FromResult(value);
            }
            """).AssertExpected(
                "Random.Shared is not deterministic (reached through RunAsync \u2192 Inner)" + Replay
                + "Move it into a step, or use new Random(seed) with a seed the workflow recorded");
    }

    [Fact]
    public void Workflow_Random_is_seeded_from_the_journal_and_not_reported()
    {
        Analyze(InRunMethod("""
            var roll = Workflow.Random.Next(1, 7);
            var share = Workflow.Random.NextDouble();
            var random = Workflow.Random;
            var bytes = new byte[4];
            random.NextBytes(bytes);
            path += roll + share + bytes[0] + random.Next();
            """)).AssertClean();
    }

    [Fact]
    public void Random_Shared_next_to_Workflow_Random_is_still_reported()
    {
        Analyze(InRunMethod("var roll = Workflow.Random.Next(6) + {|WF0007:Random.Shared|}.Next(6);")).AssertExpected();
    }

    [Fact]
    public void The_diagnostic_carries_the_api_for_code_fixes()
    {
        var run = Analyze(InRunMethod("var started = {|WF0007:DateTime.UtcNow|};")).AssertExpected();
        Assert.Equal("DateTime.UtcNow", run.Diagnostics.Single().Properties["Api"]);
    }

    [Fact]
    public void The_representative_test_workflows_raise_no_determinism_or_step_usage_diagnostic()
    {
        foreach (var workflowCase in TestWorkflows.All)
        {
            var run = Analyze(workflowCase.Files);
            Assert.Empty(run.Failures);
            Assert.DoesNotContain(run.Diagnostics, d => d.Id is "WF0007" or "WF0008" or "WF0009" or "WF0012");
        }
    }

    private static AnalyzerRun Analyze(string source, bool allowErrors = false) =>
        Analyze(new[] { new SourceFile("/src/Work.cs", source) }, allowErrors);

    private static AnalyzerRun Analyze(params SourceFile[] files) => Analyze(files, allowErrors: false);

    /// <summary>Runs the analyzers; unless told otherwise, the test source must compile, so a typo cannot make a test pass.</summary>
    private static AnalyzerRun Analyze(SourceFile[] files, bool allowErrors)
    {
        var run = AnalyzerHarness.Run(files);
        if (!allowErrors)
        {
            var errors = run.AllDiagnostics.Concat(run.Generation.OutputCompilation.GetDiagnostics())
                .Where(d => d.Severity == DiagnosticSeverity.Error && !d.Id.StartsWith("WF", StringComparison.Ordinal))
                .Select(d => d.ToString())
                .Distinct()
                .ToList();
            Assert.True(errors.Count == 0, "The test source does not compile:\n" + string.Join("\n", errors));
        }
        return run;
    }
}
