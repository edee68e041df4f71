using BenchmarkDotNet.Attributes;
using Workflows.Sqlite;
using Workflows.Storage;

namespace Workflows.Benchmarks;

/// <summary>
/// What journaling costs per step, side by side in one run: the same ten-step workflow called as plain methods
/// (the baseline), journaled in memory, and journaled to SQLite with durable commits. BenchmarkDotNet prints each
/// mean and its ratio to the baseline.
/// </summary>
[MemoryDiagnoser]
public class StepThroughputBenchmarks
{
    private string _directory = "";
    private WorkflowEngine _memory = null!;
    private WorkflowEngine _sqlite = null!;
    private SqliteWorkflowStore _sqliteStore = null!;
    private readonly TenSteps _plain = new();

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _directory = Directory.CreateTempSubdirectory("workflows-bench-").FullName;
        _memory = new WorkflowEngine(new InMemoryWorkflowStore()).Register(TenSteps.Definition);
        _sqliteStore = new SqliteWorkflowStore(Path.Combine(_directory, "bench.db"));
        _sqlite = new WorkflowEngine(_sqliteStore).Register(TenSteps.Definition);
        await _memory.RunAsync(TenSteps.Definition, 1);
        await _sqlite.RunAsync(TenSteps.Definition, 1);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _memory.DisposeAsync();
        await _sqlite.DisposeAsync();
        await _sqliteStore.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "10 steps, plain calls")]
    public Task<int> Plain() => _plain.RunAsync(1);

    [Benchmark(Description = "10 steps, in-memory journal")]
    public Task<int> InMemory() => _memory.RunAsync(TenSteps.Definition, 1);

    [Benchmark(Description = "10 steps, SQLite journal (synchronous=FULL)")]
    public Task<int> Sqlite() => _sqlite.RunAsync(TenSteps.Definition, 1);

    /// <summary>Many runs at once: where a store that commits concurrent writes together gains.</summary>
    [Benchmark(Description = "32 runs x 10 steps at once, SQLite journal", OperationsPerInvoke = 32)]
    public Task SqliteConcurrent() => Task.WhenAll(Enumerable.Range(0, 32).Select(i => _sqlite.RunAsync(TenSteps.Definition, i)));

    [Benchmark(Description = "32 runs x 10 steps at once, in-memory journal", OperationsPerInvoke = 32)]
    public Task InMemoryConcurrent() => Task.WhenAll(Enumerable.Range(0, 32).Select(i => _memory.RunAsync(TenSteps.Definition, i)));
}

[Workflow("bench-ten-steps")]
public partial class TenSteps
{
    [WorkflowRun]
    public async Task<int> RunAsync(int seed)
    {
        var value = seed;
        for (var i = 0; i < 10; i++)
        {
            value = await AddAsync(value, i);
        }
        return value;
    }

    [Step("add")]
    private Task<int> AddAsync(int value, int increment) => Task.FromResult(value + increment);
}
