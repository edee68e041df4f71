using System.Globalization;
using System.Text;
using System.Text.Json;
using Workflows.Journal;

namespace Workflows.Inspection;

/// <summary>A run's claim history (<see cref="ClaimRecord"/>) for people and for tools: a table, or JSON.</summary>
public static class ClaimHistory
{
    /// <summary>
    /// One line per claim, oldest first: number, owner, when it was claimed and ended, how it ended (released, taken over, or
    /// still open) and until when it held the run.
    /// </summary>
    public static string Render(Guid runId, IReadOnlyList<ClaimRecord> claims)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Run {runId}: {claims.Count} claim{(claims.Count == 1 ? "" : "s")}\n");
        if (claims.Count == 0) return text.ToString();
        var ownerWidth = Math.Max("owner".Length, claims.Max(c => c.Owner.Length));
        text.Append(CultureInfo.InvariantCulture, $"  {"#",3}  {"owner".PadRight(ownerWidth)}  {"claimed",-24}  {"ended",-24}  {"how",-11}  held until\n");
        foreach (var claim in claims)
        {
            var how = claim.End switch
            {
                ClaimEnd.Released => "released",
                ClaimEnd.TakenOver => "taken over",
                _ => "open",
            };
            text.Append(CultureInfo.InvariantCulture,
                $"  {claim.Number,3}  {claim.Owner.PadRight(ownerWidth)}  {Time(claim.ClaimedAt),-24}  {Time(claim.EndedAt),-24}  {how,-11}  {Time(claim.HeldUntil)}\n");
        }
        return text.ToString();
    }

    /// <summary>{ "runId": …, "claims": [ { "number", "owner", "claimedAt", "leaseExpiresAt", "endedAt", "end", "heldUntil" } ] }.</summary>
    public static void Write(Utf8JsonWriter writer, Guid runId, IReadOnlyList<ClaimRecord> claims)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(claims);
        writer.WriteStartObject();
        writer.WriteString("runId", runId);
        writer.WriteStartArray("claims");
        foreach (var claim in claims)
        {
            writer.WriteStartObject();
            writer.WriteNumber("number", claim.Number);
            writer.WriteString("owner", claim.Owner);
            writer.WriteString("claimedAt", claim.ClaimedAt);
            WriteTime(writer, "leaseExpiresAt", claim.LeaseExpiresAt);
            WriteTime(writer, "endedAt", claim.EndedAt);
            if (claim.End is { } end) writer.WriteString("end", end == ClaimEnd.Released ? "Released" : "TakenOver");
            else writer.WriteNull("end");
            WriteTime(writer, "heldUntil", claim.HeldUntil);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteTime(Utf8JsonWriter writer, string name, DateTimeOffset? value)
    {
        if (value is { } time) writer.WriteString(name, time);
        else writer.WriteNull(name);
    }

    private static string Time(DateTimeOffset? value) =>
        value is { } time ? time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture) : "-";
}
