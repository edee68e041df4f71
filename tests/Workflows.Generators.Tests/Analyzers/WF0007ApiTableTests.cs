using Microsoft.CodeAnalysis;
using Workflows.Generators.Tests.Infrastructure;

namespace Workflows.Generators.Tests.Analyzers;

/// <summary>
/// WF0007's API table, second round: an injected TimeProvider, per-process hash codes, machine facts, processes,
/// timeouts, locks, static mutable fields and hash-ordered iteration. Each class has its reported uses (exact span and
/// message) next to the deterministic look-alikes that must stay quiet.
/// </summary>
public sealed class WF0007ApiTableTests
{
    private const string Replay = "; on replay it gives a different result. ";
    private const string RecordedUtcNow = "Use Workflow.UtcNow, which records the time";
    private const string RecordedNow = "Use Workflow.Now, which records the time";
    private const string DurableTimer = "Use Workflow.SleepAsync, a durable timer";
    private const string PassAsInput = "Read it in a step, or pass it in with the run's input";
    private const string IntoStep = "Move it into a step";
    private const string DurableTimeout = "Race the work against Workflow.SleepAsync with Workflow.WhenAnyAsync, a durable timeout (new CancellationTokenSource() without a delay is fine)";
    private const string RunIdentity = "Use Workflow.RunId to tell runs apart; the thread changes after an await and on every replay";
    private const string StableHash = "Use a hash that is the same in every process, such as SHA256.HashData over the UTF-8 bytes; string hash codes are randomized per process";
    private const string OneFlow = "Workflow code runs one path at a time: await the steps in order (or with Task.WhenAll), or take the lock inside a step";
    private const string OldestFirst = "Use a ConcurrentQueue, whose TryDequeue takes the oldest item";
    private const string InstanceState = "Keep the value in an instance field of the workflow, or read it in a step; a static field is shared by the process's runs and lost with it";
    private const string StableOrder = "Sort it first (OrderBy), or keep the items in a List, Dictionary or ConcurrentQueue, which enumerate in the order they were added";

    /// <summary>
    /// A valid workflow whose run method holds <paramref name="body"/>: an injected TimeProvider, concurrent collections
    /// in fields, a static counter, and a settings class with static fields of every kind.
    /// </summary>
    private static string InRunMethod(string body) => $$"""
        using System.Collections;
        using System.Collections.Concurrent;
        using System.Collections.Immutable;
        using System.Diagnostics;
        using System.Runtime.CompilerServices;
        using System.Security.Cryptography;
        using System.Text;
        using Workflows;

        namespace Sample;

        public static class Settings
        {
            public static int Retries = 3;
            public static volatile bool Paused;
            public static readonly string Region = "eu";
            public const int Limit = 10;
            public static readonly List<string> Known = new() { "eu", "us" };
        }

        public sealed class Registry
        {
            public ConcurrentDictionary<string, int> Values { get; } = new(StringComparer.Ordinal);
        }

        [Workflow]
        public partial class Work(TimeProvider clock)
        {
            private static int s_runs;
            private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);
            private readonly ConcurrentBag<string> _bag = new();
            private readonly ConcurrentQueue<string> _queue = new();
            private readonly ConcurrentStack<string> _stack = new();
            private readonly Registry _registry = new();
            private int _attempts;

            [WorkflowRun]
            public async Task<int> RunAsync(string path)
            {
                {{body}}
                return await CountAsync(path);
            }

            [Step]
            private Task<int> CountAsync(string path) => Task.FromResult(path.Length);
        }
        """;

    private static void AssertReported(string statement, string api, string advice) =>
        Analyze(InRunMethod(statement)).AssertExpected(api + " is not deterministic" + Replay + advice);

    // ---- TimeProvider: any instance, not only TimeProvider.System ----

    [Theory]
    [InlineData("var now = {|WF0007:clock.GetUtcNow()|};", "TimeProvider.GetUtcNow", RecordedUtcNow)]
    [InlineData("var local = {|WF0007:clock.GetLocalNow()|};", "TimeProvider.GetLocalNow", RecordedNow)]
    [InlineData("var started = {|WF0007:clock.GetTimestamp()|};", "TimeProvider.GetTimestamp", RecordedUtcNow)]
    [InlineData("var took = {|WF0007:clock.GetElapsedTime(0)|};", "TimeProvider.GetElapsedTime", RecordedUtcNow)]
    [InlineData("using var timer = {|WF0007:clock.CreateTimer(_ => { }, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan)|};", "TimeProvider.CreateTimer", DurableTimer)]
    [InlineData("var zone = {|WF0007:clock.LocalTimeZone|};", "TimeProvider.LocalTimeZone", PassAsInput)]
    [InlineData("Func<DateTimeOffset> read = {|WF0007:clock.GetUtcNow|};", "TimeProvider.GetUtcNow", RecordedUtcNow)]
    public void An_injected_TimeProvider_is_a_clock(string statement, string api, string advice) => AssertReported(statement, api, advice);

