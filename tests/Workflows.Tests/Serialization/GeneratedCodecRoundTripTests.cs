using System.Collections;
using System.Text.Json;
using Workflows.Journal;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows;

namespace Workflows.Tests.Serialization;

/// <summary>
/// Every supported type goes through the generated codecs and the journal: a first run executes the echo steps and
/// journals their outputs; a second engine resumes a copy of that journal, so every step output is read back from
/// the journal's JSON, and the values must come back bit for bit.
/// </summary>
public abstract class GeneratedCodecRoundTripTests : JournalTestBase
{
    /// <summary>What TypeSurfaceWorkflow sends through each labelled step, in call order.</summary>
    private static readonly (string Label, IEnumerable Values)[] Expected =
    [
        ("Bool", Samples.Booleans),
        ("Byte", Samples.Bytes),
        ("SByte", Samples.SBytes),
        ("Int16", Samples.Int16s),
        ("UInt16", Samples.UInt16s),
        ("Int32", Samples.Int32s),
        ("UInt32", Samples.UInt32s),
        ("Int64", Samples.Int64s),
        ("UInt64", Samples.UInt64s),
        ("Single", Samples.Singles),
        ("Double", Samples.Doubles),
        ("Decimal", Samples.Decimals),
        ("String", Samples.Strings),
        ("Char", Samples.Chars),
        ("Guid", Samples.Guids),
        ("DateTime", Samples.DateTimes),
        ("DateTimeOffset", Samples.DateTimeOffsets),
        ("TimeSpan", Samples.TimeSpans),
        ("DateOnly", Samples.DateOnlys),
        ("TimeOnly", Samples.TimeOnlys),
        ("Color", Samples.Colors),
        ("Access", Samples.Accesses),
        ("Huge", Samples.Huges),
        ("NullableInt32", Samples.NullableInt32s),
        ("NullableDecimal", Samples.NullableDecimals),
        ("NullableDateTimeOffset", Samples.NullableDateTimeOffsets),
        ("NullableColor", Samples.NullableColors),
        ("NullablePoint", Samples.NullablePoints),
        ("Int32Array", Samples.Int32Arrays),
        ("StringArray", new[] { Samples.StringArrayElements }),
        ("ByteArray", new[] { Samples.ByteArray }),
        ("Jagged", new[] { Samples.Jagged }),
        ("StringList", new[] { Samples.StringList, null }),
        ("ItemList", new[] { Samples.ItemList }),
        ("Counts", new[] { Samples.Counts, null }),
        ("Prices", new[] { Samples.Prices }),
        ("Nested", new[] { Samples.Nested }),
        ("ListOfMaps", new[] { Samples.ListOfMaps }),
        ("MapOfLists", new[] { Samples.MapOfLists }),
        ("Items", new[] { Samples.Items }),
        ("Item", Samples.Items.Append(null).ToArray()),
        ("Point", Samples.Points),
        ("InitOnly", Samples.InitOnlyThings),
        ("Settable", Samples.SettableThings),
        ("Mixed", Samples.Mixeds),
        ("Envelope", new[] { Samples.MakeEnvelope(), null }),
        ("ValueTaskInt64", new[] { long.MinValue }),
        ("Combine", new[] { "a \"b\"|7|one|Green|" }),
    ];

    private sealed record Replayed(Guid OriginalRunId, Guid ReplayRunId, Probe First, Probe Replay, WorkflowRun ReplayRun, Envelope FirstResult);

    /// <summary>Runs the surface once, then resumes a copy of its journal in a second engine.</summary>
    private async Task<Replayed> RunAndReplayAsync()
    {
        var first = new Probe();
        var engine1 = await NewEngineAsync(first);
        var run = await engine1.StartAsync(TypeSurfaceWorkflow.Definition, Samples.MakeEnvelope());
        var result = await run.GetResultAsync();
        await StopEngineAsync(engine1);

        var copy = await CopyRunAsync(run.RunId);
        var replay = new Probe();
        var engine2 = await NewEngineAsync(replay, definitions: TypeSurfaceWorkflow.Definition);
        var resumed = await engine2.ResumeAsync(copy);
        await resumed.Completion;
        return new Replayed(run.RunId, copy, first, replay, resumed, result);
    }

