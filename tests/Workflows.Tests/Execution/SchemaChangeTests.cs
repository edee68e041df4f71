using Workflows.Journal;
using Workflows.Storage;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows.Execution;

namespace Workflows.Tests.Execution;

/// <summary>A run recorded under another schema is parked with an error that says which step or type changed, and where.</summary>
public abstract class SchemaChangeTests : ExecutionTestBase
{
    [Fact]
    public async Task A_schema_mismatch_names_the_step_whose_type_changed_and_the_member_from_the_kept_shapes()
    {
        // Another build recorded the run, and kept its shape; this build's "fragile" result type renamed a member.
        // The generator's line format: one line per signature, run type and step; a step name may hold spaces.
        const string recordedShape = "workflow:exec-interruptible\nrun:input string\nrun:output string\n" +
            "step:fragile Step(string)->string in:string out:object(R{\"name\"!:string;\"total\"!:decimal;})\n" +
            "step:pack it Step(string)->string in:string out:string\n";
        const string currentShape = "workflow:exec-interruptible\nrun:input string\nrun:output string\n" +
            "step:fragile Step(string)->string in:string out:object(R{\"name\"!:string;\"amount\"!:decimal;})\n" +
            "step:pack it Step(string)->string in:string out:string\n";
        var current = InterruptibleWorkflow.Definition.WithSchema("v-now", currentShape);
        await Store.SaveSchemaAsync(new SchemaRecord(current.Name, "v-then", recordedShape, DateTimeOffset.UtcNow));
        var run = await CreateRunAsync(current, "\"parcel\"", RunStatus.Pending, schemaVersion: "v-then");

        var engine = await EngineAsync(new ExecutionProbe(), [current]);
        var handle = await engine.ResumeAsync(run.Id);
        var parked = await Assert.ThrowsAsync<WorkflowRunParkedException>(() => handle.Completion.WaitAsync(Guard));

        Assert.Equal(ErrorKind.SchemaMismatch, parked.Error.Kind);
        var mismatch = Assert.IsType<SchemaMismatchException>(parked.InnerException);
        Assert.Contains("step:fragile changed", mismatch.Message);
        Assert.Contains("\"total\"!:decimal", mismatch.Message);
        Assert.Contains("\"amount\"!:decimal", mismatch.Message);
        Assert.DoesNotContain("run:input", mismatch.Message);
        Assert.DoesNotContain("step:pack it", mismatch.Message); // a step whose name holds a space, unchanged
        Assert.Equal(("v-then", "v-now"), (mismatch.RecordedVersion, mismatch.CurrentVersion));
    }

    [Fact]
    public async Task Starting_a_run_keeps_its_definitions_shape_in_the_journal()
    {
        var current = InterruptibleWorkflow.Definition.WithSchema("v-kept", "step:fragile result{x!:int}");
        var engine = await EngineAsync(new ExecutionProbe(), [current]);
        await (await engine.StartAsync(current, "parcel")).GetResultAsync().WaitAsync(Guard);

        var kept = await Store.GetSchemaAsync(current.Name, "v-kept");
        Assert.Equal("step:fragile result{x!:int}", kept?.Shape);
    }
}

public sealed class InMemorySchemaChangeTests : SchemaChangeTests
{
    protected override IJournalHarness CreateHarness() => new InMemoryJournal();
}

public sealed class SqliteSchemaChangeTests : SchemaChangeTests
{
    protected override IJournalHarness CreateHarness() => new SqliteJournal();
}
