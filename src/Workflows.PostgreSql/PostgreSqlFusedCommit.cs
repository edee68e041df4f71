using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;
using Workflows.Journal;
using Workflows.Storage;
using Workflows.Storage.Sql;
using static Workflows.Storage.Sql.JournalRows;

namespace Workflows.PostgreSql;

/// <summary>
/// The step commit of the hot path as ONE statement: a run's fence and the step writes after it (a step's outcome, the next
/// step's start) as data-modifying common table expressions of a single <c>WITH</c>, checked together at its end. The same
/// writes as separate statements of a batch cost the server an executor start-up, a plan look-up and a check each, which
/// is most of a commit's time on a busy server; here they are one.
/// </summary>
/// <remarks>
/// <para>
/// Only a commit that is a fence followed by inserts and updates of distinct steps of the fenced run fuses: the parts of
/// one statement see one snapshot and not each other's changes, so two writes of one row (a step inserted and updated in
/// one commit) or of the run's row (an update, a release) go as separate statements, in order, as before.
/// </para>
/// <para>
/// Semantics are the batch's: the fence locks the run's row (<c>FOR UPDATE</c>, re-checked against the latest version
/// when another transaction changed it) and requires the owner; each write must change exactly one row, or
/// <c>workflow_expect()</c> raises with the label of the first write that did not (<c>fence:0</c>, <c>update-step:1</c>,
/// <c>insert-step:2</c>), the statement and its transaction roll back, and the store reads why, as it does for a batch.
/// </para>
/// <para>
/// Parameters are positional (<c>$1</c>…): the statement texts are the shared ones (src/Shared/Sql), their named parameters
/// renumbered once per shape of commit and cached.
/// </para>
/// </remarks>
internal static partial class PostgreSqlFusedCommit
{
    private const int MaxWrites = 15; // a shape is a 4-bit code per write, in a long

    private static readonly ConcurrentDictionary<long, string> Texts = new();

    /// <summary>The commit as one command, or null when its writes do not fuse (see the remarks).</summary>
    public static NpgsqlBatchCommand? TryCreate(JournalStatements sql, IReadOnlyList<JournalWrite> writes)
    {
        if (writes.Count is < 2 or > MaxWrites || writes[0] is not RequireClaim fence) return null;
        long shape = 1;
        for (var index = 1; index < writes.Count; index++)
        {
            StepRecord step;
            switch (writes[index])
            {
                case InsertStep insert:
                    step = insert.Step;
                    shape = shape * 16 + 1;
                    break;
                case UpdateStep update:
                    step = update.Step;
                    // An undefined status goes the batch's way, which raises the typed error for it.
                    if (!Enum.IsDefined(step.Status) || 2 + (int)step.Status > 15) return null;
                    shape = shape * 16 + 2 + (int)step.Status;
                    break;
                default:
                    return null;
            }
            if (step.RunId != fence.RunId || step.TenantId != fence.TenantId) return null;
            for (var other = 1; other < index; other++)
            {
                var earlier = writes[other] is InsertStep i ? i.Step : ((UpdateStep)writes[other]).Step;
                if (earlier.Id == step.Id || earlier.Sequence == step.Sequence) return null;
            }
        }

        var command = new NpgsqlBatchCommand(Texts.GetOrAdd(shape, static (_, state) => Text(state.sql, state.writes), (sql, writes)));
        var parameters = command.Parameters;
        Positional(parameters, SqlValueKind.Id).Value = fence.RunId;
        var fenceText = parameters.Count;
        Positional(parameters, SqlValueKind.Text);
        Positional(parameters, SqlValueKind.Text);
        try
        {
            D.SetText(parameters, ref fenceText, fence.TenantId);
            D.SetText(parameters, ref fenceText, fence.Owner);
        }
        catch (ArgumentException e)
        {
            throw PostgreSqlWorkflowStore.NotWritable(fence, e);
        }
        for (var index = 1; index < writes.Count; index++)
        {
            var step = writes[index] is InsertStep insert ? insert.Step : ((UpdateStep)writes[index]).Step;
            var start = parameters.Count;
            foreach (var column in StepColumns)
            {
                Positional(parameters, column.Kind);
                if (D.Width(column.Kind) == 2) Positional(parameters, SqlValueKind.Int32);
            }
            try
            {
                BindStep(D, parameters, step, start);
            }
            catch (ArgumentException e) when (e is not ArgumentOutOfRangeException)
            {
                throw PostgreSqlWorkflowStore.NotWritable(writes[index], e);
            }
        }
        return command;
    }

    private static PostgreSqlDialect D => PostgreSqlDialect.Instance;

    /// <summary>An unnamed (positional) parameter of the type the named ones of <paramref name="kind"/> have.</summary>
    private static NpgsqlParameter Positional(NpgsqlParameterCollection parameters, SqlValueKind kind)
    {
        var parameter = D.NewPositionalParameter(kind);
        parameters.Add(parameter);
        return parameter;
    }

    /// <summary>The statement of one shape of commit (built once per shape).</summary>
    private static string Text(JournalStatements sql, IReadOnlyList<JournalWrite> writes)
    {
        var text = new StringBuilder("WITH w0 AS (SELECT 1 FROM ").Append(RunsTable)
            .Append(" WHERE id = $1 AND tenant_id = $2 AND owner = $3 FOR UPDATE)");
        var next = 4; // the fence's three parameters come first
        var stepNames = StepColumns.SelectMany(D.Physical).ToArray();
        var labels = new List<string> { "fence:0" };
        for (var index = 1; index < writes.Count; index++)
        {
            var (statement, label) = writes[index] switch
            {
                InsertStep => (sql.InsertStep, "insert-step"),
                UpdateStep update => (sql.UpdateStep(update.Step.Status), "update-step"),
                _ => throw new InvalidOperationException("Not a fusable write."),
            };
            var offset = next;
            var renumbered = NamedParameter().Replace(statement, match =>
            {
                var position = Array.IndexOf(stepNames, match.Groups[1].Value);
                if (position < 0) throw new InvalidOperationException($"The step statement names a parameter @{match.Groups[1].Value} that is not a step column.");
                return "$" + (offset + position).ToString(CultureInfo.InvariantCulture);
            });
            next += stepNames.Length;
            text.Append(", w").Append(index.ToString(CultureInfo.InvariantCulture)).Append(" AS (").Append(renumbered).Append(" RETURNING 1)");
            labels.Add(label + ":" + index.ToString(CultureInfo.InvariantCulture));
        }

        // The label of the first write that did not change exactly one row, else '' (and the check passes).
        text.Append(" SELECT workflow_expect(CASE");
        for (var index = 0; index < labels.Count; index++)
        {
            text.Append(" WHEN (SELECT count(*) FROM w").Append(index.ToString(CultureInfo.InvariantCulture)).Append(") <> 1 THEN 0");
        }
        text.Append(" ELSE 1 END, 1, CASE");
        for (var index = 0; index < labels.Count; index++)
        {
            text.Append(" WHEN (SELECT count(*) FROM w").Append(index.ToString(CultureInfo.InvariantCulture)).Append(") <> 1 THEN '").Append(labels[index]).Append('\'');
        }
        text.Append(" ELSE '' END)");
        return text.ToString();
    }

    [GeneratedRegex("@([a-z_][a-z0-9_]*)", RegexOptions.CultureInvariant)]
    private static partial Regex NamedParameter();
}
