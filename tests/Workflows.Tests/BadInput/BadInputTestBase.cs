using Workflows.Journal;
using Workflows.Storage;
using Workflows.Tests.Execution;

namespace Workflows.Tests.BadInput;

/// <summary>
/// The bad-input suite (issue 14, item 3): one test per case, each asserting the typed error, that its message names the
/// offender, and that nothing recorded changed. This base reads the whole journal (every run of every tenant the test
/// used, and each run's steps) so a test can compare it before and after.
/// </summary>
public abstract class BadInputTestBase : ExecutionTestBase
{
    /// <summary>Every run the store lists (all tenants), oldest first, with its steps.</summary>
    protected async Task<JournalState> ReadJournalAsync()
    {
        var runs = (await Store.ListRunsAsync(new RunQuery { Limit = RunQuery.MaxLimit })).OrderBy(r => r.Id).ToList();
        var steps = new List<StepRecord>();
        foreach (var run in runs)
        {
            steps.AddRange(await Store.GetStepsAsync(run.TenantId, run.Id));
        }
        return new JournalState(runs, steps);
    }

    /// <summary>The journal is exactly as it was: the same runs and steps, field for field.</summary>
    protected async Task AssertJournalUnchangedAsync(JournalState before)
    {
        var after = await ReadJournalAsync();
        Assert.Equal(before.Runs, after.Runs);
        Assert.Equal(before.Steps, after.Steps);
    }

    /// <summary>
    /// The journal is as it was but for the engine's bookkeeping of parking <paramref name="parkedRunId"/> (its status,
    /// error, claim, start and update times): every step, every other run, and that run's input, output, schema version and
    /// identity are unchanged.
    /// </summary>
    protected async Task AssertJournalUnchangedButParkedAsync(JournalState before, Guid parkedRunId)
    {
        var after = await ReadJournalAsync();
        Assert.Equal(before.Steps, after.Steps);
        Assert.Equal(before.Runs.Select(r => r.Id == parkedRunId ? Bookkeeping(r) : r), after.Runs.Select(r => r.Id == parkedRunId ? Bookkeeping(r) : r));
        Assert.Equal(RunStatus.Parked, after.Runs.Single(r => r.Id == parkedRunId).Status);
    }

    private static RunRecord Bookkeeping(RunRecord run) => run with
    {
        Status = RunStatus.Pending,
        Error = null,
        Owner = null,
        LeaseExpiresAt = null,
        StartedAt = null,
        UpdatedAt = default,
    };
}

/// <summary>What the journal holds at one moment.</summary>
public sealed record JournalState(IReadOnlyList<RunRecord> Runs, IReadOnlyList<StepRecord> Steps);
