using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests.Analyzers;

/// <summary>
/// WF0007 through code outside the workflow class: helpers in other classes, extension methods, base classes, the
/// constructors and initializers of created objects, accessors, dispatch. Such findings are reported at the call in the
/// workflow that leads to them, with the chain, and point at the offending code as an additional location.
/// </summary>
public sealed class WF0007CrossCompilationTests
{
    private const string Replay = "; on replay it gives a different result. ";
    private const string RecordedUtcNow = "Use Workflow.UtcNow, which records the time";
    private const string RecordedGuid = "Use Workflow.NewGuid(), which records the value";
    private const string IntoStep = "Move it into a step";

    /// <summary>A workflow whose run method holds <paramref name="body"/> (returning a string), next to <paramref name="types"/>.</summary>
    private static string Workflow(string body, string types) => $$"""
        using Workflows;

        namespace Sample;

        [Workflow]
        public partial class Work
        {
            [WorkflowRun]
            public async Task<string> RunAsync(string input)
            {
                {{body}}
            }

            [Step]
            private Task<string> SendAsync(string message) => Task.FromResult(message);
        }

        {{types}}
        """;

    [Fact]
    public void A_static_helper_in_another_class_is_followed_and_reported_at_the_call_with_the_chain()
    {
        var run = Analyze(Workflow(
            "return await SendAsync({|WF0007:Stamps.Create(input)|});",
            """
            public static class Stamps
            {
                public static string Create(string input) => input + Format(DateTime.UtcNow);

                private static string Format(DateTime at) => at.ToString("O");
            }
            """)).AssertExpected(
            "DateTime.UtcNow is not deterministic (reached through RunAsync \u2192 Stamps.Create)" + Replay + RecordedUtcNow);

        var diagnostic = run.Diagnostics.Single();
        var additional = Assert.Single(diagnostic.AdditionalLocations);
        Assert.Equal("DateTime.UtcNow", additional.SourceTree!.GetText().ToString(additional.SourceSpan));
    }

    [Fact]
    public void A_chain_through_several_classes_names_each_step_of_it()
    {
        Analyze(Workflow(
            "var order = {|WF0007:OrderFactory.Create(input)|}; return await SendAsync(order.Name);",
            """
            public static class OrderFactory
            {
                public static Order Create(string name) => new Order(name);
            }

            public sealed record Order(string Name)
            {
                public Guid Id { get; init; } = Guid.NewGuid();
            }
            """)).AssertExpected(
            "Guid.NewGuid is not deterministic (reached through RunAsync \u2192 OrderFactory.Create \u2192 Order constructor)" + Replay + RecordedGuid);
    }

