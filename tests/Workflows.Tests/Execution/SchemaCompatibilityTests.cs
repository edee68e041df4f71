namespace Workflows.Tests.Execution;

/// <summary>
/// The compatibility rules on shape texts as the generator writes them (the generated definitions of the test workflows
/// and hand-written lines in the same format): what the reading rules can still read is compatible, nothing else.
/// </summary>
public sealed class SchemaCompatibilityTests
{
    private static readonly HashSet<string> NoneRecorded = new(StringComparer.Ordinal);

    private static IReadOnlyList<string> Check(string recorded, string current, params string[] recordedSteps) =>
        SchemaShapes.IncompatibleChanges(recorded, current, new HashSet<string>(recordedSteps, StringComparer.Ordinal));

    private static string Step(string output) => $"workflow:w\nrun:input string\nstep:s Step(string)->X in:string out:{output}\n";

    [Fact]
    public void The_generated_shapes_of_the_evolving_workflow_are_classified_by_the_reading_rules()
    {
        string Shape(WorkflowDefinition d) => d.SchemaShape ?? throw new InvalidOperationException("no shape");
        var v1 = Shape(TestWorkflows.Evolution.EvolvingV1.Definition);
        Assert.Empty(Check(v1, v1, "charge"));
        Assert.Empty(Check(v1, Shape(TestWorkflows.Evolution.EvolvingWithNote.Definition), "charge"));
        Assert.Empty(Check(v1, Shape(TestWorkflows.Evolution.EvolvingWithoutAmount.Definition), "charge"));
        Assert.Equal(["step:charge out $.currency: a required member was added"], Check(v1, Shape(TestWorkflows.Evolution.EvolvingWithCurrency.Definition), "charge"));
        Assert.Equal(["step:charge out $.total: a required member was added"], Check(v1, Shape(TestWorkflows.Evolution.EvolvingWithTotal.Definition), "charge"));
    }

    [Theory]
    // compatible
    [InlineData("object(R{\"a\"!:int;})", "object(R{\"a\"!:int;\"b\"?:string;})", "")]
    [InlineData("object(R{\"a\"!:int;\"b\"!:string;})", "object(R{\"a\"!:int;})", "")]
    [InlineData("object(R{\"a\"!:int;})", "object(R{\"a\":int;})", "")]
    [InlineData("object(R{\"a\"!:string;})", "object(R{\"a\"!?:string;})", "")]
    [InlineData("enum(E{A,B})", "enum(E{A,B,C})", "")]
    [InlineData("list(global::System.Collections.Generic.List<int>|int)", "array(int[]|int)", "")]
    [InlineData("int", "nullable(int?|int)", "")]
    [InlineData("object(Old{\"a\"!:int;})", "object(New{\"a\"!:int;})", "")]
    [InlineData("dictionary(global::System.Collections.Generic.Dictionary<string, int>|int)", "dictionary(global::System.Collections.Generic.IReadOnlyDictionary<string, int>|int)", "")]
    // not compatible
    [InlineData("object(R{\"a\"!:int;})", "object(R{\"a\"!:int;\"b\"!:string;})", "step:s out $.b: a required member was added")]
    [InlineData("object(R{\"a\":int;})", "object(R{\"a\"!:int;})", "step:s out $.a: became required")]
    [InlineData("object(R{\"a\"?:string;})", "object(R{\"a\":string;})", "step:s out $.a: became non-nullable (the journal may hold null)")]
    [InlineData("object(R{\"a\"!:int;})", "object(R{\"a\"!:long;})", "step:s out $.a: type changed from int to long")]
    [InlineData("enum(E{A,B})", "enum(E{A})", "step:s out $: enum member B was removed")]
    [InlineData("list(L|?string)", "list(L|string)", "step:s out $: elements became non-nullable (the journal may hold null elements)")]
    [InlineData("nullable(int?|int)", "int", "step:s out $: changed from nullable int? to int")]
    [InlineData("list(L|int)", "dictionary(D|int)", "step:s out $: changed from list L to dictionary D")]
    [InlineData("object(R{\"xs\"!:list(L|object(I{\"n\"!:int;}));})", "object(R{\"xs\"!:list(L|object(I{\"n\"!:int;\"m\"!:int;}));})", "step:s out $.xs[*].m: a required member was added")]
    public void A_step_result_change_is_compatible_exactly_when_the_reading_rules_can_read_the_old_journal(string before, string after, string expected)
    {
        var problems = Check(Step(before), Step(after), "s");
        Assert.Equal(expected.Length == 0 ? [] : [expected], problems);
    }

