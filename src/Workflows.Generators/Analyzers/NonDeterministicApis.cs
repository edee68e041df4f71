using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Workflows.Generators.Analyzers;

/// <summary>Which uses of an API's type make workflow code non-deterministic.</summary>
internal enum ApiUse
{
    /// <summary>The named member (every overload), read, called or taken as a delegate.</summary>
    Member,

    /// <summary>Any member of the type, and creating one.</summary>
    AnyUse,

    /// <summary>Creating one with any constructor.</summary>
    Creation,

    /// <summary>Creating one with the parameterless constructor (an unseeded <c>Random</c>).</summary>
    CreationWithoutArguments,

    /// <summary>Creating one from a path (a constructor whose first parameter is a string).</summary>
    CreationFromPath,

    /// <summary>Creating one with a constructor that takes arguments (a <c>CancellationTokenSource</c> with a delay).</summary>
    CreationWithArguments,

    /// <summary>The named member, in the overloads that take a <c>TimeSpan</c>: a timeout on real time.</summary>
    MemberWithTimeout,
}

/// <summary>One row of the table: a type (or every type of a namespace), the use that is banned, and what to do instead.</summary>
internal sealed class NonDeterministicApi
{
    public NonDeterministicApi(string metadataName, ApiUse use, string? member, string advice)
    {
        MetadataName = metadataName;
        Use = use;
        Member = member;
        Advice = advice;
    }

    /// <summary>A type's metadata name, or a namespace ending in ".*".</summary>
    public string MetadataName { get; }

    public ApiUse Use { get; }

    public string? Member { get; }

    public string Advice { get; }
}

/// <summary>A use of a non-deterministic API found in workflow code: how to name it, and what to use instead.</summary>
internal readonly struct NonDeterministicUsage
{
    public NonDeterministicUsage(string api, string advice)
    {
        Api = api;
        Advice = advice;
    }

    public string Api { get; }

    public string Advice { get; }
}

/// <summary>
/// The APIs that give a different result, or act on the world again, each time workflow code runs, and so must not
/// run outside a step (WF0007). The table is the one place to add an API; <see cref="Resolve"/> turns it into
/// symbols once per compilation, skipping the types the compilation does not have.
/// </summary>
internal sealed partial class NonDeterministicApis
{
    private const string RecordedUtcNow = "Use Workflow.UtcNow, which records the time";
    private const string RecordedNow = "Use Workflow.Now, which records the time";
    private const string RecordedToday = "Use Workflow.Now.Date, which records the time";
    private const string RecordedGuid = "Use Workflow.NewGuid(), which records the value";
    private const string DurableTimer = "Use Workflow.SleepAsync, a durable timer";
    private const string SeededRandom = "Move it into a step, or use new Random(seed) with a seed the workflow recorded";
    private const string AwaitSteps = "Await steps directly (Task.WhenAll runs them side by side), or move the work into a step";
    private const string PassAsInput = "Read it in a step, or pass it in with the run's input";
    private const string IntoStep = "Move it into a step";
    private const string RecordedRace = "Use Workflow.WhenAnyAsync, which records which task finished first (on a replay every recorded entry is already finished)";
    private const string DurableTimeout = "Race the work against Workflow.SleepAsync with Workflow.WhenAnyAsync, a durable timeout (new CancellationTokenSource() without a delay is fine)";
    private const string RunIdentity = "Use Workflow.RunId to tell runs apart; the thread changes after an await and on every replay";
    private const string StableHash = "Use a hash that is the same in every process, such as SHA256.HashData over the UTF-8 bytes; string hash codes are randomized per process";
    private const string OneFlow = "Workflow code runs one path at a time: await the steps in order (or with Task.WhenAll), or take the lock inside a step";
    private const string OldestFirst = "Use a ConcurrentQueue, whose TryDequeue takes the oldest item";
    private const string InstanceState = "Keep the value in an instance field of the workflow, or read it in a step; a static field is shared by the process's runs and lost with it";

