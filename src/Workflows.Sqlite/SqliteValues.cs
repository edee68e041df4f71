using System.Globalization;
using Microsoft.Data.Sqlite;
using Workflows.Journal;
using Workflows.Serialization;
using Workflows.Storage;

namespace Workflows.Sqlite;

/// <summary>How journal values are written to SQLite parameters.</summary>
internal static class SqliteValues
{
    internal static object Text(string? value) => (object?)value ?? DBNull.Value;

    internal static object Id(Guid value) => value.ToString("D");

    internal static object Id(Guid? value) => value is { } id ? id.ToString("D") : DBNull.Value;

    internal static object Integer(long? value) => value is { } v ? v : DBNull.Value;

    internal static object Timestamp(DateTimeOffset value) => value.ToString("O", CultureInfo.InvariantCulture);

    internal static object Timestamp(DateTimeOffset? value) => value is { } v ? Timestamp(v) : DBNull.Value;

    /// <summary>An instant the store compares in SQL (leases, wake-ups, deadlines): UTC round-trip text, which sorts like time.</summary>
    internal static object UtcTimestamp(DateTimeOffset value) => value.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    internal static object UtcTimestamp(DateTimeOffset? value) => value is { } v ? UtcTimestamp(v) : DBNull.Value;

    internal static object Decimal(decimal? value) => value is { } v ? v.ToString(CultureInfo.InvariantCulture) : DBNull.Value;

    internal static object Error(ErrorInfo? value) => value is null ? DBNull.Value : ErrorInfoCodec.Instance.Serialize(value);

    internal static object AttemptHistory(IReadOnlyList<StepAttempt>? value) =>
        value is null ? DBNull.Value : StepAttemptHistoryCodec.Instance.Serialize(value);

    internal static object Name<TEnum>(TEnum value, string what) where TEnum : struct, Enum =>
        EnumNames<TEnum>.ToName.TryGetValue(value, out var name)
            ? name
            : throw new ArgumentOutOfRangeException(what, value, $"{value} is not a defined {typeof(TEnum).Name}.");

    /// <summary>The names of an enum's defined values, both ways, so that numbers and combinations are never accepted.</summary>
    internal static class EnumNames<TEnum> where TEnum : struct, Enum
    {
        internal static readonly Dictionary<TEnum, string> ToName = Enum.GetValues<TEnum>().ToDictionary(v => v, v => v.ToString());
        internal static readonly Dictionary<string, TEnum> FromName = ToName.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);
    }
}

/// <summary>Reads one row's columns, turning anything unreadable into a <see cref="JournalCorruptException"/> naming table, row and column.</summary>
internal readonly struct SqliteRow
{
    private readonly SqliteDataReader _reader;
    private readonly string _table;
    private readonly string _rowId;

    internal SqliteRow(SqliteDataReader reader, string table, int idOrdinal)
    {
        _reader = reader;
        _table = table;
        _rowId = reader.IsDBNull(idOrdinal) ? "(null id)" : reader.GetString(idOrdinal);
    }

    internal string RowId => _rowId;

    private JournalCorruptException Corrupt(int ordinal, string problem, Exception? inner = null) =>
        new($"The {_table} row '{_rowId}' cannot be read: column '{_reader.GetName(ordinal)}' {problem}.", inner);

    private static string Excerpt(string text) => text.Length <= 80 ? text : text[..77] + "...";

    internal string RequiredText(int ordinal) =>
        _reader.IsDBNull(ordinal) ? throw Corrupt(ordinal, "is null") : _reader.GetString(ordinal);

    internal string? Text(int ordinal) => _reader.IsDBNull(ordinal) ? null : _reader.GetString(ordinal);

    internal Guid Id(int ordinal) =>
        Guid.TryParseExact(RequiredText(ordinal), "D", out var id)
            ? id
            : throw Corrupt(ordinal, $"holds '{Excerpt(_reader.GetString(ordinal))}', which is not a GUID");

    internal Guid? NullableId(int ordinal) => _reader.IsDBNull(ordinal) ? null : Id(ordinal);

    internal long Int64(int ordinal)
    {
        if (_reader.IsDBNull(ordinal))
        {
            throw Corrupt(ordinal, "is null");
        }
        if (_reader.GetFieldType(ordinal) != typeof(long))
        {
            throw Corrupt(ordinal, $"holds '{Excerpt(_reader.GetString(ordinal))}', which is not an integer");
        }
        return _reader.GetInt64(ordinal);
    }

    internal long? NullableInt64(int ordinal) => _reader.IsDBNull(ordinal) ? null : Int64(ordinal);

    internal int Int32(int ordinal)
    {
        var value = Int64(ordinal);
        return value is >= int.MinValue and <= int.MaxValue ? (int)value : throw Corrupt(ordinal, $"holds {value}, which is out of range for an int");
    }

    internal int? NullableInt32(int ordinal) => _reader.IsDBNull(ordinal) ? null : Int32(ordinal);

    internal DateTimeOffset Timestamp(int ordinal)
    {
        var text = RequiredText(ordinal);
        return DateTimeOffset.TryParseExact(text, "O", CultureInfo.InvariantCulture, DateTimeStyles.None, out var value)
            ? value
            : throw Corrupt(ordinal, $"holds '{Excerpt(text)}', which is not an ISO-8601 round-trip timestamp");
    }

    internal DateTimeOffset? NullableTimestamp(int ordinal) => _reader.IsDBNull(ordinal) ? null : Timestamp(ordinal);

    internal decimal? NullableDecimal(int ordinal)
    {
        if (_reader.IsDBNull(ordinal))
        {
            return null;
        }
        var text = _reader.GetString(ordinal);
        return decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Corrupt(ordinal, $"holds '{Excerpt(text)}', which is not a decimal");
    }

    internal TEnum Enum<TEnum>(int ordinal) where TEnum : struct, Enum
    {
        var text = RequiredText(ordinal);
        return SqliteValues.EnumNames<TEnum>.FromName.TryGetValue(text, out var value)
            ? value
            : throw Corrupt(ordinal, $"holds '{Excerpt(text)}', which is not a {typeof(TEnum).Name}");
    }

    /// <summary>A step's attempt history; a value that cannot be read names the run and the step's sequence too.</summary>
    internal IReadOnlyList<StepAttempt>? AttemptHistory(int ordinal, Guid runId, int sequence)
    {
        if (_reader.IsDBNull(ordinal))
        {
            return null;
        }
        var text = _reader.GetString(ordinal);
        try
        {
            return StepAttemptHistoryCodec.Instance.Deserialize(text)
                ?? throw Corrupt(ordinal, $"of step {sequence} of run {runId} holds a JSON null instead of an attempt history");
        }
        catch (Exception e) when (e is not JournalCorruptException)
        {
            throw Corrupt(ordinal, $"of step {sequence} of run {runId} holds a malformed attempt history ('{Excerpt(text)}'): {(e as WorkflowSerializationException)?.InnerException?.Message ?? e.Message}", e);
        }
    }

    internal ErrorInfo? Error(int ordinal)
    {
        if (_reader.IsDBNull(ordinal))
        {
            return null;
        }
        var text = _reader.GetString(ordinal);
        try
        {
            return ErrorInfoCodec.Instance.Deserialize(text) ?? throw Corrupt(ordinal, "holds a JSON null instead of an error");
        }
        catch (Exception e) when (e is not JournalCorruptException)
        {
            throw Corrupt(ordinal, $"holds malformed error JSON: {(e as WorkflowSerializationException)?.InnerException?.Message ?? e.Message}", e);
        }
    }
}
