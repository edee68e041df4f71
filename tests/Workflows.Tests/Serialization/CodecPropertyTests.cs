using System.Text.Json.Nodes;
using Workflows.Serialization;
using Workflows.Tests.TestWorkflows;

namespace Workflows.Tests.Serialization;

/// <summary>
/// Properties of the generated codecs over the type surface (TypeSurfaceWorkflow's Envelope: records, a record struct,
/// lists, a dictionary with nullable values, enums, nullables, recursion), on seeded random values: what is written
/// reads back exactly; what is too deep is refused when written, never written and then unreadable; and a stray null or
/// a missing required member always errors.
/// </summary>
public sealed class CodecPropertyTests
{
    private static readonly JsonCodec<Envelope> Codec = TypeSurfaceWorkflow.Definition.InputCodec;
    private static readonly Color[] Colors = Enum.GetValues<Color>();

    private static string Text(Random random)
    {
        // Letters, escapes, non-ASCII and astral characters; never a lone surrogate (refused at write on purpose).
        string[] parts = ["a", "Z", "0", " ", "\"", "\\", "\n", "\t", "\u0001", "é", "ß", "€", "日本", "😀", "\u2028"];
        var length = random.Next(0, 8);
        return string.Concat(Enumerable.Range(0, length).Select(_ => parts[random.Next(parts.Length)]));
    }

    private static int Int(Random random) => random.Next(5) switch
    {
        0 => int.MinValue,
        1 => int.MaxValue,
        2 => 0,
        _ => random.Next(int.MinValue, int.MaxValue),
    };

    private static decimal Money(Random random) => random.Next(6) switch
    {
        0 => decimal.MaxValue,
        1 => decimal.MinValue,
        2 => new decimal(1, 0, 0, false, 28),          // 1E-28: the smallest scale step
        3 => 1.50m,                                     // a trailing zero: the scale must survive
        4 => -0.0m,
        _ => new decimal(random.Next(), random.Next(), random.Next(), random.Next(2) == 0, (byte)random.Next(29)),
    };

    private static DateTimeOffset Instant(Random random)
    {
        var offset = TimeSpan.FromMinutes(random.Next(-14 * 60, 14 * 60 + 1));
        var min = DateTimeOffset.MinValue.UtcTicks + offset.Ticks + TimeSpan.TicksPerDay;
        var max = DateTimeOffset.MaxValue.UtcTicks - TimeSpan.TicksPerDay;
        return new DateTimeOffset(min + (long)(random.NextDouble() * (max - min)), TimeSpan.Zero).ToOffset(offset);
    }

    private static Item NewItem(Random random) =>
        new(Text(random), Int(random), Money(random), Colors[random.Next(Colors.Length)], Instant(random), random.Next(2) == 0 ? null : Text(random));

    private static Envelope NewEnvelope(Random random, int depth) => new(
        Text(random),
        Enumerable.Range(0, random.Next(0, 4)).Select(_ => NewItem(random)).ToList(),
        Enumerable.Range(0, random.Next(0, 4)).ToDictionary(i => $"h{i}-{Text(random)}", _ => random.Next(3) == 0 ? null : Text(random)),
        random.Next(3) == 0 ? null : new Point(Int(random), Int(random)),
        [.. Colors.OrderBy(_ => random.Next())],          // every enum member, in any order
        depth > 0 && random.Next(3) != 0 ? NewEnvelope(random, depth - 1) : null);

    [Fact]
    public void Random_values_across_the_type_surface_read_back_exactly()
    {
        var random = new Random(20261201);
        for (var i = 0; i < 300; i++)
        {
            var value = NewEnvelope(random, depth: 4);
            var json = Codec.Serialize(value);
            var read = Codec.Deserialize(json);
            Exact.Equal(value, read, $"case {i}");
            Assert.Equal(json, Codec.Serialize(read));
        }
    }

    /// <summary>A chain of <paramref name="links"/> envelopes, each the Inner of the one before.</summary>
    private static Envelope Chain(int links)
    {
        Envelope? inner = null;
        for (var i = 0; i < links; i++)
        {
            inner = new Envelope($"e{i}", [], [], null, [], inner);
        }
        return inner!;
    }

    [Fact]
    public void Nesting_up_to_the_depth_limit_reads_back_and_past_it_is_refused_when_written()
    {
        // A chain of envelopes nests one JSON object per link, and the last link's (empty) lists one level more: past 64
        // (the reader's old default) and up to the limit it round-trips; one link more is refused at write.
        var limit = JournalLimits.DefaultMaxDepth;
        var deepest = Chain(limit - 1);
        var json = Codec.Serialize(deepest);
        Assert.Equal(json, Codec.Serialize(Codec.Deserialize(json)));
        var depth = 0;
        for (var e = Codec.Deserialize(json); e is not null; e = e.Inner) depth++;
        Assert.Equal(limit - 1, depth);

        var refused = Assert.Throws<JournalWriteException>(() => Codec.Serialize(Chain(limit)));
        Assert.Contains("JournalLimits.MaxDepth", refused.Message);
    }

    [Fact]
    public void A_stray_null_or_a_missing_required_member_always_errors_and_optional_ones_never_do()
    {
        var random = new Random(7);
        var checkedCases = 0;
        for (var i = 0; i < 200; i++)
        {
            var value = NewEnvelope(random, depth: 2);
            var root = JsonNode.Parse(Codec.Serialize(value))!.AsObject();
            var names = root.Select(p => p.Key).ToList();

            // Each required member of the envelope, removed or nulled: an error naming it.
            foreach (var required in new[] { "id", "items", "headers", "palette" })
            {
                var member = names.Single(n => string.Equals(n, required, StringComparison.OrdinalIgnoreCase));
                foreach (var broken in new[] { Without(root, member), WithNull(root, member) })
                {
                    var error = Assert.Throws<WorkflowSerializationException>(() => Codec.Deserialize(broken));
                    Assert.Contains(member, error.Message, StringComparison.OrdinalIgnoreCase);
                    checkedCases++;
                }
            }

            // The optional ones (nullable): missing or null reads as null.
            foreach (var optional in new[] { "origin", "inner" })
            {
                var member = names.Single(n => string.Equals(n, optional, StringComparison.OrdinalIgnoreCase));
                Assert.NotNull(Codec.Deserialize(Without(root, member)));
                Assert.NotNull(Codec.Deserialize(WithNull(root, member)));
            }

            // A null element of a list whose elements are not nullable: an error.
            var items = root[names.Single(n => n.Equals("items", StringComparison.OrdinalIgnoreCase))]!.AsArray();
            if (items.Count > 0)
            {
                var clone = root.DeepClone().AsObject();
                clone[names.Single(n => n.Equals("items", StringComparison.OrdinalIgnoreCase))]!.AsArray()[random.Next(items.Count)] = null;
                Assert.Throws<WorkflowSerializationException>(() => Codec.Deserialize(clone.ToJsonString()));
                checkedCases++;
            }
        }
        Assert.True(checkedCases > 1600, $"only {checkedCases} broken payloads were checked");
    }

    private static string Without(JsonObject root, string member)
    {
        var clone = root.DeepClone().AsObject();
        clone.Remove(member);
        return clone.ToJsonString();
    }

    private static string WithNull(JsonObject root, string member)
    {
        var clone = root.DeepClone().AsObject();
        clone[member] = null;
        return clone.ToJsonString();
    }
}
