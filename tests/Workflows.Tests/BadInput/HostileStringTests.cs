using Workflows.Journal;
using Workflows.Storage;
using Workflows.Tests.Replay;
using Workflows.Tests.TestWorkflows.Execution;

namespace Workflows.Tests.BadInput;

/// <summary>
/// Strings a caller passes at run time (event names, tenant ids, idempotency keys, a workflow name to filter by) holding
/// SQL metacharacters, invisible characters or 100 KB. Each field either takes the string and gives it back exactly, or
/// refuses it up front with an <see cref="ArgumentException"/> naming the field and the value, and nothing is recorded.
/// What each field takes is decided by the engine's rules: event names 1 to 200 characters and tenant ids 1 to 100, neither
/// blank nor with control characters (U+200B and U+202E are format characters, not control ones); idempotency keys 1 to
/// 200 characters of anything.
/// </summary>
public abstract class HostileStringTests : BadInputTestBase
{
    /// <summary>The hostile strings, by a label (xunit's test names stay printable).</summary>
    public static string Hostile(string label) => label switch
    {
        "sql" => "'; DROP TABLE workflow_runs; --",
        "sql-quoted" => "\"x\" OR 1=1; DELETE FROM workflow_steps WHERE ''='",
        "zero-width-space" => "a\u200Bb",
        "rtl-override" => "pay\u202Egnp.exe",
        "nul" => "a\u0000b",
        "100kb" => new string('k', 100 * 1024),
        _ => throw new ArgumentOutOfRangeException(nameof(label), label, "No such hostile string."),
    };

    public static TheoryData<string> Labels => ["sql", "sql-quoted", "zero-width-space", "rtl-override", "nul", "100kb"];

    private static bool IsControlOrOverlong(string value, int max) => value.Length > max || value.Any(char.IsControl);

    /// <summary>
    /// Whether the store's text columns can hold U+0000. PostgreSQL's text cannot: its store refuses such a value with an
    /// <see cref="ArgumentException"/> naming it (escaped) before it reaches the server, for fields the engine lets through.
    /// </summary>
    protected virtual bool TextHoldsNul => true;