    [Fact]
    public void A_recursive_type_is_compared_once_per_pair_and_a_change_deep_inside_it_is_found()
    {
        const string before = "object(N{\"children\"!:list(L|#N);\"name\"!:string;})";
        Assert.Empty(Check(Step(before), Step(before), "s"));
        Assert.Empty(Check(Step(before), Step("object(N{\"children\"!:list(L|#N);\"name\"!:string;\"tag\"?:#string;})"), "s"));
        // The nested N is the same pair as the outer one, so the change is reported once, where it is first met.
        Assert.Equal(["step:s out $.name: type changed from string to int"],
            Check(Step(before), Step("object(N{\"children\"!:list(L|#N);\"name\"!:int;})"), "s"));
        Assert.Equal(["step:s out $.children[*].n: type changed from int to string"],
            Check(Step("object(N{\"children\"!:list(L|object(C{\"n\"!:int;}));})"), Step("object(N{\"children\"!:list(L|object(C{\"n\"!:string;}));})"), "s"));
    }

    [Fact]
    public void Steps_added_are_compatible_and_steps_removed_are_compatible_only_if_the_run_did_not_record_them()
    {
        const string one = "workflow:w\nstep:a Step()->void\n";
        const string two = "workflow:w\nstep:a Step()->void\nstep:b Step(int)->int in:int out:int\n";
        Assert.Empty(Check(one, two, "a"));
        Assert.Empty(Check(two, one, "a"));
        Assert.Equal(["step:b was removed, and the run recorded it"], Check(two, one, "a", "b"));
    }

    [Theory]
    [InlineData("step:s Step(string)->X in:string out:int\n", "step:s Step(string,int)->X in:string in:int out:int\n", "step:s changed from 1 to 2 parameter(s)")]
    [InlineData("step:s Step()->void\n", "step:s Step()->int out:int\n", "step:s now returns a result (the run recorded none)")]
    [InlineData("step:s Step()->X out?:string\n", "step:s Step()->X out:string\n", "step:s out: became non-nullable (the journal may hold null)")]
    [InlineData("run:input? string\n", "run:input string\n", "run:input 1: became non-nullable (the journal may hold null)")]
    public void Signature_changes_are_not_compatible(string before, string after, string expected)
    {
        Assert.Equal([expected], Check("workflow:w\n" + before, "workflow:w\n" + after, "s"));
    }

    [Fact]
    public void A_shape_text_that_cannot_be_parsed_is_never_compatible()
    {
        var problems = Check("workflow:w\nstep:s Step()->X out:object(R{\"a\"!:int;\n", Step("int"), "s");
        Assert.Single(problems);
        Assert.StartsWith("the recorded shape cannot be compared", problems[0]);
        Assert.NotEmpty(Check("something else entirely", "workflow:w\n", "s"));
        Assert.Empty(NoneRecorded);
    }

    [Fact]
    public void Event_payload_types_are_compared_by_the_reading_rules_and_one_no_longer_awaited_is_compatible()
    {
        const string head = "workflow:w\nstep:s Step()->void\n";
        const string scan = "event:global::A.Scan object(global::A.Scan{\"code\"!:string;})\n";
        const string map = "event:global::System.Collections.Generic.Dictionary<string, int> dictionary(global::System.Collections.Generic.Dictionary<string, int>|int)\n";
        Assert.Empty(Check(head + scan + map, head + scan + map, "s"));
        Assert.Empty(Check(head + scan, head + "event:global::A.Scan object(global::A.Scan{\"code\"!:string;\"at\"?:string;})\n", "s"));
        Assert.Empty(Check(head + scan + map, head, "s"));
        Assert.Equal(["event:global::A.Scan $.code: type changed from string to int"],
            Check(head + scan, head + "event:global::A.Scan object(global::A.Scan{\"code\"!:int;})\n", "s"));
        Assert.Equal(["event:global::System.Collections.Generic.Dictionary<string, int> $.*: type changed from int to long"],
            Check(head + map, head + "event:global::System.Collections.Generic.Dictionary<string, int> dictionary(global::System.Collections.Generic.Dictionary<string, int>|long)\n", "s"));
    }

    [Fact]
    public void Type_ids_holding_spaces_commas_and_generics_are_read_whole()
    {
        const string before = "object(R{\"m\"!:dictionary(global::System.Collections.Generic.Dictionary<string, global::A.B<int, string>>|#string);\"s\"!:string;})";
        Assert.Empty(Check(Step(before), Step(before), "s"));
    }
}
