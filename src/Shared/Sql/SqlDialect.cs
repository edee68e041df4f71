using System.Data;
using System.Data.Common;

namespace Workflows.Storage.Sql;

/// <summary>What a value is to the journal's SQL: how it is bound, stored and read back.</summary>
internal enum SqlValueKind
{
    /// <summary>A run, step or event id.</summary>
    Id,
    /// <summary>Text, including enum names and JSON (payloads, errors, attempt histories).</summary>
    Text,
    Int32,
    Int64,
    Decimal,
    /// <summary>A timestamp kept exactly as written (ticks and offset), never compared in SQL.</summary>
    Timestamp,
    /// <summary>A timestamp the store compares in SQL (leases, wake-ups, deadlines, cancel and wake requests).</summary>
    Instant,
}

/// <summary>One column of a journal table, by name and kind (a dialect may store it as more than one physical column).</summary>
internal readonly record struct JournalColumn(string Name, SqlValueKind Kind);

/// <summary>
/// What differs between the SQL stores: how values are bound and read, how timestamps are stored and compared, and the few
/// statement fragments the databases spell differently. The statements themselves (<see cref="JournalStatements"/>) and
/// the row mapping (<see cref="JournalRows"/>) are shared. Parameters are named <c>@name</c> in every dialect; a split
/// timestamp binds <c>@name</c> and <c>@name_offset</c>.
/// </summary>
internal abstract class SqlDialect
{
    /// <summary>The database's name, for messages ("SQLite", "PostgreSQL").</summary>
    internal abstract string Database { get; }

    /// <summary>True when a timestamp is two columns: the instant and <c>&lt;name&gt;_offset</c> (minutes).</summary>
    internal abstract bool SplitsTimestamps { get; }

    /// <summary>The physical columns of a logical one.</summary>
    internal IEnumerable<string> Physical(JournalColumn column) =>
        SplitsTimestamps && column.Kind is SqlValueKind.Timestamp or SqlValueKind.Instant ? [column.Name, column.Name + "_offset"] : [column.Name];

    /// <summary>How many physical columns (and parameters) a logical one takes.</summary>
    internal int Width(SqlValueKind kind) => SplitsTimestamps && kind is SqlValueKind.Timestamp or SqlValueKind.Instant ? 2 : 1;

    // ---- statement fragments -------------------------------------------------------------------------------

    /// <summary>A stored instant as a value comparable with <see cref="InstantParameter"/> (UTC ticks in some scale).</summary>
    internal abstract string InstantOf(string column);

    /// <summary>The value that <see cref="InstantOf"/> compares with.</summary>
    internal abstract long InstantParameter(DateTimeOffset instant);

    /// <summary>The literal the due-time query yields for "ready now" (it sorts before every stored instant).</summary>
    internal abstract string ReadyNowLiteral { get; }

    /// <summary>Appended to the claim's row selection: lock the chosen rows, skipping those another claim holds.</summary>
    internal abstract string LockSkipLocked { get; }

    /// <summary>Appended to a row's selection inside a write: lock it until the transaction ends (a fence against a takeover).</summary>
    internal abstract string LockRow { get; }

    /// <summary>The column giving events their sending order.</summary>
    internal abstract string EventOrder { get; }

    // ---- parameters ----------------------------------------------------------------------------------------

    /// <summary>Creates the parameter(s) of a value of <paramref name="kind"/> named <c>@name</c> (and <c>@name_offset</c>).</summary>
    internal void AddParameters(DbCommand command, string name, SqlValueKind kind) => AddParameters(command.Parameters, name, kind);

    internal void AddParameters(DbParameterCollection parameters, string name, SqlValueKind kind)
    {
        parameters.Add(NewParameter(name, kind));
        if (Width(kind) == 2)
        {
            parameters.Add(NewParameter(name + "_offset", SqlValueKind.Int32));
        }
    }

    /// <summary>Adds the parameter(s) of a value and sets them.</summary>
    internal void Bind(DbCommand command, string name, SqlValueKind kind, object? value) => Bind(command.Parameters, name, kind, value);