    /// <summary>The table.</summary>
    public static readonly IReadOnlyList<NonDeterministicApi> Table = new[]
    {
        // Clocks.
        new NonDeterministicApi("System.DateTime", ApiUse.Member, "UtcNow", RecordedUtcNow),
        new NonDeterministicApi("System.DateTime", ApiUse.Member, "Now", RecordedNow),
        new NonDeterministicApi("System.DateTime", ApiUse.Member, "Today", RecordedToday),
        new NonDeterministicApi("System.DateTimeOffset", ApiUse.Member, "UtcNow", RecordedUtcNow),
        new NonDeterministicApi("System.DateTimeOffset", ApiUse.Member, "Now", RecordedUtcNow),
        new NonDeterministicApi("System.TimeProvider", ApiUse.Member, "System", RecordedUtcNow),
        new NonDeterministicApi("System.TimeProvider", ApiUse.Member, "GetUtcNow", RecordedUtcNow),
        new NonDeterministicApi("System.TimeProvider", ApiUse.Member, "GetLocalNow", RecordedNow),
        new NonDeterministicApi("System.TimeProvider", ApiUse.Member, "GetTimestamp", RecordedUtcNow),
        new NonDeterministicApi("System.TimeProvider", ApiUse.Member, "GetElapsedTime", RecordedUtcNow),
        new NonDeterministicApi("System.TimeProvider", ApiUse.Member, "CreateTimer", DurableTimer),
        new NonDeterministicApi("System.TimeProvider", ApiUse.Member, "LocalTimeZone", PassAsInput),
        new NonDeterministicApi("System.Environment", ApiUse.Member, "TickCount", RecordedUtcNow),
        new NonDeterministicApi("System.Environment", ApiUse.Member, "TickCount64", RecordedUtcNow),
        new NonDeterministicApi("System.Diagnostics.Stopwatch", ApiUse.AnyUse, null, IntoStep),

        // Identifiers and randomness.
        new NonDeterministicApi("System.Guid", ApiUse.Member, "NewGuid", RecordedGuid),
        new NonDeterministicApi("System.Guid", ApiUse.Member, "CreateVersion7", RecordedGuid),
        new NonDeterministicApi("System.Random", ApiUse.CreationWithoutArguments, null, SeededRandom),
        new NonDeterministicApi("System.Random", ApiUse.Member, "Shared", SeededRandom),
        new NonDeterministicApi("System.Security.Cryptography.RandomNumberGenerator", ApiUse.AnyUse, null, IntoStep),

        // Hash codes seeded per process.
        new NonDeterministicApi("System.String", ApiUse.Member, "GetHashCode", StableHash),
        new NonDeterministicApi("System.StringComparer", ApiUse.Member, "GetHashCode", StableHash),
        new NonDeterministicApi("System.HashCode", ApiUse.AnyUse, null, StableHash),
        new NonDeterministicApi("System.Runtime.CompilerServices.RuntimeHelpers", ApiUse.Member, "GetHashCode", StableHash),

        // Waiting and threads.
        new NonDeterministicApi("System.Threading.Tasks.Task", ApiUse.Member, "Delay", DurableTimer),
        new NonDeterministicApi("System.Threading.Thread", ApiUse.Member, "Sleep", DurableTimer),
        new NonDeterministicApi("System.Threading.Tasks.Task", ApiUse.Member, "Run", AwaitSteps),
        new NonDeterministicApi("System.Threading.Tasks.Task", ApiUse.Member, "WhenAny", RecordedRace),
        new NonDeterministicApi("System.Threading.Tasks.TaskFactory", ApiUse.Member, "StartNew", AwaitSteps),
        new NonDeterministicApi("System.Threading.Tasks.TaskFactory`1", ApiUse.Member, "StartNew", AwaitSteps),
        new NonDeterministicApi("System.Threading.Tasks.Parallel", ApiUse.AnyUse, null, AwaitSteps),
        new NonDeterministicApi("System.Threading.ThreadPool", ApiUse.AnyUse, null, AwaitSteps),
        new NonDeterministicApi("System.Threading.Thread", ApiUse.Creation, null, AwaitSteps),
        new NonDeterministicApi("System.Threading.Timer", ApiUse.Creation, null, DurableTimer),
        new NonDeterministicApi("System.Threading.PeriodicTimer", ApiUse.AnyUse, null, DurableTimer),
        new NonDeterministicApi("System.Timers.Timer", ApiUse.Creation, null, DurableTimer),
        new NonDeterministicApi("System.Threading.CancellationTokenSource", ApiUse.CreationWithArguments, null, DurableTimeout),
        new NonDeterministicApi("System.Threading.CancellationTokenSource", ApiUse.Member, "CancelAfter", DurableTimeout),
        new NonDeterministicApi("System.Threading.Tasks.Task", ApiUse.MemberWithTimeout, "WaitAsync", DurableTimeout),
        new NonDeterministicApi("System.Threading.Tasks.Task`1", ApiUse.MemberWithTimeout, "WaitAsync", DurableTimeout),
        new NonDeterministicApi("System.Threading.Thread", ApiUse.Member, "CurrentThread", RunIdentity),
        new NonDeterministicApi("System.Threading.Thread", ApiUse.Member, "GetCurrentProcessorId", RunIdentity),
        new NonDeterministicApi("System.Environment", ApiUse.Member, "CurrentManagedThreadId", RunIdentity),

        // Locks and signals: they wait on other threads and on real time.
        new NonDeterministicApi("System.Threading.SemaphoreSlim", ApiUse.AnyUse, null, OneFlow),
        new NonDeterministicApi("System.Threading.Semaphore", ApiUse.AnyUse, null, OneFlow),
        new NonDeterministicApi("System.Threading.Mutex", ApiUse.AnyUse, null, OneFlow),
        new NonDeterministicApi("System.Threading.Monitor", ApiUse.AnyUse, null, OneFlow),
        new NonDeterministicApi("System.Threading.Lock", ApiUse.AnyUse, null, OneFlow),
        new NonDeterministicApi("System.Threading.SpinLock", ApiUse.AnyUse, null, OneFlow),
        new NonDeterministicApi("System.Threading.SpinWait", ApiUse.AnyUse, null, OneFlow),
        new NonDeterministicApi("System.Threading.ReaderWriterLock", ApiUse.AnyUse, null, OneFlow),
        new NonDeterministicApi("System.Threading.ReaderWriterLockSlim", ApiUse.AnyUse, null, OneFlow),
        new NonDeterministicApi("System.Threading.WaitHandle", ApiUse.AnyUse, null, OneFlow),
        new NonDeterministicApi("System.Threading.EventWaitHandle", ApiUse.AnyUse, null, OneFlow),
        new NonDeterministicApi("System.Threading.ManualResetEvent", ApiUse.AnyUse, null, OneFlow),
        new NonDeterministicApi("System.Threading.AutoResetEvent", ApiUse.AnyUse, null, OneFlow),
        new NonDeterministicApi("System.Threading.ManualResetEventSlim", ApiUse.AnyUse, null, OneFlow),
        new NonDeterministicApi("System.Threading.CountdownEvent", ApiUse.AnyUse, null, OneFlow),
        new NonDeterministicApi("System.Threading.Barrier", ApiUse.AnyUse, null, OneFlow),

        // Collections whose contents depend on which thread added an item (iteration order: see HashOrderedCollections).
        new NonDeterministicApi("System.Collections.Concurrent.ConcurrentBag`1", ApiUse.Member, "TryTake", OldestFirst),
        new NonDeterministicApi("System.Collections.Concurrent.ConcurrentBag`1", ApiUse.Member, "TryPeek", OldestFirst),

        // Files.
        new NonDeterministicApi("System.IO.File", ApiUse.AnyUse, null, IntoStep),
        new NonDeterministicApi("System.IO.Directory", ApiUse.AnyUse, null, IntoStep),
        new NonDeterministicApi("System.IO.FileInfo", ApiUse.AnyUse, null, IntoStep),
        new NonDeterministicApi("System.IO.DirectoryInfo", ApiUse.AnyUse, null, IntoStep),
        new NonDeterministicApi("System.IO.FileStream", ApiUse.AnyUse, null, IntoStep),
        new NonDeterministicApi("System.IO.StreamReader", ApiUse.CreationFromPath, null, IntoStep),
        new NonDeterministicApi("System.IO.StreamWriter", ApiUse.CreationFromPath, null, IntoStep),
        new NonDeterministicApi("System.IO.Path", ApiUse.Member, "GetTempFileName", IntoStep),
        new NonDeterministicApi("System.IO.Path", ApiUse.Member, "GetRandomFileName", IntoStep),

        // Network.
        new NonDeterministicApi("System.Net.Http.HttpClient", ApiUse.Member, "Send", IntoStep),
        new NonDeterministicApi("System.Net.Http.HttpClient", ApiUse.Member, "SendAsync", IntoStep),
        new NonDeterministicApi("System.Net.Http.HttpClient", ApiUse.Member, "GetAsync", IntoStep),
        new NonDeterministicApi("System.Net.Http.HttpClient", ApiUse.Member, "GetStringAsync", IntoStep),
        new NonDeterministicApi("System.Net.Http.HttpClient", ApiUse.Member, "GetByteArrayAsync", IntoStep),
        new NonDeterministicApi("System.Net.Http.HttpClient", ApiUse.Member, "GetStreamAsync", IntoStep),
        new NonDeterministicApi("System.Net.Http.HttpClient", ApiUse.Member, "PostAsync", IntoStep),
        new NonDeterministicApi("System.Net.Http.HttpClient", ApiUse.Member, "PutAsync", IntoStep),
        new NonDeterministicApi("System.Net.Http.HttpClient", ApiUse.Member, "PatchAsync", IntoStep),
        new NonDeterministicApi("System.Net.Http.HttpClient", ApiUse.Member, "DeleteAsync", IntoStep),
        new NonDeterministicApi("System.Net.Http.HttpMessageInvoker", ApiUse.Member, "Send", IntoStep),
        new NonDeterministicApi("System.Net.Http.HttpMessageInvoker", ApiUse.Member, "SendAsync", IntoStep),
        new NonDeterministicApi("System.Net.Http.Json.HttpClientJsonExtensions", ApiUse.AnyUse, null, IntoStep),
        new NonDeterministicApi("System.Net.Sockets.*", ApiUse.AnyUse, null, IntoStep),
        new NonDeterministicApi("System.Net.Dns", ApiUse.AnyUse, null, IntoStep),
        new NonDeterministicApi("System.Net.WebRequest", ApiUse.AnyUse, null, IntoStep),
        new NonDeterministicApi("System.Net.HttpWebRequest", ApiUse.AnyUse, null, IntoStep),
        new NonDeterministicApi("System.Net.WebClient", ApiUse.AnyUse, null, IntoStep),

        // Console and the process environment.
        new NonDeterministicApi("System.Console", ApiUse.AnyUse, null, IntoStep),
        new NonDeterministicApi("System.Environment", ApiUse.Member, "GetEnvironmentVariable", PassAsInput),
        new NonDeterministicApi("System.Environment", ApiUse.Member, "GetEnvironmentVariables", PassAsInput),
        new NonDeterministicApi("System.Environment", ApiUse.Member, "ExpandEnvironmentVariables", PassAsInput),
        new NonDeterministicApi("System.Environment", ApiUse.Member, "SetEnvironmentVariable", IntoStep),
        new NonDeterministicApi("System.Diagnostics.Process", ApiUse.AnyUse, null, IntoStep),

        // Facts of the machine and process the code happens to run in: a replay may run on another one.
        new NonDeterministicApi("System.Environment", ApiUse.Member, "ProcessorCount", PassAsInput),
        new NonDeterministicApi("System.Environment", ApiUse.Member, "MachineName", PassAsInput),
        new NonDeterministicApi("System.Environment", ApiUse.Member, "UserName", PassAsInput),
        new NonDeterministicApi("System.Environment", ApiUse.Member, "UserDomainName", PassAsInput),
        new NonDeterministicApi("System.Environment", ApiUse.Member, "ProcessId", PassAsInput),
        new NonDeterministicApi("System.Environment", ApiUse.Member, "ProcessPath", PassAsInput),
        new NonDeterministicApi("System.Environment", ApiUse.Member, "WorkingSet", PassAsInput),
        new NonDeterministicApi("System.Environment", ApiUse.Member, "CurrentDirectory", PassAsInput),
        new NonDeterministicApi("System.Environment", ApiUse.Member, "SystemDirectory", PassAsInput),
        new NonDeterministicApi("System.Environment", ApiUse.Member, "SystemPageSize", PassAsInput),
        new NonDeterministicApi("System.Environment", ApiUse.Member, "OSVersion", PassAsInput),
        new NonDeterministicApi("System.Environment", ApiUse.Member, "Version", PassAsInput),
        new NonDeterministicApi("System.Environment", ApiUse.Member, "CommandLine", PassAsInput),
        new NonDeterministicApi("System.Environment", ApiUse.Member, "GetCommandLineArgs", PassAsInput),
        new NonDeterministicApi("System.Environment", ApiUse.Member, "GetFolderPath", PassAsInput),
        new NonDeterministicApi("System.Environment", ApiUse.Member, "GetLogicalDrives", PassAsInput),
        new NonDeterministicApi("System.TimeZoneInfo", ApiUse.Member, "Local", PassAsInput),
    };

