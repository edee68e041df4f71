using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests.Analyzers;

/// <summary>
/// The types that used to lose data without a word (issue 13, item 4): public fields (now journaled, a readonly one
/// through a constructor parameter), get-only views over state the journal does not keep, a subtype returned through a
/// concrete base class, and values that mean something only in one process (native-sized integers, handles). Each is
/// reported by WF0002/WF0003 with the member path, next to its nearest clean counterpart.
/// </summary>
public sealed class SerializationGapTests
{
    private const string Prefix = "The result of step 'load' cannot round-trip through the journal: ";

    /// <summary>A workflow with one step 'load' (written in full by <paramref name="step"/>) and the given types.</summary>
    private static AnalyzerRun RunStep(string step, string types = "", string workflowAttribute = "[Workflow]", string usings = "") =>
        AnalyzerHarness.Run(new SourceFile("/src/Work.cs", $$"""
            using Workflows;
            {{usings}}
            namespace Sample;
            {{types}}
            {{workflowAttribute}}
            public partial class Work
            {
                [WorkflowRun]
                public async Task RunAsync() => await LoadAsync();
                [Step("load")]
                {{step}}
            }
            """));

    private static AnalyzerRun RunResult(string type, string types) =>
        RunStep($"private {{|WF0002:Task<{type}>|}} LoadAsync() => throw new NotImplementedException();", types);

    private static void AssertCleanResult(string type, string types) =>
        RunStep($"private Task<{type}> LoadAsync() => throw new NotImplementedException();", types).AssertClean();

    // Public fields: journaled like properties, so their types are checked and a readonly one needs a constructor parameter.

    [Fact]
    public void A_public_field_of_a_type_the_journal_cannot_carry_is_reported_with_its_member_path()
    {
        RunResult("Reading", "public sealed class Reading { public double Value; public object? Tag; }")
            .AssertExpected(Prefix + "'Reading.Tag' has no shape to rebuild on replay");
    }

    [Fact]
    public void A_readonly_field_without_a_constructor_parameter_is_reported()
    {
        RunResult("Reading", """
            public sealed class Reading
            {
                public readonly Guid Id = Guid.NewGuid();
                public double Value;
            }
            """).AssertExpected(Prefix + "'Reading.Id' is a readonly field with no constructor parameter; its value would be lost on replay");
    }

    [Fact]
    public void Settable_fields_readonly_fields_set_by_the_constructor_and_static_or_const_fields_are_fine()
    {
        AssertCleanResult("Reading", """
            public sealed class Reading
            {
                public const string Unit = "kWh";
                public static Action? OnRead;
                public static readonly nint Sentinel = 0;
                public readonly string Meter;
                public double Value;
                public List<string> Tags = new();
                public Reading(string meter) => Meter = meter;
            }
            public struct Point { public int X; public int Y; }
            """);
        AssertCleanResult("Point", "public struct Point { public int X; public int Y; }");
    }

    [Fact]
    public void A_field_and_a_property_under_one_journal_name_are_reported()
    {
        RunResult("Link", "public sealed class Link { public string URL { get; set; } = \"\"; public string Url = \"\"; }")
            .AssertExpected(Prefix + "'Link.URL' and 'Link.Url' are both journaled as 'url'; rename one");
        AssertCleanResult("Link", "public sealed class Link { public string Href { get; set; } = \"\"; public string Url = \"\"; }");
    }

    // Get-only views over state the journal does not keep.

    [Fact]
    public void A_get_only_view_over_a_private_collection_is_reported_with_its_member_path()
    {
        RunResult("Order", """
            public sealed class Order
            {
                private readonly List<string> _items = new();
                public string Customer { get; set; } = "";
                public IReadOnlyList<string> Items => _items;
                public void Add(string item) => _items.Add(item);
            }
            """).AssertExpected(Prefix + "'Order.Items' is a get-only view over the private field '_items', which the journal does not keep; its value would be lost on replay");
    }

    [Fact]
    public void A_view_over_a_private_mutable_field_through_a_block_getter_and_this_is_reported()
    {
        RunResult("Account", """
            public sealed class Account
            {
                private decimal _balance;
                public decimal Balance { get { return this._balance; } }
                public void Deposit(decimal amount) => _balance += amount;
            }
            """).AssertExpected(Prefix + "'Account.Balance' is a get-only view over the private field '_balance', which the journal does not keep; its value would be lost on replay");
    }