    internal void Bind(DbParameterCollection parameters, string name, SqlValueKind kind, object? value)
    {
        var index = parameters.Count;
        AddParameters(parameters, name, kind);
        switch (kind)
        {
            case SqlValueKind.Id: SetId(parameters, ref index, (Guid?)value); break;
            case SqlValueKind.Text: SetText(parameters, ref index, (string?)value); break;
            case SqlValueKind.Int32: SetInteger(parameters, ref index, value is null ? null : Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture)); break;
            case SqlValueKind.Int64: SetInteger(parameters, ref index, (long?)value); break;
            case SqlValueKind.Decimal: SetDecimal(parameters, ref index, (decimal?)value); break;
            case SqlValueKind.Timestamp: SetTimestamp(parameters, ref index, (DateTimeOffset?)value, instant: false); break;
            case SqlValueKind.Instant: SetTimestamp(parameters, ref index, (DateTimeOffset?)value, instant: true); break;
        }
    }

    /// <summary>A parameter typed for <paramref name="kind"/>, so that a null binds with the column's type.</summary>
    protected abstract DbParameter NewParameter(string name, SqlValueKind kind);

    internal abstract void SetId(DbParameterCollection parameters, ref int index, Guid? value);

    internal void SetText(DbParameterCollection parameters, ref int index, string? value) => parameters[index++].Value = (object?)Storable(value) ?? DBNull.Value;

    /// <summary>A text as the database can hold it, or an <see cref="ArgumentException"/> saying why it cannot.</summary>
    protected virtual string? Storable(string? value) => value;

    internal virtual void SetInteger(DbParameterCollection parameters, ref int index, long? value) => parameters[index++].Value = value is { } v ? v : DBNull.Value;

    internal abstract void SetDecimal(DbParameterCollection parameters, ref int index, decimal? value);

    /// <summary>Sets a timestamp; <paramref name="instant"/> for one compared in SQL.</summary>
    internal abstract void SetTimestamp(DbParameterCollection parameters, ref int index, DateTimeOffset? value, bool instant);

    // ---- reading -------------------------------------------------------------------------------------------

    /// <summary>Reads an id, or says why it cannot.</summary>
    internal abstract bool TryReadId(DbDataReader reader, int ordinal, out Guid value, out string problem);

    /// <summary>Reads an integer column, or says why it cannot.</summary>
    internal abstract bool TryReadInteger(DbDataReader reader, int ordinal, out long value, out string problem);

    internal abstract bool TryReadDecimal(DbDataReader reader, int ordinal, out decimal value, out string problem);

    /// <summary>Reads the timestamp at <paramref name="ordinal"/> (and its offset column when split), or says why it cannot.</summary>
    internal abstract bool TryReadTimestamp(DbDataReader reader, int ordinal, out DateTimeOffset value, out string problem);

    /// <summary>The text of any value, for a message (cut to 80 characters).</summary>
    internal static string Excerpt(DbDataReader reader, int ordinal)
    {
        var text = Convert.ToString(reader.GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture) ?? "";
        return text.Length <= 80 ? text : text[..77] + "...";
    }

    /// <summary>The names of an enum's defined values, both ways, so that numbers and combinations are never accepted.</summary>
    internal static class EnumNames<TEnum> where TEnum : struct, Enum
    {
        internal static readonly Dictionary<TEnum, string> ToName = Enum.GetValues<TEnum>().ToDictionary(v => v, v => v.ToString());
        internal static readonly Dictionary<string, TEnum> FromName = ToName.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);
    }

    /// <summary>An enum by name; an undefined value is an <see cref="ArgumentOutOfRangeException"/> naming <paramref name="what"/>.</summary>
    internal static string Name<TEnum>(TEnum value, string what) where TEnum : struct, Enum =>
        EnumNames<TEnum>.ToName.TryGetValue(value, out var name)
            ? name
            : throw new ArgumentOutOfRangeException(what, value, $"{value} is not a defined {typeof(TEnum).Name}.");

    internal static DbType DbTypeOf(SqlValueKind kind) => kind switch
    {
        SqlValueKind.Int32 => DbType.Int32,
        SqlValueKind.Int64 => DbType.Int64,
        SqlValueKind.Decimal => DbType.Decimal,
        _ => DbType.String,
    };
}
