using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests.Analyzers;

/// <summary>WF0003 for event payload and published-value types: they are journaled like step types, so they must round-trip.</summary>
public sealed class WF0003EventTests
{
    private const string NoSetter = "cannot round-trip through the journal: 'Ticket.Id' has no public setter, init accessor or constructor parameter; its value would be lost on replay";

    private static string Source(string body) => $$"""
        using Workflows;
        using Workflows.Serialization;

        namespace Sample;

        public sealed class Ticket
        {
            public Guid Id { get; } = Guid.Empty;
        }

        public sealed record Good(string Name);

        [Workflow]
        public partial class Work
        {
            [WorkflowRun]
            public async Task<int> RunAsync(string path)
            {
                {{body}}
                return await CountAsync(path);
            }

            [Step("count")]
            private Task<int> CountAsync(string path) => Task.FromResult(path.Length);
        }
        """;

    private static AnalyzerRun Analyze(string source) => AnalyzerHarness.Run(new SourceFile("/src/Work.cs", source));

    [Fact]
    public void A_wait_with_a_written_type_argument_is_reported_at_it()
    {
        Analyze(Source("""
            var ticket = await Workflow.WaitForEventAsync<{|WF0003:Ticket|}>("ticket");
            var maybe = await Workflow.TryWaitForEventAsync<{|WF0003:Ticket|}>("late-ticket", TimeSpan.FromHours(1));
            """)).AssertExpected(
                "The payload of event 'ticket' " + NoSetter,
                "The payload of event 'late-ticket' " + NoSetter);
    }

    [Fact]
    public void A_published_value_with_an_inferred_type_is_reported_at_the_call()
    {
        Analyze(Source("""
            await {|WF0003:Workflow.SetEventAsync("ticket", new Ticket())|};
            var key = path + "-2";
            await Workflow.SetEventAsync<{|WF0003:Ticket|}>(key, new Ticket());
            """)).AssertExpected(
                "The value published under 'ticket' " + NoSetter,
                "The value published by Workflow.SetEventAsync " + NoSetter);
    }

    [Fact]
    public void Types_that_round_trip_the_codec_overloads_and_generic_helpers_are_clean()
    {
        Analyze(Source("""
            var good = await Workflow.WaitForEventAsync<Good>("good");
            await Workflow.SetEventAsync("names", new List<string?> { good.Name });
            var raw = await Workflow.WaitForEventAsync<string>("raw", JsonCodecs.String);
            await Publish("count", 3);
            async Task Publish<T>(string key, T value) => await Workflow.SetEventAsync<T>(key, value);
            """)).AssertClean();
    }

    [Fact]
    public void Calls_outside_workflow_classes_are_not_checked()
    {
        Analyze(Source("") + """

            public static class Outside
            {
                public static Task<Ticket> WaitAsync() => Workflow.WaitForEventAsync<Ticket>("ticket");
            }
            """).AssertClean();
    }
}