    private readonly Dictionary<INamedTypeSymbol, TypeRules> _types;
    private readonly List<(string[] Namespace, string Advice)> _namespaces;

    private NonDeterministicApis(Dictionary<INamedTypeSymbol, TypeRules> types, List<(string[] Namespace, string Advice)> namespaces, IterationOrder iteration)
    {
        _types = types;
        _namespaces = namespaces;
        _iteration = iteration;
    }

    /// <summary>The table as symbols of <paramref name="compilation"/>.</summary>
    public static NonDeterministicApis Resolve(Compilation compilation)
    {
        var types = new Dictionary<INamedTypeSymbol, TypeRules>(SymbolEqualityComparer.Default);
        var namespaces = new List<(string[] Namespace, string Advice)>();
        foreach (var api in Table)
        {
            if (api.MetadataName.EndsWith(".*", System.StringComparison.Ordinal))
            {
                namespaces.Add((api.MetadataName.Substring(0, api.MetadataName.Length - 2).Split('.'), api.Advice));
                continue;
            }
            if (compilation.GetTypeByMetadataName(api.MetadataName) is not { } type) continue;
            if (!types.TryGetValue(type, out var rules))
            {
                rules = new TypeRules();
                types.Add(type, rules);
            }
            switch (api.Use)
            {
                case ApiUse.Member when api.Member is not null:
                    rules.Members[api.Member] = api.Advice;
                    break;
                case ApiUse.AnyUse:
                    rules.AnyUse = api.Advice;
                    break;
                case ApiUse.Creation:
                    rules.Creation = api.Advice;
                    break;
                case ApiUse.CreationWithoutArguments:
                    rules.CreationWithoutArguments = api.Advice;
                    break;
                case ApiUse.CreationFromPath:
                    rules.CreationFromPath = api.Advice;
                    break;
                case ApiUse.CreationWithArguments:
                    rules.CreationWithArguments = api.Advice;
                    break;
                case ApiUse.MemberWithTimeout when api.Member is not null:
                    rules.MembersWithTimeout[api.Member] = api.Advice;
                    break;
            }
        }
        return new NonDeterministicApis(types, namespaces, IterationOrder.Resolve(compilation));
    }

