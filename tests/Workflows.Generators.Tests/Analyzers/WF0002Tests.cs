using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests.Analyzers;

/// <summary>
/// WF0002: a step's result type cannot round-trip through the journal. Reported at the step's written return type, with
/// the reason <c>SerializableTypes.Check</c> gives (the same model the generator emits codecs from).
/// </summary>
public sealed class WF0002Tests
{
    private static AnalyzerRun RunStep(string step, string types = "") => AnalyzerHarness.Run(new SourceFile("/src/Work.cs", $$"""
        using Workflows;
        namespace Sample;
        {{types}}
        [Workflow]
        public partial class Work
        {
            [WorkflowRun]
            public async Task RunAsync() => await LoadAsync();
            [Step("load")]
            {{step}}
        }
        """));

    [Theory]
    [InlineData("Task<Stream>", "'Stream' is a Stream; journal the data it carries instead")]
    [InlineData("Task<object>", "'object' has no shape to rebuild on replay")]
    [InlineData("Task<(int Count, string Name)>", "'(int Count, string Name)' is a tuple; its element names are not kept; use a record")]
    [InlineData("Task<IDisposable>", "'IDisposable' is an interface; there is nothing to rebuild on replay")]
    [InlineData("ValueTask<Action>", "'Action' is a delegate")]
    [InlineData("Task<Exception>", "'Exception' is an exception; return a result record instead")]
    [InlineData("Task<Dictionary<int, string>>", "'Dictionary<int, string>' has keys of type 'int'; only string keys are journaled")]
    [InlineData("Task<List<object>>", "'List<object>' element: 'object' has no shape to rebuild on replay")]
    public void A_result_type_outside_the_journal_surface_is_reported_at_the_return_type(string returnType, string reason)
    {
        RunStep($"private {{|WF0002:{returnType}|}} LoadAsync() => throw new NotImplementedException();")
            .AssertExpected($"The result of step 'load' cannot round-trip through the journal: {reason}");
    }

    [Fact]
    public void An_abstract_class_result_is_reported()
    {
        RunStep("private {|WF0002:Task<Shape>|} LoadAsync() => throw new NotImplementedException();",
                "public abstract class Shape { public int Sides { get; set; } }")
            .AssertExpected("The result of step 'load' cannot round-trip through the journal: 'Shape' is abstract; there is nothing to rebuild on replay");
    }

    [Fact]
    public void A_private_setter_deep_inside_the_result_is_reported_with_its_member_path()
    {
        RunStep("private {|WF0002:Task<Order>|} LoadAsync() => throw new NotImplementedException();", """
            public sealed class Order { public Customer Customer { get; set; } = new(); }
            public sealed class Customer { public Address Address { get; set; } = new(); }
            public sealed class Address { public string Street { get; private set; } = ""; }
            """)
            .AssertExpected("The result of step 'load' cannot round-trip through the journal: "
                + "'Order.Customer.Address.Street' has no public setter, init accessor or constructor parameter; its value would be lost on replay");
    }

    [Fact]
    public void Settable_classes_positional_records_and_computed_get_only_properties_are_fine()
    {
        RunStep("private Task<Order> LoadAsync() => throw new NotImplementedException();", """
            public sealed class Order
            {
                public Customer Customer { get; set; } = new();
                public List<Line> Lines { get; init; } = new();
                public decimal Total => Lines.Sum(l => l.Price);
            }
            public sealed class Customer { public string Name { get; set; } = ""; }
            public sealed record Line(string Sku, decimal Price);
            """).AssertClean();
    }

    [Theory]
    [InlineData("Task")]
    [InlineData("ValueTask")]
    [InlineData("Task<int?>")]
    [InlineData("ValueTask<IReadOnlyList<string>>")]
    [InlineData("Task<Dictionary<string, DateTimeOffset>>")]
    public void Results_the_journal_carries_are_fine(string returnType)
    {
        RunStep($"private {returnType} LoadAsync() => throw new NotImplementedException();").AssertClean();
    }

    [Theory]
    [InlineData("Task<Missing>")]
    [InlineData("Task<List<Missing>>")]
    [InlineData("Task<Dictionary<string, Missing[]>>")]
    public void A_result_type_that_does_not_resolve_is_left_to_the_compiler(string returnType)
    {
        // CS0246 already says what is wrong; a WF0002 about an unknown type would only add noise while the user types.
        RunStep($"private {returnType} LoadAsync() => throw new NotImplementedException();").AssertClean();
    }

    [Fact]
    public void A_type_the_workflows_json_context_declares_is_fine_and_one_it_does_not_is_reported()
    {
        AnalyzerHarness.Run(new SourceFile("/src/Work.cs", """
            using System.Text.Json.Serialization;
            using Workflows;
            namespace Sample;
            public abstract class Shape { public int Sides { get; set; } }
            public sealed class Square : Shape { }
            [JsonSerializable(typeof(Shape))]
            public partial class ShapeContext : JsonSerializerContext { }
            [Workflow(JsonSerializerContext = typeof(ShapeContext))]
            public partial class Work
            {
                [WorkflowRun]
                public async Task RunAsync() { await DrawAsync(); await StreamAsync(); }
                [Step]
                private Task<Shape> DrawAsync() => Task.FromResult<Shape>(new Square());
                [Step]
                private {|WF0002:Task<object>|} StreamAsync() => Task.FromResult(new object());
            }
            """)).AssertExpected(
            "The result of step 'StreamAsync' cannot round-trip through the journal: 'object' has no shape to rebuild on replay; "
            + "nor does the JsonSerializerContext 'Sample.ShapeContext' declare it ([JsonSerializable(typeof(object))])");
    }
}