    [Theory]
    [InlineData("var order = {|WF0007:new Order(input)|};", "public sealed record Order(string Name) { public Guid Id { get; init; } = Guid.NewGuid(); }")]
    [InlineData("var order = {|WF0007:new Order()|};", "public sealed class Order { private readonly Guid _id = Guid.NewGuid(); public Guid Id => _id; }")]
    [InlineData("var order = {|WF0007:new Order()|};", "public sealed class Order { public Order() { Id = Guid.NewGuid(); } public Guid Id { get; } }")]
    [InlineData("var order = {|WF0007:new Order()|};", "public class Tracked { protected Guid Key = Guid.NewGuid(); } public sealed class Order : Tracked { }")]
    public void Constructors_and_member_initializers_of_created_objects_are_followed(string statement, string types)
    {
        var run = Analyze(Workflow(statement + " return await SendAsync(input);", types)).AssertExpected();
        Assert.Contains("Guid.NewGuid is not deterministic (reached through RunAsync \u2192 ", run.Diagnostics.Single().GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void An_extension_method_is_followed()
    {
        Analyze(Workflow(
            "return await SendAsync({|WF0007:input.Stamped()|});",
            """
            public static class StringStamps
            {
                public static string Stamped(this string text) => text + Environment.TickCount;
            }
            """)).AssertExpected(
            "Environment.TickCount is not deterministic (reached through RunAsync \u2192 StringStamps.Stamped)" + Replay + RecordedUtcNow);
    }

    [Fact]
    public void An_inherited_base_class_method_of_the_workflow_is_followed()
    {
        Analyze("""
            using Workflows;
            namespace Sample;

            public abstract class WorkflowBase
            {
                protected string Stamp(string input) => input + DateTime.Now.Ticks;
            }

            [Workflow]
            public partial class Work : WorkflowBase
            {
                [WorkflowRun]
                public async Task<string> RunAsync(string input) => await SendAsync({|WF0007:Stamp(input)|});

                [Step]
                private Task<string> SendAsync(string message) => Task.FromResult(message);
            }
            """).AssertExpected(
            "DateTime.Now is not deterministic (reached through RunAsync \u2192 WorkflowBase.Stamp)" + Replay + "Use Workflow.Now, which records the time");
    }

    [Fact]
    public void The_base_class_constructor_of_the_workflow_runs_on_every_replay_and_is_followed()
    {
        Analyze("""
            using Workflows;
            namespace Sample;

            public abstract class WorkflowBase
            {
                protected readonly Guid Instance = Guid.NewGuid();
            }

            [Workflow]
            public partial class {|WF0007:Work|} : WorkflowBase
            {
                [WorkflowRun]
                public async Task<string> RunAsync(string input) => await SendAsync(input);

                [Step]
                private Task<string> SendAsync(string message) => Task.FromResult(message);
            }
            """).AssertExpected(
            "Guid.NewGuid is not deterministic (reached through Work constructor \u2192 WorkflowBase constructor)" + Replay + RecordedGuid);
    }

    [Fact]
    public void Property_getters_and_setters_of_other_types_are_followed()
    {
        Analyze(Workflow(
            """
            var clock = new Clock();
            {|WF0007:clock.Label|} = input;
            return await SendAsync({|WF0007:clock.Now|}.ToString());
            """,
            """
            public sealed class Clock
            {
                public DateTime Now => DateTime.UtcNow;

                public string Label
                {
                    get => "";
                    set => Console.WriteLine(value);
                }
            }
            """)).AssertExpected(
            "Console.WriteLine is not deterministic (reached through RunAsync \u2192 Clock.Label)" + Replay + IntoStep,
            "DateTime.UtcNow is not deterministic (reached through RunAsync \u2192 Clock.Now)" + Replay + RecordedUtcNow);
    }

    [Fact]
    public void Interface_and_virtual_calls_follow_the_implementation_of_a_known_receiver_and_a_virtual_body()
    {
        Analyze(Workflow(
            """
            IClock clock = Clocks.Default;
            var first = {|WF0007:((IClock)new SystemClock()).Read()|};
            var second = clock.Read();
            Shape shape = new Shape();
            var third = {|WF0007:shape.Describe()|};
            return await SendAsync(first + second + third);
            """,
            """
            public interface IClock
            {
                string Read();
            }

            public sealed class SystemClock : IClock
            {
                public string Read() => DateTime.UtcNow.ToString("O");
            }

            public static class Clocks
            {
                public static IClock Default { get; } = new SystemClock();
            }

            public class Shape
            {
                public virtual string Describe() => Guid.NewGuid().ToString();
            }
            """)).AssertExpected(
            "DateTime.UtcNow is not deterministic (reached through RunAsync \u2192 SystemClock.Read)" + Replay + RecordedUtcNow,
            "Guid.NewGuid is not deterministic (reached through RunAsync \u2192 Shape.Describe)" + Replay + RecordedGuid);
    }

    [Fact]
    public void A_variable_of_a_class_type_is_followed_but_one_typed_as_the_interface_is_taken_for_what_its_type_says()
    {
        Analyze(Workflow(
            "var clock = new SystemClock(); IClock any = clock; return await SendAsync({|WF0007:clock.Read()|} + any.Read());",
            """
            public interface IClock
            {
                string Read();
            }

            public sealed class SystemClock : IClock
            {
                public string Read() => Environment.TickCount.ToString();
            }
            """)).AssertExpected(
            "Environment.TickCount is not deterministic (reached through RunAsync \u2192 SystemClock.Read)" + Replay + RecordedUtcNow);
    }

    [Fact]
    public void A_base_call_in_an_override_follows_the_base_method()
    {
        Analyze(Workflow(
            "return await SendAsync({|WF0007:new Labelled().Describe()|});",
            """
            public class Shape
            {
                public virtual string Describe() => Guid.NewGuid().ToString();
            }

            public sealed class Labelled : Shape
            {
                public override string Describe() => "label " + base.Describe();
            }
            """)).AssertExpected(
            "Guid.NewGuid is not deterministic (reached through RunAsync \u2192 Labelled.Describe \u2192 Shape.Describe)" + Replay + RecordedGuid);
    }

    [Fact]
    public void Code_in_a_step_body_and_in_helpers_only_steps_call_stays_unreported()
    {
        Analyze("""
            using Workflows;
            namespace Sample;

            public static class Stamps
            {
                public static string Create() => DateTime.UtcNow.ToString("O");
            }

            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task<string> RunAsync(string input) => await StampAsync(input);

                [Step]
                private Task<string> StampAsync(string input) => Task.FromResult(input + Stamps.Create());
            }
            """).AssertClean();
    }

    [Theory]
    [InlineData("return await SendAsync(Text.Title(input) + Text.Join(new List<string> { input, \"b\" }));")]
    [InlineData("var order = new Order(input); order.Rename(input + \"!\"); return await SendAsync(order.Name + order.Lines.Count);")]
    [InlineData("var random = Seeded.Make(42); return await SendAsync(input + random.Next());")]
    [InlineData("return await SendAsync(nameof(Stamps.Create) + input);")]
    public void Deterministic_helpers_raise_nothing(string body)
    {
        Analyze(Workflow(body, """
            public static class Text
            {
                public static string Title(string value) => value.Length == 0 ? value : char.ToUpperInvariant(value[0]) + value.Substring(1);

                public static string Join(IEnumerable<string> parts) => string.Join(", ", parts.Where(p => p.Length > 0).OrderBy(p => p, StringComparer.Ordinal));
            }

            public sealed class Order(string name)
            {
                public string Name { get; private set; } = name;

                public List<string> Lines { get; } = new();

                public void Rename(string value) => Name = value.Trim();
            }

            public static class Seeded
            {
                public static Random Make(int seed) => new Random(seed);
            }

            public static class Stamps
            {
                public static string Create() => DateTime.UtcNow.ToString("O");
            }
            """)).AssertClean();
    }

    [Fact]
    public void Methods_of_services_the_workflow_was_given_are_not_followed_but_objects_it_creates_are()
    {
        Analyze("""
            using Workflows;
            namespace Sample;

            public sealed class Ledger
            {
                public void Write(string text) => File.AppendAllText("ledger.txt", text);
            }

            [Workflow]
            public partial class Work(Ledger ledger)
            {
                private readonly Ledger _given = ledger;

                [WorkflowRun]
                public async Task<string> RunAsync(string input)
                {
                    // Not followed by WF0007: I/O on a service the workflow was given is WF0015's.
                    {|WF0015:ledger.Write(input)|};
                    {|WF0015:_given.Write(input)|};
                    var own = new Ledger();
                    {|WF0007:own.Write(input)|};
                    return await SendAsync(input);
                }

                [Step]
                private Task<string> SendAsync(string message) => Task.FromResult(message);
            }
            """).AssertExpected(
            "'ledger.Write' is I/O on an injected service in workflow code: it runs again on every replay; move it into a [Step] method",
            "'_given.Write' is I/O on an injected service in workflow code: it runs again on every replay; move it into a [Step] method",
            "File.AppendAllText is not deterministic (reached through RunAsync \u2192 Ledger.Write)" + Replay + IntoStep);
    }

    [Fact]
    public void Recursion_and_cycles_across_classes_end_and_report_once()
    {
        Analyze(Workflow(
            "return await SendAsync({|WF0007:Ping.Go(3)|} + Pong.Go(2));",
            """
            public static class Ping
            {
                public static string Go(int n) => n == 0 ? DateTime.UtcNow.ToString("O") : Pong.Go(n - 1) + Go(n - 1);
            }

            public static class Pong
            {
                public static string Go(int n) => n == 0 ? "" : Ping.Go(n - 1);
            }
            """)).AssertExpected(
            "DateTime.UtcNow is not deterministic (reached through RunAsync \u2192 Ping.Go)" + Replay + RecordedUtcNow);
    }

    [Fact]
    public void Code_deeper_than_the_depth_limit_is_not_followed()
    {
        // Level0 is one call from the run method; LevelN is N + 1 calls deep.
        var levels = string.Join("\n", Enumerable.Range(0, 12).Select(i =>
            $"public static class Level{i} {{ public static string Go() => {(i == 11 ? "DateTime.UtcNow.ToString()" : $"Level{i + 1}.Go()")}; }}"));
        Analyze(Workflow("return await SendAsync(Level0.Go());", levels)).AssertClean();

        var shallow = string.Join("\n", Enumerable.Range(0, 4).Select(i =>
            $"public static class Level{i} {{ public static string Go() => {(i == 3 ? "DateTime.UtcNow.ToString()" : $"Level{i + 1}.Go()")}; }}"));
        Analyze(Workflow("return await SendAsync({|WF0007:Level0.Go()|});", shallow)).AssertExpected(
            "DateTime.UtcNow is not deterministic (reached through RunAsync \u2192 Level0.Go \u2192 Level1.Go \u2192 Level2.Go \u2192 Level3.Go)" + Replay + RecordedUtcNow);
    }

    [Theory]
    [InlineData("public static class Stamps { public static string Create(string input); }")]
    [InlineData("public static class Stamps { public static string Create(string input) => Missing.Call(input) + DateTime.; }")]
    [InlineData("public static class Stamps { public static string Create(string input) => Create(input) + Create(Create(input)); }")]
    [InlineData("public abstract class Stamps { public static string Create(string input) => new Stamps().Read(); public abstract string Read(); }")]
    [InlineData("public static class Stamps { public static string Create(string input) { return input +")]
    public void Half_typed_and_broken_helpers_do_not_crash(string types)
    {
        var run = Analyze(Workflow("return await SendAsync(Stamps.Create(input));", types), allowErrors: true);
        Assert.Empty(run.Failures);
    }

    private static AnalyzerRun Analyze(string source, bool allowErrors = false) => CrossCompilation.Analyze(source, allowErrors);
}
