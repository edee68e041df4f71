using Microsoft.CodeAnalysis;
using Workflows.Generators.Analyzers;
using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests.Analyzers;

/// <summary>WF0015: I/O on an injected service or an I/O type, called in workflow code outside a step.</summary>
public sealed class WF0015Tests
{
    private const string Replays = " in workflow code: it runs again on every replay; move it into a [Step] method";

    /// <summary>The services the workflows below are given, and stand-ins for the logging, options and configuration abstractions.</summary>
    private const string Services = """

        public sealed record Receipt(string Id, decimal Amount);

        public interface IPayments
        {
            Task<Receipt> ChargeAsync(string orderId, decimal amount, CancellationToken cancellationToken = default);
            string Region { get; }
        }

        public interface IAudit
        {
            void Write(string line);
            int Count(string orderId);
        }

        public interface IConnections
        {
            System.Data.Common.DbConnection Open(string name);
        }

        public static class PaymentExtensions
        {
            public static Task<Receipt> ChargeTwiceAsync(this IPayments payments, string orderId) => payments.ChargeAsync(orderId, 2);
        }

        public sealed class Calculator
        {
            public decimal Tax(decimal amount) => amount / 10;
        }
        """;

    private const string Stubs = """

        namespace Microsoft.Extensions.Logging
        {
            public interface ILogger { void Log(string message); }
            public interface ILogger<T> : ILogger { }
            public static class LoggerExtensions { public static void LogInformation(this ILogger logger, string message) => logger.Log(message); }
        }

        namespace Microsoft.Extensions.Options
        {
            public interface IOptions<T> where T : class { T Value { get; } }
            public interface IOptionsMonitor<T> { T Get(string? name); }
        }

        namespace Microsoft.Extensions.Configuration
        {
            public interface IConfiguration { string? this[string key] { get; } IConfiguration GetSection(string key); }
        }
        """;

    /// <summary>
    /// A valid workflow given <c>IPayments payments</c> and <c>IAudit audit</c> by its primary constructor, whose run method
    /// holds <paramref name="body"/>, with the step <c>ChargeStepAsync</c> and <paramref name="members"/>.
    /// </summary>
    private static string Source(string body, string members = "", string parameters = "IPayments payments, IAudit audit") => $$"""
        using Workflows;

        namespace Sample;

        [Workflow]
        public partial class Work({{parameters}})
        {
            [WorkflowRun]
            public async Task<decimal> RunAsync(string orderId, CancellationToken cancellationToken)
            {
                {{body}}
                return (await ChargeStepAsync(orderId)).Amount;
            }

            [Step]
            private Task<Receipt> ChargeStepAsync(string orderId) => payments.ChargeAsync(orderId, 10m);
            {{members}}
        }
        """ + Services;

    private static AnalyzerRun Analyze(string source) => AnalyzerHarness.Run(new SourceFile("/src/Work.cs", source), new SourceFile("/src/Stubs.cs", Stubs));

    [Fact]
    public void A_call_on_a_primary_constructor_parameter_in_the_run_method_is_reported_naming_it()
    {
        Analyze(Source("var receipt = await {|WF0015:payments.ChargeAsync(orderId, 10m)|};"))
            .AssertExpected("'payments.ChargeAsync' is I/O on an injected service" + Replays);
    }

    [Fact]
    public void A_call_on_a_field_set_from_a_primary_constructor_parameter_is_reported_naming_the_field()
    {
        Analyze(Source("var receipt = await {|WF0015:_payments.ChargeAsync(orderId, 10m, cancellationToken)|};", members: """

            private readonly IPayments _payments = payments;
            """)).AssertExpected("'_payments.ChargeAsync' is I/O on an injected service" + Replays);
    }

    [Fact]
    public void Fields_and_properties_assigned_in_a_constructor_hold_services_and_this_is_seen_through()
    {
        Analyze("""
            using Workflows;

            namespace Sample;

            [Workflow]
            public partial class Work
            {
                private readonly IPayments _payments;

                public Work(IPayments payments, IAudit audit)
                {
                    _payments = payments ?? throw new ArgumentNullException(nameof(payments));
                    Audit = audit;
                }

                private IAudit Audit { get; }

                [WorkflowRun]
                public async Task<decimal> RunAsync(string orderId)
                {
                    {|WF0015:this.Audit.Write("charging " + orderId)|};
                    var receipt = await {|WF0015:this._payments.ChargeAsync(orderId, 10m)|};
                    return receipt.Amount;
                }
            }
            """ + Services).AssertExpected(
            "'Audit.Write' is I/O on an injected service" + Replays,
            "'_payments.ChargeAsync' is I/O on an injected service" + Replays);
    }

