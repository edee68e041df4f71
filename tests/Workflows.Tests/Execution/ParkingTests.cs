using Workflows.Journal;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows.Execution;

namespace Workflows.Tests.Execution;

/// <summary>
/// What only a person can fix parks a run (not final, not retried, listed with its error) while the engine goes on;
/// an explicit resume after the fix completes it.
/// </summary>
public abstract class ParkingTests : ExecutionTestBase
{
    private const string OldSchema = "0123456789abcdef";

    [Fact]
    public async Task A_schema_mismatch_parks_the_run_the_engine_keeps_working_and_accepting_the_change_completes_it()
    {
        var probe = new ExecutionProbe();
        var engine = await EngineAsync(probe, [DoublingWorkflow.Definition]);
        var old = await CreateRunAsync(DoublingWorkflow.Definition, "21", schemaVersion: OldSchema);
        var handle = await engine.GetRunAsync(DoublingWorkflow.Definition, old.Id);

        var parked = await Assert.ThrowsAsync<WorkflowRunParkedException>(() => handle.GetResultAsync().WaitAsync(Guard));
        Assert.Equal(ErrorKind.SchemaMismatch, parked.Error.Kind);
        Assert.Equal(old.Id, parked.RunId);
        var stored = await GetRunAsync(old.Id);
        Assert.Equal(RunStatus.Parked, stored.Status);
        Assert.Equal(ErrorKind.SchemaMismatch, stored.Error!.Kind);
        Assert.Contains(OldSchema, stored.Error.Message);
        Assert.Equal(OldSchema, stored.SchemaVersion);
        Assert.Null(stored.Owner);
        Assert.Null(stored.CompletedAt);
        Assert.Contains(old.Id, (await engine.ListParkedRunsAsync()).Runs.Select(r => r.Id));
        Assert.Equal(0, probe.Calls("double"));

        // The engine goes on: a start completes, and so does a run only its scheduler can pick up (created after the
        // parked one, so a scheduler that took parked runs would have taken that one first).
        Assert.Equal(10, await engine.RunAsync(DoublingWorkflow.Definition, 5).WaitAsync(Guard));
        var queued = await CreateRunAsync(DoublingWorkflow.Definition, "6");
        Assert.Equal(12, await (await engine.GetRunAsync(DoublingWorkflow.Definition, queued.Id)).GetResultAsync().WaitAsync(Guard));
        Assert.Equal(RunStatus.Parked, (await GetRunAsync(old.Id)).Status);
        Assert.Equal(0, probe.Calls("double:21"));

        // Resumed without accepting the change: parked again, nothing ran.
        var refused = await engine.ResumeAsync(old.Id);
        await Assert.ThrowsAsync<WorkflowRunParkedException>(() => refused.Completion.WaitAsync(Guard));
        Assert.Equal(RunStatus.Parked, (await GetRunAsync(old.Id)).Status);
        Assert.Equal(0, probe.Calls("double:21"));

        var resumed = await engine.ResumeAsync(DoublingWorkflow.Definition, old.Id, acceptSchemaChange: true);
        Assert.Equal(42, await resumed.GetResultAsync().WaitAsync(Guard));
        var done = await GetRunAsync(old.Id);
        Assert.Equal(RunStatus.Succeeded, done.Status);
        Assert.Equal(DoublingWorkflow.Definition.SchemaVersion, done.SchemaVersion);
        Assert.Null(done.Error);
        Assert.DoesNotContain(old.Id, (await engine.ListParkedRunsAsync()).Runs.Select(r => r.Id));
    }

