using Workflows.Journal;
using Workflows.Storage;

namespace Workflows.Tests.Storage;

/// <summary>
/// The claim history: every claim of a run (created claimed, claimed by id, claimed as ready), its lease as renewed, and
/// how it ended (released by its owner, taken over after it lapsed), oldest first, scoped by tenant. Its times are the
/// store's clock, so they are checked for order, not for value.
/// </summary>
public abstract partial class WorkflowStoreContractTests
{
    private static RunRecord HeldBy(string owner, double leaseSeconds) =>
        NewRun(RunStatus.Running) with { StartedAt = T0, Owner = owner, LeaseExpiresAt = At(leaseSeconds) };

    [Fact]
    public async Task A_run_created_claimed_starts_its_claim_history_with_an_open_claim()
    {
        var run = await CreateAsync(HeldBy("engine-a", 60));

        var claim = Assert.Single(await Store.GetClaimsAsync(Tenant, run.Id));

        Assert.Equal((run.Id, Tenant, 1, "engine-a"), (claim.RunId, claim.TenantId, claim.Number, claim.Owner));
        Assert.Equal(At(60), claim.LeaseExpiresAt);
        Assert.Null(claim.EndedAt);
        Assert.Null(claim.End);
        Assert.Equal(At(60), claim.HeldUntil);
    }

    [Fact]
    public async Task An_unclaimed_run_has_no_history_until_a_claim_which_renewals_extend_and_a_release_ends()
    {
        var run = await CreateAsync(NewRun());
        Assert.Empty(await Store.GetClaimsAsync(Tenant, run.Id));

        await Store.ClaimRunAsync(ClaimOf(run, "engine-a", leaseSeconds: 30));
        await Store.RenewClaimsAsync(new ClaimRenewal("engine-a", [run.Id], Now, At(90)));
        var open = Assert.Single(await Store.GetClaimsAsync(Tenant, run.Id));
        Assert.Equal(("engine-a", At(90), (DateTimeOffset?)null), (open.Owner, open.LeaseExpiresAt, open.EndedAt));

        await CommitAsync(JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"), JournalWrite.ReleaseClaim(run.Id, Tenant, "engine-a"));

        var released = Assert.Single(await Store.GetClaimsAsync(Tenant, run.Id));
        Assert.Equal(ClaimEnd.Released, released.End);
        Assert.NotNull(released.EndedAt);
        Assert.True(released.EndedAt >= released.ClaimedAt, $"ended {released.EndedAt:O} before it was claimed {released.ClaimedAt:O}");
        Assert.Equal(released.EndedAt, released.HeldUntil);
        Assert.Equal(At(90), released.LeaseExpiresAt); // the last lease stays as it was
    }

    [Fact]
    public async Task A_takeover_ends_the_lapsed_claim_and_opens_the_next_one()
    {
        var run = await CreateAsync(HeldBy("engine-a", -5)); // lapsed five seconds ago

        var taken = await Store.ClaimRunAsync(ClaimOf(run, "engine-b"));
        Assert.NotNull(taken);

        var claims = await Store.GetClaimsAsync(Tenant, run.Id);
        Assert.Equal([(1, "engine-a"), (2, "engine-b")], claims.Select(c => (c.Number, c.Owner)));
        Assert.Equal(ClaimEnd.TakenOver, claims[0].End);
        Assert.Equal(At(-5), claims[0].LeaseExpiresAt);
        Assert.Equal(At(-5), claims[0].HeldUntil); // it held the run until its lease, not until the takeover
        Assert.True(claims[1].ClaimedAt >= claims[0].ClaimedAt);
        Assert.Null(claims[1].End);
        Assert.Equal(At(60), claims[1].LeaseExpiresAt);
    }

    [Fact]
    public async Task A_claim_by_the_current_owner_goes_on_in_the_same_claim()
    {
        var run = await CreateAsync(HeldBy("engine-a", 10));

        Assert.NotNull(await Store.ClaimRunAsync(ClaimOf(run, "engine-a", leaseSeconds: 120)));

        var claim = Assert.Single(await Store.GetClaimsAsync(Tenant, run.Id));
        Assert.Equal((1, At(120), (ClaimEnd?)null), (claim.Number, claim.LeaseExpiresAt, claim.End));
    }

    [Fact]
    public async Task Ready_claims_open_claims_and_a_run_claimed_again_after_its_release_gets_a_new_number()
    {
        var run = await CreateAsync(NewRun());

        Assert.Single(await Store.ClaimReadyRunsAsync(ReadyClaim("engine-a", 10, "orders")));
        await CommitAsync(JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"), JournalWrite.ReleaseClaim(run.Id, Tenant, "engine-a"));
        Assert.Single(await Store.ClaimReadyRunsAsync(ReadyClaim("engine-a", 10, "orders")));

        var claims = await Store.GetClaimsAsync(Tenant, run.Id);
        Assert.Equal([(1, "engine-a", (ClaimEnd?)ClaimEnd.Released), (2, "engine-a", null)], claims.Select(c => (c.Number, c.Owner, c.End)));
    }

    [Fact]
    public async Task The_claim_history_is_the_tenants_own_and_goes_with_its_run()
    {
        var run = await CreateAsync(HeldBy("engine-a", 60));

        Assert.Empty(await Store.GetClaimsAsync(OtherTenant, run.Id));
        Assert.Empty(await Store.GetClaimsAsync(Tenant, Guid.CreateVersion7()));

        var ended = run with { Status = RunStatus.Succeeded, CompletedAt = T0, UpdatedAt = T0 };
        await CommitAsync(JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"), JournalWrite.Update(ended), JournalWrite.ReleaseClaim(run.Id, Tenant, "engine-a"));
        Assert.Equal(ClaimEnd.Released, Assert.Single(await Store.GetClaimsAsync(Tenant, run.Id)).End);

        Assert.Equal([run.Id], await Store.DeleteEndedRunsAsync(new RetentionQuery(T0.AddSeconds(1))));
        Assert.Empty(await Store.GetClaimsAsync(Tenant, run.Id));
    }
}
