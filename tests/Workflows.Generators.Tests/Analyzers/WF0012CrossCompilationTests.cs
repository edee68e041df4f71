using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests.Analyzers;

/// <summary>
/// WF0012 past direct assignments: workflow state changed through a helper (of the workflow, of another class, an
/// extension, a method of an object the workflow holds), an array element, a member of a held object, a parameter
/// object or list the workflow passed in, or a StringBuilder.
/// </summary>
public sealed class WF0012CrossCompilationTests
{
    private const string Lost = ", and the change is lost on replay; return the value from the step instead";

    /// <summary>A workflow with state; step "add" (AddAsync(int amount, Order order, List&lt;int&gt; seen)) holds <paramref name="body"/>.</summary>
    private static string InStepBody(string body) => $$"""
        using System.Text;
        using Workflows;

        namespace Sample;

        public sealed class Order
        {
            public string Status { get; set; } = "";

            public List<string> Lines { get; set; } = new();

            public int[] Slots { get; set; } = new int[4];

            public void MarkPaid() => Status = "paid";

            public void AddLine(string line) => Lines.Add(line);

            public Order Copy() => new Order { Status = Status };
        }

        public static class Tallies
        {
            public static void Fill(List<int> target, int value) => target.Add(value);

            public static void Bump(this List<int> target) => target[0]++;

            public static int Sum(IEnumerable<int> values) => values.Sum();

            public static List<int> Grown(List<int> values)
            {
                var copy = new List<int>(values);
                copy.Add(1);
                return copy;
            }
        }

        [Workflow]
        public partial class Work
        {
            private int total;
            private readonly List<int> history = new();
            private readonly int[] _slots = new int[3];
            private readonly Order _order = new();
            private readonly StringBuilder _log = new();
            private string _label = "";

            public string Label
            {
                get => _label;
                set => _label = value.Trim();
            }

            [WorkflowRun]
            public async Task<int> RunAsync(int amount)
            {
                var order = new Order();
                var seen = new List<int>();
                total = await AddAsync(amount, order, seen);
                return total;
            }

            [Step("add")]
            private async Task<int> AddAsync(int amount, Order order, List<int> seen)
            {
                await Task.Yield();
                {{body}}
                return amount;
            }

            private void Reset() => total = 0;

            private void Remember(int value) => history.Add(value);
        }
        """;

    [Theory]
    [InlineData("{|WF0012:Reset()|};", "field 'total' (reached through Reset)")]
    [InlineData("{|WF0012:Remember(amount)|};", "the contents of field 'history' (Add, reached through Remember)")]
    [InlineData("{|WF0012:Tallies.Fill(history, amount)|};", "the contents of field 'history' (Add, reached through Tallies.Fill)")]
    [InlineData("{|WF0012:history.Bump()|};", "the contents of field 'history' (reached through Tallies.Bump)")]
    [InlineData("{|WF0012:_order.MarkPaid()|};", "the contents of field '_order' (Status, reached through Order.MarkPaid)")]
    [InlineData("{|WF0012:_order.AddLine(\"x\")|};", "the contents of field '_order' (Add, reached through Order.AddLine)")]
    [InlineData("{|WF0012:order.MarkPaid()|};", "the contents of parameter 'order' (Status, reached through Order.MarkPaid)")]
    [InlineData("{|WF0012:Tallies.Fill(seen, amount)|};", "the contents of parameter 'seen' (Add, reached through Tallies.Fill)")]
    [InlineData("{|WF0012:Label|} = \"x\";", "field '_label' (reached through Label)")]
    [InlineData("{|WF0012:this.Label|} += \"x\";", "field '_label' (reached through Label)")]
    public void Changes_made_through_a_helper_are_reported_at_the_call_with_the_chain(string statement, string state)
    {
        CrossCompilation.Analyze(InStepBody(statement), allowErrors: false).AssertExpected("Step 'add' assigns " + state + Lost);
    }

    [Theory]
    [InlineData("{|WF0012:_slots[0]|} = amount;", "the contents of field '_slots'")]
    [InlineData("{|WF0012:_slots[1]|}++;", "the contents of field '_slots'")]
    [InlineData("{|WF0012:Array.Fill(_slots, amount)|};", "the contents of field '_slots' (Fill)")]
    [InlineData("{|WF0012:_order.Status|} = \"paid\";", "the contents of field '_order' (Status)")]
    [InlineData("{|WF0012:_order.Lines.Add(\"x\")|};", "the contents of field '_order' (Add)")]
    [InlineData("{|WF0012:_order.Slots[0]|} = 1;", "the contents of field '_order'")]
    [InlineData("{|WF0012:_log.Append(amount)|};", "the contents of field '_log' (Append)")]
    [InlineData("{|WF0012:_log.Length|} = 0;", "the contents of field '_log' (Length)")]
    [InlineData("{|WF0012:order.Status|} = \"paid\";", "the contents of parameter 'order' (Status)")]
    [InlineData("{|WF0012:seen.Add(amount)|};", "the contents of parameter 'seen' (Add)")]
    [InlineData("{|WF0012:seen[0]|} = amount;", "the contents of parameter 'seen'")]
    public void Array_elements_held_objects_parameter_objects_and_builders_are_workflow_state(string statement, string state)
    {
        CrossCompilation.Analyze(InStepBody(statement), allowErrors: false).AssertExpected("Step 'add' assigns " + state + Lost);
    }