    /// <summary>A read, call or delegate of <paramref name="member"/>, when that is non-deterministic.</summary>
    public NonDeterministicUsage? MatchMember(ISymbol? member)
    {
        if (member?.ContainingType?.OriginalDefinition is not { } type || member is IMethodSymbol { MethodKind: MethodKind.Constructor }) return null;
        var api = type.Name + "." + member.Name;
        if (IsStaticState(member)) return new NonDeterministicUsage(api, InstanceState);
        // An override in a library (a TimeProvider subclass, a StringComparer) answers like the member it overrides; an
        // override in the compilation is code of its own, which the analysis follows instead.
        for (var current = member; current?.ContainingType?.OriginalDefinition is { } declaring; current = OverriddenInLibrary(current))
        {
            if (!_types.TryGetValue(declaring, out var rules)) continue;
            if (rules.Members.TryGetValue(current.Name, out var advice)) return new NonDeterministicUsage(api, advice);
            if (rules.MembersWithTimeout.TryGetValue(current.Name, out var timeout) && TakesTimeSpan(current)) return new NonDeterministicUsage(api, timeout);
            if (rules.AnyUse is { } anyUse) return new NonDeterministicUsage(api, anyUse);
        }
        return NamespaceAdvice(type) is { } namespaceAdvice ? new NonDeterministicUsage(api, namespaceAdvice) : null;
    }