    private static void AssertSeenEverySample(Probe probe)
    {
        foreach (var (label, values) in Expected)
        {
            Exact.Equal(values.Cast<object?>().ToList(), probe.Seen<object?>(label), label);
        }
        Assert.Equal(Expected.Select(e => e.Label).Order(StringComparer.Ordinal), probe.Labels.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task First_run_executes_every_step_and_returns_the_values_unchanged()
    {
        var result = await RunAndReplayAsync();

        AssertSeenEverySample(result.First);
        Exact.Equal(Samples.MakeEnvelope(), result.FirstResult);
        Assert.Equal(1, result.First.Calls("touch:task"));
        Assert.Equal(1, result.First.Calls("touch:value-task"));
    }

    [Fact]
    public async Task Replay_reads_every_value_back_from_the_journal_exactly_without_running_a_step_body()
    {
        var result = await RunAndReplayAsync();

        Assert.Equal(0, result.Replay.TotalCalls);
        AssertSeenEverySample(result.Replay);

        var steps = await GetStepsAsync(result.ReplayRunId);
        var report = await result.ReplayRun.GetReportAsync();
        Assert.Empty(report.Executed);
        Assert.Equal(steps.Select(s => s.Sequence), report.Replayed);
        Assert.Equal(Expected.Sum(e => e.Values.Cast<object?>().Count()) + 2 /* touch, touch-value */ + 1 /* final envelope */, steps.Count);
    }

    [Fact]
    public async Task Replayed_run_output_is_the_same_json_and_reads_back_to_the_input()
    {
        var result = await RunAndReplayAsync();

        var original = await GetRunAsync(result.OriginalRunId);
        var replayed = await GetRunAsync(result.ReplayRunId);
        Assert.Equal(RunStatus.Succeeded, replayed.Status);
        Assert.NotNull(replayed.Output);
        Assert.Equal(original.Output, replayed.Output);
        Exact.Equal(Samples.MakeEnvelope(), TypeSurfaceWorkflow.Definition.OutputCodec.Deserialize(replayed.Output!));
        Exact.Equal(Samples.MakeEnvelope(), TypeSurfaceWorkflow.Definition.InputCodec.Deserialize(replayed.Input!));
    }

    [Fact]
    public async Task Replay_leaves_the_journal_as_it_was()
    {
        var first = new Probe();
        var engine1 = await NewEngineAsync(first);
        var run = await engine1.StartAsync(TypeSurfaceWorkflow.Definition, Samples.MakeEnvelope());
        await run.Completion;
        var copy = await CopyRunAsync(run.RunId);
        var before = await GetStepsAsync(copy);

        var engine2 = await NewEngineAsync(new Probe(), definitions: TypeSurfaceWorkflow.Definition);
        await (await engine2.ResumeAsync(copy)).Completion;

        Assert.Equal(before, await GetStepsAsync(copy));
    }

    [Fact]
    public async Task Every_journaled_payload_is_valid_json()
    {
        var result = await RunAndReplayAsync();

        foreach (var step in await GetStepsAsync(result.OriginalRunId))
        {
            Assert.Equal(StepStatus.Succeeded, step.Status);
            using (JsonDocument.Parse(step.Output!)) { }
            if (step.Input is not null)
            {
                using (JsonDocument.Parse(step.Input)) { }
            }
        }
        var run = await GetRunAsync(result.OriginalRunId);
        using (JsonDocument.Parse(run.Input!)) { }
        using (JsonDocument.Parse(run.Output!)) { }
    }

    [Fact]
    public async Task Journaled_json_text_is_readable_and_exact()
    {
        var result = await RunAndReplayAsync();
        var steps = await GetStepsAsync(result.OriginalRunId);
        string[] Outputs(string method) => steps.Where(s => s.Name == method).Select(s => s.Output!).ToArray();

        // Enums by name; a value with no name (or a combination of flags) as its number.
        Assert.Equal(["\"Red\"", "\"Blue\"", "42"], Outputs("EchoColorAsync"));
        Assert.Equal(["\"None\"", "3"], Outputs("EchoAccessAsync"));
        Assert.Equal(["\"Max\"", "18446744073709551614"], Outputs("EchoHugeAsync"));
        Assert.Equal(["null", "\"Green\""], Outputs("EchoNullableColorAsync"));

        // Decimals keep their scale in the text.
        var decimals = Outputs("EchoDecimalAsync");
        Assert.Equal("1.50", decimals[0]);
        Assert.Equal("0.00", decimals[2]);
        Assert.Equal("-1.500", decimals[5]);
        Assert.Equal("0.0000000000000000000000000001", decimals[7]);
        Assert.Equal(["null", "1.50"], Outputs("EchoNullableDecimalAsync"));

        // Doubles: shortest round-trip text; non-finite values as strings.
        var doubles = Outputs("EchoDoubleAsync");
        Assert.Equal("0.30000000000000004", doubles[2]);
        Assert.Equal(["\"NaN\"", "\"Infinity\"", "\"-Infinity\""], doubles[^3..]);

        // Dates keep their offset and kind.
        Assert.Equal("\"2025-03-14T09:26:53.5897932+05:30\"", Outputs("EchoDateTimeOffsetAsync")[0]);
        var dateTimes = Outputs("EchoDateTimeAsync");
        Assert.Equal("\"2024-02-29T23:59:58.1234567Z\"", dateTimes[0]);
        Assert.Equal("\"2024-07-01T12:34:56.0000001\"", dateTimes[2]);

        // Strings and chars.
        Assert.Equal("\"\\u0000\"", Outputs("EchoCharAsync")[0]);
        Assert.Equal("null", Outputs("EchoStringAsync")[^1]);
        Assert.Contains("中文 العربية", Outputs("EchoStringAsync")[8]); // non-ASCII text stays readable
        Assert.Equal("\"quote \\\" and 'single'\"", Outputs("EchoStringAsync")[2]);

        // Records as camelCase objects; computed properties are not journaled; nothing as null.
        var item = Outputs("EchoItemAsync");
        Assert.StartsWith("{\"name\":\"one\",\"quantity\":2,\"price\":1.50,\"color\":\"Blue\",\"at\":\"2025-03-14T09:26:53.5897932+05:30\",", item[0]);
        Assert.Equal("null", item[^1]);
        Assert.DoesNotContain("\"count\"", Outputs("EchoEnvelopeAsync")[0]);
        Assert.Equal(["null"], Outputs("touch"));
        Assert.Equal(["null"], Outputs("touch-value"));

        // A step's input: an object keyed by parameter name, without the CancellationToken.
        var combine = Assert.Single(steps, s => s.Name == "combine");
        Assert.StartsWith("{\"text\":\"a \\\"b\\\"\",\"number\":7,\"item\":{\"name\":\"one\",", combine.Input);
        Assert.EndsWith(",\"color\":\"Green\",\"day\":null}", combine.Input);
        Assert.DoesNotContain("cancellationToken", combine.Input);
        Assert.Equal("\"a \\\"b\\\"|7|one|Green|\"", combine.Output);
    }
}

public sealed class InMemoryGeneratedCodecRoundTripTests : GeneratedCodecRoundTripTests
{
    protected override IJournalHarness CreateJournal() => new InMemoryJournal();
}

public sealed class SqliteGeneratedCodecRoundTripTests : GeneratedCodecRoundTripTests
{
    protected override IJournalHarness CreateJournal() => new SqliteJournal();
}

public sealed class PostgreSqlGeneratedCodecRoundTripTests : GeneratedCodecRoundTripTests
{
    protected override IJournalHarness CreateJournal() => new PostgreSqlJournal();
}