    /// <summary>The PostgreSQL store's refusal of a value holding U+0000, and nothing recorded.</summary>
    private async Task AssertNulRefusedAsync(Func<Task> call, JournalState before)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(call);
        Assert.Contains("U+0000", error.Message);
        Assert.Contains("'a\\0b'", error.Message); // the value, escaped
        await AssertJournalUnchangedAsync(before);
    }

    [Theory]
    [MemberData(nameof(Labels))]
    public async Task An_event_name_round_trips_exactly_or_is_refused_naming_it(string label)
    {
        var name = Hostile(label);
        var run = await CreateRunAsync(DoublingWorkflow.Definition, "1", RunStatus.Waiting);
        var engine = await EngineAsync(); // the workflow is not registered here: the run stays as it is
        var before = await ReadJournalAsync();

        if (IsControlOrOverlong(name, 200))
        {
            var error = await Assert.ThrowsAsync<ArgumentException>(() => engine.SendEventAsync(run.Id, name, "payload"));
            Assert.Equal("name", error.ParamName);
            Assert.Contains($"Event name '{name}'", error.Message);
            Assert.Empty(await Store.GetEventsAsync(new EventQuery(Tenant, run.Id) { IncludeConsumed = true }));
        }
        else
        {
            var sent = await engine.SendEventAsync(run.Id, name, "payload");
            Assert.Equal(name, sent.Name);
            var stored = Assert.Single(await Store.GetEventsAsync(new EventQuery(Tenant, run.Id) { IncludeConsumed = true }));
            Assert.Equal((name, "\"payload\""), (stored.Name, stored.Payload));
            before = before with { Runs = [.. before.Runs.Select(r => r with { WakeRequestedAt = null })] };
            var after = await ReadJournalAsync();
            Assert.Equal(before.Runs, after.Runs.Select(r => r with { WakeRequestedAt = null })); // an event only asks to wake its run
            Assert.Equal(before.Steps, after.Steps);
            return;
        }
        await AssertJournalUnchangedAsync(before);
    }

    [Theory]
    [MemberData(nameof(Labels))]
    public async Task A_tenant_id_round_trips_exactly_or_is_refused_naming_it(string label)
    {
        var tenant = Hostile(label);
        var engine = await EngineAsync(definitions: [DoublingWorkflow.Definition]);
        var before = await ReadJournalAsync();

        if (IsControlOrOverlong(tenant, 100))
        {
            var error = await Assert.ThrowsAsync<ArgumentException>(() => engine.StartAsync(DoublingWorkflow.Definition, 3, new StartOptions { TenantId = tenant }));
            Assert.Equal("tenantId", error.ParamName);
            Assert.Contains($"Tenant id '{tenant}'", error.Message);
            await AssertJournalUnchangedAsync(before);
            return;
        }

        var run = await engine.StartAsync(DoublingWorkflow.Definition, 3, new StartOptions { TenantId = tenant });
        Assert.Equal(6, await run.GetResultAsync().WaitAsync(Guard));
        var stored = await GetRunAsync(run.RunId, tenant);
        Assert.Equal((tenant, RunStatus.Succeeded), (stored.TenantId, stored.Status));
        Assert.All(await GetStepsAsync(run.RunId, tenant), s => Assert.Equal(tenant, s.TenantId));
        Assert.Equal(run.RunId, Assert.Single((await engine.ListRunsAsync(new RunQuery { TenantId = tenant })).Runs).Id);
        Assert.Empty((await engine.ListRunsAsync(new RunQuery { TenantId = Tenant })).Runs); // no other tenant sees it
        await Assert.ThrowsAsync<WorkflowNotFoundException>(() => engine.GetRunAsync(run.RunId, Tenant));
    }

    [Theory]
    [MemberData(nameof(Labels))]
    public async Task An_idempotency_key_round_trips_exactly_and_deduplicates_or_is_refused_naming_it(string label)
    {
        var key = Hostile(label);
        var engine = await EngineAsync(definitions: [DoublingWorkflow.Definition]);
        var before = await ReadJournalAsync();

        if (key.Length > 200)
        {
            var error = await Assert.ThrowsAsync<ArgumentException>(() => engine.StartAsync(DoublingWorkflow.Definition, 3, new StartOptions { IdempotencyKey = key }));
            Assert.Contains($"Idempotency key '{key}'", error.Message);
            await AssertJournalUnchangedAsync(before);
            return;
        }
        if (key.Contains('\0') && !TextHoldsNul)
        {
            await AssertNulRefusedAsync(() => engine.StartAsync(DoublingWorkflow.Definition, 3, new StartOptions { IdempotencyKey = key }), before);
            return;
        }

        var first = await engine.StartAsync(DoublingWorkflow.Definition, 3, new StartOptions { IdempotencyKey = key });
        Assert.Equal(6, await first.GetResultAsync().WaitAsync(Guard));
        var again = await engine.StartAsync(DoublingWorkflow.Definition, 3, new StartOptions { IdempotencyKey = key });
        Assert.Equal(first.RunId, again.RunId);
        var stored = Assert.Single(await Store.ListRunsAsync(new RunQuery()));
        Assert.Equal(key, stored.IdempotencyKey);

        // A key that differs by one invisible character is another key.
        var other = await engine.StartAsync(DoublingWorkflow.Definition, 4, new StartOptions { IdempotencyKey = key + "\u200B" });
        Assert.NotEqual(first.RunId, other.RunId);
    }

    [Theory]
    [MemberData(nameof(Labels))]
    public async Task A_workflow_name_to_filter_runs_by_matches_nothing_it_does_not_name_and_changes_nothing(string label)
    {
        var engine = await EngineAsync(definitions: [DoublingWorkflow.Definition]);
        Assert.Equal(2, await engine.RunAsync(DoublingWorkflow.Definition, 1).WaitAsync(Guard));
        var before = await ReadJournalAsync();
        if (label == "nul" && !TextHoldsNul)
        {
            await AssertNulRefusedAsync(() => engine.ListRunsAsync(new RunQuery { Workflow = Hostile(label) }), before);
            return;
        }

        var page = await engine.ListRunsAsync(new RunQuery { Workflow = Hostile(label) });

        Assert.Empty(page.Runs);
        await AssertJournalUnchangedAsync(before);
        Assert.Single((await engine.ListRunsAsync(new RunQuery { Workflow = DoublingWorkflow.Definition.Name })).Runs);
    }

    [Theory]
    [MemberData(nameof(Labels))]
    public async Task A_published_value_key_is_refused_naming_it_or_not_found_naming_it(string label)
    {
        var key = Hostile(label);
        var engine = await EngineAsync(definitions: [DoublingWorkflow.Definition]);
        var run = await engine.StartAsync(DoublingWorkflow.Definition, 1);
        await run.GetResultAsync().WaitAsync(Guard);
        var before = await ReadJournalAsync();

        if (IsControlOrOverlong(key, 200))
        {
            var error = await Assert.ThrowsAsync<ArgumentException>(() => engine.GetEventAsync<string>(run.RunId, key, TimeSpan.Zero));
            Assert.Equal("key", error.ParamName);
            Assert.Contains($"'{key}'", error.Message);
        }
        else
        {
            var missing = await Assert.ThrowsAsync<PublishedValueNotFoundException>(() => engine.GetEventAsync<string>(run.RunId, key, TimeSpan.Zero));
            Assert.Equal((run.RunId, key), (missing.RunId, missing.Key));
            Assert.Contains($"'{key}'", missing.Message);
        }
        await AssertJournalUnchangedAsync(before);
    }
}

public sealed class InMemoryHostileStringTests : HostileStringTests
{
    protected override IJournalHarness CreateHarness() => new InMemoryJournal();
}

public sealed class SqliteHostileStringTests : HostileStringTests
{
    protected override IJournalHarness CreateHarness() => new SqliteJournal();
}

public sealed class PostgreSqlHostileStringTests : HostileStringTests
{
    protected override IJournalHarness CreateHarness() => new PostgreSqlJournal();

    protected override bool TextHoldsNul => false;
}