    [Fact]
    public async Task Non_determinism_parks_the_run_with_its_journal_unchanged_and_the_fixed_definition_resumes_it()
    {
        // An earlier deploy ran alpha, then its process died.
        var run = await CreateRunAsync(OrderedWorkflow.Definition, "\"in\"", RunStatus.Running);
        var alpha = RecordedStep(run, 1, "alpha", "\"in>alpha@earlier\"");
        await InsertAsync(alpha);

        // The broken deploy calls beta first: same steps and signatures, so the same schema version.
        Assert.Equal(OrderedWorkflow.Definition.SchemaVersion, OrderedWorkflow.ReorderedDefinition.SchemaVersion);
        var broken = new ExecutionProbe("broken");
        var engine1 = await EngineAsync(broken, [OrderedWorkflow.ReorderedDefinition]);
        var handle = await engine1.ResumeAsync(run.Id);

        var parked = await Assert.ThrowsAsync<WorkflowRunParkedException>(() => handle.Completion.WaitAsync(Guard));
        Assert.Equal(ErrorKind.NonDeterminism, parked.Error.Kind);
        var stored = await GetRunAsync(run.Id);
        Assert.Equal(RunStatus.Parked, stored.Status);
        Assert.Equal(ErrorKind.NonDeterminism, stored.Error!.Kind);
        Assert.Contains("'alpha'", stored.Error.Message);
        Assert.Contains("'beta'", stored.Error.Message);
        Assert.Null(stored.Owner);
        Assert.Equal([alpha], await GetStepsAsync(run.Id));
        Assert.Equal(0, broken.Calls("alpha") + broken.Calls("beta"));
        Assert.Contains(run.Id, (await engine1.ListParkedRunsAsync()).Runs.Select(r => r.Id));
        await StopAsync(engine1);

        // The fix is deployed. Its scheduler leaves the parked run alone (a later run goes through)...
        var fixedProbe = new ExecutionProbe("fixed");
        var engine2 = await EngineAsync(fixedProbe, [OrderedWorkflow.Definition]);
        var queued = await CreateRunAsync(OrderedWorkflow.Definition, "\"later\"");
        Assert.Equal("later>alpha@fixed>beta@fixed",
            await (await engine2.GetRunAsync(OrderedWorkflow.Definition, queued.Id)).GetResultAsync().WaitAsync(Guard));
        Assert.Equal(RunStatus.Parked, (await GetRunAsync(run.Id)).Status);

        // ...until it is resumed: alpha replays, beta runs.
        var resumed = await engine2.ResumeAsync(OrderedWorkflow.Definition, run.Id);
        Assert.Equal("in>alpha@earlier>beta@fixed", await resumed.GetResultAsync().WaitAsync(Guard));
        Assert.Equal(1, fixedProbe.Calls("alpha")); // the later run's, not the resumed one's
        Assert.Equal(2, fixedProbe.Calls("beta"));
        Assert.Equal(RunStatus.Succeeded, (await GetRunAsync(run.Id)).Status);
        Assert.Equal(alpha, (await GetStepsAsync(run.Id))[0]);
    }

    [Fact]
    public async Task A_missing_constructor_service_parks_the_run_a_later_engine_leaves_it_parked_and_one_with_the_service_resumes_it()
    {
        var without = new ExecutionProbe("without");
        var engine1 = await EngineAsync(without);
        var run = await engine1.StartAsync(ServiceWorkflow.Definition, "ada");

        var parked = await Assert.ThrowsAsync<WorkflowRunParkedException>(() => run.GetResultAsync().WaitAsync(Guard));
        Assert.Equal(ErrorKind.MissingService, parked.Error.Kind);
        Assert.IsType<WorkflowConstructionException>(parked.InnerException);
        Assert.Contains(nameof(IGreetingService), parked.Error.Message);
        var stored = await GetRunAsync(run.RunId);
        Assert.Equal(RunStatus.Parked, stored.Status);
        Assert.Equal(ErrorKind.MissingService, stored.Error!.Kind);
        Assert.Null(stored.Owner);
        Assert.Contains(run.RunId, (await engine1.ListParkedRunsAsync(tenantId: Tenant)).Runs.Select(r => r.Id));
        await StopAsync(engine1);

        // Another engine, with the service, started later: its scheduler does not claim the parked run.
        var with = new ExecutionProbe("with");
        var engine2 = await EngineAsync(with, [ServiceWorkflow.Definition], services: [new GreetingService("Hello")]);
        var queued = await CreateRunAsync(ServiceWorkflow.Definition, "\"grace\"");
        Assert.Equal("Hello, grace", await (await engine2.GetRunAsync(ServiceWorkflow.Definition, queued.Id)).GetResultAsync().WaitAsync(Guard));
        var left = await GetRunAsync(run.RunId);
        Assert.Equal(RunStatus.Parked, left.Status);
        Assert.Null(left.Owner);
        Assert.Equal(1, with.Calls("greet"));

        var resumed = await engine2.ResumeAsync(ServiceWorkflow.Definition, run.RunId);
        Assert.Equal("Hello, ada", await resumed.GetResultAsync().WaitAsync(Guard));
        Assert.Equal(RunStatus.Succeeded, (await GetRunAsync(run.RunId)).Status);
        Assert.Empty((await engine2.ListParkedRunsAsync()).Runs);
    }
}

public sealed class InMemoryParkingTests : ParkingTests
{
    protected override IJournalHarness CreateHarness() => new InMemoryJournal();
}

public sealed class SqliteParkingTests : ParkingTests
{
    protected override IJournalHarness CreateHarness() => new SqliteJournal();
}

public sealed class PostgreSqlParkingTests : ParkingTests
{
    protected override IJournalHarness CreateHarness() => new PostgreSqlJournal();
}