    [Fact]
    public void A_view_over_a_private_auto_property_reached_through_a_private_computed_one_is_reported()
    {
        RunResult("Cart", """
            public sealed class Cart
            {
                internal List<int> Quantities { get; } = new();
                private int Sum => Quantities.Sum();
                public int Count => Sum;
            }
            """).AssertExpected(Prefix + "'Cart.Count' is a get-only view over the internal property 'Quantities', which the journal does not keep; its value would be lost on replay");
    }

    [Fact]
    public void A_view_over_a_nested_member_is_reported_with_the_whole_path()
    {
        RunResult("Shipment", """
            public sealed class Shipment { public Order Order { get; set; } = new(); }
            public sealed class Order
            {
                private readonly List<string> _items = new();
                public IReadOnlyList<string> Items => _items;
            }
            """).AssertExpected(Prefix + "'Shipment.Order.Items' is a get-only view over the private field '_items', which the journal does not keep; its value would be lost on replay");
    }

    [Fact]
    public void Views_over_journaled_members_readonly_scalars_and_constructor_fed_state_are_fine()
    {
        AssertCleanResult("Order", """
            public sealed class Order
            {
                private readonly decimal _taxRate = 0.2m;
                private readonly List<string> _items;
                public Order(IReadOnlyList<string> items) => _items = items.ToList();
                public IReadOnlyList<string> Items => _items;
                public decimal Net { get; init; }
                public decimal Gross => Net * (1 + _taxRate);
                public int Count => Items.Count;
                public string Label => $"{Count} items, {Gross}";
                public static int Created => s_created;
                private static int s_created;
            }
            """);
        // A field that a public setter writes is the storage of a journaled property: a view over it comes back too.
        AssertCleanResult("Temperature", """
            public sealed class Temperature
            {
                private double _celsius;
                public double Celsius { get => _celsius; set => _celsius = value; }
                public double Fahrenheit => _celsius * 9 / 5 + 32;
            }
            """);
    }

    // A subtype returned through a concrete, unsealed base class.

    private const string Animals = """
        public class Animal { public string Name { get; set; } = ""; }
        public class Dog : Animal { public string Breed { get; set; } = ""; public int Age; public string Tag => Name + Breed; }
        public class Puppy : Dog { }
        public sealed class Cat : Animal { }
        """;

    [Fact]
    public void A_subtype_returned_from_an_async_step_is_reported_at_the_returned_expression_with_the_lost_members()
    {
        RunStep("""
            private async Task<Animal> LoadAsync()
            {
                await Task.Yield();
                return {|WF0002:new Dog { Name = "Rex", Breed = "Collie" }|};
            }
            """, Animals)
            .AssertExpected(Prefix + "it returns 'Dog' where it declares 'Animal', and the journal rebuilds only 'Animal': 'Dog.Breed' and 'Dog.Age' would be lost on replay; "
                + "declare 'Dog' as the result, or make 'Animal' abstract and journal the hierarchy through the workflow's JsonSerializerContext");
    }

    [Fact]
    public void A_subtype_returned_through_Task_FromResult_in_an_expression_body_is_reported()
    {
        RunStep("private Task<Animal> LoadAsync() => Task.FromResult<Animal>({|WF0002:new Dog()|});", Animals)
            .AssertExpected(Prefix + "it returns 'Dog' where it declares 'Animal', and the journal rebuilds only 'Animal': 'Dog.Breed' and 'Dog.Age' would be lost on replay; "
                + "declare 'Dog' as the result, or make 'Animal' abstract and journal the hierarchy through the workflow's JsonSerializerContext");
    }

    [Fact]
    public void A_subtype_that_adds_no_member_is_reported_because_its_type_is_lost()
    {
        RunStep("private ValueTask<Animal> LoadAsync() => new ValueTask<Animal>({|WF0002:new Cat()|});", Animals)
            .AssertExpected(Prefix + "it returns 'Cat' where it declares 'Animal', and the journal rebuilds only 'Animal': its type would be lost on replay (a test such as 'is Cat' would take another branch); "
                + "declare 'Cat' as the result, or make 'Animal' abstract and journal the hierarchy through the workflow's JsonSerializerContext");
    }