    [Fact]
    public void TimeProvider_System_read_in_place_is_reported_as_the_system_clock_and_as_the_read()
    {
        // Each use is reported where it is: the system clock, and the read of a clock (the harness's markers do not
        // nest, so the two spans are checked here by their text).
        var run = Analyze(InRunMethod("var now = TimeProvider.System.GetUtcNow();"));
        Assert.Empty(run.Failures);
        var reported = run.Diagnostics
            .OrderBy(d => d.Location.SourceSpan.Length)
            .Select(d => (d.Properties["Api"], d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan)))
            .ToArray();
        Assert.Equal(new (string?, string)[]
        {
            ("TimeProvider.System", "TimeProvider.System"),
            ("TimeProvider.GetUtcNow", "TimeProvider.System.GetUtcNow()"),
        }, reported);
    }

    [Fact]
    public void A_TimeProvider_subclass_of_the_compilation_is_followed_as_code_but_a_call_through_the_base_type_is_reported()
    {
        Analyze("""
            using Workflows;

            namespace Sample;

            /// <summary>A fixed clock: its override is code of the compilation, not the system clock.</summary>
            public sealed class FixedClock : TimeProvider
            {
                public override DateTimeOffset GetUtcNow() => new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
            }

            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task<long> RunAsync(string path)
                {
                    var fixedClock = new FixedClock();
                    var fixedNow = fixedClock.GetUtcNow();
                    TimeProvider anyClock = fixedClock;
                    var maybeSystem = {|WF0007:anyClock.GetUtcNow()|};
                    return await SaveAsync(fixedNow.Ticks + maybeSystem.Ticks);
                }

                [Step]
                private Task<long> SaveAsync(long value) => Task.FromResult(value);
            }
            """).AssertExpected("TimeProvider.GetUtcNow is not deterministic" + Replay + RecordedUtcNow);
    }

    [Fact]
    public void A_TimeProvider_used_inside_a_step_body_is_fine()
    {
        Analyze("""
            using Workflows;

            namespace Sample;

            [Workflow]
            public partial class Work(TimeProvider clock)
            {
                [WorkflowRun]
                public async Task<long> RunAsync(string path) => await StampAsync(path);

                [Step]
                private Task<long> StampAsync(string path) => Task.FromResult(clock.GetUtcNow().Ticks + clock.GetTimestamp());
            }
            """).AssertClean();
    }

    // ---- Hash codes seeded per process ----

    [Theory]
    [InlineData("var hash = {|WF0007:path.GetHashCode()|};", "String.GetHashCode")]
    [InlineData("var hash = {|WF0007:path.GetHashCode(StringComparison.OrdinalIgnoreCase)|};", "String.GetHashCode")]
    [InlineData("var hash = {|WF0007:string.GetHashCode(path.AsSpan())|};", "String.GetHashCode")]
    [InlineData("var hash = {|WF0007:StringComparer.Ordinal.GetHashCode(path)|};", "StringComparer.GetHashCode")]
    [InlineData("var hash = {|WF0007:HashCode.Combine(path, 1)|};", "HashCode.Combine")]
    [InlineData("var hash = {|WF0007:HashCode.Combine(1, 2)|};", "HashCode.Combine")]
    [InlineData("var hasher = {|WF0007:new HashCode()|};", "new HashCode()")]
    [InlineData("var hash = {|WF0007:RuntimeHelpers.GetHashCode(path)|};", "RuntimeHelpers.GetHashCode")]
    public void Hash_codes_randomized_per_process_are_reported(string statement, string api) => AssertReported(statement, api, StableHash);

    [Fact]
    public void Stable_hashes_and_hash_codes_of_numbers_raise_nothing()
    {
        Analyze(InRunMethod("""
            var number = 42.GetHashCode() + Guid.Empty.GetHashCode() + 'x'.GetHashCode();
            var digest = SHA256.HashData(Encoding.UTF8.GetBytes(path));
            var same = StringComparer.Ordinal.Equals(path, "x") && StringComparer.Ordinal.Compare(path, "y") != 0;
            """)).AssertClean();
    }

    // ---- Facts of the machine and the process ----

    [Theory]
    [InlineData("var cores = {|WF0007:Environment.ProcessorCount|};", "Environment.ProcessorCount", PassAsInput)]
    [InlineData("var host = {|WF0007:Environment.MachineName|};", "Environment.MachineName", PassAsInput)]
    [InlineData("var user = {|WF0007:Environment.UserName|};", "Environment.UserName", PassAsInput)]
    [InlineData("var pid = {|WF0007:Environment.ProcessId|};", "Environment.ProcessId", PassAsInput)]
    [InlineData("var memory = {|WF0007:Environment.WorkingSet|};", "Environment.WorkingSet", PassAsInput)]
    [InlineData("var here = {|WF0007:Environment.CurrentDirectory|};", "Environment.CurrentDirectory", PassAsInput)]
    [InlineData("var os = {|WF0007:Environment.OSVersion|};", "Environment.OSVersion", PassAsInput)]
    [InlineData("var runtime = {|WF0007:Environment.Version|};", "Environment.Version", PassAsInput)]
    [InlineData("var args = {|WF0007:Environment.GetCommandLineArgs()|};", "Environment.GetCommandLineArgs", PassAsInput)]
    [InlineData("var domain = {|WF0007:Environment.UserDomainName|};", "Environment.UserDomainName", PassAsInput)]
    [InlineData("var exe = {|WF0007:Environment.ProcessPath|};", "Environment.ProcessPath", PassAsInput)]
    [InlineData("var system = {|WF0007:Environment.SystemDirectory|};", "Environment.SystemDirectory", PassAsInput)]
    [InlineData("var page = {|WF0007:Environment.SystemPageSize|};", "Environment.SystemPageSize", PassAsInput)]
    [InlineData("var line = {|WF0007:Environment.CommandLine|};", "Environment.CommandLine", PassAsInput)]
    [InlineData("var home = {|WF0007:Environment.GetFolderPath(Environment.SpecialFolder.UserProfile)|};", "Environment.GetFolderPath", PassAsInput)]
    [InlineData("var drives = {|WF0007:Environment.GetLogicalDrives()|};", "Environment.GetLogicalDrives", PassAsInput)]
    [InlineData("var cpu = {|WF0007:Thread.GetCurrentProcessorId()|};", "Thread.GetCurrentProcessorId", RunIdentity)]
    [InlineData("var zone = {|WF0007:TimeZoneInfo.Local|};", "TimeZoneInfo.Local", PassAsInput)]
    [InlineData("var thread = {|WF0007:Environment.CurrentManagedThreadId|};", "Environment.CurrentManagedThreadId", RunIdentity)]
    [InlineData("var thread = {|WF0007:Thread.CurrentThread|}.ManagedThreadId;", "Thread.CurrentThread", RunIdentity)]
    [InlineData("var me = {|WF0007:Process.GetCurrentProcess()|};", "Process.GetCurrentProcess", IntoStep)]
    public void Machine_facts_are_reported(string statement, string api, string advice) => AssertReported(statement, api, advice);

    [Fact]
    public void Constants_of_the_platform_raise_nothing()
    {
        Analyze(InRunMethod("""
            var line = Environment.NewLine;
            var utc = TimeZoneInfo.Utc;
            var run = Workflow.RunId;
            """)).AssertClean();
    }

    // ---- Processes ----

    [Fact]
    public void Any_use_of_a_process_is_reported()
    {
        Analyze(InRunMethod("""
            using var started = {|WF0007:Process.Start("report-tool", path)|};
            using var created = {|WF0007:new Process()|};
            var running = {|WF0007:created.HasExited|};
            """)).AssertExpected(
            "Process.Start is not deterministic" + Replay + IntoStep,
            "new Process() is not deterministic" + Replay + IntoStep,
            "Process.HasExited is not deterministic" + Replay + IntoStep);
    }

    // ---- Timeouts ----

    [Theory]
    [InlineData("using var timeout = {|WF0007:new CancellationTokenSource(TimeSpan.FromSeconds(5))|};", "new CancellationTokenSource(...)")]
    [InlineData("using var timeout = {|WF0007:new CancellationTokenSource(5000)|};", "new CancellationTokenSource(...)")]
    [InlineData("using CancellationTokenSource timeout = {|WF0007:new(TimeSpan.FromSeconds(5))|};", "new CancellationTokenSource(...)")]
    [InlineData("using var timeout = new CancellationTokenSource(); {|WF0007:timeout.CancelAfter(1000)|};", "CancellationTokenSource.CancelAfter")]
    [InlineData("var counted = await {|WF0007:CountAsync(path).WaitAsync(TimeSpan.FromMinutes(5))|};", "Task.WaitAsync")]
    [InlineData("await {|WF0007:Task.CompletedTask.WaitAsync(TimeSpan.FromSeconds(1), Workflow.CancellationToken)|};", "Task.WaitAsync")]
    public void A_CancellationTokenSource_with_a_timeout_is_reported(string statement, string api) => AssertReported(statement, api, DurableTimeout);

    [Fact]
    public void A_CancellationTokenSource_without_a_timeout_and_linked_sources_raise_nothing()
    {
        Analyze(InRunMethod("""
            using var manual = new CancellationTokenSource();
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(manual.Token, Workflow.CancellationToken);
            if (path.Length > 100) manual.Cancel();
            var counted = await CountAsync(path).WaitAsync(linked.Token);
            """)).AssertClean();
    }

    // ---- Locks and signals ----

    [Theory]
    [InlineData("using var gate = {|WF0007:new SemaphoreSlim(1)|};", "new SemaphoreSlim(...)")]
    [InlineData("{|WF0007:Monitor.Enter(_queue)|};", "Monitor.Enter")]
    [InlineData("using var mutex = {|WF0007:new Mutex()|};", "new Mutex()")]
    [InlineData("using var signal = {|WF0007:new ManualResetEventSlim()|};", "new ManualResetEventSlim()")]
    [InlineData("{|WF0007:SpinWait.SpinUntil(() => _queue.IsEmpty)|};", "SpinWait.SpinUntil")]
    [InlineData("var guard = {|WF0007:new Lock()|};", "new Lock()")]
    [InlineData("using var semaphore = {|WF0007:new Semaphore(1, 1)|};", "new Semaphore(...)")]
    [InlineData("var spin = {|WF0007:new SpinLock()|};", "new SpinLock()")]
    [InlineData("var rw = {|WF0007:new ReaderWriterLock()|};", "new ReaderWriterLock()")]
    [InlineData("using var rw = {|WF0007:new ReaderWriterLockSlim()|};", "new ReaderWriterLockSlim()")]
    [InlineData("var all = {|WF0007:WaitHandle.WaitAll(Array.Empty<WaitHandle>())|};", "WaitHandle.WaitAll")]
    [InlineData("using var signal = {|WF0007:new EventWaitHandle(false, EventResetMode.ManualReset)|};", "new EventWaitHandle(...)")]
    [InlineData("using var signal = {|WF0007:new ManualResetEvent(false)|};", "new ManualResetEvent(...)")]
    [InlineData("using var signal = {|WF0007:new AutoResetEvent(false)|};", "new AutoResetEvent(...)")]
    [InlineData("using var countdown = {|WF0007:new CountdownEvent(2)|};", "new CountdownEvent(...)")]
    [InlineData("using var barrier = {|WF0007:new Barrier(2)|};", "new Barrier(...)")]
    [InlineData("var released = {|WF0007:Monitor.Wait(_queue, 10)|};", "Monitor.Wait")]
    public void Locks_and_signals_are_reported(string statement, string api) => AssertReported(statement, api, OneFlow);

    [Fact]
    public void A_semaphore_held_by_the_workflow_is_reported_where_it_is_created_and_each_time_it_is_used()
    {
        Analyze("""
            using Workflows;

            namespace Sample;

            [Workflow]
            public partial class Work
            {
                private readonly SemaphoreSlim _gate = {|WF0007:new(1, 1)|};

                [WorkflowRun]
                public async Task<int> RunAsync(string path)
                {
                    await {|WF0007:_gate.WaitAsync()|};
                    try { return await CountAsync(path); }
                    finally { {|WF0007:_gate.Release()|}; }
                }

                [Step]
                private Task<int> CountAsync(string path) => Task.FromResult(path.Length);
            }
            """).AssertExpected(
            "new SemaphoreSlim(...) is not deterministic" + Replay + OneFlow,
            "SemaphoreSlim.WaitAsync is not deterministic" + Replay + OneFlow,
            "SemaphoreSlim.Release is not deterministic" + Replay + OneFlow);
    }

    [Fact]
    public void A_lock_statement_and_Interlocked_on_workflow_state_raise_nothing()
    {
        // Workflow code runs one path at a time, so an uncontended lock or an Interlocked update decides nothing.
        Analyze(InRunMethod("""
            lock (_queue) { _attempts++; }
            Interlocked.Increment(ref _attempts);
            """)).AssertClean();
    }

    // ---- Static mutable fields ----

    [Theory]
    [InlineData("var retries = {|WF0007:Settings.Retries|};", "Settings.Retries")]
    [InlineData("{|WF0007:Settings.Retries|} = 5;", "Settings.Retries")]
    [InlineData("if ({|WF0007:Settings.Paused|}) return 0;", "Settings.Paused")]
    [InlineData("{|WF0007:s_runs|}++;", "Work.s_runs")]
    public void A_static_field_that_is_neither_const_nor_readonly_is_reported(string statement, string api) =>
        AssertReported(statement, api, InstanceState);

    [Fact]
    public void Static_readonly_and_const_fields_instance_fields_and_library_statics_raise_nothing()
    {
        // A static readonly collection is not reported: most are lookup tables filled once, and a read cannot tell them
        // from one the code mutates.
        Analyze(InRunMethod("""
            var region = Settings.Region + Settings.Limit + Settings.Known.Count + string.Empty;
            _attempts++;
            var name = nameof(Settings.Retries);
            """)).AssertClean();
    }

    [Fact]
    public void A_static_field_used_inside_a_step_body_is_fine()
    {
        Analyze("""
            using Workflows;

            namespace Sample;

            [Workflow]
            public partial class Work
            {
                private static int s_calls = 1;

                [WorkflowRun]
                public async Task<int> RunAsync(string path) => await CountAsync(path);

                [Step]
                private Task<int> CountAsync(string path) => Task.FromResult(path.Length + s_calls);
            }
            """).AssertClean();
    }

    // ---- Iteration order ----

    [Theory]
    [InlineData("{|WF0007:foreach (var pair in _counts) { }|}", "foreach over ConcurrentDictionary")]
    [InlineData("{|WF0007:foreach (var key in _counts.Keys) { }|}", "foreach over ConcurrentDictionary.Keys")]
    [InlineData("{|WF0007:foreach (var value in _counts.Values) { }|}", "foreach over ConcurrentDictionary.Values")]
    [InlineData("{|WF0007:foreach (var pair in _counts.ToArray()) { }|}", "foreach over ConcurrentDictionary.ToArray()")]
    [InlineData("{|WF0007:foreach (var key in _counts.Where(p => p.Value > 0).Select(p => p.Key)) { }|}", "foreach over ConcurrentDictionary")]
    [InlineData("{|WF0007:foreach (var item in _bag) { }|}", "foreach over ConcurrentBag")]
    [InlineData("{|WF0007:foreach (var pair in _registry.Values) { }|}", "foreach over ConcurrentDictionary")]
    [InlineData("{|WF0007:foreach (var item in ImmutableHashSet.Create(path, \"b\")) { }|}", "foreach over ImmutableHashSet")]
    [InlineData("{|WF0007:foreach (var key in ImmutableDictionary<string, int>.Empty.Keys) { }|}", "foreach over ImmutableDictionary.Keys")]
    [InlineData("{|WF0007:foreach (DictionaryEntry entry in new Hashtable()) { }|}", "foreach over Hashtable")]
    public void A_foreach_in_hash_order_is_reported(string statement, string api) => AssertReported(statement, api, StableOrder);

    [Theory]
    [InlineData("var taken = {|WF0007:_bag.TryTake(out var item)|};", "ConcurrentBag.TryTake")]
    [InlineData("var seen = {|WF0007:_bag.TryPeek(out var item)|};", "ConcurrentBag.TryPeek")]
    public void Taking_from_a_ConcurrentBag_is_reported(string statement, string api) => AssertReported(statement, api, OldestFirst);

    [Fact]
    public void Ordered_collections_sorted_queries_and_other_loops_raise_nothing()
    {
        Analyze(InRunMethod("""
            foreach (var item in _queue) { }
            foreach (var item in _stack) { }
            foreach (var key in _counts.Keys.OrderBy(k => k, StringComparer.Ordinal)) { }
            foreach (var value in _counts.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value)) { }
            foreach (var item in _bag.Order(StringComparer.Ordinal)) { }
            foreach (var pair in new Dictionary<string, int>()) { }
            foreach (var item in new HashSet<int> { 1, 2 }) { }
            foreach (var letter in _counts.GetOrAdd(path, 1).ToString()) { }
            for (var i = 0; i < _counts.Count; i++) { }
            _queue.TryDequeue(out var oldest);
            var count = _bag.Count + _counts.Count;
            """)).AssertClean();
    }

    [Fact]
    public void A_foreach_in_hash_order_reached_through_a_helper_names_the_chain()
    {
        Analyze("""
            using System.Collections.Concurrent;
            using Workflows;

            namespace Sample;

            [Workflow]
            public partial class Work
            {
                private readonly ConcurrentDictionary<string, int> _totals = new(StringComparer.Ordinal);

                [WorkflowRun]
                public async Task<int> RunAsync(string path) => await CountAsync(First());

                private string First()
                {
                    {|WF0007:foreach (var key in _totals.Keys) return key;|}
                    return "";
                }

                [Step]
                private Task<int> CountAsync(string path) => Task.FromResult(path.Length);
            }
            """).AssertExpected(
            "foreach over ConcurrentDictionary.Keys is not deterministic (reached through RunAsync \u2192 First)" + Replay + StableOrder);
    }

    [Fact]
    public void A_foreach_in_hash_order_inside_a_step_body_is_fine()
    {
        Analyze("""
            using System.Collections.Concurrent;
            using Workflows;

            namespace Sample;

            [Workflow]
            public partial class Work
            {
                [WorkflowRun]
                public async Task<int> RunAsync(string path) => await CountAsync(path);

                [Step]
                private Task<int> CountAsync(string path)
                {
                    var seen = new ConcurrentDictionary<char, int>();
                    foreach (var letter in path) seen.AddOrUpdate(letter, 1, (_, n) => n + 1);
                    var total = 0;
                    foreach (var pair in seen) total += pair.Value;
                    return Task.FromResult(total);
                }
            }
            """).AssertClean();
    }

    // ---- Look-alikes ----

    [Fact]
    public void Types_of_the_compilation_with_the_names_of_banned_apis_raise_nothing()
    {
        // The table matches types by their full metadata name: a type of the same simple name in your own namespace
        // (which the lookup finds before the imported System one) is not confused with it.
        Analyze("""
            using Workflows;

            namespace Sample;

            public static class Process
            {
                public static int Start(string name) => name.Length;
            }

            public sealed class SemaphoreSlim
            {
                public Task WaitAsync() => Task.CompletedTask;
            }

            public static class Machine
            {
                public const int ProcessorCount = 4;
            }

            [Workflow]
            public partial class Work
            {
                private readonly SemaphoreSlim _gate = new();

                [WorkflowRun]
                public async Task<int> RunAsync(string path)
                {
                    await _gate.WaitAsync();
                    return await CountAsync(path) + Process.Start(path) + Machine.ProcessorCount;
                }

                [Step]
                private Task<int> CountAsync(string path) => Task.FromResult(path.Length);
            }
            """).AssertClean();
    }

    // ---- Half-typed code ----

    [Theory]
    [InlineData("foreach (var pair in ) { }")]
    [InlineData("foreach (var key in _counts.Keys.) { }")]
    [InlineData("foreach (var key in _counts.OrderBy()) { }")]
    [InlineData("foreach (var item in Missing.Items) { }")]
    [InlineData("foreach (var")]
    [InlineData("var now = clock.GetUtcNow(")]
    [InlineData("var hash = HashCode.Combine(")]
    [InlineData("using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(")]
    [InlineData("var x = Settings.")]
    [InlineData("Unknown.Field = 3;")]
    public void Half_typed_code_never_crashes_the_analyzers(string statement)
    {
        var run = Analyze(InRunMethod(statement), allowErrors: true);
        Assert.True(run.Failures.Count == 0, "Analyzer or generator failures:\n" + string.Join("\n", run.Failures));
    }

    private static AnalyzerRun Analyze(string source, bool allowErrors = false)
    {
        var run = AnalyzerHarness.Run(new SourceFile("/src/Work.cs", source));
        if (!allowErrors)
        {
            // The test source must compile, so that a typo cannot make a test pass.
            var errors = run.AllDiagnostics.Concat(run.Generation.OutputCompilation.GetDiagnostics())
                .Where(d => d.Severity == DiagnosticSeverity.Error && !d.Id.StartsWith("WF", StringComparison.Ordinal))
                .Select(d => d.ToString())
                .Distinct()
                .ToList();
            Assert.True(errors.Count == 0, "The test source does not compile:\n" + string.Join("\n", errors));
        }
        return run;
    }
}
