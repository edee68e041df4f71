using Workflows.Journal;
using Workflows.Storage;

namespace Workflows.Tests.Storage;

/// <summary>
/// Durability is how far a commit has got when it returns, nothing else: a buffered commit is applied, fenced, refused and
/// read back exactly like a flushed one, and an undefined durability is refused before anything is written.
/// </summary>
public abstract partial class WorkflowStoreContractTests
{
    [Fact]
    public async Task A_buffered_commit_is_applied_and_read_back_like_a_flushed_one()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running) with { Owner = "engine-a", LeaseExpiresAt = At(60) });
        var started = NewStep(run, 1, StepStatus.Running);

        await Store.CommitAsync([JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"), JournalWrite.Insert(started)], CommitDurability.Buffered);
        AssertSameStep(started, await GetStepAsync(run, 1));

        var succeeded = started with { Status = StepStatus.Succeeded, Output = "1", CompletedAt = T0, UpdatedAt = T0 };
        await Store.CommitAsync([JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"), JournalWrite.Update(succeeded)], CommitDurability.Flushed);
        AssertSameStep(succeeded, await GetStepAsync(run, 1));
    }

    [Fact]
    public async Task A_buffered_commit_is_fenced_and_refused_whole_like_a_flushed_one()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running) with { Owner = "engine-a", LeaseExpiresAt = At(60) });

        var fenced = await Assert.ThrowsAsync<RunOwnershipLostException>(() => Store.CommitAsync(
            [JournalWrite.RequireClaim(run.Id, Tenant, "engine-b"), JournalWrite.Insert(NewStep(run, 1, StepStatus.Running))], CommitDurability.Buffered).AsTask());
        Assert.Equal("engine-a", fenced.CurrentOwner);

        // An illegal move refuses the whole commit, the insert before it too.
        await Assert.ThrowsAsync<IllegalTransitionException>(() => Store.CommitAsync(
            [JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"), JournalWrite.Insert(NewStep(run, 1, StepStatus.Running)),
             JournalWrite.Update(run with { Status = RunStatus.Pending })], CommitDurability.Buffered).AsTask());
        Assert.Null(await GetStepAsync(run, 1));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(2)]
    public async Task An_undefined_durability_is_refused_and_nothing_is_written(int durability)
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));

        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            Store.CommitAsync([JournalWrite.Insert(NewStep(run, 1))], (CommitDurability)durability).AsTask());

        Assert.Equal("durability", error.ParamName);
        Assert.Null(await GetStepAsync(run, 1));
    }
}
