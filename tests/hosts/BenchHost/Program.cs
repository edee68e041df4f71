using System.Diagnostics;
using System.Globalization;
using System.Text;
using Workflows;
using Workflows.Sqlite;

// BenchHost recovery --db FILE --side FILE [--steps N] [--sleep-ms N]
//   resumes the unfinished recovery run in FILE, or starts one of N steps (default 100): each step sleeps (default 10 ms),
//   then appends one line to the side file, which the benchmark counts to know when to kill this process (kill -9).
// BenchHost cold --db FILE
//   one run of a 1-step workflow on a new journal: the cold start of a process to its first result.
// Either prints, once the run's result is in hand:
//   RESULT <output>          the run's result
//   SINCE_START_MS <ms>      from this process's start (as the OS recorded it) to the result
//   JIT_MS <ms>              time spent in the JIT so far (System.Runtime.JitInfo), all threads
//   JIT_METHODS <n>          methods compiled so far
//   RESUMED <n>              runs resumed at start (recovery)
//   SLEPT_MS <ms>            the wall time this process's step bodies spent in their sleeps (recovery; Task.Delay(10)
//                            takes a little more than 10 ms)
// The engine's WorkerId is fixed ("bench-host"): a restarted process is the same worker as the killed one, so it claims
// its own run again at once instead of waiting out the lease (as a restarted service with a stable identity would).
if (args.Length == 0 || args[0] is not ("recovery" or "cold"))
{
    Console.Error.WriteLine("usage: BenchHost recovery --db FILE --side FILE [--steps N] [--sleep-ms N] | BenchHost cold --db FILE");
    return 2;
}
string? db = null, side = null;
var steps = 100;
var sleepMs = 10;
for (var i = 1; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--db": db = args[i + 1]; break;
        case "--side": side = args[i + 1]; break;
        case "--steps": steps = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--sleep-ms": sleepMs = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}
if (db is null || (args[0] == "recovery" && side is null))
{
    Console.Error.WriteLine($"{args[0]}: --db is required{(args[0] == "recovery" ? ", and --side" : "")}");
    return 2;
}

await using var store = new SqliteWorkflowStore(db);
var options = new WorkflowEngineOptions { WorkerId = "bench-host" };
string result;
var resumedCount = 0;
SideFile? sideFile = null;
if (args[0] == "cold")
{
    await using var engine = new WorkflowEngine(store, options).Register(OneStep.Definition);
    result = (await engine.RunAsync(OneStep.Definition, 41)).ToString(CultureInfo.InvariantCulture);
    Report(result, resumedCount, null);
}
else
{
    sideFile = new SideFile(side!);
    var definition = Recovery.Definition.WithFactory(_ => new Recovery(sideFile, sleepMs));
    await using var engine = new WorkflowEngine(store, options).Register(definition);
    var resumed = await engine.ResumeUnfinishedAsync();
    resumedCount = resumed.Count;
    var run = resumed.Count > 0 ? resumed[0].As<int>() : await engine.StartAsync(definition, steps);
    result = (await run.GetResultAsync()).ToString(CultureInfo.InvariantCulture);
    Report(result, resumedCount, sideFile.Slept);
}
return 0;

static void Report(string result, int resumed, TimeSpan? slept)
{
    var sinceStart = DateTime.Now - Process.GetCurrentProcess().StartTime;
    var jit = System.Runtime.JitInfo.GetCompilationTime(currentThread: false);
    var methods = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false);
    var text = new StringBuilder()
        .Append("RESULT ").Append(result).Append('\n')
        .Append("SINCE_START_MS ").Append(sinceStart.TotalMilliseconds.ToString("F1", CultureInfo.InvariantCulture)).Append('\n')
        .Append("JIT_MS ").Append(jit.TotalMilliseconds.ToString("F1", CultureInfo.InvariantCulture)).Append('\n')
        .Append("JIT_METHODS ").Append(methods.ToString(CultureInfo.InvariantCulture)).Append('\n')
        .Append("RESUMED ").Append(resumed.ToString(CultureInfo.InvariantCulture)).Append('\n');
    if (slept is { } sleptTime) text.Append("SLEPT_MS ").Append(sleptTime.TotalMilliseconds.ToString("F1", CultureInfo.InvariantCulture)).Append('\n');
    Console.Out.Write(text.ToString());
    Console.Out.Flush();
}

/// <summary>The side file: one line appended per step body that ran (not fsync'd: a kill -9 keeps the page cache).</summary>
public sealed class SideFile(string path)
{
    private readonly Lock _gate = new();
    private long _sleptTicks;

    /// <summary>The wall time the step bodies of this process spent sleeping.</summary>
    public TimeSpan Slept => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _sleptTicks));

    public void AddSleep(long startedTimestamp) => Interlocked.Add(ref _sleptTicks, Stopwatch.GetTimestamp() - startedTimestamp);

    public void Append(string line)
    {
        lock (_gate)
        {
            using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            stream.Write(Encoding.UTF8.GetBytes(line + "\n"));
        }
    }
}

/// <summary>The peers' recovery workload: N steps, each sleeping, then appending a line to the side file.</summary>
[Workflow("bench-recovery")]
public partial class Recovery(SideFile side, int sleepMs)
{
    [WorkflowRun]
    public async Task<int> RunAsync(int steps)
    {
        var total = 0;
        for (var i = 0; i < steps; i++)
        {
            total += await WorkAsync(i);
        }
        return total;
    }

    [Step("work")]
    private async Task<int> WorkAsync(int i)
    {
        var started = Stopwatch.GetTimestamp();
        await Task.Delay(sleepMs);
        side.AddSleep(started);
        side.Append("step " + i.ToString(CultureInfo.InvariantCulture));
        return i;
    }
}

/// <summary>A 1-step workflow: the cold start's first result.</summary>
[Workflow("bench-one-step")]
public partial class OneStep
{
    [WorkflowRun]
    public async Task<int> RunAsync(int seed) => await AddAsync(seed, 1);

    [Step("add")]
    private Task<int> AddAsync(int value, int increment) => Task.FromResult(value + increment);
}