    [Fact]
    public void Each_subtype_branch_of_a_conditional_is_reported_and_the_base_branch_is_not()
    {
        RunStep("private async Task<Dog> LoadAsync() { await Task.Yield(); return DateTime.UnixEpoch.Year > 1 ? {|WF0002:new Puppy()|} : new Dog(); }", Animals)
            .AssertExpected(Prefix + "it returns 'Puppy' where it declares 'Dog', and the journal rebuilds only 'Dog': its type would be lost on replay (a test such as 'is Puppy' would take another branch); "
                + "declare 'Puppy' as the result, or make 'Dog' abstract and journal the hierarchy through the workflow's JsonSerializerContext");
    }

    [Fact]
    public void A_subtype_returned_from_the_run_method_is_reported_as_WF0003()
    {
        AnalyzerHarness.Run(new SourceFile("/src/Work.cs", $$"""
            using Workflows;
            namespace Sample;
            {{Animals}}
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task<Animal> RunAsync() { await Task.Yield(); return {|WF0003:new Dog()|}; }
            }
            """)).AssertExpected("The result of run method 'RunAsync' cannot round-trip through the journal: it returns 'Dog' where it declares 'Animal', and the journal rebuilds only 'Animal': "
            + "'Dog.Breed' and 'Dog.Age' would be lost on replay; declare 'Dog' as the result, or make 'Animal' abstract and journal the hierarchy through the workflow's JsonSerializerContext");
    }

    [Fact]
    public void Returning_the_declared_type_a_lambda_result_or_a_sealed_or_context_journaled_base_is_fine()
    {
        RunStep("""
            private async Task<Animal> LoadAsync()
            {
                Func<Animal> make = () => new Dog();
                Animal Local() => new Dog();
                await Task.Yield();
                return DateTime.UnixEpoch.Year > 1 ? new Animal() : make() ?? Local();
            }
            [Step]
            private Task<Dog> DogAsync() => Task.FromResult(new Dog());
            """, Animals).AssertClean();
        // An abstract base is journaled by the workflow's JsonSerializerContext, whose [JsonDerivedType]s keep the subtype.
        RunStep("private Task<Pet> LoadAsync() => Task.FromResult<Pet>(new Hamster { Name = \"Rex\" });", """
                [JsonPolymorphic]
                [JsonDerivedType(typeof(Hamster), "hamster")]
                public abstract class Pet { public string Name { get; set; } = ""; }
                public sealed class Hamster : Pet { public int Wheels { get; set; } }
                [JsonSerializable(typeof(Pet))]
                public partial class PetContext : JsonSerializerContext { }
                """,
            "[Workflow(JsonSerializerContext = typeof(PetContext))]", "using System.Text.Json.Serialization;").AssertClean();
    }

    // Values of one process: native-sized integers, handles, delegates, views over memory.

    [Theory]
    [InlineData("Task<nint>", "'nint' is a native-sized integer (nint, nuint, IntPtr, UIntPtr), a size or address of one process; use int or long for a number")]
    [InlineData("Task<nuint>", "'nuint' is a native-sized integer (nint, nuint, IntPtr, UIntPtr), a size or address of one process; use int or long for a number")]
    [InlineData("Task<IntPtr>", "'nint' is a native-sized integer (nint, nuint, IntPtr, UIntPtr), a size or address of one process; use int or long for a number")]
    [InlineData("Task<nint?>", "'Nullable<nint>' element: 'nint' is a native-sized integer (nint, nuint, IntPtr, UIntPtr), a size or address of one process; use int or long for a number")]
    [InlineData("Task<Microsoft.Win32.SafeHandles.SafeFileHandle>", "'SafeFileHandle' is an operating-system handle, valid only in the process that opened it; journal what identifies the resource instead")]
    [InlineData("Task<System.Runtime.InteropServices.GCHandle>", "'GCHandle' is an operating-system handle, valid only in the process that opened it; journal what identifies the resource instead")]
    [InlineData("Task<ManualResetEvent>", "'ManualResetEvent' is an operating-system handle, valid only in the process that opened it; journal what identifies the resource instead")]
    [InlineData("Task<Delegate>", "'Delegate' is a delegate")]
    [InlineData("Task<ReadOnlyMemory<byte>>", "'ReadOnlyMemory<byte>' is a view over memory the journal does not own; use an array")]
    public void Process_local_values_are_reported(string returnType, string reason)
    {
        RunStep($"private {{|WF0002:{returnType}|}} LoadAsync() => throw new NotImplementedException();")
            .AssertExpected(Prefix + reason);
    }