    [Fact]
    public void A_property_initialized_from_a_parameter_holds_a_service()
    {
        Analyze(Source("var count = {|WF0015:Audit.Count(orderId)|};", members: """

            private IAudit Audit { get; } = audit;
            """)).AssertExpected("'Audit.Count' is I/O on an injected service" + Replays);
    }

    [Fact]
    public void A_helper_the_run_method_reaches_is_reported_with_the_chain()
    {
        Analyze(Source("await ChargeAllAsync(orderId);", members: """

            private Task ChargeAllAsync(string orderId) => LogAsync(orderId);

            private async Task LogAsync(string orderId)
            {
                {|WF0015:audit.Write(orderId)|};
                await Task.CompletedTask;
            }
            """)).AssertExpected("'audit.Write' is I/O on an injected service in workflow code (reached through RunAsync \u2192 ChargeAllAsync \u2192 LogAsync)"
            + ": it runs again on every replay; move it into a [Step] method");
    }

    [Fact]
    public void Lambdas_local_functions_extension_calls_and_method_groups_of_the_run_method_are_workflow_code()
    {
        Analyze(Source("""
            var counts = new[] { orderId }.Select(id => {|WF0015:audit.Count(id)|}).ToList();
            void Note() => {|WF0015:audit.Write(orderId)|};
            Note();
            var twice = await {|WF0015:payments.ChargeTwiceAsync(orderId)|};
            Func<string, decimal, CancellationToken, Task<Receipt>> charge = {|WF0015:payments.ChargeAsync|};
            """)).AssertExpected(
            "'audit.Count' is I/O on an injected service" + Replays,
            "'audit.Write' is I/O on an injected service" + Replays,
            "'payments.ChargeTwiceAsync' is I/O on an injected service" + Replays,
            "'payments.ChargeAsync' is I/O on an injected service" + Replays);
    }

    [Fact]
    public void A_constructor_runs_again_on_every_replay_and_its_calls_are_reported()
    {
        var run = Analyze("""
            using Workflows;

            namespace Sample;

            [Workflow]
            public partial class Work
            {
                private readonly int _seen;

                public Work(IAudit audit) => _seen = {|WF0015:audit.Count("all")|};

                [WorkflowRun]
                public Task<int> RunAsync(string orderId) => CountAsync(orderId);

                [Step]
                private Task<int> CountAsync(string orderId) => Task.FromResult(orderId.Length + _seen);
            }
            """ + Services);
        run.AssertExpected("'audit.Count' is I/O on an injected service" + Replays);
        // A constructor cannot await a step: the call cannot be moved into one.
        Assert.False(run.Diagnostics[0].Properties.ContainsKey(WorkflowIoAnalyzer.MovableProperty));
    }

    [Theory]
    [InlineData("await using var stream = new BufferedStream(Stream.Null); await {|WF0015:stream.FlushAsync()|};", "'stream.FlushAsync' is I/O on a stream")]
    [InlineData("using var reader = new StreamReader(Stream.Null); var line = await {|WF0015:reader.ReadLineAsync()|};", "'reader.ReadLineAsync' is I/O on a stream reader")]
    [InlineData("var bytes = new byte[4]; var read = {|WF0015:RandomAccess.Read(null!, bytes, 0)|};", "'RandomAccess.Read' is I/O on a file")]
    public void Calls_on_streams_and_files_are_reported_wherever_the_instance_comes_from(string body, string message)
    {
        Analyze(Source(body)).AssertExpected(message + Replays);
    }

    [Fact]
    public void Database_calls_are_reported_but_building_a_command_and_reading_the_current_row_are_not()
    {
        Analyze(Source("await QueryAsync(connections);", members: """

            private async Task QueryAsync(IConnections connections)
            {
                using var connection = connections.Open("orders");
                await {|WF0015:connection.OpenAsync()|};
                using var command = connection.CreateCommand();
                command.CommandText = "select id from orders";
                using var reader = await {|WF0015:command.ExecuteReaderAsync()|};
                while (await {|WF0015:reader.ReadAsync()|}) _ = reader.GetString(0) + reader.IsDBNull(0);
            }
            """, parameters: "IPayments payments, IAudit audit, IConnections connections")).AssertExpected(
            "'connection.OpenAsync' is I/O on a database connection in workflow code (reached through RunAsync \u2192 QueryAsync): it runs again on every replay; move it into a [Step] method",
            "'command.ExecuteReaderAsync' is I/O on a database command in workflow code (reached through RunAsync \u2192 QueryAsync): it runs again on every replay; move it into a [Step] method",
            "'reader.ReadAsync' is I/O on a data reader in workflow code (reached through RunAsync \u2192 QueryAsync): it runs again on every replay; move it into a [Step] method");
    }

