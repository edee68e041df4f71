using Workflows.Journal;
using Workflows.Storage;

namespace Workflows.Tests.Storage;

/// <summary>Snapshots: one per run, replaced by each put, fenced by the claim, size-limited, deleted with the run, within the tenant.</summary>
public abstract partial class WorkflowStoreContractTests
{
    private const string SnapshotOwner = "engine-a";

    /// <summary>A run held by <see cref="SnapshotOwner"/> (or <paramref name="owner"/>) with succeeded entries 1 to <paramref name="entries"/>.</summary>
    private async Task<RunRecord> HeldRunWithEntriesAsync(int entries = 3, string tenant = Tenant, string? owner = SnapshotOwner)
    {
        var run = await CreateAsync(NewRun(RunStatus.Running, tenant: tenant) with { StartedAt = T0, Owner = owner, LeaseExpiresAt = owner is null ? null : At(30) });
        await CommitAsync([.. Enumerable.Range(1, entries).Select(i => JournalWrite.Insert(NewStep(run, i, StepStatus.Succeeded) with { Output = i.ToString(System.Globalization.CultureInfo.InvariantCulture) }))]);
        return run;
    }

    private static SnapshotRecord NewSnapshot(RunRecord run, int sequence, string payload = """{"outputs":["1","2"],"state":{"total":"ä — 残高"}}""") => new()
    {
        RunId = run.Id,
        TenantId = run.TenantId,
        Sequence = sequence,
        SchemaVersion = run.SchemaVersion,
        Payload = payload,
        CreatedAt = new DateTimeOffset(2025, 3, 14, 23, 59, 59, TimeSpan.FromMinutes(-(9 * 60 + 30))).AddTicks(1_234_567),
    };

