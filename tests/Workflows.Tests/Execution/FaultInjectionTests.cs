using Microsoft.Data.Sqlite;
using Npgsql;
using Workflows.Journal;
using Workflows.Storage;
using Workflows.Testing;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows;
using Workflows.Tests.TestWorkflows.Execution;

namespace Workflows.Tests.Execution;

/// <summary>
/// Faults injected at the engine's and the stores' points (<see cref="WorkflowFaults"/>): whatever fails, and when, the run
/// ends as it should: with its crash-free output, every step body run once, nothing recorded lost, and the fault seen.
/// </summary>
public abstract class FaultInjectionTests : ExecutionTestBase
{
    protected WorkflowFaults Faults { get; } = new();

    private static StoreUnavailableException Unavailable() => new("injected: the store is unavailable");

    /// <summary>Runs CountedWorkflow(4) to its end and checks what a crash-free run gives.</summary>
    private async Task<Guid> RunToTheEndAsync(WorkflowEngine engine, ExecutionProbe probe)
    {
        var run = await engine.StartAsync(CountedWorkflow.Definition, 4);
        Assert.Equal("4->53", await run.GetResultAsync().WaitAsync(Guard));
        await AssertRecordedOnceAsync(run.RunId, probe);
        return run.RunId;
    }

    private async Task AssertRecordedOnceAsync(Guid runId, ExecutionProbe probe)
    {
        var steps = await Store.GetStepsAsync(Tenant, runId);
        Assert.Equal(["add-one", "times-ten", "add-three"], steps.Select(s => s.Name));
        // An execution abandoned after a commit that carried the next step's start leaves that step begun: its next attempt
        // counts it as interrupted, never as failed (no retry budget spent).
        Assert.All(steps, s => Assert.Equal((StepStatus.Succeeded, 0), (s.Status, s.FailedAttempts)));
        Assert.True(steps.Sum(s => s.InterruptedAttempts) <= 1, "more than one step was found begun by the abandoned execution");
        Assert.Equal(["5", "50", "53"], steps.Select(s => s.Output));
        foreach (var name in new[] { "add-one", "times-ten", "add-three" })
        {
            Assert.Equal(1, probe.Calls($"{runId}/{name}"));
        }
        Assert.Equal(RunStatus.Succeeded, (await Store.GetRunAsync(Tenant, runId))!.Status);
    }

    [Theory]
    [InlineData(FaultPoint.BeforeStepCommit, 0)]
    [InlineData(FaultPoint.BeforeStepCommit, 1)]
    [InlineData(FaultPoint.BeforeRunEndCommit, 0)]
    public async Task A_store_unavailable_before_a_commit_is_retried_and_the_run_ends_as_without_it(FaultPoint point, int skip)
    {
        var probe = new ExecutionProbe();
        Faults.Arm(point, Unavailable, times: 3, skip: skip);
        var engine = await EngineAsync(probe, [CountedWorkflow.Definition], faults: Faults);

        await RunToTheEndAsync(engine, probe);
        Assert.Equal(3, Faults.Fired(point));
    }

    [Fact]
    public async Task Failed_claim_renewals_within_the_lease_leave_the_run_with_its_engine_and_it_ends_as_without_them()
    {
        var probe = new ExecutionProbe().Set("hold-work");
        // Renewals every third of the lease: two fail, the third (within the lease) renews it.
        Faults.Arm(FaultPoint.ClaimRenewal, Unavailable, times: 2);
        var engine = await EngineAsync(probe, [TakeoverWorkflow.Definition], faults: Faults, leaseDuration: TimeSpan.FromSeconds(3));

        var run = await engine.StartAsync(TakeoverWorkflow.Definition, "in");
        await Raised(probe, "work-entered");
        await WaitUntilAsync(() => Faults.Fired(FaultPoint.ClaimRenewal) == 2, "two renewals failed");
        var stored = await Store.GetRunAsync(Tenant, run.RunId);
        Assert.Equal(engine.WorkerId, stored!.Owner);
        probe.Raise("release-work");

        Assert.Equal("in>prepare@probe>work@probe>finish@probe", await run.GetResultAsync().WaitAsync(Guard));
        Assert.Equal((1, 1, 1), (probe.Calls("prepare"), probe.Calls("work"), probe.Calls("finish")));
    }

    [Theory]
    [InlineData(FaultPoint.AfterStepCommit, 0)]
    [InlineData(FaultPoint.AfterStepCommit, 1)]
    [InlineData(FaultPoint.AfterRunEndCommit, 0)]
    public async Task An_engine_that_dies_right_after_a_commit_leaves_it_recorded_and_a_new_engine_runs_no_recorded_step_again(FaultPoint point, int skip)
    {
        // The fault stands for the process dying the moment the store applied the commit: the engine abandons the run
        // (not the store's unavailability, which would mean nothing was applied) and stops; another engine recovers it.
        var probe = new ExecutionProbe();
        Faults.Arm(point, () => new InvalidOperationException("injected: the process died after the commit"), skip: skip);
        var engine = await EngineAsync(probe, [CountedWorkflow.Definition], faults: Faults, onBackgroundError: _ => { });

        var run = await engine.StartAsync(CountedWorkflow.Definition, 4);
        await WaitUntilAsync(() => Faults.Fired(point) == 1, "the fault struck");
        await StopAsync(engine);

        var again = await EngineAsync(probe, [CountedWorkflow.Definition], workerId: "engine-2");
        await again.InitializeAsync();
        await WaitForStatusAsync(run.RunId, RunStatus.Succeeded);
        await AssertRecordedOnceAsync(run.RunId, probe);
    }

