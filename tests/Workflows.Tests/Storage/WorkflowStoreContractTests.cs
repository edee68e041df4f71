using System.Globalization;
using Workflows.Journal;
using Workflows.Storage;

namespace Workflows.Tests.Storage;

/// <summary>
/// What every <see cref="IWorkflowStore"/> must do. A store's test class derives from this one and says how to
/// create a fresh, empty store; each test gets its own store, initialized, and disposed afterwards.
/// </summary>
public abstract class WorkflowStoreContractTests : IAsyncLifetime
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
    };

    private static void SameInstant(DateTimeOffset? expected, DateTimeOffset? actual, string field)
    {
        Assert.True(expected.HasValue == actual.HasValue, $"{field}: expected {(expected.HasValue ? "a value" : "null")}, got {actual?.ToString("O") ?? "null"}.");
        if (expected is { } e && actual is { } a)
        {
            Assert.True(e.Ticks == a.Ticks && e.Offset == a.Offset, $"{field}: expected {e:O}, got {a:O}.");
        }
    }

    /// <summary>Field-by-field equality, also exact on DateTimeOffset offsets (which record equality ignores).</summary>
    protected static void AssertSameRun(RunRecord expected, RunRecord? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected, actual);
        SameInstant(expected.CreatedAt, actual.CreatedAt, nameof(RunRecord.CreatedAt));
        SameInstant(expected.StartedAt, actual.StartedAt, nameof(RunRecord.StartedAt));
        SameInstant(expected.CompletedAt, actual.CompletedAt, nameof(RunRecord.CompletedAt));
        SameInstant(expected.UpdatedAt, actual.UpdatedAt, nameof(RunRecord.UpdatedAt));
        SameInstant(expected.LeaseExpiresAt, actual.LeaseExpiresAt, nameof(RunRecord.LeaseExpiresAt));
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
    }

    [Fact]
    public async Task Empty_strings_stay_empty_and_are_not_confused_with_null()
    {
        var run = await CreateAsync(NewRun() with { Input = "", Output = "", Owner = "", SchemaVersion = "" });
        var step = NewStep(run, 1) with { Input = "", Output = "", DebugMessages = "", Name = "" };
        await CommitAsync(JournalWrite.Insert(step));

        AssertSameRun(run, await Store.GetRunAsync(Tenant, run.Id));
        AssertSameStep(step, await GetStepAsync(run, 1));
    }

    [Fact]
    public async Task Run_updated_with_every_field_round_trips_exactly_except_what_it_was_created_as()
    {
        var run = await CreateAsync(NewRun(RunStatus.Running));
        var updated = FullRun() with { Id = run.Id, Status = RunStatus.Failed };

        await CommitAsync(JournalWrite.Update(updated));

        // The workflow, idempotency key and creation time are the run's identity: an update cannot rewrite them.
        AssertSameRun(updated with { Workflow = run.Workflow, IdempotencyKey = run.IdempotencyKey, CreatedAt = run.CreatedAt },
            await Store.GetRunAsync(Tenant, run.Id));
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
        var run = await CreateAsync(NewRun() with { CreatedAt = at, StartedAt = at.AddTicks(-1), CompletedAt = at.AddTicks(-2), UpdatedAt = at, LeaseExpiresAt = at.AddTicks(-3) });
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
    ];

    private static readonly HashSet<(StepStatus, StepStatus)> LegalStepTransitions =
    [
        (StepStatus.Pending, StepStatus.Pending),
        (StepStatus.Pending, StepStatus.Running),
        (StepStatus.Running, StepStatus.Running),
        (StepStatus.Pending, StepStatus.Succeeded),
        (StepStatus.Running, StepStatus.Succeeded),
        (StepStatus.Pending, StepStatus.Failed),
        (StepStatus.Running, StepStatus.Failed),
        (StepStatus.Pending, StepStatus.Skipped),
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
        var run = await CreateAsync(NewRun(from));
        var update = run with
        {
            Status = to,
            Output = "\"out\"",
            Owner = "worker-2",
            StartedAt = T0.AddSeconds(1),
            UpdatedAt = T0.AddSeconds(2),
            LeaseExpiresAt = T0.AddMinutes(1),
        };

        if (LegalRunTransitions.Contains((from, to)))
        {
            await CommitAsync(JournalWrite.Update(update));
            AssertSameRun(update, await Store.GetRunAsync(Tenant, run.Id));
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

        Assert.Equal(6, (await Store.ListRunsAsync(new RunQuery { Statuses = [] })).Count);
        Assert.Equal(6, (await Store.ListRunsAsync(new RunQuery { Statuses = null })).Count);
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
}
