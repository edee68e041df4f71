using System.Globalization;
using Workflows.Journal;
using Workflows.Storage;

namespace Workflows.Tests.Storage;

/// <summary>
/// What every <see cref="IWorkflowStore"/> must do. A store's test class derives from this one and says how to
/// create a fresh, empty store; each test gets its own store, initialized, and disposed afterwards.
/// </summary>
public abstract partial class WorkflowStoreContractTests : IAsyncLifetime
{
    protected const string Tenant = "tenant-a";
    protected const string OtherTenant = "tenant-b";

    /// <summary>A time with sub-millisecond ticks and a non-whole-hour offset.</summary>
    protected static readonly DateTimeOffset T0 = new DateTimeOffset(2025, 3, 14, 9, 26, 53, TimeSpan.FromMinutes(5 * 60 + 30)).AddTicks(5_897_932);

    private IWorkflowStore? _store;

    /// <summary>The store under test, created and initialized before each test.</summary>
    protected IWorkflowStore Store => _store ?? throw new InvalidOperationException("The store is not created yet.");

    /// <summary>Creates a new, empty store (not yet initialized).</summary>
    protected abstract Task<IWorkflowStore> CreateStoreAsync();

    public virtual async Task InitializeAsync()
    {
        _store = await CreateStoreAsync();
        await _store.InitializeAsync();
    }

    public virtual async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    // ---- builders and assertions --------------------------------------------------------------------------

    protected static RunRecord NewRun(RunStatus status = RunStatus.Pending, string tenant = Tenant, string workflow = "orders", string? key = null, Guid? id = null) => new()
    {
        Id = id ?? Guid.CreateVersion7(),
        TenantId = tenant,
        Workflow = workflow,
        SchemaVersion = "schema-1",
        Status = status,
        IdempotencyKey = key,
        CreatedAt = T0,
        UpdatedAt = T0,
    };

    protected static RunRecord FullRun(string tenant = Tenant) => new()
    {
        Id = Guid.CreateVersion7(),
        TenantId = tenant,
        Workflow = "Orders.Fulfil",
        SchemaVersion = "sha256:0f1e2d3c",
        Status = RunStatus.Failed,
        ParentRunId = Guid.CreateVersion7(),
        ParentStep = 7,
        Input = """{"orderId":"ä-42","note":"quote \" and \\ backslash\nnew line"}""",
        Output = "\"\"",
        Error = new ErrorInfo(ErrorKind.StepFailed, "Card declined — 残高不足", "System.InvalidOperationException", "   at Foo.Bar()\n   at Baz.Qux()"),
        IdempotencyKey = "order-42",
        CreatedAt = T0,
        StartedAt = T0.AddTicks(1),
        CompletedAt = new DateTimeOffset(2025, 3, 14, 0, 0, 0, TimeSpan.FromHours(-8)).AddTicks(9_999_999),
        UpdatedAt = new DateTimeOffset(2025, 3, 15, 23, 59, 59, TimeSpan.Zero).AddTicks(1_234_567),
        Owner = "worker-1/pid-99",
        LeaseExpiresAt = new DateTimeOffset(2025, 3, 16, 1, 2, 3, TimeSpan.FromHours(14)).AddTicks(42),
        WakeAt = new DateTimeOffset(2025, 3, 17, 4, 5, 6, TimeSpan.FromMinutes(-(3 * 60 + 30))).AddTicks(7),
        WaitingFor = "sleep:12",
        DeadlineAt = new DateTimeOffset(2025, 4, 1, 0, 0, 0, TimeSpan.FromMinutes(45)).AddTicks(9_999_999),
        CancelRequestedAt = new DateTimeOffset(2025, 3, 15, 22, 0, 0, TimeSpan.FromHours(-11)).AddTicks(3),
        CancelReason = "ops: customer withdrew — «annulé»",
        ForkedFromRunId = Guid.CreateVersion7(),
    };

    protected static StepRecord NewStep(RunRecord run, int sequence, StepStatus status = StepStatus.Pending, Guid? id = null) => new()
    {
        Id = id ?? Guid.CreateVersion7(),
        RunId = run.Id,
        TenantId = run.TenantId,
        Sequence = sequence,
        Position = sequence,
        Name = "step-" + sequence.ToString(CultureInfo.InvariantCulture),
        Kind = StepKind.Step,
        Status = status,
        Attempt = 1,
        CreatedAt = T0,
        UpdatedAt = T0,
    };

    protected static StepRecord FullStep(RunRecord run, int sequence) => new()
    {
        Id = Guid.CreateVersion7(),
        RunId = run.Id,
        TenantId = run.TenantId,
        Sequence = sequence,
        Position = 3,
        Name = "charge card",
        Kind = StepKind.ChildWorkflow,
        Status = StepStatus.Failed,
        Attempt = 4,
        Input = """{"amount":12.5,"currency":"EUR"}""",
        Output = "null",
        Error = new ErrorInfo(ErrorKind.Timeout, "timed out after 30s", "System.TimeoutException", "at X"),
        DurationMs = 30_000_000_000L,
        CreatedAt = T0,
        StartedAt = new DateTimeOffset(2024, 2, 29, 12, 0, 0, TimeSpan.FromMinutes(-(9 * 60 + 30))).AddTicks(1),
        CompletedAt = new DateTimeOffset(2024, 2, 29, 12, 0, 30, TimeSpan.FromMinutes(5 * 60 + 45)).AddTicks(7_654_321),
        UpdatedAt = T0.AddDays(1),
        CostUsd = 0.0012300m,
        InputTokens = 1_234,
        OutputTokens = int.MaxValue,
        DebugMessages = """[{"role":"user","content":"hi"}]""",
        FailedAttempts = 3,
        InterruptedAttempts = 1,
    };

    private static void SameInstant(DateTimeOffset? expected, DateTimeOffset? actual, string field)
    {
        Assert.True(expected.HasValue == actual.HasValue, $"{field}: expected {(expected.HasValue ? "a value" : "null")}, got {actual?.ToString("O") ?? "null"}.");
        if (expected is { } e && actual is { } a)
        {
            Assert.True(e.Ticks == a.Ticks && e.Offset == a.Offset, $"{field}: expected {e:O}, got {a:O}.");
        }
    }

    /// <summary>The same moment, whatever the offset: for the instants a store compares in SQL and may keep in UTC.</summary>
    private static void SameMoment(DateTimeOffset? expected, DateTimeOffset? actual, string field)
    {
        Assert.True(expected.HasValue == actual.HasValue, $"{field}: expected {(expected.HasValue ? "a value" : "null")}, got {actual?.ToString("O") ?? "null"}.");
        if (expected is { } e && actual is { } a)
        {
            Assert.True(e.UtcTicks == a.UtcTicks, $"{field}: expected the instant {e:O}, got {a:O}.");
        }
    }