    [Theory]
    [InlineData("var sum = Tallies.Sum(history) + Tallies.Sum(seen) + _slots[0] + _order.Lines.Count + order.Status.Length;")]
    [InlineData("var grown = Tallies.Grown(history); grown.Add(amount); var copy = _order.Copy(); copy.MarkPaid(); copy.Status = \"x\";")]
    [InlineData("var mine = new Order(); mine.MarkPaid(); mine.AddLine(\"x\"); mine.Slots[0] = 1; var list = new List<int>(); Tallies.Fill(list, amount);")]
    [InlineData("var text = new StringBuilder().Append(amount).ToString() + _log.ToString(); var local = new int[2]; local[0] = amount;")]
    [InlineData("amount = amount + 1; order = new Order(); order.Status = \"fresh\"; seen = new List<int>(); seen.Add(1);")]
    [InlineData("var name = nameof(Reset) + nameof(Tallies.Fill) + Label.Length;")]
    public void Reads_copies_and_objects_the_step_made_itself_raise_nothing(string statement)
    {
        CrossCompilation.Analyze(InStepBody(statement), allowErrors: false).AssertClean();
    }

    [Fact]
    public void The_same_helpers_called_from_the_run_method_raise_nothing()
    {
        CrossCompilation.Analyze("""
            using Workflows;
            namespace Sample;

            public static class Tallies
            {
                public static void Fill(List<int> target, int value) => target.Add(value);
            }

            [Workflow]
            public partial class Work
            {
                private readonly List<int> history = new();

                [WorkflowRun]
                public async Task<int> RunAsync(int amount)
                {
                    Tallies.Fill(history, await AddAsync(amount));
                    return history.Count;
                }

                [Step("add")]
                private Task<int> AddAsync(int amount) => Task.FromResult(amount + 1);
            }
            """, allowErrors: false).AssertClean();
    }

    [Fact]
    public void Services_the_workflow_was_given_keep_their_own_state_and_raise_nothing()
    {
        // Calling an injected service is what a step is for; its counters and caches are not workflow state.
        CrossCompilation.Analyze("""
            using Workflows;
            namespace Sample;

            public sealed class Meter
            {
                private readonly Dictionary<string, int> _calls = new();

                public int Count { get; private set; }

                public void Called(string name)
                {
                    _calls[name] = _calls.TryGetValue(name, out var n) ? n + 1 : 1;
                    Count++;
                }
            }

            [Workflow]
            public partial class Work(Meter meter, Meter spare)
            {
                private readonly Meter _meter = meter;
                private readonly Meter _checked = spare ?? throw new ArgumentNullException(nameof(spare));

                [WorkflowRun]
                public async Task<int> RunAsync(int amount) => await AddAsync(amount);

                [Step("add")]
                private Task<int> AddAsync(int amount)
                {
                    meter.Called("add");
                    _meter.Called("add");
                    _checked.Called("add");
                    return Task.FromResult(amount + meter.Count);
                }
            }
            """, allowErrors: false).AssertClean();
    }

    [Fact]
    public void A_service_set_in_a_constructor_body_is_a_service_but_an_object_the_workflow_made_is_state()
    {
        CrossCompilation.Analyze("""
            using Workflows;
            namespace Sample;

            public sealed class Meter
            {
                public int Count { get; private set; }

                public void Called() => Count++;
            }

            [Workflow]
            public partial class Work
            {
                private readonly Meter _given;
                private readonly Meter _own = new();

                public Work(Meter given)
                {
                    this._given = given;
                }

                [WorkflowRun]
                public async Task<int> RunAsync(int amount) => await AddAsync(amount);

                [Step("add")]
                private Task<int> AddAsync(int amount)
                {
                    _given.Called();
                    {|WF0012:_own.Called()|};
                    return Task.FromResult(amount);
                }
            }
            """, allowErrors: false).AssertExpected("Step 'add' assigns the contents of field '_own' (Count, reached through Meter.Called)" + Lost);
    }

    [Theory]
    [InlineData("Tallies.Fill(history, amount);", "public static class Tallies { public static void Fill(List<int> target, int value); }")]
    [InlineData("Tallies.Fill(history, amount);", "public static class Tallies { public static void Fill(List<int> target, int value) => target.Missing(value).Add(; }")]
    [InlineData("Tallies.Fill(history, amount);", "public static class Tallies { public static void Fill(List<int> target, int value) { Fill(target, value); Fill(target, value + 1); } }")]
    [InlineData("Tallies.Fill(history, amount", "public static class Tallies { public static void Fill(List<int> target, int value) { target[")]
    [InlineData("Unknown.Fill(history, amount); history.Nope(); this.Missing = 1; _missing[0] = 2;", "")]
    public void Half_typed_code_does_not_crash(string statement, string types)
    {
        var source = InStepBody(statement).Replace("public static class Tallies", types + "\npublic static class Unused");
        var run = CrossCompilation.Analyze(source, allowErrors: true);
        Assert.Empty(run.Failures);
    }
}
