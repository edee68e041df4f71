using System.Data.Common;
using Workflows.Journal;
using Workflows.Serialization;

namespace Workflows.Storage.Sql;

/// <summary>
/// Reads one row's logical columns in order (a split timestamp takes two physical columns), turning anything unreadable
/// into a <see cref="JournalCorruptException"/> that names the database, table, row and column.
/// </summary>
internal struct JournalRowReader
{
    private readonly DbDataReader _reader;
    private readonly SqlDialect _dialect;
    private readonly string _table;
    private readonly string _rowId;
    private int _ordinal;

    /// <param name="idOrdinal">The row's id column, named in messages.</param>
    internal JournalRowReader(DbDataReader reader, SqlDialect dialect, string table, int idOrdinal = 0, int start = 0)
    {
        _reader = reader;
        _dialect = dialect;
        _table = table;
        _rowId = reader.IsDBNull(idOrdinal) ? "(null id)" : SqlDialect.Excerpt(reader, idOrdinal);
        _ordinal = start;
    }

    internal readonly string RowId => _rowId;

    private readonly JournalCorruptException Corrupt(int ordinal, string problem, Exception? inner = null) =>
        new($"The {_dialect.Database} {_table} row '{_rowId}' cannot be read: column '{_reader.GetName(ordinal)}' {problem}.", inner);

    private int Next(SqlValueKind kind)
    {
        var ordinal = _ordinal;
        _ordinal += _dialect.Width(kind);
        return ordinal;
    }

    private readonly bool IsNull(int ordinal) => _reader.IsDBNull(ordinal);

    internal string RequiredText()
    {
        var o = Next(SqlValueKind.Text);
        return IsNull(o) ? throw Corrupt(o, "is null") : ReadText(o);
    }

    internal string? Text()
    {
        var o = Next(SqlValueKind.Text);
        return IsNull(o) ? null : ReadText(o);
    }

    private readonly string ReadText(int ordinal)
    {
        try
        {
            return _reader.GetString(ordinal);
        }
        catch (InvalidCastException e)
        {
            throw Corrupt(ordinal, $"holds '{SqlDialect.Excerpt(_reader, ordinal)}', which is not text", e);
        }
    }

    internal Guid Id()
    {
        var o = Next(SqlValueKind.Id);
        if (IsNull(o)) throw Corrupt(o, "is null");
        return _dialect.TryReadId(_reader, o, out var id, out var problem) ? id : throw Corrupt(o, problem);
    }

    internal Guid? NullableId()
    {
        var o = Next(SqlValueKind.Id);
        if (IsNull(o)) return null;
        return _dialect.TryReadId(_reader, o, out var id, out var problem) ? id : throw Corrupt(o, problem);
    }

    internal long? NullableInt64()
    {
        var o = Next(SqlValueKind.Int64);
        if (IsNull(o)) return null;
        return _dialect.TryReadInteger(_reader, o, out var value, out var problem) ? value : throw Corrupt(o, problem);
    }

    internal int Int32() => NullableInt32(required: true)!.Value;

    internal int? NullableInt32() => NullableInt32(required: false);

    private int? NullableInt32(bool required)
    {
        var o = Next(SqlValueKind.Int32);
        if (IsNull(o)) return required ? throw Corrupt(o, "is null") : null;
        if (!_dialect.TryReadInteger(_reader, o, out var value, out var problem)) throw Corrupt(o, problem);
        return value is >= int.MinValue and <= int.MaxValue ? (int)value : throw Corrupt(o, $"holds {value}, which is out of range for an int");
    }

    internal decimal? NullableDecimal()
    {
        var o = Next(SqlValueKind.Decimal);
        if (IsNull(o)) return null;
        return _dialect.TryReadDecimal(_reader, o, out var value, out var problem) ? value : throw Corrupt(o, problem);
    }

    internal DateTimeOffset Timestamp() => NullableTimestamp(required: true)!.Value;

    internal DateTimeOffset? NullableTimestamp() => NullableTimestamp(required: false);

    private DateTimeOffset? NullableTimestamp(bool required)
    {
        var o = Next(SqlValueKind.Timestamp);
        if (IsNull(o)) return required ? throw Corrupt(o, "is null") : null;
        return _dialect.TryReadTimestamp(_reader, o, out var value, out var problem) ? value : throw Corrupt(o, problem);
    }

    internal TEnum Enum<TEnum>() where TEnum : struct, Enum
    {
        var o = _ordinal;
        var text = RequiredText();
        return SqlDialect.EnumNames<TEnum>.FromName.TryGetValue(text, out var value)
            ? value
            : throw Corrupt(o, $"holds '{Cut(text)}', which is not a {typeof(TEnum).Name}");
    }

    internal TEnum? NullableEnum<TEnum>() where TEnum : struct, Enum
    {
        var o = _ordinal;
        return Text() is not { } text ? null
            : SqlDialect.EnumNames<TEnum>.FromName.TryGetValue(text, out var value) ? value
            : throw Corrupt(o, $"holds '{Cut(text)}', which is not a {typeof(TEnum).Name}");
    }

    internal ErrorInfo? Error()
    {
        var o = _ordinal;
        if (Text() is not { } text) return null;
        try
        {
            return ErrorInfoCodec.Instance.Deserialize(text) ?? throw Corrupt(o, "holds a JSON null instead of an error");
        }
        catch (Exception e) when (e is not JournalCorruptException)
        {
            throw Corrupt(o, $"holds malformed error JSON: {(e as WorkflowSerializationException)?.InnerException?.Message ?? e.Message}", e);
        }
    }

    /// <summary>A step's attempt history; a value that cannot be read names the run and the step's sequence too.</summary>
    internal IReadOnlyList<StepAttempt>? AttemptHistory(Guid runId, int sequence)
    {
        var o = _ordinal;
        if (Text() is not { } text) return null;
        try
        {
            return StepAttemptHistoryCodec.Instance.Deserialize(text)
                ?? throw Corrupt(o, $"of step {sequence} of run {runId} holds a JSON null instead of an attempt history");
        }
        catch (Exception e) when (e is not JournalCorruptException)
        {
            throw Corrupt(o, $"of step {sequence} of run {runId} holds a malformed attempt history ('{Cut(text)}'): {(e as WorkflowSerializationException)?.InnerException?.Message ?? e.Message}", e);
        }
    }

    private static string Cut(string text) => text.Length <= 80 ? text : text[..77] + "...";
}