    /// <summary>
    /// Field-by-field equality, also exact on DateTimeOffset offsets (which record equality ignores) for the history
    /// timestamps. The instants a store compares (lease, wake-up, deadline, cancel request) are stored as UTC: for them
    /// only the moment must survive, not the offset.
    /// </summary>
    protected static void AssertSameRun(RunRecord expected, RunRecord? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected, actual);
        SameInstant(expected.CreatedAt, actual.CreatedAt, nameof(RunRecord.CreatedAt));
        SameInstant(expected.StartedAt, actual.StartedAt, nameof(RunRecord.StartedAt));
        SameInstant(expected.CompletedAt, actual.CompletedAt, nameof(RunRecord.CompletedAt));
        SameInstant(expected.UpdatedAt, actual.UpdatedAt, nameof(RunRecord.UpdatedAt));
        SameMoment(expected.LeaseExpiresAt, actual.LeaseExpiresAt, nameof(RunRecord.LeaseExpiresAt));
        SameMoment(expected.WakeAt, actual.WakeAt, nameof(RunRecord.WakeAt));
        SameMoment(expected.DeadlineAt, actual.DeadlineAt, nameof(RunRecord.DeadlineAt));
        SameMoment(expected.CancelRequestedAt, actual.CancelRequestedAt, nameof(RunRecord.CancelRequestedAt));
        SameMoment(expected.WakeRequestedAt, actual.WakeRequestedAt, nameof(RunRecord.WakeRequestedAt));
    }

    /// <summary>Record equality only (DateTimeOffsets compared as instants): for runs a store rewrote itself (claims, cancels), which may keep its times in UTC.</summary>
    protected static void AssertSameMoments(RunRecord expected, RunRecord? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected, actual);
    }

    /// <summary>Field-by-field equality, also exact on offsets and on the scale of <see cref="StepRecord.CostUsd"/>.</summary>
    protected static void AssertSameStep(StepRecord expected, StepRecord? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected, actual);
        SameInstant(expected.CreatedAt, actual.CreatedAt, nameof(StepRecord.CreatedAt));
        SameInstant(expected.StartedAt, actual.StartedAt, nameof(StepRecord.StartedAt));
        SameInstant(expected.CompletedAt, actual.CompletedAt, nameof(StepRecord.CompletedAt));
        SameInstant(expected.UpdatedAt, actual.UpdatedAt, nameof(StepRecord.UpdatedAt));
        Assert.Equal(expected.CostUsd?.ToString(CultureInfo.InvariantCulture), actual.CostUsd?.ToString(CultureInfo.InvariantCulture));
    }

    protected async Task<RunRecord> CreateAsync(RunRecord run)
    {
        var result = await Store.CreateRunAsync(run);
        Assert.True(result.Created);
        return run;
    }

    protected ValueTask CommitAsync(params JournalWrite[] writes) => Store.CommitAsync(writes);

    protected async Task<StepRecord?> GetStepAsync(RunRecord run, int sequence) =>
        (await Store.GetStepsAsync(run.TenantId, run.Id)).SingleOrDefault(s => s.Sequence == sequence);

    // ---- round trips --------------------------------------------------------------------------------------

    [Fact]
    public async Task Run_with_every_field_set_round_trips_exactly()
    {
        var run = await CreateAsync(FullRun());

        AssertSameRun(run, await Store.GetRunAsync(Tenant, run.Id));
        AssertSameRun(run, Assert.Single(await Store.ListRunsAsync(new RunQuery { TenantId = Tenant })));
    }

    [Fact]
    public async Task Run_with_optional_fields_null_round_trips_with_nulls()
    {
        var run = await CreateAsync(NewRun());

        var stored = await Store.GetRunAsync(Tenant, run.Id);

        AssertSameRun(run, stored);
        Assert.Null(stored!.ParentRunId);
        Assert.Null(stored.ParentStep);
        Assert.Null(stored.Input);
        Assert.Null(stored.Output);
        Assert.Null(stored.Error);
        Assert.Null(stored.IdempotencyKey);
        Assert.Null(stored.StartedAt);
        Assert.Null(stored.CompletedAt);
        Assert.Null(stored.Owner);
        Assert.Null(stored.LeaseExpiresAt);
        Assert.Null(stored.WakeAt);
        Assert.Null(stored.WaitingFor);
        Assert.Null(stored.DeadlineAt);
        Assert.Null(stored.CancelRequestedAt);
        Assert.Null(stored.CancelReason);
        Assert.Null(stored.ForkedFromRunId);
    }

    [Fact]
    public async Task Empty_strings_stay_empty_and_are_not_confused_with_null()
    {
        var run = await CreateAsync(NewRun() with { Input = "", Output = "", Owner = "", SchemaVersion = "", WaitingFor = "", CancelReason = "" });
        var step = NewStep(run, 1) with { Input = "", Output = "", DebugMessages = "", Name = "" };
        await CommitAsync(JournalWrite.Insert(step));

        AssertSameRun(run, await Store.GetRunAsync(Tenant, run.Id));
        AssertSameStep(step, await GetStepAsync(run, 1));
    }

    [Fact]
    public async Task Run_updated_with_every_field_round_trips_exactly_except_what_it_was_created_as_and_what_only_claims_and_cancels_write()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running) with
        {
            Owner = "engine-a",
            LeaseExpiresAt = T0.AddMinutes(5),
            CancelRequestedAt = T0.AddMinutes(1),
            CancelReason = "asked by ops",
            ForkedFromRunId = Guid.CreateVersion7(),
        });
        var updated = FullRun() with { Id = run.Id, Status = RunStatus.Failed };

        await CommitAsync(JournalWrite.Update(updated));

        // The workflow, idempotency key and creation time are the run's identity, and the fork's origin is what it was
        // created as: an update cannot rewrite them. The claim (owner, lease) and the cancel request are written only by
        // claims, releases and cancel requests, so an update that carries other values leaves them as they were.
        var stored = await Store.GetRunAsync(Tenant, run.Id);
        AssertSameRun(updated with
        {
            Workflow = run.Workflow,
            IdempotencyKey = run.IdempotencyKey,
            CreatedAt = run.CreatedAt,
            ForkedFromRunId = run.ForkedFromRunId,
            Owner = run.Owner,
            LeaseExpiresAt = run.LeaseExpiresAt,
            CancelRequestedAt = run.CancelRequestedAt,
            CancelReason = run.CancelReason,
        }, stored);
        // And what an update does write, it writes: the new fields of the execution core included.
        Assert.Equal(updated.WakeAt, stored!.WakeAt);
        Assert.Equal("sleep:12", stored.WaitingFor);
        Assert.Equal(updated.DeadlineAt, stored.DeadlineAt);
    }

    [Fact]
    public async Task An_update_with_null_claim_and_cancel_fields_does_not_clear_them()
    {
        var forkedFrom = Guid.CreateVersion7();
        var run = await CreateAsync(NewRun(RunStatus.Running) with
        {
            Owner = "engine-a",
            LeaseExpiresAt = T0.AddMinutes(5),
            CancelRequestedAt = T0.AddMinutes(1),
            CancelReason = "asked by ops",
            ForkedFromRunId = forkedFrom,
        });

        // What an engine that read the run before the cancel request (and that never sets the claim) would write.
        var update = run with
        {
            Status = RunStatus.Waiting,
            WakeAt = T0.AddHours(1),
            WaitingFor = "sleep:2",
            UpdatedAt = T0.AddSeconds(9),
            Owner = null,
            LeaseExpiresAt = null,
            CancelRequestedAt = null,
            CancelReason = null,
            ForkedFromRunId = null,
        };
        await CommitAsync(JournalWrite.Update(update));

        AssertSameRun(update with
        {
            Owner = "engine-a",
            LeaseExpiresAt = run.LeaseExpiresAt,
            CancelRequestedAt = run.CancelRequestedAt,
            CancelReason = "asked by ops",
            ForkedFromRunId = forkedFrom,
        }, await Store.GetRunAsync(Tenant, run.Id));
    }

    [Fact]
    public async Task Step_with_every_field_set_round_trips_exactly()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var step = FullStep(run, 1);

        await CommitAsync(JournalWrite.Insert(step));

        AssertSameStep(step, Assert.Single(await Store.GetStepsAsync(Tenant, run.Id)));
    }

    [Fact]
    public async Task Step_with_optional_fields_null_round_trips_with_nulls()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var step = NewStep(run, 1);

        await CommitAsync(JournalWrite.Insert(step));

        var stored = Assert.Single(await Store.GetStepsAsync(Tenant, run.Id));
        AssertSameStep(step, stored);
        Assert.Null(stored.Input);
        Assert.Null(stored.Output);
        Assert.Null(stored.Error);
        Assert.Null(stored.DurationMs);
        Assert.Null(stored.StartedAt);
        Assert.Null(stored.CompletedAt);
        Assert.Null(stored.CostUsd);
        Assert.Null(stored.InputTokens);
        Assert.Null(stored.OutputTokens);
        Assert.Null(stored.DebugMessages);
        Assert.Equal(0, stored.FailedAttempts);
        Assert.Equal(0, stored.InterruptedAttempts);
    }

    [Fact]
    public async Task Step_updated_with_every_field_round_trips_exactly_except_what_it_was_created_as()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var step = NewStep(run, 1, StepStatus.Running);
        await CommitAsync(JournalWrite.Insert(step));
        var updated = FullStep(run, 1) with { Id = step.Id, Status = StepStatus.Succeeded, Error = null };

        await CommitAsync(JournalWrite.Update(updated));

        // A step's name and kind are what replay checks it by, and its creation time is history: never rewritten.
        AssertSameStep(updated with { Name = step.Name, Kind = step.Kind, CreatedAt = step.CreatedAt }, await GetStepAsync(run, 1));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    [InlineData(330)]
    [InlineData(-570)]
    [InlineData(345)]
    [InlineData(14 * 60)]
    [InlineData(-14 * 60)]
    public async Task Timestamps_keep_their_ticks_and_offset(int offsetMinutes)
    {
        var offset = TimeSpan.FromMinutes(offsetMinutes);
        var at = new DateTimeOffset(2030, 12, 31, 23, 59, 59, offset).AddTicks(9_999_999);
        // The history timestamps keep their offset; the instants a store compares (lease, wake-up, deadline, cancel request)
        // keep their moment (AssertSameRun).
        var run = await CreateAsync(NewRun() with
        {
            CreatedAt = at,
            StartedAt = at.AddTicks(-1),
            CompletedAt = at.AddTicks(-2),
            UpdatedAt = at,
            LeaseExpiresAt = at.AddTicks(-3),
            WakeAt = at.AddTicks(-4),
            DeadlineAt = at.AddTicks(-8),
            CancelRequestedAt = at.AddTicks(-9),
        });
        var step = NewStep(run, 1) with { CreatedAt = at, StartedAt = at.AddTicks(-5), CompletedAt = at.AddTicks(-6), UpdatedAt = at.AddTicks(-7) };
        await CommitAsync(JournalWrite.Insert(step));

        AssertSameRun(run, await Store.GetRunAsync(Tenant, run.Id));
        AssertSameStep(step, await GetStepAsync(run, 1));
    }

    [Fact]
    public async Task Extreme_timestamps_round_trip()
    {
        var run = await CreateAsync(NewRun() with { CreatedAt = DateTimeOffset.MinValue, UpdatedAt = DateTimeOffset.MaxValue, StartedAt = DateTimeOffset.UnixEpoch });

        AssertSameRun(run, await Store.GetRunAsync(Tenant, run.Id));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("0.00")]
    [InlineData("1.50")]
    [InlineData("0.000123400")]
    [InlineData("-2.5")]
    [InlineData("12345678901234567.8901")]
    [InlineData("79228162514264337593543950335")]
    [InlineData("-79228162514264337593543950335")]
    [InlineData("0.0000000000000000000000000001")]
    public async Task Cost_keeps_its_value_and_scale(string cost)
    {
        var value = decimal.Parse(cost, NumberStyles.Number, CultureInfo.InvariantCulture);
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var step = NewStep(run, 1) with { CostUsd = value };
        await CommitAsync(JournalWrite.Insert(step));

        var stored = await GetStepAsync(run, 1);

        Assert.Equal(cost, stored!.CostUsd!.Value.ToString(CultureInfo.InvariantCulture));
        AssertSameStep(step, stored);
    }

    [Theory]
    [InlineData(ErrorKind.StepFailed, true)]
    [InlineData(ErrorKind.WorkflowFailed, false)]
    [InlineData(ErrorKind.Timeout, true)]
    [InlineData(ErrorKind.Cancelled, false)]
    [InlineData(ErrorKind.NonDeterminism, true)]
    [InlineData(ErrorKind.SchemaMismatch, false)]
    [InlineData(ErrorKind.Serialization, true)]
    [InlineData(ErrorKind.Internal, false)]
    [InlineData(ErrorKind.MissingService, true)]
    public async Task Errors_round_trip_with_kind_message_type_and_stack(ErrorKind kind, bool withTypeAndStack)
    {
        var error = withTypeAndStack
            ? new ErrorInfo(kind, "line 1\nline \"2\" \\ — ünïcödé 🚀", "Ns.Some+Nested`1[[System.Int32]]", "  at A()\r\n  at B()")
            : new ErrorInfo(kind, "");
        var run = await CreateAsync(NewRun(RunStatus.Failed) with { Error = error });
        var step = NewStep(run, 1, StepStatus.Failed) with { Error = error };
        await CommitAsync(JournalWrite.Insert(step));

        Assert.Equal(error, (await Store.GetRunAsync(Tenant, run.Id))!.Error);
        Assert.Equal(error, (await GetStepAsync(run, 1))!.Error);
    }

    [Fact]
    public async Task Every_step_kind_round_trips()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var kinds = Enum.GetValues<StepKind>();
        var steps = kinds.Select((kind, i) => NewStep(run, i + 1) with { Kind = kind }).ToArray();

        await Store.CommitAsync(steps.Select(JournalWrite.Insert).ToArray());

        Assert.Equal(kinds, (await Store.GetStepsAsync(Tenant, run.Id)).Select(s => s.Kind));
    }

    [Fact]
    public async Task Steps_are_returned_in_sequence_order()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        int[] order = [5, 1, 4, 2, 3, 10];
        foreach (var sequence in order)
        {
            await CommitAsync(JournalWrite.Insert(NewStep(run, sequence)));
        }

        var steps = await Store.GetStepsAsync(Tenant, run.Id);

        Assert.Equal(order.Order(), steps.Select(s => s.Sequence));
    }

    [Fact]
    public async Task Unknown_run_reads_as_null_and_no_steps()
    {
        Assert.Null(await Store.GetRunAsync(Tenant, Guid.CreateVersion7()));
        Assert.Empty(await Store.GetStepsAsync(Tenant, Guid.CreateVersion7()));
        Assert.Empty(await Store.ListRunsAsync(new RunQuery()));
    }

    // ---- creating runs ------------------------------------------------------------------------------------

    [Fact]
    public async Task Create_returns_the_new_run_as_created()
    {
        var run = NewRun();

        var result = await Store.CreateRunAsync(run);

        Assert.True(result.Created);
        AssertSameRun(run, result.Run);
    }

    [Fact]
    public async Task Create_with_an_existing_id_returns_the_stored_run_and_writes_nothing()
    {
        var run = await CreateAsync(NewRun(key: "k1") with { Input = "\"first\"" });

        var again = await Store.CreateRunAsync(run with { Input = "\"second\"", Status = RunStatus.Running, IdempotencyKey = "k2" });

        Assert.False(again.Created);
        AssertSameRun(run, again.Run);
        AssertSameRun(run, await Store.GetRunAsync(Tenant, run.Id));
        Assert.Single(await Store.ListRunsAsync(new RunQuery()));
    }

    [Fact]
    public async Task Create_with_an_existing_idempotency_key_returns_the_stored_run_and_writes_nothing()
    {
        var first = await CreateAsync(NewRun(key: "order-42") with { Input = "\"first\"" });
        var second = NewRun(key: "order-42") with { Input = "\"second\"" };

        var result = await Store.CreateRunAsync(second);

        Assert.False(result.Created);
        AssertSameRun(first, result.Run);
        Assert.Null(await Store.GetRunAsync(Tenant, second.Id));
        Assert.Single(await Store.ListRunsAsync(new RunQuery()));
    }

    [Fact]
    public async Task Idempotency_keys_are_scoped_by_tenant_and_workflow()
    {
        await CreateAsync(NewRun(key: "k"));

        Assert.True((await Store.CreateRunAsync(NewRun(key: "k", workflow: "refunds"))).Created);
        Assert.True((await Store.CreateRunAsync(NewRun(key: "k", tenant: OtherTenant))).Created);
        Assert.True((await Store.CreateRunAsync(NewRun(key: "K"))).Created);
        Assert.Equal(4, (await Store.ListRunsAsync(new RunQuery())).Count);
    }

    [Fact]
    public async Task Runs_without_idempotency_key_never_collide()
    {
        await CreateAsync(NewRun());
        await CreateAsync(NewRun());
        await CreateAsync(NewRun());

        Assert.Equal(3, (await Store.ListRunsAsync(new RunQuery { TenantId = Tenant })).Count);
    }

    [Fact]
    public async Task Concurrent_creates_with_one_idempotency_key_create_one_run()
    {
        var candidates = Enumerable.Range(0, 16).Select(i => NewRun(key: "race") with { Input = i.ToString(CultureInfo.InvariantCulture) }).ToArray();

        var results = await Task.WhenAll(candidates.Select(run => Task.Run(async () => await Store.CreateRunAsync(run))));

        var created = Assert.Single(results, r => r.Created);
        Assert.All(results, r => AssertSameRun(created.Run, r.Run));
        Assert.Single(await Store.ListRunsAsync(new RunQuery()));
    }

    [Fact]
    public async Task Concurrent_creates_with_one_id_create_one_run()
    {
        var run = NewRun();

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () => await Store.CreateRunAsync(run))));

        Assert.Single(results, r => r.Created);
        Assert.All(results, r => AssertSameRun(run, r.Run));
    }

    [Fact]
    public async Task Create_with_the_id_of_another_tenants_run_is_refused_and_reveals_nothing()
    {
        var theirs = await CreateAsync(NewRun(tenant: OtherTenant) with { Input = "\"secret\"" });

        await Assert.ThrowsAsync<JournalConflictException>(() => Store.CreateRunAsync(theirs with { TenantId = Tenant, Input = null }).AsTask());

        Assert.Null(await Store.GetRunAsync(Tenant, theirs.Id));
        AssertSameRun(theirs, await Store.GetRunAsync(OtherTenant, theirs.Id));
    }

    // ---- tenants ------------------------------------------------------------------------------------------

    [Fact]
    public async Task Another_tenant_sees_nothing()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        await CommitAsync(JournalWrite.Insert(NewStep(run, 1)));

        Assert.Null(await Store.GetRunAsync(OtherTenant, run.Id));
        Assert.Empty(await Store.GetStepsAsync(OtherTenant, run.Id));
        Assert.Empty(await Store.ListRunsAsync(new RunQuery { TenantId = OtherTenant }));
        Assert.Empty(await Store.ListRunsAsync(RunQuery.Unfinished(OtherTenant)));
    }

    [Fact]
    public async Task Another_tenant_cannot_update_a_run()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));

        await Assert.ThrowsAsync<JournalConflictException>(() => CommitAsync(JournalWrite.Update(run with { TenantId = OtherTenant, Status = RunStatus.Cancelled })).AsTask());

        AssertSameRun(run, await Store.GetRunAsync(Tenant, run.Id));
    }

    [Fact]
    public async Task Another_tenant_cannot_update_a_step()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var step = NewStep(run, 1, StepStatus.Running);
        await CommitAsync(JournalWrite.Insert(step));

        await Assert.ThrowsAsync<JournalConflictException>(() => CommitAsync(JournalWrite.Update(step with { TenantId = OtherTenant, Status = StepStatus.Succeeded })).AsTask());

        AssertSameStep(step, await GetStepAsync(run, 1));
    }

    [Fact]
    public async Task Another_tenant_cannot_insert_steps_into_a_run()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));

        await Assert.ThrowsAsync<JournalConflictException>(() => CommitAsync(JournalWrite.Insert(NewStep(run, 1) with { TenantId = OtherTenant })).AsTask());

        Assert.Empty(await Store.GetStepsAsync(Tenant, run.Id));
        Assert.Empty(await Store.GetStepsAsync(OtherTenant, run.Id));
    }

    [Fact]
    public async Task Inserting_a_step_of_a_missing_run_is_a_conflict()
    {
        var ghost = NewRun(RunStatus.Running);

        await Assert.ThrowsAsync<JournalConflictException>(() => CommitAsync(JournalWrite.Insert(NewStep(ghost, 1))).AsTask());

        Assert.Empty(await Store.GetStepsAsync(Tenant, ghost.Id));
    }

    // ---- state machines -----------------------------------------------------------------------------------

    private static readonly HashSet<(RunStatus, RunStatus)> LegalRunTransitions =
    [
        (RunStatus.Pending, RunStatus.Pending),
        (RunStatus.Parked, RunStatus.Pending), // an explicit resume of a parked run
        (RunStatus.Failed, RunStatus.Pending), // an explicit resume of a failed run from its failed step
        (RunStatus.Pending, RunStatus.Running),
        (RunStatus.Running, RunStatus.Running),
        (RunStatus.Waiting, RunStatus.Running),
        (RunStatus.Running, RunStatus.Waiting),
        (RunStatus.Waiting, RunStatus.Waiting),
        (RunStatus.Running, RunStatus.Succeeded),
        (RunStatus.Pending, RunStatus.Failed),
        (RunStatus.Running, RunStatus.Failed),
        (RunStatus.Waiting, RunStatus.Failed),
        (RunStatus.Pending, RunStatus.Cancelled),
        (RunStatus.Running, RunStatus.Cancelled),
        (RunStatus.Waiting, RunStatus.Cancelled),
        (RunStatus.Parked, RunStatus.Cancelled),
        (RunStatus.Pending, RunStatus.Parked),
        (RunStatus.Running, RunStatus.Parked),
        (RunStatus.Waiting, RunStatus.Parked),
        (RunStatus.Parked, RunStatus.Parked),
    ];

    private static readonly HashSet<(StepStatus, StepStatus)> LegalStepTransitions =
    [
        (StepStatus.Pending, StepStatus.Pending),
        (StepStatus.Running, StepStatus.Pending), // a retry waiting out its backoff: the next attempt, not begun
        (StepStatus.Failed, StepStatus.Pending), // the failed step of a failed run, reopened by an explicit resume
        (StepStatus.Pending, StepStatus.Running),
        (StepStatus.Running, StepStatus.Running),
        (StepStatus.Pending, StepStatus.Succeeded),
        (StepStatus.Running, StepStatus.Succeeded),
        (StepStatus.Pending, StepStatus.Failed),
        (StepStatus.Running, StepStatus.Failed),
        (StepStatus.Pending, StepStatus.Skipped),
        (StepStatus.Running, StepStatus.Skipped), // a body that skipped itself (CurrentStep.Skip)
    ];

    public static TheoryData<RunStatus, RunStatus> AllRunTransitions()
    {
        var data = new TheoryData<RunStatus, RunStatus>();
        foreach (var from in Enum.GetValues<RunStatus>())
        {
            foreach (var to in Enum.GetValues<RunStatus>())
            {
                data.Add(from, to);
            }
        }
        return data;
    }

    public static TheoryData<StepStatus, StepStatus> AllStepTransitions()
    {
        var data = new TheoryData<StepStatus, StepStatus>();
        foreach (var from in Enum.GetValues<StepStatus>())
        {
            foreach (var to in Enum.GetValues<StepStatus>())
            {
                data.Add(from, to);
            }
        }
        return data;
    }

    [Fact]
    public void The_expected_state_machines_are_the_runtimes()
    {
        foreach (var from in Enum.GetValues<RunStatus>())
        {
            foreach (var to in Enum.GetValues<RunStatus>())
            {
                Assert.True(LegalRunTransitions.Contains((from, to)) == StatusTransitions.IsAllowed(from, to), $"run {from} -> {to}");
            }
        }
        foreach (var from in Enum.GetValues<StepStatus>())
        {
            foreach (var to in Enum.GetValues<StepStatus>())
            {
                Assert.True(LegalStepTransitions.Contains((from, to)) == StatusTransitions.IsAllowed(from, to), $"step {from} -> {to}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllRunTransitions), MemberType = typeof(WorkflowStoreContractTests))]
    public async Task Run_transition_is_applied_only_when_legal(RunStatus from, RunStatus to)
    {
        var run = await CreateAsync(NewRun(from) with { Owner = "worker-1", LeaseExpiresAt = T0.AddMinutes(1) });
        var update = run with
        {
            Status = to,
            Output = "\"out\"",
            Owner = "worker-2", // not written by an update: the claim stays worker-1's
            StartedAt = T0.AddSeconds(1),
            UpdatedAt = T0.AddSeconds(2),
            LeaseExpiresAt = T0.AddMinutes(2),
            WakeAt = T0.AddMinutes(3),
        };

        if (LegalRunTransitions.Contains((from, to)))
        {
            await CommitAsync(JournalWrite.Update(update));
            AssertSameRun(update with { Owner = "worker-1", LeaseExpiresAt = run.LeaseExpiresAt }, await Store.GetRunAsync(Tenant, run.Id));
        }
        else
        {
            var refused = await Assert.ThrowsAsync<IllegalTransitionException>(() => CommitAsync(JournalWrite.Update(update)).AsTask());
            Assert.Equal(from.ToString(), refused.From);
            Assert.Equal(to.ToString(), refused.To);
            Assert.Contains(run.Id.ToString(), refused.Record);
            AssertSameRun(run, await Store.GetRunAsync(Tenant, run.Id));
        }
    }

    [Theory]
    [MemberData(nameof(AllStepTransitions), MemberType = typeof(WorkflowStoreContractTests))]
    public async Task Step_transition_is_applied_only_when_legal(StepStatus from, StepStatus to)
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var step = NewStep(run, 1, from);
        await CommitAsync(JournalWrite.Insert(step));
        var update = step with
        {
            Status = to,
            Attempt = 2,
            FailedAttempts = 1,
            InterruptedAttempts = 1,
            Output = "42",
            DurationMs = 17,
            CostUsd = 0.10m,
            UpdatedAt = T0.AddSeconds(3),
        };

        if (LegalStepTransitions.Contains((from, to)))
        {
            await CommitAsync(JournalWrite.Update(update));
            AssertSameStep(update, await GetStepAsync(run, 1));
        }
        else
        {
            var refused = await Assert.ThrowsAsync<IllegalTransitionException>(() => CommitAsync(JournalWrite.Update(update)).AsTask());
            Assert.Equal(from.ToString(), refused.From);
            Assert.Equal(to.ToString(), refused.To);
            Assert.Contains(step.Name, refused.Record);
            AssertSameStep(step, await GetStepAsync(run, 1));
        }
    }

    [Fact]
    public async Task A_run_walks_its_whole_life_cycle_and_then_stays_final()
    {
        var run = await CreateAsync(NewRun(RunStatus.Pending));
        foreach (var status in new[] { RunStatus.Running, RunStatus.Waiting, RunStatus.Waiting, RunStatus.Running, RunStatus.Succeeded })
        {
            run = run with { Status = status, UpdatedAt = run.UpdatedAt.AddTicks(1) };
            await CommitAsync(JournalWrite.Update(run));
        }

        foreach (var status in Enum.GetValues<RunStatus>())
        {
            await Assert.ThrowsAsync<IllegalTransitionException>(() => CommitAsync(JournalWrite.Update(run with { Status = status, Output = "changed" })).AsTask());
        }
        AssertSameRun(run, await Store.GetRunAsync(Tenant, run.Id));
    }

    [Fact]
    public async Task Updating_a_missing_run_is_a_conflict()
    {
        await Assert.ThrowsAsync<JournalConflictException>(() => CommitAsync(JournalWrite.Update(NewRun(RunStatus.Running))).AsTask());
    }

    [Fact]
    public async Task Updating_a_missing_step_is_a_conflict()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var step = NewStep(run, 1, StepStatus.Running);
        await CommitAsync(JournalWrite.Insert(step));

        await Assert.ThrowsAsync<JournalConflictException>(() => CommitAsync(JournalWrite.Update(NewStep(run, 2, StepStatus.Succeeded))).AsTask());
        await Assert.ThrowsAsync<JournalConflictException>(() => CommitAsync(JournalWrite.Update(step with { Id = Guid.CreateVersion7(), Status = StepStatus.Succeeded })).AsTask());
        await Assert.ThrowsAsync<JournalConflictException>(() => CommitAsync(JournalWrite.Update(step with { Sequence = 2, Status = StepStatus.Succeeded })).AsTask());

        AssertSameStep(step, Assert.Single(await Store.GetStepsAsync(Tenant, run.Id)));
    }

    // ---- batches ------------------------------------------------------------------------------------------

    [Fact]
    public async Task A_batch_applies_writes_of_many_runs_together()
    {
        var a = await CreateAsync(NewRun(RunStatus.Pending));
        var b = await CreateAsync(NewRun(RunStatus.Running, tenant: OtherTenant));
        var b1 = NewStep(b, 1, StepStatus.Running);
        await CommitAsync(JournalWrite.Insert(b1));

        var a1 = NewStep(a, 1, StepStatus.Running);
        var aRunning = a with { Status = RunStatus.Running };
        var b1Done = b1 with { Status = StepStatus.Succeeded, Output = "1" };
        var bDone = b with { Status = RunStatus.Succeeded, Output = "\"b\"" };
        await CommitAsync(JournalWrite.Update(aRunning), JournalWrite.Insert(a1), JournalWrite.Update(b1Done), JournalWrite.Update(bDone));

        AssertSameRun(aRunning, await Store.GetRunAsync(Tenant, a.Id));
        AssertSameRun(bDone, await Store.GetRunAsync(OtherTenant, b.Id));
        AssertSameStep(a1, await GetStepAsync(a, 1));
        AssertSameStep(b1Done, await GetStepAsync(b, 1));
    }

    [Fact]
    public async Task A_step_inserted_and_updated_in_one_batch_ends_in_its_last_state()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var step = NewStep(run, 1, StepStatus.Running);
        var done = step with { Status = StepStatus.Succeeded, Output = "\"ok\"" };

        await CommitAsync(JournalWrite.Insert(step), JournalWrite.Update(done));

        AssertSameStep(done, await GetStepAsync(run, 1));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(4)]
    public async Task A_batch_with_one_illegal_write_applies_nothing(int badIndex)
    {
        var finished = await CreateAsync(NewRun(RunStatus.Succeeded));
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var other = await CreateAsync(NewRun(RunStatus.Waiting, tenant: OtherTenant));
        var step = NewStep(run, 1, StepStatus.Running);
        await CommitAsync(JournalWrite.Insert(step));

        var good = new List<JournalWrite>
        {
            JournalWrite.Update(step with { Status = StepStatus.Succeeded }),
            JournalWrite.Insert(NewStep(run, 2, StepStatus.Running)),
            JournalWrite.Update(run with { Status = RunStatus.Waiting }),
            JournalWrite.Update(other with { Status = RunStatus.Running }),
        };
        good.Insert(badIndex, JournalWrite.Update(finished with { Status = RunStatus.Running }));

        await Assert.ThrowsAsync<IllegalTransitionException>(() => Store.CommitAsync(good).AsTask());

        AssertSameRun(finished, await Store.GetRunAsync(Tenant, finished.Id));
        AssertSameRun(run, await Store.GetRunAsync(Tenant, run.Id));
        AssertSameRun(other, await Store.GetRunAsync(OtherTenant, other.Id));
        AssertSameStep(step, Assert.Single(await Store.GetStepsAsync(Tenant, run.Id)));
    }

    [Fact]
    public async Task A_batch_whose_later_write_contradicts_an_earlier_one_applies_nothing()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var step = NewStep(run, 1, StepStatus.Running);
        await CommitAsync(JournalWrite.Insert(step));

        await Assert.ThrowsAsync<IllegalTransitionException>(() => CommitAsync(
            JournalWrite.Update(step with { Status = StepStatus.Succeeded }),
            JournalWrite.Update(step with { Status = StepStatus.Running, Attempt = 2 })).AsTask());

        AssertSameStep(step, await GetStepAsync(run, 1));
    }

    [Fact]
    public async Task A_batch_with_a_conflicting_insert_applies_nothing()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var first = NewStep(run, 1, StepStatus.Running);
        await CommitAsync(JournalWrite.Insert(first));

        await Assert.ThrowsAsync<JournalConflictException>(() => CommitAsync(
            JournalWrite.Update(run with { Status = RunStatus.Waiting }),
            JournalWrite.Update(first with { Status = StepStatus.Succeeded }),
            JournalWrite.Insert(NewStep(run, 2)),
            JournalWrite.Insert(NewStep(run, 1))).AsTask());

        AssertSameRun(run, await Store.GetRunAsync(Tenant, run.Id));
        AssertSameStep(first, Assert.Single(await Store.GetStepsAsync(Tenant, run.Id)));
    }

    [Fact]
    public async Task Concurrent_commits_of_many_runs_apply_independently_and_a_refused_one_undoes_only_itself()
    {
        var runs = new List<RunRecord>();
        for (var i = 0; i < 24; i++) runs.Add(await CreateAsync(NewRun(RunStatus.Running)));
        // Every run gets a step; run 7's commit also tries to move its run from Running back to Pending.
        var commits = runs.Select((run, i) => Task.Run(async () =>
        {
            var writes = new List<JournalWrite> { JournalWrite.Insert(NewStep(run, 1)) };
            if (i == 7) writes.Add(JournalWrite.Update(run with { Status = RunStatus.Pending }));
            await Store.CommitAsync(writes);
        })).ToList();

        var outcome = await Task.WhenAll(commits.Select(async c => { try { await c; return null; } catch (Exception e) { return e; } }));

        Assert.IsType<IllegalTransitionException>(outcome[7]);
        Assert.All(outcome.Where((_, i) => i != 7), Assert.Null);
        for (var i = 0; i < runs.Count; i++)
        {
            var steps = await Store.GetStepsAsync(Tenant, runs[i].Id);
            Assert.Equal(i == 7 ? 0 : 1, steps.Count);
            Assert.Equal(RunStatus.Running, (await Store.GetRunAsync(Tenant, runs[i].Id))!.Status);
        }
    }

    [Fact]
    public async Task An_empty_batch_changes_nothing()
    {
        var run = await CreateAsync(NewRun());

        await Store.CommitAsync([]);

        AssertSameRun(run, await Store.GetRunAsync(Tenant, run.Id));
    }

    // ---- duplicates ---------------------------------------------------------------------------------------

    [Fact]
    public async Task Inserting_a_taken_sequence_is_refused_and_the_recorded_step_kept()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var original = NewStep(run, 1, StepStatus.Succeeded) with { Output = "\"original\"" };
        await CommitAsync(JournalWrite.Insert(original));

        var duplicate = NewStep(run, 1, StepStatus.Pending) with { Name = "imposter", Output = "\"imposter\"" };
        await Assert.ThrowsAsync<JournalConflictException>(() => CommitAsync(JournalWrite.Insert(duplicate)).AsTask());

        AssertSameStep(original, Assert.Single(await Store.GetStepsAsync(Tenant, run.Id)));
    }

    [Fact]
    public async Task Inserting_one_sequence_twice_in_a_batch_is_refused()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));

        await Assert.ThrowsAsync<JournalConflictException>(() => CommitAsync(JournalWrite.Insert(NewStep(run, 1)), JournalWrite.Insert(NewStep(run, 1))).AsTask());

        Assert.Empty(await Store.GetStepsAsync(Tenant, run.Id));
    }

    [Fact]
    public async Task Inserting_a_taken_step_id_is_refused()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var original = NewStep(run, 1);
        await CommitAsync(JournalWrite.Insert(original));

        await Assert.ThrowsAsync<JournalConflictException>(() => CommitAsync(JournalWrite.Insert(NewStep(run, 2, id: original.Id))).AsTask());
        await Assert.ThrowsAsync<JournalConflictException>(() => CommitAsync(JournalWrite.Insert(NewStep(run, 3) with { Id = Guid.Empty }), JournalWrite.Insert(NewStep(run, 4) with { Id = Guid.Empty })).AsTask());

        AssertSameStep(original, Assert.Single(await Store.GetStepsAsync(Tenant, run.Id)));
    }

    // ---- listing ------------------------------------------------------------------------------------------

    [Fact]
    public async Task Listing_without_a_tenant_returns_every_tenants_runs()
    {
        var a = await CreateAsync(NewRun());
        var b = await CreateAsync(NewRun(tenant: OtherTenant));

        Assert.Equal(new[] { a.Id, b.Id }.Order(), (await Store.ListRunsAsync(new RunQuery())).Select(r => r.Id));
        Assert.Equal([a.Id], (await Store.ListRunsAsync(new RunQuery { TenantId = Tenant })).Select(r => r.Id));
        Assert.Equal([b.Id], (await Store.ListRunsAsync(new RunQuery { TenantId = OtherTenant })).Select(r => r.Id));
    }

    [Fact]
    public async Task Listing_filters_by_status()
    {
        var byStatus = new Dictionary<RunStatus, RunRecord>();
        foreach (var status in Enum.GetValues<RunStatus>())
        {
            byStatus[status] = await CreateAsync(NewRun(status, tenant: status == RunStatus.Waiting ? OtherTenant : Tenant));
        }

        var unfinished = await Store.ListRunsAsync(RunQuery.Unfinished());
        Assert.Equal(new[] { RunStatus.Pending, RunStatus.Running, RunStatus.Waiting }.Select(s => byStatus[s].Id).Order(), unfinished.Select(r => r.Id));

        var unfinishedOfTenant = await Store.ListRunsAsync(RunQuery.Unfinished(Tenant));
        Assert.Equal(new[] { RunStatus.Pending, RunStatus.Running }.Select(s => byStatus[s].Id).Order(), unfinishedOfTenant.Select(r => r.Id));

        var failed = await Store.ListRunsAsync(new RunQuery { Statuses = [RunStatus.Failed] });
        Assert.Equal(byStatus[RunStatus.Failed].Id, Assert.Single(failed).Id);

        var parked = await Store.ListRunsAsync(new RunQuery { Statuses = [RunStatus.Parked] });
        Assert.Equal(byStatus[RunStatus.Parked].Id, Assert.Single(parked).Id); // parked is not unfinished work: only listed when asked for

        var all = Enum.GetValues<RunStatus>().Length;
        Assert.Equal(all, (await Store.ListRunsAsync(new RunQuery { Statuses = [] })).Count);
        Assert.Equal(all, (await Store.ListRunsAsync(new RunQuery { Statuses = null })).Count);
    }

    [Fact]
    public async Task Listing_filters_by_workflow()
    {
        var order = await CreateAsync(NewRun(workflow: "orders"));
        var refund = await CreateAsync(NewRun(workflow: "refunds"));
        await CreateAsync(NewRun(workflow: "refunds", tenant: OtherTenant));

        Assert.Equal([order.Id], (await Store.ListRunsAsync(new RunQuery { Workflow = "orders" })).Select(r => r.Id));
        Assert.Equal(2, (await Store.ListRunsAsync(new RunQuery { Workflow = "refunds" })).Count);
        Assert.Equal([refund.Id], (await Store.ListRunsAsync(new RunQuery { Workflow = "refunds", TenantId = Tenant })).Select(r => r.Id));
        Assert.Empty(await Store.ListRunsAsync(new RunQuery { Workflow = "Orders" }));
    }

    [Fact]
    public async Task Listing_newest_first_is_the_reverse_order_and_pages_towards_older_runs()
    {
        var random = new Random(4321);
        var ids = Enumerable.Range(0, 30).Select(_ => Guid.NewGuid()).ToList();
        ids.AddRange(Enumerable.Range(0, 10).Select(_ => Guid.CreateVersion7()));
        foreach (var id in ids.OrderBy(_ => random.Next()))
        {
            await CreateAsync(NewRun(id: id));
        }
        var newestFirst = ids.OrderDescending().ToList();

        Assert.Equal(newestFirst, (await Store.ListRunsAsync(new RunQuery { NewestFirst = true })).Select(r => r.Id));
        var pages = new List<Guid>();
        Guid? after = null;
        while (true)
        {
            var page = await Store.ListRunsAsync(new RunQuery { NewestFirst = true, Limit = 7, AfterId = after });
            pages.AddRange(page.Select(r => r.Id));
            if (page.Count < 7) break;
            after = page[^1].Id;
        }
        Assert.Equal(newestFirst, pages);
    }

    [Fact]
    public async Task Listing_by_several_tenants_returns_only_theirs()
    {
        var a = await CreateAsync(NewRun(tenant: Tenant));
        var b = await CreateAsync(NewRun(tenant: OtherTenant));
        await CreateAsync(NewRun(tenant: "tenant-c"));

        Assert.Equal(new[] { a.Id, b.Id }.Order(), (await Store.ListRunsAsync(new RunQuery { TenantIds = [Tenant, OtherTenant] })).Select(r => r.Id));
        Assert.Equal([b.Id], (await Store.ListRunsAsync(new RunQuery { TenantIds = [OtherTenant, "nobody"] })).Select(r => r.Id));
        Assert.Empty(await Store.ListRunsAsync(new RunQuery { TenantIds = [] }));
        // Both filters hold: a tenant outside the list matches nothing.
        Assert.Empty(await Store.ListRunsAsync(new RunQuery { TenantId = "tenant-c", TenantIds = [Tenant] }));
        Assert.Equal([a.Id], (await Store.ListRunsAsync(new RunQuery { TenantId = Tenant, TenantIds = [Tenant, OtherTenant] })).Select(r => r.Id));
    }

    [Fact]
    public async Task Listing_returns_oldest_first_by_id_and_honours_the_limit()
    {
        // Random ids created in random order: the listing sorts them as Guid.CompareTo does (for UUIDv7, by time).
        var random = new Random(1234);
        var ids = Enumerable.Range(0, 40).Select(_ => Guid.NewGuid()).ToList();
        ids.AddRange(Enumerable.Range(0, 10).Select(_ => Guid.CreateVersion7()));
        foreach (var id in ids.OrderBy(_ => random.Next()))
        {
            await CreateAsync(NewRun(id: id, tenant: random.Next(2) == 0 ? Tenant : OtherTenant));
        }
        var sorted = ids.Order().ToList();

        Assert.Equal(sorted, (await Store.ListRunsAsync(new RunQuery())).Select(r => r.Id));
        Assert.Equal(sorted.Take(7), (await Store.ListRunsAsync(new RunQuery { Limit = 7 })).Select(r => r.Id));
        Assert.Equal(sorted, (await Store.ListRunsAsync(new RunQuery { Limit = 1000 })).Select(r => r.Id));
        Assert.Empty(await Store.ListRunsAsync(new RunQuery { Limit = 0 }));
    }

    [Fact]
    public async Task Listing_sees_status_changes()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        Assert.Single(await Store.ListRunsAsync(RunQuery.Unfinished()));

        await CommitAsync(JournalWrite.Update(run with { Status = RunStatus.Succeeded }));

        Assert.Empty(await Store.ListRunsAsync(RunQuery.Unfinished()));
        Assert.Equal(RunStatus.Succeeded, Assert.Single(await Store.ListRunsAsync(new RunQuery { Statuses = [RunStatus.Succeeded] })).Status);
    }

    [Fact]
    public async Task Listing_filters_by_creation_time_comparing_instants_whatever_their_offsets()
    {
        var b = new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero).AddTicks(5_000_001);
        // Creation times written in offsets whose texts sort unlike the instants (early's text is the latest of all).
        var early = await CreateAsync(NewRun() with { CreatedAt = b.AddHours(-1).ToOffset(TimeSpan.FromHours(14)) });
        var atB = await CreateAsync(NewRun() with { CreatedAt = b.ToOffset(TimeSpan.FromMinutes(-(9 * 60 + 30))) });
        var tickAfter = await CreateAsync(NewRun(tenant: OtherTenant) with { CreatedAt = b.AddTicks(1).ToOffset(TimeSpan.FromMinutes(5 * 60 + 45)) });
        var late = await CreateAsync(NewRun() with { CreatedAt = b.AddHours(1).ToOffset(TimeSpan.FromHours(-12)) });

        async Task<IEnumerable<Guid>> Ids(RunQuery query) => (await Store.ListRunsAsync(query)).Select(r => r.Id);
        IEnumerable<Guid> Expect(params RunRecord[] runs) => runs.Select(r => r.Id).Order();

        // CreatedFrom is inclusive, CreatedBefore exclusive, to the tick, and the bounds' own offsets do not matter.
        Assert.Equal(Expect(atB, tickAfter, late), await Ids(new RunQuery { CreatedFrom = b.ToOffset(TimeSpan.FromHours(3)) }));
        Assert.Equal(Expect(tickAfter, late), await Ids(new RunQuery { CreatedFrom = b.AddTicks(1).ToOffset(TimeSpan.FromHours(-1)) }));
        Assert.Equal(Expect(early), await Ids(new RunQuery { CreatedBefore = b.ToOffset(TimeSpan.FromHours(9)) }));
        Assert.Equal(Expect(early, atB), await Ids(new RunQuery { CreatedBefore = b.AddTicks(1).ToOffset(TimeSpan.FromHours(-14)) }));
        Assert.Equal(Expect(early, atB, tickAfter), await Ids(new RunQuery { CreatedFrom = b.AddHours(-1), CreatedBefore = b.AddHours(1) }));
        Assert.Equal(Expect(atB, late), await Ids(new RunQuery { CreatedFrom = b, CreatedBefore = b.AddHours(2), TenantId = Tenant, Statuses = [RunStatus.Pending] }));
        Assert.Empty(await Ids(new RunQuery { CreatedFrom = b.AddHours(1), CreatedBefore = b }));
    }

    [Fact]
    public async Task Listing_pages_through_runs_in_id_order_with_after_id()
    {
        var random = new Random(2025);
        var ids = Enumerable.Range(0, 25).Select(_ => Guid.NewGuid()).ToList();
        var tenantOf = new Dictionary<Guid, string>();
        foreach (var id in ids.OrderBy(_ => random.Next()))
        {
            tenantOf[id] = random.Next(3) == 0 ? OtherTenant : Tenant;
            await CreateAsync(NewRun(id: id, tenant: tenantOf[id]));
        }
        var sorted = ids.Order().ToList();

        async Task<List<IReadOnlyList<RunRecord>>> PagesAsync(RunQuery query)
        {
            var pages = new List<IReadOnlyList<RunRecord>>();
            Guid? after = null;
            while (true)
            {
                var page = await Store.ListRunsAsync(query with { AfterId = after });
                if (page.Count == 0) return pages;
                pages.Add(page);
                after = page[^1].Id;
                Assert.True(pages.Count <= sorted.Count, "keyset paging does not advance");
            }
        }

        var pages = await PagesAsync(new RunQuery { Limit = 7 });
        Assert.Equal([7, 7, 7, 4], pages.Select(p => p.Count));
        Assert.Equal(sorted, pages.SelectMany(p => p).Select(r => r.Id));

        var mine = sorted.Where(id => tenantOf[id] == Tenant).ToList();
        Assert.Equal(mine, (await PagesAsync(new RunQuery { TenantId = Tenant, Limit = 3 })).SelectMany(p => p).Select(r => r.Id));

        // AfterId is a position, not a filter on one id: any id works, listed or not.
        Assert.Equal(sorted.Skip(12), (await Store.ListRunsAsync(new RunQuery { AfterId = sorted[11] })).Select(r => r.Id));
        Assert.Equal(sorted, (await Store.ListRunsAsync(new RunQuery { AfterId = Guid.Empty })).Select(r => r.Id));
        Assert.Empty(await Store.ListRunsAsync(new RunQuery { AfterId = sorted[^1] }));
        Assert.Empty(await Store.ListRunsAsync(new RunQuery { AfterId = Guid.AllBitsSet }));
    }

    [Fact]
    public async Task Listing_by_run_ids_returns_only_those_runs_with_the_other_filters_applied()
    {
        var pending = await CreateAsync(NewRun(RunStatus.Pending));
        var done = await CreateAsync(NewRun(RunStatus.Succeeded));
        var parked = await CreateAsync(NewRun(RunStatus.Parked));
        var elsewhere = await CreateAsync(NewRun(RunStatus.Succeeded, tenant: OtherTenant));
        await CreateAsync(NewRun(RunStatus.Succeeded)); // not asked for

        async Task<List<Guid>> Ids(RunQuery query) => [.. (await Store.ListRunsAsync(query)).Select(r => r.Id)];
        Guid[] asked = [pending.Id, done.Id, parked.Id, elsewhere.Id, Guid.NewGuid()];

        Assert.Equal(asked.Take(4).Order(), await Ids(new RunQuery { RunIds = asked }));
        Assert.Equal(new[] { done.Id, parked.Id }.Order(),
            await Ids(new RunQuery { RunIds = asked, TenantId = Tenant, Statuses = [RunStatus.Succeeded, RunStatus.Parked] }));
        Assert.Empty(await Ids(new RunQuery { RunIds = [] }));
        var tooMany = Enumerable.Range(0, RunQuery.MaxLimit + 1).Select(_ => Guid.NewGuid()).ToList();
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => Store.ListRunsAsync(new RunQuery { RunIds = tooMany }).AsTask());
        Assert.Contains("RunIds", refused.Message);
    }

    [Fact]
    public async Task A_kept_schema_is_read_back_and_the_first_one_kept_for_a_version_stays()
    {
        Assert.Null(await Store.GetSchemaAsync("orders", "v1"));
        var first = new SchemaRecord("orders", "v1", "step:charge amount!:decimal\nrun:output receipt", T0);
        await Store.SaveSchemaAsync(first);
        await Store.SaveSchemaAsync(first with { Shape = "something else", CreatedAt = T0.AddHours(1) });
        await Store.SaveSchemaAsync(first with { SchemaVersion = "v2", Shape = "v2 shape" });

        Assert.Equal(first, await Store.GetSchemaAsync("orders", "v1"));
        Assert.Equal("v2 shape", (await Store.GetSchemaAsync("orders", "v2"))?.Shape);
        Assert.Null(await Store.GetSchemaAsync("shipping", "v1"));
    }

    [Fact]
    public async Task A_limit_above_the_maximum_is_clamped_to_it()
    {
        var ids = new List<Guid>();
        for (var i = 0; i < RunQuery.MaxLimit + 1; i++)
        {
            ids.Add((await CreateAsync(NewRun(tenant: i % 2 == 0 ? Tenant : OtherTenant))).Id);
        }
        var sorted = ids.Order().ToList();

        Assert.Equal(sorted.Take(RunQuery.MaxLimit), (await Store.ListRunsAsync(new RunQuery { Limit = 5000 })).Select(r => r.Id));
        Assert.Equal(RunQuery.MaxLimit, (await Store.ListRunsAsync(new RunQuery { Limit = int.MaxValue })).Count);
        Assert.Equal(sorted[^1], Assert.Single(await Store.ListRunsAsync(new RunQuery { AfterId = sorted[RunQuery.MaxLimit - 1], Limit = int.MaxValue })).Id);
        Assert.Empty(await Store.ListRunsAsync(new RunQuery { Limit = -1 }));
    }

    // ---- execution-core fields ----------------------------------------------------------------------------

    [Fact]
    public async Task The_execution_fields_round_trip_through_create_and_update()
    {
        var run = await CreateAsync(NewRun(RunStatus.Waiting) with
        {
            WakeAt = new DateTimeOffset(2025, 3, 14, 10, 0, 0, TimeSpan.FromHours(-5)).AddTicks(123),
            WaitingFor = "sleep:3",
            DeadlineAt = new DateTimeOffset(2025, 3, 15, 0, 0, 0, TimeSpan.Zero).AddTicks(1),
            ForkedFromRunId = Guid.CreateVersion7(),
        });
        AssertSameRun(run, await Store.GetRunAsync(Tenant, run.Id));

        var rewaited = run with { WakeAt = run.WakeAt!.Value.AddMinutes(5), WaitingFor = "sleep:4", DeadlineAt = null, UpdatedAt = T0.AddSeconds(1) };
        await CommitAsync(JournalWrite.Update(rewaited));
        AssertSameRun(rewaited, await Store.GetRunAsync(Tenant, run.Id));

        var woken = rewaited with { Status = RunStatus.Running, WakeAt = null, WaitingFor = null, DeadlineAt = T0.AddDays(1), UpdatedAt = T0.AddSeconds(2) };
        await CommitAsync(JournalWrite.Update(woken));
        AssertSameRun(woken, await Store.GetRunAsync(Tenant, run.Id));

        var step = NewStep(run, 1, StepStatus.Pending) with { Attempt = 4, FailedAttempts = 2, InterruptedAttempts = 1 };
        await CommitAsync(JournalWrite.Insert(step));
        AssertSameStep(step, await GetStepAsync(run, 1));
        var retried = step with { Status = StepStatus.Running, Attempt = 5, FailedAttempts = 3, InterruptedAttempts = 2, UpdatedAt = T0.AddSeconds(3) };
        await CommitAsync(JournalWrite.Update(retried));
        AssertSameStep(retried, await GetStepAsync(run, 1));
    }

    // ---- creating runs with steps -------------------------------------------------------------------------

    [Fact]
    public async Task Create_with_steps_writes_the_run_and_its_steps_together()
    {
        var run = NewRun() with { ForkedFromRunId = Guid.CreateVersion7() };
        var steps = new[]
        {
            NewStep(run, 3, StepStatus.Succeeded) with { Kind = StepKind.Sleep, Output = "\"2025-01-01T00:00:00Z\"" },
            FullStep(run, 1) with { Status = StepStatus.Succeeded, Error = null },
            NewStep(run, 2, StepStatus.Failed) with { Error = new ErrorInfo(ErrorKind.StepFailed, "declined") },
        };

        var result = await Store.CreateRunAsync(run, steps);

        Assert.True(result.Created);
        AssertSameRun(run, result.Run);
        AssertSameRun(run, await Store.GetRunAsync(Tenant, run.Id));
        var stored = await Store.GetStepsAsync(Tenant, run.Id);
        Assert.Equal([1, 2, 3], stored.Select(s => s.Sequence));
        foreach (var step in steps)
        {
            AssertSameStep(step, stored.Single(s => s.Sequence == step.Sequence));
        }
    }

    public enum BadStep { OfAnotherRun, OfAnotherTenant, SequenceTwice, IdTwice, IdOfAStepOfAnotherRun }

    [Theory]
    [InlineData(BadStep.OfAnotherRun)]
    [InlineData(BadStep.OfAnotherTenant)]
    [InlineData(BadStep.SequenceTwice)]
    [InlineData(BadStep.IdTwice)]
    [InlineData(BadStep.IdOfAStepOfAnotherRun)]
    public async Task Create_with_a_bad_step_writes_nothing(BadStep bad)
    {
        var existing = await CreateAsync(NewRun(RunStatus.Running));
        var existingStep = NewStep(existing, 1);
        await CommitAsync(JournalWrite.Insert(existingStep));
        var run = NewRun(key: "fork-1");
        var good1 = NewStep(run, 1, StepStatus.Succeeded);
        var good2 = NewStep(run, 2, StepStatus.Succeeded);
        var badStep = bad switch
        {
            BadStep.OfAnotherRun => NewStep(existing, 3),
            BadStep.OfAnotherTenant => NewStep(run, 3) with { TenantId = OtherTenant },
            BadStep.SequenceTwice => NewStep(run, 2),
            BadStep.IdTwice => NewStep(run, 3, id: good1.Id),
            BadStep.IdOfAStepOfAnotherRun => NewStep(run, 3, id: existingStep.Id),
            _ => throw new ArgumentOutOfRangeException(nameof(bad)),
        };

        await Assert.ThrowsAsync<JournalConflictException>(() => Store.CreateRunAsync(run, [good1, good2, badStep]).AsTask());

        Assert.Null(await Store.GetRunAsync(Tenant, run.Id));
        Assert.Empty(await Store.GetStepsAsync(Tenant, run.Id));
        Assert.Empty(await Store.GetStepsAsync(OtherTenant, run.Id));
        Assert.Equal([existing.Id], (await Store.ListRunsAsync(new RunQuery())).Select(r => r.Id));
        AssertSameRun(existing, await Store.GetRunAsync(Tenant, existing.Id));
        AssertSameStep(existingStep, Assert.Single(await Store.GetStepsAsync(Tenant, existing.Id)));
        // Nothing half-written is in the way: the same run, id and key, is created afterwards with its good steps.
        Assert.True((await Store.CreateRunAsync(run, [good1, good2])).Created);
        Assert.Equal([good1.Id, good2.Id], (await Store.GetStepsAsync(Tenant, run.Id)).Select(s => s.Id));
    }

    [Fact]
    public async Task Create_with_steps_of_an_existing_run_returns_it_and_adds_no_steps()
    {
        var run = NewRun(key: "k");
        var first = NewStep(run, 1, StepStatus.Succeeded);
        Assert.True((await Store.CreateRunAsync(run, [first])).Created);
        var sameKey = NewRun(key: "k");

        var byId = await Store.CreateRunAsync(run with { Input = "\"again\"" }, [NewStep(run, 2, StepStatus.Succeeded)]);
        var byKey = await Store.CreateRunAsync(sameKey, [NewStep(sameKey, 1, StepStatus.Succeeded)]);

        Assert.False(byId.Created);
        AssertSameRun(run, byId.Run);
        Assert.False(byKey.Created);
        AssertSameRun(run, byKey.Run);
        AssertSameStep(first, Assert.Single(await Store.GetStepsAsync(Tenant, run.Id)));
        Assert.Null(await Store.GetRunAsync(Tenant, sameKey.Id));
        Assert.Empty(await Store.GetStepsAsync(Tenant, sameKey.Id));
    }

    [Fact]
    public async Task A_run_can_be_created_already_claimed()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running) with { StartedAt = T0, Owner = "engine-a", LeaseExpiresAt = At(60) });

        AssertSameRun(run, await Store.GetRunAsync(Tenant, run.Id));
        Assert.Null(await Store.ClaimRunAsync(ClaimOf(run, "engine-b")));
        Assert.Empty(await Store.ClaimReadyRunsAsync(ReadyClaim("engine-b", 10, "orders")));
        Assert.True(Assert.Single(await Store.RenewClaimsAsync(new ClaimRenewal("engine-a", [run.Id], Now, At(90)))).Held);
        await CommitAsync(JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"), JournalWrite.Insert(NewStep(run, 1, StepStatus.Running)));
        Assert.Single(await Store.GetStepsAsync(Tenant, run.Id));
    }

    // ---- claims -------------------------------------------------------------------------------------------

    /// <summary>The "now" of claims, renewals and cancel requests, in an offset of its own: stores compare instants, not texts.</summary>
    protected static readonly DateTimeOffset Now = T0.AddHours(2).ToOffset(TimeSpan.FromHours(-7));

    /// <summary>A moment <paramref name="seconds"/> from <see cref="Now"/>, written in an offset whose text sorts unlike <see cref="Now"/>'s.</summary>
    protected static DateTimeOffset At(double seconds) => Now.AddSeconds(seconds).ToOffset(TimeSpan.FromHours(14));

    protected static RunClaim ClaimOf(RunRecord run, string owner, double leaseSeconds = 60) => new(run.Id, run.TenantId, owner, Now, At(leaseSeconds));

    protected static ReadyRunsClaim ReadyClaim(string owner, int limit, params string[] workflows) => new(owner, Now, At(60), limit, workflows);

    /// <summary>What a claim must make of <paramref name="before"/>: running under the claim, no longer waiting, everything else kept.</summary>
    private static void AssertClaimedFrom(RunRecord before, RunRecord? claimed, string owner, DateTimeOffset lease)
    {
        Assert.NotNull(claimed);
        AssertSameMoments(before with
        {
            Status = RunStatus.Running,
            Owner = owner,
            LeaseExpiresAt = lease,
            StartedAt = before.StartedAt ?? Now,
            WakeAt = null,
            WaitingFor = null,
            WakeRequestedAt = null,
            UpdatedAt = claimed.UpdatedAt, // bookkeeping: not part of the contract
        }, claimed);
        if (before.StartedAt is { } started)
        {
            SameInstant(started, claimed.StartedAt, nameof(RunRecord.StartedAt)); // kept as it was, offset and all
        }
    }

    [Theory]
    [InlineData(RunStatus.Pending, null, null, null, true)] // new
    [InlineData(RunStatus.Pending, "engine-b", 60, null, false)] // created claimed by another engine, which is alive
    [InlineData(RunStatus.Pending, "engine-b", -1, null, true)] // ... which died
    [InlineData(RunStatus.Running, null, null, null, true)] // released by an engine that stopped
    [InlineData(RunStatus.Running, "engine-b", 60, null, false)] // another engine's live claim
    [InlineData(RunStatus.Running, "engine-b", -1, null, true)] // another engine's lapsed claim: a takeover
    [InlineData(RunStatus.Running, "engine-b", 0, null, true)] // a claim lapses at its lease
    [InlineData(RunStatus.Running, "engine-b", null, null, true)] // an owner without a lease holds nothing
    [InlineData(RunStatus.Running, "engine-a", 60, null, true)] // the claimer's own live claim: claimed again, lease moved
    [InlineData(RunStatus.Waiting, null, null, -1, true)] // woken: due
    [InlineData(RunStatus.Waiting, null, null, 0, true)] // due exactly now
    [InlineData(RunStatus.Waiting, null, null, 1, false)] // not due yet
    [InlineData(RunStatus.Waiting, null, null, null, false)] // waiting for nothing the clock brings
    [InlineData(RunStatus.Waiting, "engine-b", 60, -1, false)] // due, but another engine holds it
    [InlineData(RunStatus.Parked, null, null, null, false)]
    [InlineData(RunStatus.Parked, "engine-a", 60, null, false)]
    [InlineData(RunStatus.Succeeded, null, null, null, false)]
    [InlineData(RunStatus.Failed, null, null, null, false)]
    [InlineData(RunStatus.Cancelled, null, null, null, false)]
    [InlineData(RunStatus.Cancelled, "engine-a", 60, null, false)]
    public async Task A_run_is_claimed_by_id_only_when_it_is_ready_or_already_the_claimers(RunStatus status, string? owner, int? leaseSeconds, int? wakeSeconds, bool claimable)
    {
        var run = await CreateAsync(NewRun(status) with
        {
            Input = "\"in\"",
            StartedAt = status == RunStatus.Pending ? null : T0.AddSeconds(1),
            Owner = owner,
            LeaseExpiresAt = leaseSeconds is { } lease ? At(lease) : null,
            WakeAt = wakeSeconds is { } wake ? At(wake) : null,
            WaitingFor = status == RunStatus.Waiting ? "sleep:2" : null,
            DeadlineAt = T0.AddDays(1),
            CancelRequestedAt = status == RunStatus.Running ? T0.AddMinutes(1) : null,
            CancelReason = status == RunStatus.Running ? "asked" : null,
        });

        var claimed = await Store.ClaimRunAsync(ClaimOf(run, "engine-a", leaseSeconds: 120));

        if (claimable)
        {
            AssertClaimedFrom(run, claimed, "engine-a", At(120));
            AssertSameMoments(claimed!, await Store.GetRunAsync(Tenant, run.Id));
        }
        else
        {
            Assert.Null(claimed);
            AssertSameRun(run, await Store.GetRunAsync(Tenant, run.Id));
        }
    }

    [Fact]
    public async Task Claiming_an_unknown_run_or_another_tenants_run_gets_nothing()
    {
        var theirs = await CreateAsync(NewRun(tenant: OtherTenant));

        Assert.Null(await Store.ClaimRunAsync(new RunClaim(Guid.CreateVersion7(), Tenant, "engine-a", Now, At(60))));
        Assert.Null(await Store.ClaimRunAsync(new RunClaim(theirs.Id, Tenant, "engine-a", Now, At(60))));

        AssertSameRun(theirs, await Store.GetRunAsync(OtherTenant, theirs.Id));
    }

    [Fact]
    public async Task Claiming_ready_runs_and_the_next_due_moment_can_be_limited_to_the_served_tenants()
    {
        var ours = await CreateAsync(NewRun(workflow: "orders"));
        var theirs = await CreateAsync(NewRun(tenant: OtherTenant, workflow: "orders"));
        var theirsLater = await CreateAsync(NewRun(RunStatus.Waiting, tenant: OtherTenant, workflow: "orders") with { WakeAt = At(30), WaitingFor = "sleep:1" });
        var oursLater = await CreateAsync(NewRun(RunStatus.Waiting, workflow: "orders") with { WakeAt = At(90), WaitingFor = "sleep:1" });

        // Each tenant has a run ready now; a tenant with none has nothing due.
        Assert.Equal(DateTimeOffset.MinValue, await Store.GetNextDueAsync(["orders"], Now, [Tenant]));
        Assert.Equal(DateTimeOffset.MinValue, await Store.GetNextDueAsync(["orders"], Now, [OtherTenant]));
        Assert.Null(await Store.GetNextDueAsync(["orders"], Now, ["nobody"]));
        Assert.Null(await Store.GetNextDueAsync(["orders"], Now, []));

        var claimed = await Store.ClaimReadyRunsAsync(ReadyClaim("engine-a", 100, "orders") with { Tenants = [Tenant] });

        Assert.Equal([ours.Id], claimed.Select(r => r.Id));
        AssertSameRun(theirs, await Store.GetRunAsync(OtherTenant, theirs.Id));
        Assert.Equal(At(60), await Store.GetNextDueAsync(["orders"], Now, [Tenant])); // our claim's expiry comes before oursLater's wake-up
        Assert.Equal(DateTimeOffset.MinValue, await Store.GetNextDueAsync(["orders"], Now, [OtherTenant]));
        Assert.Empty(await Store.ClaimReadyRunsAsync(ReadyClaim("engine-a", 100, "orders") with { Tenants = [] }));
        Assert.Equal([theirs.Id], (await Store.ClaimReadyRunsAsync(ReadyClaim("engine-b", 100, "orders") with { Tenants = [OtherTenant] })).Select(r => r.Id));
        Assert.Equal(At(30), await Store.GetNextDueAsync(["orders"], Now, [OtherTenant])); // theirsLater wakes before the claim expires
        Assert.Equal(RunStatus.Waiting, (await Store.GetRunAsync(Tenant, oursLater.Id))!.Status);
        Assert.Equal(RunStatus.Waiting, (await Store.GetRunAsync(OtherTenant, theirsLater.Id))!.Status);
    }

    [Fact]
    public async Task Claiming_ready_runs_takes_the_ready_runs_of_the_listed_workflows_in_every_tenant()
    {
        var order = await CreateAsync(NewRun(workflow: "orders"));
        var woken = await CreateAsync(NewRun(RunStatus.Waiting, workflow: "refunds") with { StartedAt = T0, WakeAt = At(-5), WaitingFor = "sleep:1" });
        var theirs = await CreateAsync(NewRun(tenant: OtherTenant, workflow: "refunds"));
        var report = await CreateAsync(NewRun(workflow: "reports"));
        var notDue = await CreateAsync(NewRun(RunStatus.Waiting, workflow: "orders") with { WakeAt = At(5), WaitingFor = "sleep:1" });
        var parked = await CreateAsync(NewRun(RunStatus.Parked, workflow: "orders"));
        var done = await CreateAsync(NewRun(RunStatus.Succeeded, workflow: "orders"));

        var claimed = await Store.ClaimReadyRunsAsync(ReadyClaim("engine-a", 100, "orders", "refunds"));

        Assert.Equal(new[] { order.Id, woken.Id, theirs.Id }.Order(), claimed.Select(r => r.Id).Order());
        foreach (var (before, after) in new[] { order, woken, theirs }.Select(r => (r, claimed.Single(c => c.Id == r.Id))))
        {
            AssertClaimedFrom(before, after, "engine-a", At(60));
            AssertSameMoments(after, await Store.GetRunAsync(before.TenantId, before.Id));
        }
        foreach (var untouched in new[] { report, notDue, parked, done })
        {
            AssertSameRun(untouched, await Store.GetRunAsync(Tenant, untouched.Id));
        }
        Assert.Empty(await Store.ClaimReadyRunsAsync(ReadyClaim("engine-b", 100)));
    }

    [Fact]
    public async Task Claiming_ready_runs_takes_at_most_the_limit_lowest_ids_first_and_not_the_claimers_own_claims_again()
    {
        var random = new Random(99);
        var ids = Enumerable.Range(0, 12).Select(_ => Guid.NewGuid()).ToList();
        foreach (var id in ids.OrderBy(_ => random.Next()))
        {
            await CreateAsync(NewRun(id: id));
        }
        var sorted = ids.Order().ToList();

        Assert.Empty(await Store.ClaimReadyRunsAsync(ReadyClaim("engine-a", 0, "orders")));
        var first = await Store.ClaimReadyRunsAsync(ReadyClaim("engine-a", 5, "orders"));
        var second = await Store.ClaimReadyRunsAsync(ReadyClaim("engine-a", 5, "orders"));
        var third = await Store.ClaimReadyRunsAsync(ReadyClaim("engine-a", 5, "orders"));
        var fourth = await Store.ClaimReadyRunsAsync(ReadyClaim("engine-a", 5, "orders"));

        // Which runs each call takes (the order they come back in is the next test's).
        Assert.Equal(sorted.Take(5), first.Select(r => r.Id).Order());
        Assert.Equal(sorted.Skip(5).Take(5), second.Select(r => r.Id).Order());
        Assert.Equal(sorted.Skip(10), third.Select(r => r.Id).Order());
        Assert.Empty(fourth); // every run is the claimer's live claim now: renewed, not claimed again
        Assert.All(await Store.ListRunsAsync(new RunQuery()), r => Assert.Equal("engine-a", r.Owner));
    }

    [Fact]
    public async Task Claimed_ready_runs_come_back_in_id_order()
    {
        var random = new Random(7);
        var ids = Enumerable.Range(0, 20).Select(_ => Guid.NewGuid()).ToList();
        foreach (var id in ids.OrderBy(_ => random.Next()))
        {
            await CreateAsync(NewRun(id: id));
        }

        var claimed = await Store.ClaimReadyRunsAsync(ReadyClaim("engine-a", 100, "orders"));

        Assert.Equal(ids.Order(), claimed.Select(r => r.Id));
    }

    [Fact]
    public async Task Claiming_ready_runs_skips_live_claims_and_takes_lapsed_ones()
    {
        RunRecord Held(string? owner, int? lease) => NewRun(RunStatus.Running) with { StartedAt = T0, Owner = owner, LeaseExpiresAt = lease is { } l ? At(l) : null };
        var liveOther = await CreateAsync(Held("engine-b", 30));
        var liveOwn = await CreateAsync(Held("engine-a", 30));
        var lapsedOther = await CreateAsync(Held("engine-b", -30));
        var lapsedOwn = await CreateAsync(Held("engine-a", -1));
        var released = await CreateAsync(Held(null, null));

        var claimed = await Store.ClaimReadyRunsAsync(ReadyClaim("engine-a", 100, "orders"));

        Assert.Equal(new[] { lapsedOther.Id, lapsedOwn.Id, released.Id }.Order(), claimed.Select(r => r.Id).Order());
        foreach (var before in new[] { lapsedOther, lapsedOwn, released })
        {
            AssertClaimedFrom(before, claimed.Single(c => c.Id == before.Id), "engine-a", At(60));
        }
        AssertSameRun(liveOther, await Store.GetRunAsync(Tenant, liveOther.Id));
        AssertSameRun(liveOwn, await Store.GetRunAsync(Tenant, liveOwn.Id));
    }

    [Fact]
    public async Task Two_claimers_claiming_at_once_never_get_the_same_run()
    {
        var runs = new List<RunRecord>();
        for (var i = 0; i < 40; i++) runs.Add(await CreateAsync(NewRun()));

        async Task<List<Guid>> ClaimAllAsync(string owner)
        {
            var taken = new List<Guid>();
            while (true)
            {
                var batch = await Store.ClaimReadyRunsAsync(ReadyClaim(owner, 2, "orders"));
                if (batch.Count == 0) return taken;
                taken.AddRange(batch.Select(r => r.Id));
                Assert.True(taken.Count <= runs.Count, $"{owner} claimed more runs than there are");
            }
        }

        var results = await Task.WhenAll(Task.Run(() => ClaimAllAsync("engine-a")), Task.Run(() => ClaimAllAsync("engine-b")));

        Assert.Empty(results[0].Intersect(results[1]));
        Assert.Equal(runs.Select(r => r.Id).Order(), results[0].Concat(results[1]).Order());
        foreach (var (owner, taken) in new[] { ("engine-a", results[0]), ("engine-b", results[1]) })
        {
            foreach (var id in taken)
            {
                Assert.Equal(owner, (await Store.GetRunAsync(Tenant, id))!.Owner);
            }
        }
    }

    [Fact]
    public async Task Renewing_extends_only_the_owners_claims_and_says_which_it_still_holds()
    {
        RunRecord Held(string? owner, int? lease, RunStatus status = RunStatus.Running, string tenant = Tenant) =>
            NewRun(status, tenant: tenant) with { StartedAt = T0, Owner = owner, LeaseExpiresAt = lease is { } l ? At(l) : null };
        var held = await CreateAsync(Held("engine-a", 10));
        var heldElsewhere = await CreateAsync(Held("engine-a", 10, tenant: OtherTenant));
        var lapsedNotTaken = await CreateAsync(Held("engine-a", -10)); // lapsed, but nobody took it over: still the owner's
        var takenOver = await CreateAsync(Held("engine-b", 30));
        var released = await CreateAsync(Held(null, null));
        var ended = await CreateAsync(Held(null, null, RunStatus.Succeeded));
        var unknown = Guid.CreateVersion7();
        Guid[] ids = [held.Id, takenOver.Id, unknown, heldElsewhere.Id, released.Id, ended.Id, lapsedNotTaken.Id];

        var states = await Store.RenewClaimsAsync(new ClaimRenewal("engine-a", ids, Now, At(90)));

        Assert.Equal(ids.Order(), states.Select(s => s.RunId).Order());
        var byId = states.ToDictionary(s => s.RunId);
        Assert.Equal((true, "engine-a"), (byId[held.Id].Held, byId[held.Id].CurrentOwner));
        Assert.Equal((true, "engine-a"), (byId[heldElsewhere.Id].Held, byId[heldElsewhere.Id].CurrentOwner));
        Assert.Equal((true, "engine-a"), (byId[lapsedNotTaken.Id].Held, byId[lapsedNotTaken.Id].CurrentOwner));
        Assert.Equal((false, "engine-b"), (byId[takenOver.Id].Held, byId[takenOver.Id].CurrentOwner));
        Assert.Equal((false, (string?)null), (byId[released.Id].Held, byId[released.Id].CurrentOwner));
        Assert.Equal((false, (string?)null), (byId[ended.Id].Held, byId[ended.Id].CurrentOwner));
        Assert.Equal((false, (string?)null), (byId[unknown].Held, byId[unknown].CurrentOwner));
        Assert.All(states, s => Assert.Null(s.CancelRequestedAt));
        Assert.All(states, s => Assert.Null(s.CancelReason));

        AssertSameRun(held with { LeaseExpiresAt = At(90) }, await Store.GetRunAsync(Tenant, held.Id));
        AssertSameRun(heldElsewhere with { LeaseExpiresAt = At(90) }, await Store.GetRunAsync(OtherTenant, heldElsewhere.Id));
        AssertSameRun(lapsedNotTaken with { LeaseExpiresAt = At(90) }, await Store.GetRunAsync(Tenant, lapsedNotTaken.Id));
        AssertSameRun(takenOver, await Store.GetRunAsync(Tenant, takenOver.Id));
        AssertSameRun(released, await Store.GetRunAsync(Tenant, released.Id));
        AssertSameRun(ended, await Store.GetRunAsync(Tenant, ended.Id));
        Assert.Empty(await Store.RenewClaimsAsync(new ClaimRenewal("engine-a", [], Now, At(90))));
    }

    [Fact]
    public async Task Renewing_reports_a_cancel_request_made_meanwhile()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running) with { StartedAt = T0, Owner = "engine-a", LeaseExpiresAt = At(30) });
        var quiet = await CreateAsync(NewRun(RunStatus.Running) with { StartedAt = T0, Owner = "engine-a", LeaseExpiresAt = At(30) });
        Assert.Equal(CancelOutcome.Requested, (await Store.RequestCancelAsync(new CancelRequest(Tenant, run.Id, "ops: stop it", Now))).Outcome);

        var states = (await Store.RenewClaimsAsync(new ClaimRenewal("engine-a", [run.Id, quiet.Id], Now.AddSeconds(1), At(60)))).ToDictionary(s => s.RunId);

        Assert.True(states[run.Id].Held);
        Assert.Equal(Now, states[run.Id].CancelRequestedAt);
        Assert.Equal("ops: stop it", states[run.Id].CancelReason);
        Assert.True(states[quiet.Id].Held);
        Assert.Null(states[quiet.Id].CancelRequestedAt);
        Assert.Null(states[quiet.Id].CancelReason);
    }

    // ---- fences and releases ------------------------------------------------------------------------------

    [Fact]
    public async Task A_fenced_commit_of_an_engine_that_does_not_hold_the_run_is_refused_whole_naming_both_engines()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running) with { StartedAt = T0, Owner = "engine-b", LeaseExpiresAt = At(30) });
        var step = NewStep(run, 1, StepStatus.Running);
        await CommitAsync(JournalWrite.Insert(step));
        var bystander = await CreateAsync(NewRun(RunStatus.Running, tenant: OtherTenant));

        var refused = await Assert.ThrowsAsync<RunOwnershipLostException>(() => CommitAsync(
            JournalWrite.Update(bystander with { Status = RunStatus.Waiting }),
            JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"),
            JournalWrite.Update(step with { Status = StepStatus.Succeeded, Output = "1" }),
            JournalWrite.Insert(NewStep(run, 2, StepStatus.Running)),
            JournalWrite.Update(run with { Status = RunStatus.Succeeded, Output = "\"done\"" }),
            JournalWrite.ReleaseClaim(run.Id, Tenant, "engine-a")).AsTask());

        Assert.Equal(run.Id, refused.RunId);
        Assert.Equal("engine-a", refused.ExpectedOwner);
        Assert.Equal("engine-b", refused.CurrentOwner);
        Assert.Contains(run.Id.ToString(), refused.Message);
        Assert.Contains("engine-a", refused.Message);
        Assert.Contains("engine-b", refused.Message);
        AssertSameRun(run, await Store.GetRunAsync(Tenant, run.Id));
        AssertSameStep(step, Assert.Single(await Store.GetStepsAsync(Tenant, run.Id)));
        AssertSameRun(bystander, await Store.GetRunAsync(OtherTenant, bystander.Id));
    }

    [Fact]
    public async Task A_fence_on_a_run_nobody_holds_or_of_another_tenant_is_refused_with_no_current_owner()
    {
        var released = await CreateAsync(NewRun(RunStatus.Running) with { StartedAt = T0 });
        var held = await CreateAsync(NewRun(RunStatus.Running) with { StartedAt = T0, Owner = "engine-a", LeaseExpiresAt = At(30) });

        var nobody = await Assert.ThrowsAsync<RunOwnershipLostException>(() => CommitAsync(
            JournalWrite.RequireClaim(released.Id, Tenant, "engine-a"), JournalWrite.Insert(NewStep(released, 1))).AsTask());
        var otherTenant = await Assert.ThrowsAsync<RunOwnershipLostException>(() => CommitAsync(
            JournalWrite.RequireClaim(held.Id, OtherTenant, "engine-a"), JournalWrite.Insert(NewStep(held, 1))).AsTask());
        var unknown = Guid.CreateVersion7();
        var missing = await Assert.ThrowsAsync<RunOwnershipLostException>(() => CommitAsync(JournalWrite.RequireClaim(unknown, Tenant, "engine-a")).AsTask());

        Assert.Equal((released.Id, "engine-a", (string?)null), (nobody.RunId, nobody.ExpectedOwner, nobody.CurrentOwner));
        Assert.Equal((held.Id, "engine-a", (string?)null), (otherTenant.RunId, otherTenant.ExpectedOwner, otherTenant.CurrentOwner));
        Assert.Equal((unknown, "engine-a", (string?)null), (missing.RunId, missing.ExpectedOwner, missing.CurrentOwner));
        Assert.Empty(await Store.GetStepsAsync(Tenant, released.Id));
        Assert.Empty(await Store.GetStepsAsync(Tenant, held.Id));
    }

    [Fact]
    public async Task A_fence_refuses_the_engine_whose_lapsed_claim_was_taken_over_and_passes_the_new_owner()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running) with { StartedAt = T0, Owner = "engine-a", LeaseExpiresAt = At(-1) });
        var taken = await Store.ClaimRunAsync(ClaimOf(run, "engine-b"));
        Assert.NotNull(taken);

        var refused = await Assert.ThrowsAsync<RunOwnershipLostException>(() => CommitAsync(
            JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"), JournalWrite.Insert(NewStep(run, 1, StepStatus.Running))).AsTask());
        Assert.Equal("engine-b", refused.CurrentOwner);
        Assert.Empty(await Store.GetStepsAsync(Tenant, run.Id));

        var step = NewStep(run, 1, StepStatus.Running);
        await CommitAsync(JournalWrite.RequireClaim(run.Id, Tenant, "engine-b"), JournalWrite.Insert(step));
        AssertSameStep(step, Assert.Single(await Store.GetStepsAsync(Tenant, run.Id)));
    }

    [Fact]
    public async Task A_fenced_commit_of_the_owner_is_applied_and_can_give_the_claim_up()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running) with { StartedAt = T0, Owner = "engine-a", LeaseExpiresAt = At(30) });
        var step = NewStep(run, 1, StepStatus.Running);
        await CommitAsync(JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"), JournalWrite.Insert(step));
        var done = step with { Status = StepStatus.Succeeded, Output = "1" };
        var sleep = NewStep(run, 2, StepStatus.Running) with { Kind = StepKind.Sleep, Input = "{\"wakeAt\":\"2030-01-01T00:00:00Z\"}" };
        var suspended = run with { Status = RunStatus.Waiting, WakeAt = At(600), WaitingFor = "sleep:2", UpdatedAt = T0.AddSeconds(5) };

        // What an engine writes when the run suspends: the fence, the journal, the waiting run, and the release.
        await CommitAsync(
            JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"),
            JournalWrite.Update(done),
            JournalWrite.Insert(sleep),
            JournalWrite.Update(suspended),
            JournalWrite.ReleaseClaim(run.Id, Tenant, "engine-a"));

        AssertSameRun(suspended with { Owner = null, LeaseExpiresAt = null }, await Store.GetRunAsync(Tenant, run.Id));
        var steps = await Store.GetStepsAsync(Tenant, run.Id);
        AssertSameStep(done, steps[0]);
        AssertSameStep(sleep, steps[1]);
        // Released: its former owner is fenced out like anyone.
        var refused = await Assert.ThrowsAsync<RunOwnershipLostException>(() => CommitAsync(JournalWrite.RequireClaim(run.Id, Tenant, "engine-a")).AsTask());
        Assert.Null(refused.CurrentOwner);
    }

    [Fact]
    public async Task Releasing_gives_up_only_the_releasers_claim()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running) with { StartedAt = T0, Owner = "engine-a", LeaseExpiresAt = At(30), Input = "\"in\"" });

        await CommitAsync(JournalWrite.ReleaseClaim(run.Id, Tenant, "engine-b"));
        AssertSameRun(run, await Store.GetRunAsync(Tenant, run.Id));
        await CommitAsync(JournalWrite.ReleaseClaim(run.Id, OtherTenant, "engine-a"));
        AssertSameRun(run, await Store.GetRunAsync(Tenant, run.Id));

        await CommitAsync(JournalWrite.ReleaseClaim(run.Id, Tenant, "engine-a"));
        var released = run with { Owner = null, LeaseExpiresAt = null };
        AssertSameRun(released, await Store.GetRunAsync(Tenant, run.Id));

        await CommitAsync(JournalWrite.ReleaseClaim(run.Id, Tenant, "engine-a")); // nobody holds it: nothing to do
        AssertSameRun(released, await Store.GetRunAsync(Tenant, run.Id));
        AssertClaimedFrom(released, await Store.ClaimRunAsync(ClaimOf(run, "engine-b")), "engine-b", At(60)); // ready for anyone now
    }

    // ---- next due -----------------------------------------------------------------------------------------

    [Fact]
    public async Task Next_due_is_null_when_nothing_is_scheduled()
    {
        Assert.Null(await Store.GetNextDueAsync(["orders"], Now));

        foreach (var status in new[] { RunStatus.Succeeded, RunStatus.Failed, RunStatus.Cancelled, RunStatus.Parked })
        {
            await CreateAsync(NewRun(status));
        }
        await CreateAsync(NewRun(RunStatus.Waiting) with { WaitingFor = "event:paid" }); // waits for no time
        await CreateAsync(NewRun(workflow: "refunds")); // ready, but of a workflow not asked for
        Assert.Null(await Store.GetNextDueAsync(["orders"], Now));
        Assert.Null(await Store.GetNextDueAsync(["unknown"], Now));
        Assert.Null(await Store.GetNextDueAsync([], Now));

        Assert.Equal(DateTimeOffset.MinValue, await Store.GetNextDueAsync(["orders", "refunds"], Now));
    }

    [Theory]
    [InlineData(RunStatus.Pending)]
    [InlineData(RunStatus.Running)] // released by an engine that stopped
    public async Task Next_due_is_min_value_when_a_run_is_ready_now(RunStatus status)
    {
        await CreateAsync(NewRun(RunStatus.Waiting) with { WakeAt = At(30), WaitingFor = "sleep:1" });
        await CreateAsync(NewRun(RunStatus.Running) with { Owner = "engine-b", LeaseExpiresAt = At(10) });
        await CreateAsync(NewRun(status));

        Assert.Equal(DateTimeOffset.MinValue, await Store.GetNextDueAsync(["orders"], Now));
    }

    [Fact]
    public async Task Next_due_is_the_earliest_wake_up_or_claim_expiry_of_the_workflows_asked_for()
    {
        // Written in offsets whose texts sort unlike the instants: the earliest one has the latest text.
        var earliestLease = Now.AddSeconds(20).ToOffset(TimeSpan.FromHours(14));
        await CreateAsync(NewRun(RunStatus.Waiting) with { WakeAt = Now.AddSeconds(30).ToOffset(TimeSpan.FromHours(-12)), WaitingFor = "sleep:1" });
        await CreateAsync(NewRun(RunStatus.Running) with { Owner = "engine-b", LeaseExpiresAt = earliestLease });
        await CreateAsync(NewRun(RunStatus.Pending) with { Owner = "engine-b", LeaseExpiresAt = Now.AddSeconds(25).ToOffset(TimeSpan.FromHours(-10)) });
        await CreateAsync(NewRun(RunStatus.Parked) with { WakeAt = Now.AddSeconds(1) });
        await CreateAsync(NewRun(RunStatus.Succeeded) with { Owner = "engine-b", LeaseExpiresAt = Now.AddSeconds(2) });
        var refundWake = Now.AddSeconds(5).ToOffset(TimeSpan.FromHours(-3));
        await CreateAsync(NewRun(RunStatus.Waiting, workflow: "refunds", tenant: OtherTenant) with { WakeAt = refundWake, WaitingFor = "sleep:1" });

        Assert.Equal(earliestLease, await Store.GetNextDueAsync(["orders"], Now));
        Assert.Equal(refundWake, await Store.GetNextDueAsync(["orders", "refunds"], Now));
        Assert.Equal(refundWake, await Store.GetNextDueAsync(["refunds"], Now));
    }

    [Fact]
    public async Task Next_due_of_a_wake_up_or_claim_expiry_that_has_passed_is_not_later_than_now()
    {
        await CreateAsync(NewRun(RunStatus.Waiting, workflow: "orders") with { WakeAt = At(-5), WaitingFor = "sleep:1" });
        await CreateAsync(NewRun(RunStatus.Running, workflow: "refunds") with { Owner = "engine-b", LeaseExpiresAt = At(-5) });

        Assert.True(await Store.GetNextDueAsync(["orders"], Now) <= Now);
        Assert.True(await Store.GetNextDueAsync(["refunds"], Now) <= Now);
    }

    // ---- cancel requests ----------------------------------------------------------------------------------

    private const string Reason = "ops@example.com: customer withdrew — «annulé»";

    private static CancelRequest CancelOf(RunRecord run, string reason = Reason) => new(run.TenantId, run.Id, reason, Now);

    [Fact]
    public async Task A_waiting_run_with_a_cancel_request_is_ready_at_once()
    {
        // Cancelled while it was suspending: the request was recorded for its owner, which then released it as waiting.
        // Its next execution ends it, so it must not wait for its wake-up time.
        var run = await CreateAsync(NewRun(RunStatus.Running) with { StartedAt = T0, Owner = "engine-a", LeaseExpiresAt = At(30) });
        Assert.Equal(CancelOutcome.Requested, (await Store.RequestCancelAsync(CancelOf(run))).Outcome);
        var waiting = run with { Status = RunStatus.Waiting, WakeAt = At(3600), WaitingFor = "sleep:1", UpdatedAt = T0.AddSeconds(1) };
        await CommitAsync(JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"), JournalWrite.Update(waiting), JournalWrite.ReleaseClaim(run.Id, Tenant, "engine-a"));

        Assert.Equal(DateTimeOffset.MinValue, await Store.GetNextDueAsync(["orders"], Now));
        var claimed = Assert.Single(await Store.ClaimReadyRunsAsync(ReadyClaim("engine-b", 10, "orders")));
        AssertClaimedFrom(waiting with { Owner = null, LeaseExpiresAt = null, CancelRequestedAt = Now, CancelReason = Reason }, claimed, "engine-b", At(60));
    }

    [Fact]
    public async Task Runs_can_still_be_read_after_a_cancel_request()
    {
        var run = await CreateAsync(NewRun());
        var held = await CreateAsync(NewRun(RunStatus.Running) with { StartedAt = T0, Owner = "engine-a", LeaseExpiresAt = At(30) });

        Assert.Equal(CancelOutcome.NotFound, (await Store.RequestCancelAsync(new CancelRequest(Tenant, Guid.CreateVersion7(), Reason, Now))).Outcome);
        AssertSameRun(run, await Store.GetRunAsync(Tenant, run.Id));
        Assert.Equal(CancelOutcome.Requested, (await Store.RequestCancelAsync(CancelOf(held))).Outcome);
        Assert.Equal(Reason, (await Store.GetRunAsync(Tenant, held.Id))!.CancelReason);
        Assert.Equal(CancelOutcome.Cancelled, (await Store.RequestCancelAsync(CancelOf(run))).Outcome);
        Assert.Equal(RunStatus.Cancelled, (await Store.GetRunAsync(Tenant, run.Id))!.Status);
    }

    [Fact]
    public async Task Cancelling_an_unknown_run_or_another_tenants_run_is_not_found_and_changes_nothing()
    {
        var theirs = await CreateAsync(NewRun(tenant: OtherTenant));

        var unknown = await Store.RequestCancelAsync(new CancelRequest(Tenant, Guid.CreateVersion7(), Reason, Now));
        var notOurs = await Store.RequestCancelAsync(new CancelRequest(Tenant, theirs.Id, Reason, Now));

        Assert.Equal((CancelOutcome.NotFound, (RunRecord?)null), (unknown.Outcome, unknown.Run));
        Assert.Equal((CancelOutcome.NotFound, (RunRecord?)null), (notOurs.Outcome, notOurs.Run));
        AssertSameRun(theirs, await Store.GetRunAsync(OtherTenant, theirs.Id));
    }

    [Theory]
    [InlineData(RunStatus.Succeeded)]
    [InlineData(RunStatus.Failed)]
    [InlineData(RunStatus.Cancelled)]
    public async Task Cancelling_an_ended_run_changes_nothing(RunStatus status)
    {
        var run = await CreateAsync(NewRun(status) with
        {
            StartedAt = T0,
            CompletedAt = T0.AddSeconds(1),
            Output = status == RunStatus.Succeeded ? "\"done\"" : null,
            Error = status == RunStatus.Succeeded ? null : new ErrorInfo(status == RunStatus.Failed ? ErrorKind.StepFailed : ErrorKind.Cancelled, "earlier"),
        });

        var result = await Store.RequestCancelAsync(CancelOf(run));

        Assert.Equal(CancelOutcome.AlreadyEnded, result.Outcome);
        AssertSameRun(run, await Store.GetRunAsync(Tenant, run.Id));
        AssertSameMoments(run, result.Run);
    }

    [Theory]
    [InlineData(RunStatus.Pending, null, null)] // not yet claimed
    [InlineData(RunStatus.Pending, "engine-b", -1)] // created claimed by an engine that died
    [InlineData(RunStatus.Waiting, null, null)] // suspended
    [InlineData(RunStatus.Parked, null, null)]
    [InlineData(RunStatus.Running, "engine-b", -1)] // its engine died: the claim lapsed
    [InlineData(RunStatus.Running, "engine-b", 0)] // a claim lapses at its lease
    [InlineData(RunStatus.Running, null, null)] // released by an engine that stopped
    public async Task Cancelling_a_run_no_live_engine_holds_cancels_it_at_once(RunStatus status, string? owner, int? leaseSeconds)
    {
        var run = await CreateAsync(NewRun(status) with
        {
            Input = "\"in\"",
            StartedAt = status == RunStatus.Pending ? null : T0,
            Owner = owner,
            LeaseExpiresAt = leaseSeconds is { } lease ? At(lease) : null,
            WakeAt = status == RunStatus.Waiting ? At(600) : null,
            WaitingFor = status == RunStatus.Waiting ? "sleep:4" : null,
            Error = status == RunStatus.Parked ? new ErrorInfo(ErrorKind.NonDeterminism, "recorded 'a', the code calls 'b'") : null,
            DeadlineAt = At(3600),
            ForkedFromRunId = Guid.CreateVersion7(),
        });

        var result = await Store.RequestCancelAsync(CancelOf(run));

        Assert.Equal(CancelOutcome.Cancelled, result.Outcome);
        var stored = await Store.GetRunAsync(Tenant, run.Id);
        Assert.NotNull(stored);
        Assert.Equal(RunStatus.Cancelled, stored.Status);
        Assert.Equal(ErrorKind.Cancelled, stored.Error!.Kind);
        Assert.Equal(Reason, stored.Error.Message);
        SameMoment(Now, stored.CompletedAt, nameof(RunRecord.CompletedAt));
        // Released and no longer waiting; everything else as it was.
        AssertSameMoments(run with
        {
            Status = RunStatus.Cancelled,
            Error = stored.Error,
            CompletedAt = stored.CompletedAt,
            UpdatedAt = stored.UpdatedAt,
            Owner = null,
            LeaseExpiresAt = null,
            WakeAt = null,
            WaitingFor = null,
            CancelRequestedAt = stored.CancelRequestedAt,
            CancelReason = stored.CancelReason,
        }, stored);
        AssertSameMoments(stored, result.Run);

        // Final: nobody claims it, nothing is due, and a second request finds it ended.
        Assert.Null(await Store.ClaimRunAsync(ClaimOf(run, "engine-a")));
        Assert.Null(await Store.GetNextDueAsync(["orders"], Now));
        Assert.Equal(CancelOutcome.AlreadyEnded, (await Store.RequestCancelAsync(CancelOf(run, "again"))).Outcome);
        Assert.Equal(Reason, (await Store.GetRunAsync(Tenant, run.Id))!.Error!.Message);
    }

    [Fact]
    public async Task Cancelling_a_run_a_live_engine_holds_records_the_request_for_its_owner()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running) with { Input = "\"in\"", StartedAt = T0, Owner = "engine-a", LeaseExpiresAt = At(30) });

        var result = await Store.RequestCancelAsync(CancelOf(run));

        Assert.Equal(CancelOutcome.Requested, result.Outcome);
        var requested = run with { CancelRequestedAt = Now, CancelReason = Reason };
        AssertSameMoments(requested, await Store.GetRunAsync(Tenant, run.Id)); // still running, still the owner's
        AssertSameMoments(requested, result.Run);
        var state = Assert.Single(await Store.RenewClaimsAsync(new ClaimRenewal("engine-a", [run.Id], Now, At(60))));
        Assert.True(state.Held);
        Assert.Equal(Now, state.CancelRequestedAt);
        Assert.Equal(Reason, state.CancelReason);

        // The owner's updates do not erase the request; the owner ends the run.
        await CommitAsync(JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"), JournalWrite.Update(run with { UpdatedAt = T0.AddMinutes(1) }));
        Assert.Equal(Now, (await Store.GetRunAsync(Tenant, run.Id))!.CancelRequestedAt);
        var cancelled = run with { Status = RunStatus.Cancelled, Error = new ErrorInfo(ErrorKind.Cancelled, Reason), CompletedAt = T0.AddMinutes(2), UpdatedAt = T0.AddMinutes(2) };
        await CommitAsync(JournalWrite.RequireClaim(run.Id, Tenant, "engine-a"), JournalWrite.Update(cancelled), JournalWrite.ReleaseClaim(run.Id, Tenant, "engine-a"));
        AssertSameRun(cancelled with { Owner = null, LeaseExpiresAt = null, CancelRequestedAt = Now, CancelReason = Reason }, await Store.GetRunAsync(Tenant, run.Id));
    }
}
