using System.Text.Json;
using Workflows.Serialization;

namespace Workflows.Tests.Serialization;

/// <summary>
/// JournalJson reuses the thread's buffer and writer from payload to payload: what one payload wrote, or how it failed,
/// never shows in the next; a payload written while another is being written gets its own.
/// </summary>
public sealed class PayloadWriterReuseTests
{
    private static string Text(string value) => JournalJson.Write(value, static (writer, v) => writer.WriteStringValue(v));

    [Fact]
    public void A_payload_after_a_longer_one_holds_only_its_own_text()
    {
        Assert.Equal("\"" + new string('x', 5000) + "\"", Text(new string('x', 5000)));
        Assert.Equal("\"short\"", Text("short"));
    }

    [Fact]
    public void A_payload_after_one_refused_for_its_size_or_depth_holds_only_its_own_text()
    {
        var small = JournalLimits.Default with { MaxPayloadBytes = 64 };
        Assert.Throws<JournalWriteException>(() =>
            JournalJson.Write(new string('y', 500), static (writer, v) => writer.WriteStringValue(v), small, "a big one"));
        Assert.Equal("\"after\"", Text("after"));

        // Refused half-way through nesting: the next payload starts at depth 0.
        var shallow = JournalLimits.Default with { MaxDepth = 3 };
        Assert.Throws<JournalWriteException>(() =>
            JournalJson.Write(10, static (writer, depth) => { for (var i = 0; i < depth; i++) writer.WriteStartArray(); }, shallow, "a deep one"));
        Assert.Throws<JournalWriteException>(() =>
            JournalJson.Write(10, static (writer, depth) => { for (var i = 0; i < depth; i++) writer.WriteStartArray(); }, JournalLimits.Default with { MaxPayloadBytes = 4 }, "a deep one, by size"));
        Assert.Equal("[[1]]", JournalJson.Write(0, static (writer, _) =>
        {
            writer.WriteStartArray();
            writer.WriteStartArray();
            writer.WriteNumberValue(1);
            writer.WriteEndArray();
            writer.WriteEndArray();
        }));
    }

    [Fact]
    public void A_payload_written_inside_another_gets_its_own_buffer()
    {
        string? inner = null;
        var outer = JournalJson.Write(0, (writer, _) =>
        {
            writer.WriteStartObject();
            writer.WriteString("a", "1");
            inner = Text("inner");
            writer.WriteString("b", "2");
            writer.WriteEndObject();
        });

        Assert.Equal("{\"a\":\"1\",\"b\":\"2\"}", outer);
        Assert.Equal("\"inner\"", inner);
        Assert.Equal("\"next\"", Text("next"));
    }

    [Fact]
    public void Payloads_written_on_many_threads_at_once_are_each_their_own()
    {
        var texts = new string[200];
        Parallel.For(0, texts.Length, i => texts[i] = Text(new string((char)('a' + i % 26), i % 50 + 1)));

        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal("\"" + new string((char)('a' + i % 26), i % 50 + 1) + "\"", texts[i]);
        }
    }
}