    [Fact]
    public void A_native_integer_or_handle_inside_a_type_is_reported_with_its_member_path()
    {
        RunResult("Buffer", """
            public sealed class Buffer { public int Length { get; set; } public nint Address; }
            """).AssertExpected(Prefix + "'Buffer.Address' is a native-sized integer (nint, nuint, IntPtr, UIntPtr), a size or address of one process; use int or long for a number");
        RunResult("Native", """
            public sealed class OwnHandle : System.Runtime.InteropServices.SafeHandle
            {
                public OwnHandle() : base(IntPtr.Zero, true) { }
                public override bool IsInvalid => handle == IntPtr.Zero;
                protected override bool ReleaseHandle() => true;
            }
            public sealed class Native { public OwnHandle? Handle { get; set; } }
            """).AssertExpected(Prefix + "'Native.Handle' is an operating-system handle, valid only in the process that opened it; journal what identifies the resource instead");
        RunResult("Hooks", "public sealed class Hooks { public Func<int>? Next; }")
            .AssertExpected(Prefix + "'Hooks.Next' is a delegate");
    }

    [Theory]
    [InlineData("public unsafe sealed class Raw { public int* Data; }", "'Raw.Data' is a pointer")]
    [InlineData("public unsafe sealed class Raw { public delegate*<int, void> Data; }", "'Raw.Data' is a pointer")]
    [InlineData("public sealed class Raw { public Memory<byte> Data; }", "'Raw.Data' is a view over memory the journal does not own; use an array")]
    [InlineData("public sealed class Raw { public ArraySegment<byte> Data { get; set; } }", "'Raw.Data' is a view over memory the journal does not own; use an array")]
    [InlineData("public sealed class Raw { public UIntPtr Data; }", "'Raw.Data' is a native-sized integer (nint, nuint, IntPtr, UIntPtr), a size or address of one process; use int or long for a number")]
    public void Pointers_and_memory_views_held_in_fields_are_reported_with_their_member_path(string types, string reason)
    {
        RunResult("Raw", types).AssertExpected(Prefix + reason);
        AssertCleanResult("Raw", "public sealed class Raw { public byte[] Data = []; public long Address; }");
    }

    [Fact]
    public void A_native_integer_step_parameter_is_reported_and_its_long_counterpart_is_not()
    {
        AnalyzerHarness.Run(new SourceFile("/src/Work.cs", """
            using Workflows;
            namespace Sample;
            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task RunAsync() { await CopyAsync(0); await CountAsync(0); }
                [Step]
                private Task CopyAsync({|WF0003:nint|} address) => Task.CompletedTask;
                [Step]
                private Task CountAsync(long count) => Task.CompletedTask;
            }
            """)).AssertExpected("Parameter 'address' of step 'CopyAsync' cannot round-trip through the journal: "
            + "'nint' is a native-sized integer (nint, nuint, IntPtr, UIntPtr), a size or address of one process; use int or long for a number");
    }

    // Half-typed code: the new checks read syntax the user is still writing.

    /// <summary>Every construct the checks above read, in one workflow, to be cut up line by line.</summary>
    private const string Everything = """
        using Workflows;
        namespace Sample;
        public class Animal { public string Name { get; set; } = ""; }
        public class Dog : Animal { public string Breed = ""; }
        public sealed class Order
        {
            private readonly List<string> _items = new();
            private int Sum => _items.Count;
            public IReadOnlyList<string> Items => _items;
            public int Count { get { return this.Sum; } }
            public readonly string Id;
            public nint Handle;
            public Order(string id) => Id = id;
        }
        public struct Point { public int X; public readonly int Y; }
        [Workflow]
        public partial class Work
        {
            [WorkflowRun]
            public async Task<Animal> RunAsync(Order order)
            {
                var animal = await AdoptAsync(order.Id);
                return animal.Name.Length > 0 ? new Dog() : animal;
            }
            [Step]
            private Task<Animal> AdoptAsync(string id) => Task.FromResult<Animal>(id switch { "a" => new Dog(), _ => new Animal() });
            [Step]
            private ValueTask<Point> PointAsync() => new ValueTask<Point>(new Point());
        }
        """;

