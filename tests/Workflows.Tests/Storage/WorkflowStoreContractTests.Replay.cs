using Workflows.Journal;
using Workflows.Storage;

namespace Workflows.Tests.Storage;

/// <summary>The replay read: only what a replay reads of an ended entry, an unfinished one whole, after a sequence, within the tenant.</summary>
public abstract partial class WorkflowStoreContractTests
{
    /// <summary>A run with one entry of each shape the replay read tells apart, every field set, and their records as written.</summary>
    private async Task<(RunRecord Run, StepRecord[] Steps)> RunWithEveryKindOfEntryAsync()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var history = new[] { new StepAttempt(1, new ErrorInfo(ErrorKind.StepFailed, "first — «no»", "System.Exception", "at A"), T0.AddTicks(3), 12) };
        StepRecord Full(int sequence, StepKind kind, StepStatus status) => FullStep(run, sequence) with
        {
            Name = $"{kind}-{sequence}",
            Kind = kind,
            Status = status,
            Input = $$"""{"arg":{{sequence}},"text":"ä \" \\"}""",
            Output = status == StepStatus.Succeeded ? $$"""{"result":{{sequence}}}""" : null,
            Error = status == StepStatus.Failed ? new ErrorInfo(ErrorKind.Timeout, "timed out", "System.TimeoutException", "at X") : null,
            AttemptHistory = history,
        };
        StepRecord[] steps =
        [
            Full(1, StepKind.Step, StepStatus.Succeeded),
            Full(2, StepKind.Step, StepStatus.Failed),
            Full(3, StepKind.ChildWorkflow, StepStatus.Succeeded),
            Full(4, StepKind.Event, StepStatus.Failed),
            Full(5, StepKind.Sleep, StepStatus.Succeeded),
            Full(6, StepKind.Step, StepStatus.Skipped),
            Full(7, StepKind.Step, StepStatus.Running),
            Full(8, StepKind.Step, StepStatus.Pending),
            Full(9, StepKind.Event, StepStatus.Running),
        ];
        await CommitAsync([.. steps.Select(JournalWrite.Insert)]);
        return (run, steps);
    }

    [Fact]
    public async Task The_replay_read_returns_ended_entries_without_what_replay_does_not_read_and_unfinished_ones_whole()
    {
        var (run, steps) = await RunWithEveryKindOfEntryAsync();

        var replay = await Store.GetReplayStepsAsync(Tenant, run.Id);

        Assert.Equal(steps.Select(s => s.Sequence), replay.Select(s => s.Sequence));
        for (var i = 0; i < steps.Length; i++)
        {
            var (written, read) = (steps[i], replay[i]);
            AssertSameStep(ReplaySteps.Of(written), read);
            // What every entry's replay reads.
            Assert.Equal((written.Id, written.RunId, written.TenantId, written.Position, written.Name, written.Kind, written.Status),
                (read.Id, read.RunId, read.TenantId, read.Position, read.Name, read.Kind, read.Status));
            Assert.Equal((written.Attempt, written.FailedAttempts, written.InterruptedAttempts, written.Output, written.Error),
                (read.Attempt, read.FailedAttempts, read.InterruptedAttempts, read.Output, read.Error));
            if (ReplaySteps.ReadsWhole(written.Status))
            {
                AssertSameStep(written, read); // resumed and rewritten: nothing may be missing
                continue;
            }
            // Absent, not read: null or default.
            Assert.Equal(written.Kind is StepKind.ChildWorkflow or StepKind.Event ? written.Input : null, read.Input);
            Assert.Null(read.AttemptHistory);
            Assert.Null(read.DurationMs);
            Assert.Null(read.StartedAt);
            Assert.Null(read.CompletedAt);
            Assert.Null(read.CostUsd);
            Assert.Null(read.InputTokens);
            Assert.Null(read.OutputTokens);
            Assert.Null(read.DebugMessages);
            Assert.Equal(default, read.CreatedAt);
            Assert.Equal(default, read.UpdatedAt);
        }
        // The whole read still has everything.
        var whole = await Store.GetStepsAsync(Tenant, run.Id);
        for (var i = 0; i < steps.Length; i++) AssertSameStep(steps[i], whole[i]);
    }

    [Fact]
    public async Task An_entry_read_lean_while_it_ran_is_read_whole_again_only_while_it_has_not_ended()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var running = FullStep(run, 1) with { Kind = StepKind.Step, Status = StepStatus.Running, Output = null, Error = null };
        await CommitAsync(JournalWrite.Insert(running));
        AssertSameStep(running, Assert.Single(await Store.GetReplayStepsAsync(Tenant, run.Id)));

        var done = running with { Status = StepStatus.Succeeded, Output = "42", UpdatedAt = T0.AddHours(1) };
        await CommitAsync(JournalWrite.Update(done));

        var read = Assert.Single(await Store.GetReplayStepsAsync(Tenant, run.Id));
        AssertSameStep(ReplaySteps.Of(done), read);
        Assert.Equal("42", read.Output);
        Assert.Null(read.Input);
        Assert.Null(read.DebugMessages);
    }

    [Fact]
    public async Task The_replay_read_after_a_sequence_returns_only_the_later_entries()
    {
        var (run, steps) = await RunWithEveryKindOfEntryAsync();

        Assert.Equal(steps.Select(s => s.Sequence), (await Store.GetReplayStepsAsync(Tenant, run.Id, afterSequence: 0)).Select(s => s.Sequence));
        Assert.Equal([7, 8, 9], (await Store.GetReplayStepsAsync(Tenant, run.Id, afterSequence: 6)).Select(s => s.Sequence));
        AssertSameStep(steps[8], Assert.Single(await Store.GetReplayStepsAsync(Tenant, run.Id, afterSequence: 8)));
        Assert.Empty(await Store.GetReplayStepsAsync(Tenant, run.Id, afterSequence: 9));
        Assert.Empty(await Store.GetReplayStepsAsync(Tenant, run.Id, afterSequence: int.MaxValue));
        var negative = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.GetReplayStepsAsync(Tenant, run.Id, afterSequence: -1).AsTask());
        Assert.Equal("afterSequence", negative.ParamName);
    }

    [Fact]
    public async Task The_replay_read_of_another_tenants_run_or_an_unknown_run_is_empty()
    {
        var (run, _) = await RunWithEveryKindOfEntryAsync();

        Assert.Empty(await Store.GetReplayStepsAsync(OtherTenant, run.Id));
        Assert.Empty(await Store.GetReplayStepsAsync(Tenant, Guid.CreateVersion7()));
        Assert.Equal(9, (await Store.GetReplayStepsAsync(Tenant, run.Id)).Count);
    }
}
