using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Workflows.Journal;

namespace Workflows.Cli;

/// <summary>Parses what the user typed, naming the argument when it is wrong (exit code 2).</summary>
internal static partial class Inputs
{
    public static Guid RunId(string? text, string what = "run id")
    {
        if (Guid.TryParse(text, out var id)) return id;
        throw CliException.BadInput($"{what} '{text}' is not a run id (a GUID such as 0193a8e2-7c1d-7a3b-9f00-1234567890ab)");
    }

    public static string? Tenant(string? tenant)
    {
        if (tenant is null) return null;
        if (string.IsNullOrWhiteSpace(tenant) || tenant.Length > 100 || tenant.Any(char.IsControl))
        {
            throw CliException.BadInput($"--tenant '{tenant}' is not a tenant id (1 to 100 characters, no control characters)");
        }
        return tenant;
    }

    public static IReadOnlyList<RunStatus>? Statuses(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var statuses = new List<RunStatus>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Enum.TryParse<RunStatus>(part, ignoreCase: true, out var status) || !Enum.IsDefined(status) || part.Any(char.IsDigit))
            {
                var known = string.Join(", ", Enum.GetNames<RunStatus>().Select(n => n.ToLowerInvariant()));
                throw CliException.BadInput($"--status '{part}' is not a run status ({known})");
            }
            if (!statuses.Contains(status)) statuses.Add(status);
        }
        return statuses;
    }

    /// <summary>A date (2026-12-01, UTC midnight), an instant (2026-12-01T08:00:00Z), or an age back from now (90s, 30m, 1h, 7d, 2w).</summary>
    public static DateTimeOffset? Since(string? text, DateTimeOffset now)
    {
        if (text is null) return null;
        var trimmed = text.Trim();
        if (TryAge(trimmed, now - DateTimeOffset.MinValue, out var back))
        {
            return now - back;
        }
        if (DateTime.TryParseExact(trimmed, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var day))
        {
            return new DateTimeOffset(day, TimeSpan.Zero);
        }
        if (trimmed.Contains('T') && DateTimeOffset.TryParse(trimmed, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant))
        {
            return instant.ToUniversalTime();
        }
        throw CliException.BadInput($"--since '{text}' is not a date (2026-12-01), an instant (2026-12-01T08:00:00Z) or an age (30m, 1h, 7d)");
    }

    /// <summary>An age (90s, 30m, 1h, 7d, 2w) for <paramref name="what"/>.</summary>
    public static TimeSpan Age(string? text, string what)
    {
        if (text is not null && TryAge(text.Trim(), TimeSpan.FromDays(365 * 1000), out var age)) return age;
        throw CliException.BadInput($"{what} '{text}' is not an age (90s, 30m, 1h, 7d, 2w)");
    }

    /// <summary>A count and a unit (s, m, h, d, w), at most <paramref name="max"/> (decimal: a count of weeks can overflow a tick count).</summary>
    private static bool TryAge(string text, TimeSpan max, out TimeSpan age)
    {
        age = default;
        if (AgePattern().Match(text) is not { Success: true } match
            || !long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            return false;
        }
        var unit = match.Groups[2].Value.ToLowerInvariant() switch
        {
            "s" => TimeSpan.FromSeconds(1),
            "m" => TimeSpan.FromMinutes(1),
            "h" => TimeSpan.FromHours(1),
            "d" => TimeSpan.FromDays(1),
            _ => TimeSpan.FromDays(7),
        };
        age = TimeSpan.FromTicks((long)Math.Min((decimal)unit.Ticks * count, max.Ticks));
        return true;
    }

    public static int Limit(int limit)
    {
        if (limit is < 1 or > Storage.RunQuery.MaxLimit) throw CliException.BadInput($"--limit {limit} is not between 1 and {Storage.RunQuery.MaxLimit}");
        return limit;
    }

    /// <summary>The event payload: any JSON value, validated before anything is written.</summary>
    public static JsonElement Json(string? text, string what)
    {
        if (text is null) throw CliException.BadInput($"{what} is missing");
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw CliException.BadInput($"{what} is not valid JSON: {JournalLocation.OneLine(e.Message)}");
        }
    }

    [GeneratedRegex("^([0-9]{1,12})([smhdwSMHDW])$")]
    private static partial Regex AgePattern();
}
