using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Workflows.Storage.Sql;

namespace Workflows.Sqlite;

/// <summary>
/// SQLite's spelling of the journal: ids as lower-case "D" text (which sorts like the ids), timestamps as ISO-8601
/// round-trip text with the offset they were written with, except the instants compared in SQL, which are written in UTC
/// so that their text sorts like time; decimals as invariant text (exact, scale kept); events in rowid order.
/// </summary>
internal sealed class SqliteDialect : SqlDialect
{
    internal static readonly SqliteDialect Instance = new();

    private SqliteDialect() { }

    internal override string Database => "SQLite";

    internal override bool SplitsTimestamps => false;

    /// <summary>A timestamp column (text with any offset) as ticks since the Unix epoch, UTC.</summary>
    internal override string InstantOf(string column) =>
        $"(unixepoch(substr({column}, 1, 19) || substr({column}, 28)) * 10000000 + CAST(substr({column}, 21, 7) AS INTEGER))";

    internal override long InstantParameter(DateTimeOffset instant) => instant.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;

    internal override string ReadyNowLiteral => "'0001'";

    // SQLite has one writer at a time: a claim's transaction holds the write lock, so there is nothing to skip.
    internal override string LockSkipLocked => "";
    internal override string LockRow => ""; // every write holds the database's write lock

    internal override string EventOrder => "rowid";

    protected override DbParameter NewParameter(string name, SqlValueKind kind) =>
        new SqliteParameter("@" + name, kind is SqlValueKind.Int32 or SqlValueKind.Int64 ? SqliteType.Integer : SqliteType.Text);

    internal override void SetId(DbParameterCollection parameters, ref int index, Guid? value) =>
        parameters[index++].Value = value is { } id ? id.ToString("D") : DBNull.Value;

    internal override void SetDecimal(DbParameterCollection parameters, ref int index, decimal? value) =>
        parameters[index++].Value = value is { } v ? v.ToString(CultureInfo.InvariantCulture) : DBNull.Value;

    internal override void SetTimestamp(DbParameterCollection parameters, ref int index, DateTimeOffset? value, bool instant) =>
        parameters[index++].Value = value is { } v
            ? (instant ? v.ToUniversalTime() : v).ToString("O", CultureInfo.InvariantCulture)
            : DBNull.Value;

    internal override bool TryReadId(DbDataReader reader, int ordinal, out Guid value, out string problem)
    {
        problem = "";
        if (reader.GetFieldType(ordinal) == typeof(string) && Guid.TryParseExact(reader.GetString(ordinal), "D", out value)) return true;
        value = default;
        problem = $"holds '{Excerpt(reader, ordinal)}', which is not a GUID";
        return false;
    }

    internal override bool TryReadInteger(DbDataReader reader, int ordinal, out long value, out string problem)
    {
        problem = "";
        if (reader.GetFieldType(ordinal) == typeof(long))
        {
            value = reader.GetInt64(ordinal);
            return true;
        }
        value = 0;
        problem = $"holds '{Excerpt(reader, ordinal)}', which is not an integer";
        return false;
    }

    internal override bool TryReadDecimal(DbDataReader reader, int ordinal, out decimal value, out string problem)
    {
        problem = "";
        if (reader.GetFieldType(ordinal) == typeof(string)
            && decimal.TryParse(reader.GetString(ordinal), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value))
        {
            return true;
        }
        value = 0;
        problem = $"holds '{Excerpt(reader, ordinal)}', which is not a decimal";
        return false;
    }

    internal override bool TryReadTimestamp(DbDataReader reader, int ordinal, out DateTimeOffset value, out string problem)
    {
        problem = "";
        if (reader.GetFieldType(ordinal) == typeof(string)
            && DateTimeOffset.TryParseExact(reader.GetString(ordinal), "O", CultureInfo.InvariantCulture, DateTimeStyles.None, out value))
        {
            return true;
        }
        value = default;
        problem = $"holds '{Excerpt(reader, ordinal)}', which is not an ISO-8601 round-trip timestamp";
        return false;
    }
}
