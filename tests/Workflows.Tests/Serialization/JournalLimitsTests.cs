using System.Text.Json;
using Workflows.Serialization;

namespace Workflows.Tests.Serialization;

/// <summary>Every journal writer and reader is held to the same limits: whatever was written can be read back.</summary>
public sealed class JournalLimitsTests
{
    /// <summary>A value that is only its nesting: depth N is written as N nested arrays.</summary>
    private sealed class NestingCodec : JsonCodec<int>
    {
        public override string TypeName => "Nesting";

        public override void Write(Utf8JsonWriter writer, int depth)
        {
            for (var i = 0; i < depth; i++) writer.WriteStartArray();
            for (var i = 0; i < depth; i++) writer.WriteEndArray();
        }

        public override int Read(ref Utf8JsonReader reader)
        {
            int open = 0, deepest = 0;
            do
            {
                if (reader.TokenType == JsonTokenType.StartArray) deepest = Math.Max(deepest, ++open);
                else if (reader.TokenType == JsonTokenType.EndArray) open--;
            }
            while (open > 0 && reader.Read());
            return deepest;
        }
    }

    [Theory]
    [InlineData(65)]   // past System.Text.Json's default reader depth (64), which once made written results unreadable
    [InlineData(200)]
    [InlineData(JournalLimits.DefaultMaxDepth)]
    public void A_value_as_deep_as_the_limit_allows_is_written_and_read_back(int depth)
    {
        var codec = new NestingCodec();
        Assert.Equal(depth, codec.Deserialize(codec.Serialize(depth)));
    }

    [Fact]
    public void A_value_deeper_than_the_limit_is_refused_when_written_naming_the_limit()
    {
        var codec = new NestingCodec();
        var refused = Assert.Throws<JournalWriteException>(() => codec.Serialize(JournalLimits.DefaultMaxDepth + 1));
        Assert.Equal(JournalLimits.DefaultMaxDepth, refused.Limit);
        Assert.StartsWith("Cannot write Nesting to the journal", refused.Message);
        Assert.Contains("deeper than 256 levels (JournalLimits.MaxDepth)", refused.Message);

        var shallow = new JournalLimits { MaxDepth = 10 };
        Assert.Equal(10, codec.Deserialize(codec.Serialize(10, shallow), shallow));
        Assert.Throws<JournalWriteException>(() => codec.Serialize(11, shallow));
        // A reader holds the same limit: a payload deeper than it is refused as unreadable, not misread.
        Assert.Throws<WorkflowSerializationException>(() => codec.Deserialize(codec.Serialize(11), shallow));
    }

    [Fact]
    public void A_payload_larger_than_the_limit_is_refused_when_written_with_its_size_and_the_limit()
    {
        var limits = new JournalLimits { MaxPayloadBytes = 1000 };
        Assert.Equal(new string('x', 998), JsonCodecs.String.Deserialize(JsonCodecs.String.Serialize(new string('x', 998), limits), limits)); // 1000 bytes with quotes

        var refused = Assert.Throws<JournalWriteException>(() => JsonCodecs.String.Serialize(new string('x', 999), limits));
        Assert.Equal(1000, refused.Limit);
        Assert.True(refused.Size > 1000, $"size {refused.Size}");
        Assert.Contains("Cannot write", refused.Message);
        Assert.Contains("over the limit of 1,000 (JournalLimits.MaxPayloadBytes)", refused.Message);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1001, 1)]
    [InlineData(10, 0)]
    public void Limits_out_of_range_are_refused_by_the_engine_naming_the_setting(int depth, int bytes)
    {
        var refused = Assert.Throws<ArgumentOutOfRangeException>(() => new WorkflowEngine(new global::Workflows.Storage.InMemoryWorkflowStore(),
            new WorkflowEngineOptions { JournalLimits = new JournalLimits { MaxDepth = depth, MaxPayloadBytes = bytes } }));
        Assert.Contains("JournalLimits.Max", refused.Message);
    }
}
