using System.Data.Common;
using Npgsql;
using NpgsqlTypes;
using Workflows.Storage.Sql;

namespace Workflows.PostgreSql;

/// <summary>
/// PostgreSQL's spelling of the journal (see <see cref="PostgreSqlSchema"/> for the types and why): ids as uuid, every
/// timestamp as two columns (UTC ticks as bigint, the offset in minutes as smallint), decimals as numeric, events in the
/// order of their identity column, and claims that skip rows another claim has locked.
/// </summary>
internal sealed class PostgreSqlDialect : SqlDialect
{
    internal static readonly PostgreSqlDialect Instance = new();

    private PostgreSqlDialect() { }

    internal override string Database => "PostgreSQL";

    internal override bool SplitsTimestamps => true;

    internal override string InstantOf(string column) => column;

    internal override long InstantParameter(DateTimeOffset instant) => instant.UtcTicks;

    // UTC tick 0 is DateTimeOffset.MinValue: "ready now" reads back as the contract's MinValue.
    internal override string ReadyNowLiteral => "0::bigint";

    internal override string LockSkipLocked => " FOR UPDATE SKIP LOCKED";

    internal override string LockRow => " FOR UPDATE";

    internal override string EventOrder => "seq";

    protected override DbParameter NewParameter(string name, SqlValueKind kind) => new NpgsqlParameter
    {
        ParameterName = name,
        NpgsqlDbType = kind switch
        {
            SqlValueKind.Id => NpgsqlDbType.Uuid,
            SqlValueKind.Int32 => NpgsqlDbType.Integer,
            SqlValueKind.Int64 or SqlValueKind.Timestamp or SqlValueKind.Instant => NpgsqlDbType.Bigint,
            SqlValueKind.Decimal => NpgsqlDbType.Numeric,
            _ => NpgsqlDbType.Text,
        },
    };

    /// <summary>PostgreSQL's text cannot hold U+0000 (the server refuses the whole statement, without saying which value).</summary>
    protected override string? Storable(string? value) =>
        value is not null && value.Contains('\0', StringComparison.Ordinal)
            ? throw new ArgumentException(
                $"PostgreSQL text cannot hold the character U+0000 (NUL), which the value '{value.Replace("\0", "\\0", StringComparison.Ordinal)[..Math.Min(value.Length + 1, 80)]}' contains.")
            : value;

    /// <summary>An unnamed parameter (referenced as <c>$n</c> by its position), typed as the named ones of <paramref name="kind"/> are.</summary>
    internal NpgsqlParameter NewPositionalParameter(SqlValueKind kind) => (NpgsqlParameter)NewParameter(string.Empty, kind);

    internal override void SetId(DbParameterCollection parameters, ref int index, Guid? value) =>
        parameters[index++].Value = value is { } id ? id : DBNull.Value;

    /// <summary>An integer as the parameter's type wants it (Npgsql does not narrow a long into an integer parameter).</summary>
    internal override void SetInteger(DbParameterCollection parameters, ref int index, long? value)
    {
        var parameter = (NpgsqlParameter)parameters[index++];
        parameter.Value = value is not { } v ? DBNull.Value : parameter.NpgsqlDbType == NpgsqlDbType.Integer ? (object)checked((int)v) : v;
    }

    internal override void SetDecimal(DbParameterCollection parameters, ref int index, decimal? value) =>
        parameters[index++].Value = value is { } v ? v : DBNull.Value;

    internal override void SetTimestamp(DbParameterCollection parameters, ref int index, DateTimeOffset? value, bool instant)
    {
        if (value is { } v)
        {
            parameters[index++].Value = v.UtcTicks;
            parameters[index++].Value = (int)(v.Offset.Ticks / TimeSpan.TicksPerMinute);
        }
        else
        {
            parameters[index++].Value = DBNull.Value;
            parameters[index++].Value = DBNull.Value;
        }
    }

    internal override bool TryReadId(DbDataReader reader, int ordinal, out Guid value, out string problem)
    {
        problem = "";
        if (reader.GetFieldType(ordinal) == typeof(Guid))
        {
            value = reader.GetGuid(ordinal);
            return true;
        }
        value = default;
        problem = $"holds '{Excerpt(reader, ordinal)}', which is not a uuid";
        return false;
    }

    internal override bool TryReadInteger(DbDataReader reader, int ordinal, out long value, out string problem)
    {
        problem = "";
        var type = reader.GetFieldType(ordinal);
        if (type == typeof(int) || type == typeof(long) || type == typeof(short))
        {
            value = Convert.ToInt64(reader.GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture);
            return true;
        }
        value = 0;
        problem = $"holds '{Excerpt(reader, ordinal)}', which is not an integer";
        return false;
    }

    internal override bool TryReadDecimal(DbDataReader reader, int ordinal, out decimal value, out string problem)
    {
        problem = "";
        try
        {
            value = reader.GetDecimal(ordinal);
            return true;
        }
        catch (Exception e) when (e is InvalidCastException or OverflowException)
        {
            value = 0;
            problem = $"holds '{Excerpt(reader, ordinal)}', which is not a decimal in .NET's range";
            return false;
        }
    }

    internal override bool TryReadTimestamp(DbDataReader reader, int ordinal, out DateTimeOffset value, out string problem)
    {
        value = default;
        problem = "";
        if (reader.GetFieldType(ordinal) != typeof(long))
        {
            problem = $"holds '{Excerpt(reader, ordinal)}', which is not a tick count";
            return false;
        }
        var ticks = reader.GetInt64(ordinal);
        if (reader.IsDBNull(ordinal + 1))
        {
            problem = $"holds {ticks} but its offset column '{reader.GetName(ordinal + 1)}' is null";
            return false;
        }
        var minutes = Convert.ToInt32(reader.GetValue(ordinal + 1), System.Globalization.CultureInfo.InvariantCulture);
        var offset = TimeSpan.FromMinutes(minutes);
        if (minutes is < -840 or > 840 || ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            problem = $"holds {ticks} ticks at offset {minutes} minutes, which is not a representable timestamp";
            return false;
        }
        var local = ticks + offset.Ticks;
        if (local < DateTime.MinValue.Ticks || local > DateTime.MaxValue.Ticks)
        {
            problem = $"holds {ticks} ticks at offset {minutes} minutes, which is not a representable timestamp";
            return false;
        }
        value = new DateTimeOffset(local, offset);
        return true;
    }
}