    [Fact]
    public void Reading_an_http_response_body_is_reported()
    {
        Analyze(Source("await ReadAsync(new HttpResponseMessage());", members: """

            private async Task<string> ReadAsync(HttpResponseMessage response) => await {|WF0015:response.Content.ReadAsStringAsync()|};
            """)).AssertExpected(
            "'response.Content.ReadAsStringAsync' is I/O on HTTP content in workflow code (reached through RunAsync \u2192 ReadAsync): it runs again on every replay; move it into a [Step] method");
    }

    [Fact]
    public void A_call_WF0007_reports_is_not_reported_again()
    {
        Analyze(Source("""
            var page = await {|WF0007:http.GetStringAsync("https://example.com")|};
            var text = await {|WF0007:File.ReadAllTextAsync("/tmp/order")|};
            await using var file = {|WF0007:File.OpenRead("/tmp/order")|};
            var read = await {|WF0007:file.ReadAsync(new byte[4])|};
            """, parameters: "IPayments payments, IAudit audit, HttpClient http")).AssertExpected(
            "HttpClient.GetStringAsync is not deterministic; on replay it gives a different result. Move it into a step",
            "File.ReadAllTextAsync is not deterministic; on replay it gives a different result. Move it into a step",
            "File.OpenRead is not deterministic; on replay it gives a different result. Move it into a step",
            "FileStream.ReadAsync is not deterministic; on replay it gives a different result. Move it into a step");
    }

    [Fact]
    public void Step_bodies_and_their_lambdas_may_call_services()
    {
        Analyze(Source("", members: """

            [Step]
            private async Task<int> AuditAsync(string orderId)
            {
                audit.Write(orderId);
                Func<string, int> count = id => audit.Count(id);
                var receipt = await payments.ChargeAsync(orderId, 1m);
                using var reader = new StreamReader(Stream.Null);
                return count(receipt.Id) + (await reader.ReadToEndAsync()).Length;
            }
            """)).AssertClean();
    }

    [Fact]
    public void A_helper_only_steps_call_is_not_workflow_code()
    {
        Analyze(Source("", members: """

            [Step]
            private Task AuditAsync(string orderId)
            {
                Write(orderId);
                return Task.CompletedTask;
            }

            private void Write(string orderId) => audit.Write(orderId);

            private void NeverCalled() => audit.Write("unused");
            """)).AssertClean();
    }

    [Fact]
    public void Logging_options_configuration_properties_and_object_members_are_not_io()
    {
        Analyze(Source("""
            logger.Log("charging " + orderId);
            logger.LogInformation("charging");
            var limit = options.Value.Amount + monitor.Get(null).Amount;
            var section = configuration.GetSection("payments")["region"];
            var region = payments.Region;
            var text = audit.ToString() + audit.GetHashCode() + audit.Equals(payments) + audit.GetType().Name;
            var name = nameof(audit.Write);
            """, parameters: "IPayments payments, IAudit audit, Microsoft.Extensions.Logging.ILogger<Work> logger, "
                + "Microsoft.Extensions.Options.IOptions<Limits> options, Microsoft.Extensions.Options.IOptionsMonitor<Limits> monitor, "
                + "Microsoft.Extensions.Configuration.IConfiguration configuration") + """

            public sealed class Limits { public decimal Amount { get; set; } }
            """).AssertClean();
    }

    [Fact]
    public void Steps_the_Workflow_API_memory_streams_strings_collections_and_objects_the_workflow_made_are_not_io()
    {
        Analyze(Source("""
            var receipt = await ChargeStepAsync(orderId);
            await Workflow.SleepAsync(TimeSpan.FromMinutes(1));
            using var memory = new MemoryStream();
            await memory.WriteAsync(new byte[] { 1, 2 });
            memory.Position = 0;
            using var lines = new StringReader("a\nb");
            var first = await lines.ReadLineAsync();
            var tax = _calculator.Tax(receipt.Amount);
            var upper = region.ToUpperInvariant();
            var made = later();
            var all = validators.Where(v => v is not null).Count() + validators.Count();
            list.Add(audit);
            """, members: """

            private readonly Calculator _calculator = new();
            """, parameters: "IPayments payments, IAudit audit, string region, Func<Calculator> later, IEnumerable<IAudit> validators, List<IAudit> list")).AssertClean();
    }