    /// <summary>
    /// A static field of the compilation that is neither const nor readonly: it lives as long as the process, every run
    /// in it shares it, and a replay in another process sees another value. A <c>static readonly</c> field is fine.
    /// </summary>
    private static bool IsStaticState(ISymbol member) =>
        member is IFieldSymbol { IsStatic: true, IsConst: false, IsReadOnly: false, IsImplicitlyDeclared: false } field
        && field.Locations.Length > 0 && field.Locations[0].IsInSource;

    private static bool TakesTimeSpan(ISymbol member) =>
        member is IMethodSymbol method
        && method.Parameters.Any(p => p.Type is INamedTypeSymbol { Name: "TimeSpan", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } });

    /// <summary>The member <paramref name="member"/> overrides, when <paramref name="member"/> is declared outside the compilation.</summary>
    private static ISymbol? OverriddenInLibrary(ISymbol member)
    {
        if (!member.IsOverride || (member.Locations.Length > 0 && member.Locations[0].IsInSource)) return null;
        return member switch
        {
            IMethodSymbol method => method.OverriddenMethod,
            IPropertySymbol property => property.OverriddenProperty,
            IEventSymbol @event => @event.OverriddenEvent,
            _ => null,
        };
    }

    /// <summary>A <c>new</c> expression, when creating that object is non-deterministic.</summary>
    public NonDeterministicUsage? MatchCreation(IObjectCreationOperation creation)
    {
        var constructor = creation.Constructor;
        if ((constructor?.ContainingType ?? creation.Type as INamedTypeSymbol)?.OriginalDefinition is not { } type) return null;
        var api = "new " + type.Name + (creation.Arguments.Length == 0 ? "()" : "(...)");
        if (_types.TryGetValue(type, out var rules))
        {
            if (rules.AnyUse is { } anyUse) return new NonDeterministicUsage(api, anyUse);
            if (rules.Creation is { } any) return new NonDeterministicUsage(api, any);
            if (constructor is not null)
            {
                if (rules.CreationWithoutArguments is { } unseeded && constructor.Parameters.Length == 0)
                {
                    return new NonDeterministicUsage(api, unseeded);
                }
                if (rules.CreationFromPath is { } fromPath && constructor.Parameters.Length > 0
                    && constructor.Parameters[0].Type.SpecialType == SpecialType.System_String)
                {
                    return new NonDeterministicUsage(api, fromPath);
                }
                if (rules.CreationWithArguments is { } delayed && constructor.Parameters.Length > 0)
                {
                    return new NonDeterministicUsage(api, delayed);
                }
            }
        }
        return NamespaceAdvice(type) is { } namespaceAdvice ? new NonDeterministicUsage(api, namespaceAdvice) : null;
    }

    private string? NamespaceAdvice(INamedTypeSymbol type)
    {
        foreach (var (parts, advice) in _namespaces)
        {
            if (IsInNamespace(type, parts)) return advice;
        }
        return null;
    }

    /// <summary>Compares names from the innermost out: no display strings on the hot path.</summary>
    private static bool IsInNamespace(INamedTypeSymbol type, string[] parts)
    {
        var current = type.ContainingNamespace;
        for (var i = parts.Length - 1; i >= 0; i--)
        {
            if (current is null || current.IsGlobalNamespace || current.Name != parts[i]) return false;
            current = current.ContainingNamespace;
        }
        return current is null || current.IsGlobalNamespace;
    }

    private sealed class TypeRules
    {
        public Dictionary<string, string> Members { get; } = new(System.StringComparer.Ordinal);

        public Dictionary<string, string> MembersWithTimeout { get; } = new(System.StringComparer.Ordinal);

        public string? AnyUse { get; set; }

        public string? Creation { get; set; }

        public string? CreationWithoutArguments { get; set; }

        public string? CreationFromPath { get; set; }

        public string? CreationWithArguments { get; set; }
    }
}