    private static void AssertSameSnapshot(SnapshotRecord expected, SnapshotRecord? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected, actual);
        SameInstant(expected.CreatedAt, actual.CreatedAt, nameof(SnapshotRecord.CreatedAt));
    }

    [Fact]
    public async Task A_snapshot_round_trips_exactly_and_a_run_without_one_has_none()
    {
        var run = await HeldRunWithEntriesAsync();
        var bare = await HeldRunWithEntriesAsync();
        var snapshot = NewSnapshot(run, 2) with { Payload = """{ "b": 1,"a":[2, 3],"a": "dup ä \u00e9 \n" }""" };

        await Store.PutSnapshotAsync(snapshot, SnapshotOwner);

        AssertSameSnapshot(snapshot, await Store.GetSnapshotAsync(Tenant, run.Id));
        Assert.Null(await Store.GetSnapshotAsync(Tenant, bare.Id));
        Assert.Null(await Store.GetSnapshotAsync(Tenant, Guid.CreateVersion7()));
    }

    [Fact]
    public async Task A_put_replaces_the_runs_snapshot_whatever_its_sequence_and_leaves_other_runs_alone()
    {
        var run = await HeldRunWithEntriesAsync();
        var other = await HeldRunWithEntriesAsync();
        var theirs = NewSnapshot(other, 1, "\"other\"");
        await Store.PutSnapshotAsync(theirs, SnapshotOwner);

        await Store.PutSnapshotAsync(NewSnapshot(run, 2, "\"at 2\""), SnapshotOwner);
        var later = NewSnapshot(run, 3, "\"at 3\"") with { SchemaVersion = "schema-2", CreatedAt = T0.AddMinutes(1) };
        await Store.PutSnapshotAsync(later, SnapshotOwner);
        AssertSameSnapshot(later, await Store.GetSnapshotAsync(Tenant, run.Id));

        // Also back to an earlier sequence, and again at the same one: the last put is the snapshot.
        var earlier = NewSnapshot(run, 1, "\"at 1\"");
        await Store.PutSnapshotAsync(earlier, SnapshotOwner);
        AssertSameSnapshot(earlier, await Store.GetSnapshotAsync(Tenant, run.Id));
        var same = earlier with { Payload = "\"at 1 again\"" };
        await Store.PutSnapshotAsync(same, SnapshotOwner);
        AssertSameSnapshot(same, await Store.GetSnapshotAsync(Tenant, run.Id));

        AssertSameSnapshot(theirs, await Store.GetSnapshotAsync(Tenant, other.Id));
    }

    [Fact]
    public async Task A_put_by_an_engine_that_does_not_hold_the_run_is_refused_naming_both_and_the_snapshot_stays()
    {
        var run = await HeldRunWithEntriesAsync();
        var kept = NewSnapshot(run, 1);
        await Store.PutSnapshotAsync(kept, SnapshotOwner);
        var released = await HeldRunWithEntriesAsync(owner: null);

        var refused = await Assert.ThrowsAsync<RunOwnershipLostException>(() => Store.PutSnapshotAsync(NewSnapshot(run, 3, "\"stale\""), "engine-b").AsTask());
        var nobody = await Assert.ThrowsAsync<RunOwnershipLostException>(() => Store.PutSnapshotAsync(NewSnapshot(released, 1), SnapshotOwner).AsTask());

        Assert.Equal((run.Id, "engine-b", (string?)SnapshotOwner), (refused.RunId, refused.ExpectedOwner, refused.CurrentOwner));
        Assert.Contains(run.Id.ToString(), refused.Message);
        Assert.Equal((released.Id, SnapshotOwner, (string?)null), (nobody.RunId, nobody.ExpectedOwner, nobody.CurrentOwner));
        AssertSameSnapshot(kept, await Store.GetSnapshotAsync(Tenant, run.Id));
        Assert.Null(await Store.GetSnapshotAsync(Tenant, released.Id));
    }

    [Fact]
    public async Task A_put_after_the_claim_was_taken_over_is_refused()
    {
        var run = await HeldRunWithEntriesAsync();
        // The lease lapses and another engine claims the run.
        var taken = await Store.ClaimRunAsync(new RunClaim(run.Id, Tenant, "engine-b", At(31), At(60)));
        Assert.Equal("engine-b", taken?.Owner);

        var refused = await Assert.ThrowsAsync<RunOwnershipLostException>(() => Store.PutSnapshotAsync(NewSnapshot(run, 3), SnapshotOwner).AsTask());

        Assert.Equal("engine-b", refused.CurrentOwner);
        Assert.Null(await Store.GetSnapshotAsync(Tenant, run.Id));
        await Store.PutSnapshotAsync(NewSnapshot(run, 3), "engine-b");
        Assert.Equal(3, (await Store.GetSnapshotAsync(Tenant, run.Id))?.Sequence);
    }

    [Fact]
    public async Task Snapshots_are_never_read_or_written_across_tenants()
    {
        var ours = await HeldRunWithEntriesAsync();
        var snapshot = NewSnapshot(ours, 2);
        await Store.PutSnapshotAsync(snapshot, SnapshotOwner);

        Assert.Null(await Store.GetSnapshotAsync(OtherTenant, ours.Id));
        // Another tenant naming our run: "no such run", whoever holds it, and ours is untouched.
        var foreign = await Assert.ThrowsAsync<JournalConflictException>(() =>
            Store.PutSnapshotAsync(NewSnapshot(ours, 3, "\"theirs\"") with { TenantId = OtherTenant }, SnapshotOwner).AsTask());
        Assert.Contains(OtherTenant, foreign.Message);
        Assert.Contains(ours.Id.ToString(), foreign.Message);
        AssertSameSnapshot(snapshot, await Store.GetSnapshotAsync(Tenant, ours.Id));

        var unknown = NewSnapshot(ours, 1) with { RunId = Guid.CreateVersion7() };
        var missing = await Assert.ThrowsAsync<JournalConflictException>(() => Store.PutSnapshotAsync(unknown, SnapshotOwner).AsTask());
        Assert.Contains(unknown.RunId.ToString(), missing.Message);
        Assert.Null(await Store.GetSnapshotAsync(Tenant, unknown.RunId));
    }

    [Fact]
    public async Task A_snapshot_must_reflect_a_recorded_entry()
    {
        var run = await HeldRunWithEntriesAsync(entries: 3);

        var beyond = await Assert.ThrowsAsync<JournalConflictException>(() => Store.PutSnapshotAsync(NewSnapshot(run, 4), SnapshotOwner).AsTask());
        Assert.Contains(run.Id.ToString(), beyond.Message);
        Assert.Contains("sequence 4", beyond.Message);
        var zero = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.PutSnapshotAsync(NewSnapshot(run, 0), SnapshotOwner).AsTask());
        Assert.Contains(run.Id.ToString(), zero.Message);
        Assert.Null(await Store.GetSnapshotAsync(Tenant, run.Id));
    }

    [Fact]
    public async Task A_snapshot_with_a_missing_field_or_owner_is_refused_before_anything_is_written()
    {
        var run = await HeldRunWithEntriesAsync();

        await Assert.ThrowsAsync<ArgumentNullException>(() => Store.PutSnapshotAsync(null!, SnapshotOwner).AsTask());
        await Assert.ThrowsAsync<ArgumentNullException>(() => Store.PutSnapshotAsync(NewSnapshot(run, 1), null!).AsTask());
        await Assert.ThrowsAsync<ArgumentNullException>(() => Store.PutSnapshotAsync(NewSnapshot(run, 1) with { Payload = null! }, SnapshotOwner).AsTask());
        await Assert.ThrowsAsync<ArgumentNullException>(() => Store.PutSnapshotAsync(NewSnapshot(run, 1) with { TenantId = null! }, SnapshotOwner).AsTask());
        await Assert.ThrowsAsync<ArgumentNullException>(() => Store.PutSnapshotAsync(NewSnapshot(run, 1) with { SchemaVersion = null! }, SnapshotOwner).AsTask());
        Assert.Null(await Store.GetSnapshotAsync(Tenant, run.Id));
        // An empty payload is a payload.
        await Store.PutSnapshotAsync(NewSnapshot(run, 1, ""), SnapshotOwner);
        Assert.Equal("", (await Store.GetSnapshotAsync(Tenant, run.Id))?.Payload);
    }

    [Fact]
    public async Task A_snapshot_over_the_size_limit_in_utf8_bytes_is_refused_naming_the_run_and_one_at_the_limit_is_stored()
    {
        var run = await HeldRunWithEntriesAsync();
        var kept = NewSnapshot(run, 1);
        await Store.PutSnapshotAsync(kept, SnapshotOwner);

        // Fewer chars than the limit, but two UTF-8 bytes each: over it.
        var wide = new string('é', SnapshotRecord.MaxPayloadBytes / 2 + 1);
        var tooLarge = await Assert.ThrowsAsync<SnapshotTooLargeException>(() => Store.PutSnapshotAsync(NewSnapshot(run, 2, wide), SnapshotOwner).AsTask());
        Assert.Equal((run.Id, 2, SnapshotRecord.MaxPayloadBytes + 2), (tooLarge.RunId, tooLarge.Sequence, tooLarge.PayloadBytes));
        Assert.Contains(run.Id.ToString(), tooLarge.Message);
        var oneOver = await Assert.ThrowsAsync<SnapshotTooLargeException>(() =>
            Store.PutSnapshotAsync(NewSnapshot(run, 2, new string('x', SnapshotRecord.MaxPayloadBytes + 1)), SnapshotOwner).AsTask());
        Assert.Equal(SnapshotRecord.MaxPayloadBytes + 1, oneOver.PayloadBytes);
        AssertSameSnapshot(kept, await Store.GetSnapshotAsync(Tenant, run.Id));

        var atLimit = NewSnapshot(run, 3, new string('x', SnapshotRecord.MaxPayloadBytes - 2) + "é");
        await Store.PutSnapshotAsync(atLimit, SnapshotOwner);
        Assert.Equal(atLimit.Payload, (await Store.GetSnapshotAsync(Tenant, run.Id))?.Payload);
    }

    [Fact]
    public async Task Retention_deletes_a_runs_snapshot_with_the_run_and_keeps_the_others()
    {
        var ended = await HeldRunWithEntriesAsync();
        var running = await HeldRunWithEntriesAsync();
        await Store.PutSnapshotAsync(NewSnapshot(ended, 3), SnapshotOwner);
        var kept = NewSnapshot(running, 2);
        await Store.PutSnapshotAsync(kept, SnapshotOwner);
        await CommitAsync(JournalWrite.RequireClaim(ended.Id, Tenant, SnapshotOwner),
            JournalWrite.Update(ended with { Status = RunStatus.Succeeded, CompletedAt = T0.AddDays(1), UpdatedAt = T0.AddDays(1) }),
            JournalWrite.ReleaseClaim(ended.Id, Tenant, SnapshotOwner));
        Assert.NotNull(await Store.GetSnapshotAsync(Tenant, ended.Id)); // a run's end leaves its snapshot: only retention deletes it

        Assert.Equal([ended.Id], await Store.DeleteEndedRunsAsync(new RetentionQuery(T0.AddDays(2))));

        Assert.Null(await Store.GetSnapshotAsync(Tenant, ended.Id));
        AssertSameSnapshot(kept, await Store.GetSnapshotAsync(Tenant, running.Id));
    }
}