    [Fact]
    public void Look_alikes_of_io_types_are_matched_by_symbol_not_by_name()
    {
        Analyze(Source("""
            var stream = new Stream();
            var read = await stream.ReadAsync();
            var connection = new DbConnection();
            connection.Open();
            """, members: """

            private sealed class Stream { public Task<int> ReadAsync() => Task.FromResult(0); }

            private sealed class DbConnection { public void Open() { } }
            """)).AssertClean();
    }

    [Fact]
    public void A_factory_of_an_io_object_is_not_io_but_the_object_is()
    {
        Analyze(Source("""
            using var connection = connections.Open("orders");
            await {|WF0015:connection.OpenAsync()|};
            """, parameters: "IPayments payments, IAudit audit, IConnections connections"))
            .AssertExpected("'connection.OpenAsync' is I/O on a database connection" + Replays);
    }

    [Fact]
    public void A_field_not_set_from_a_constructor_parameter_is_no_service()
    {
        Analyze(Source("var count = _audit.Count(orderId);", members: """

            private readonly IAudit _audit = new NullAudit();

            private sealed class NullAudit : IAudit
            {
                public void Write(string line) { }
                public int Count(string orderId) => 0;
            }
            """)).AssertClean();
    }

    [Fact]
    public void Code_outside_workflow_classes_is_not_reported()
    {
        Analyze(Source("") + """

            public sealed class Checkout(IPayments payments)
            {
                public Task<Receipt> PayAsync(string orderId) => payments.ChargeAsync(orderId, 1m);
            }
            """).AssertClean();
    }

    [Theory]
    [InlineData("var r = await payments.ChargeAsync(orderId, 1m);", true)]
    [InlineData("var r = await _payments.ChargeAsync(orderId, 1m, cancellationToken);", true)]
    [InlineData("audit.Write(orderId);", true)]
    [InlineData("var n = audit.Count(orderId) + 1;", true)]
    [InlineData("var r = await payments.ChargeTwiceAsync(orderId);", true)]
    [InlineData("Func<int> count = () => audit.Count(orderId);", false)]
    [InlineData("lock (_gate) { audit.Write(orderId); }", false)]
    [InlineData("var c = connections.Open(orderId); await c.OpenAsync();", false)]
    [InlineData("async Task UnzipAsync() { System.IO.Compression.ZipFile.ExtractToDirectory(\"a.zip\", \"a\"); await Task.Yield(); } await UnzipAsync();", true)]
    [InlineData("static async Task UnzipAsync() { System.IO.Compression.ZipFile.ExtractToDirectory(\"a.zip\", \"a\"); await Task.Yield(); } await UnzipAsync();", false)]
    public void The_diagnostic_says_whether_the_call_can_be_moved_into_a_step(string body, bool movable)
    {
        var run = Analyze(Source(body, members: """

            private readonly IPayments _payments = payments;
            private readonly object _gate = new();
            """, parameters: "IPayments payments, IAudit audit, IConnections connections"));
        Assert.Empty(run.Failures);
        var diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal("WF0015", diagnostic.Id);
        Assert.Equal(movable, diagnostic.Properties.ContainsKey(WorkflowIoAnalyzer.MovableProperty));
    }

    [Theory]
    [InlineData("await payments.")]
    [InlineData("await payments.ChargeAsync(")]
    [InlineData("await missing.ChargeAsync(orderId);")]
    [InlineData("_unknown = payments; await _unknown.ChargeAsync(orderId, 1m);")]
    [InlineData("await payments.ChargeAsync(orderId, 1m, ")]
    [InlineData("audit.Write(audit.Count(payments.Region))(")]
    public void Half_typed_code_does_not_crash_the_analyzer(string body)
    {
        var run = Analyze(Source(body, parameters: "IPayments payments, IAudit audit, IMissing missing"));
        Assert.Empty(run.Failures);
    }

    [Fact]
    public void A_half_typed_workflow_class_does_not_crash_the_analyzer()
    {
        foreach (var source in new[]
        {
            "using Workflows; [Workflow] public partial class W(IPayments p) { [WorkflowRun] public async Task R() { await p.",
            "using Workflows; [Workflow] public partial class W(IPayments p) { private readonly IPayments _p = p; public W(",
            "using Workflows; [Workflow] public partial class W(IPayments p) { [WorkflowRun] public Task R() => _p.ChargeAsync(\"x\", 1m); IPayments _p = ",
        })
        {
            Assert.Empty(AnalyzerHarness.Run(new SourceFile("/src/W.cs", source + Services)).Failures);
        }
    }
}