    [Fact]
    public void No_prefix_and_no_one_line_removal_of_the_new_constructs_makes_anything_throw()
    {
        var lines = Everything.Split('\n');
        var variants = Enumerable.Range(0, lines.Length + 1).Select(count => string.Join('\n', lines.Take(count)))
            .Concat(Enumerable.Range(0, lines.Length).Select(removed => string.Join('\n', lines.Where((_, index) => index != removed))));
        var failures = new List<string>();
        foreach (var variant in variants)
        {
            var run = AnalyzerHarness.Run(new SourceFile("/src/Work.cs", variant));
            if (run.Generation.Generator.Exception is { } exception) failures.Add($"{exception.GetType().Name}: {exception.Message}\n{variant}");
            else if (run.Failures.FirstOrDefault() is { } failure) failures.Add($"{failure.Id} {failure.GetMessage()}\n{variant}");
        }
        Assert.True(failures.Count == 0, string.Join("\n---\n", failures.Take(3)));
    }

    [Fact]
    public void The_whole_of_the_new_constructs_is_reported_where_expected()
    {
        // The sweep above means something only if the source exercises every check: it does, in these places.
        var run = AnalyzerHarness.Run(new SourceFile("/src/Work.cs", Everything));
        Assert.Equal(
            [
                "The input of run method 'RunAsync' cannot round-trip through the journal: 'Order.Items' is a get-only view over the private field '_items', which the journal does not keep; its value would be lost on replay",
                "The result of run method 'RunAsync' cannot round-trip through the journal: it returns 'Dog' where it declares 'Animal', and the journal rebuilds only 'Animal': 'Dog.Breed' would be lost on replay; declare 'Dog' as the result, or make 'Animal' abstract and journal the hierarchy through the workflow's JsonSerializerContext",
                "The result of step 'AdoptAsync' cannot round-trip through the journal: it returns 'Dog' where it declares 'Animal', and the journal rebuilds only 'Animal': 'Dog.Breed' would be lost on replay; declare 'Dog' as the result, or make 'Animal' abstract and journal the hierarchy through the workflow's JsonSerializerContext",
                "The result of step 'PointAsync' cannot round-trip through the journal: 'Point.Y' is a readonly field with no constructor parameter; its value would be lost on replay",
            ],
            run.Diagnostics.Where(d => d.Id is "WF0002" or "WF0003").Select(d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Theory]
    [InlineData("public sealed class Order { private readonly List<string> _items = new(); public IReadOnlyList<string> Items => _it")]
    [InlineData("public sealed class Order { public IReadOnlyList<string> Items => ; }")]
    [InlineData("public sealed class Order { public IReadOnlyList<string> Items { get { return } } }")]
    [InlineData("public sealed class Order { public readonly ; public int = 3; }")]
    [InlineData("public sealed class Order { public Missing Field; public int Count => Field.Count; }")]
    [InlineData("public sealed class Order { public int A, B = , C; public nint }")]
    [InlineData("public class Animal { } public class Dog : Animal { public int Age; } public sealed class Order : Dog { public Order(int age) => Age = age; }")]
    public void Half_typed_types_never_make_the_generator_or_an_analyzer_throw(string types)
    {
        var run = RunStep("""
            private async Task<Order> LoadAsync()
            {
                await Task.Yield();
                return new Order(
            """, types);
        Assert.True(run.Failures.Count == 0, string.Join("\n", run.Failures));
        Assert.Null(run.Generation.Generator.Exception);
        var returns = RunStep("private Task<Animal> LoadAsync() => Task.FromResult<Animal>(new Dog(", "public class Animal { } public class Dog : Animal { public int Age; }");
        Assert.True(returns.Failures.Count == 0, string.Join("\n", returns.Failures));
    }
}