    [Fact]
    public async Task A_fault_that_is_not_the_stores_unavailability_abandons_the_execution_and_a_new_engine_finishes_the_run()
    {
        var probe = new ExecutionProbe();
        Faults.Arm(FaultPoint.BeforeStepCommit, () => new InvalidOperationException("injected: the commit path broke"), skip: 1);
        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var engine = await EngineAsync(probe, [CountedWorkflow.Definition], faults: Faults, onBackgroundError: errors.Enqueue);

        var run = await engine.StartAsync(CountedWorkflow.Definition, 4);
        await WaitUntilAsync(() => Faults.Fired(FaultPoint.BeforeStepCommit) == 1, "the fault struck");
        await StopAsync(engine);

        // The first step's outcome committed (it rode the second step's start marker, or was refused whole): a new
        // "process" replays what was recorded and runs only what was not.
        var again = await EngineAsync(probe, [CountedWorkflow.Definition], workerId: "engine-2");
        await again.InitializeAsync();
        await WaitForStatusAsync(run.RunId, RunStatus.Succeeded);
        var steps = await Store.GetStepsAsync(Tenant, run.RunId);
        Assert.All(steps, s => Assert.Equal(StepStatus.Succeeded, s.Status));
        Assert.Equal("4->53", (await Store.GetRunAsync(Tenant, run.RunId))!.Output?.Trim('"'));
        // No step body ran twice but the one whose outcome the fault kept from committing.
        Assert.Equal(1, probe.Calls($"{run.RunId}/add-one"));
        Assert.Equal(1, probe.Calls($"{run.RunId}/add-three"));
        Assert.InRange(probe.Calls($"{run.RunId}/times-ten"), 1, 2);
    }
}

public sealed class InMemoryFaultInjectionTests : FaultInjectionTests
{
    protected override IJournalHarness CreateHarness() => new InMemoryJournal();
}

public sealed class SqliteFaultInjectionTests : FaultInjectionTests
{
    private readonly WorkflowFaults _connection = new();

    protected override IJournalHarness CreateHarness() => new SqliteJournal(_connection);

    [Theory]
    [InlineData(5)]  // SQLITE_BUSY: locked past the busy timeout
    [InlineData(10)] // SQLITE_IOERR: an I/O error
    public async Task A_busy_or_failing_database_under_a_commit_is_the_stores_unavailability_and_the_run_ends_as_without_it(int sqliteError)
    {
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe, [CountedWorkflow.Definition]);
        var run = await engine.StartAsync(CountedWorkflow.Definition, 4);
        _connection.Arm(FaultPoint.StoreConnection, () => new SqliteException("injected", sqliteError), times: 3);

        Assert.Equal("4->53", await run.GetResultAsync().WaitAsync(Guard));
        Assert.Equal(3, _connection.Fired(FaultPoint.StoreConnection));
        var steps = await Store.GetStepsAsync(Tenant, run.RunId);
        Assert.All(steps, s => Assert.Equal((StepStatus.Succeeded, 1), (s.Status, s.Attempt)));
        Assert.Equal(1, probe.Calls($"{run.RunId}/times-ten"));
    }
}

public sealed class PostgreSqlFaultInjectionTests : FaultInjectionTests
{
    private readonly WorkflowFaults _connection = new();

    protected override IJournalHarness CreateHarness() => new PostgreSqlJournal(_connection);

    [Theory]
    [InlineData("io")]     // the socket failed
    [InlineData("55P03")]  // lock_not_available
    [InlineData("57P01")]  // admin_shutdown: the server is restarting
    public async Task A_connection_error_or_a_busy_server_under_a_commit_is_the_stores_unavailability_and_the_run_ends_as_without_it(string fault)
    {
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe, [CountedWorkflow.Definition]);
        var run = await engine.StartAsync(CountedWorkflow.Definition, 4);
        _connection.Arm(FaultPoint.StoreConnection,
            () => fault == "io" ? new NpgsqlException("injected", new IOException("injected: connection reset")) : new PostgresException("injected", "ERROR", "ERROR", fault),
            times: 3);

        Assert.Equal("4->53", await run.GetResultAsync().WaitAsync(Guard));
        Assert.Equal(3, _connection.Fired(FaultPoint.StoreConnection));
        var steps = await Store.GetStepsAsync(Tenant, run.RunId);
        Assert.All(steps, s => Assert.Equal((StepStatus.Succeeded, 1), (s.Status, s.Attempt)));
        Assert.Equal(1, probe.Calls($"{run.RunId}/times-ten"));
    }
}
