using Workflows.Journal;
using Workflows.Storage;

namespace Workflows;

/// <summary>
/// The state of one execution of a run: its replay journal, the next sequence number, the current wave, and the claim
/// under which it writes. It flows with the workflow's async calls; generated step wrappers find it through <see cref="Current"/>.
/// </summary>
/// <remarks>
/// Split by role: this file holds the journal bookkeeping; <c>WorkflowContext.Commits.cs</c> the fenced commit and what
/// rides with it; <c>WorkflowContext.Steps.cs</c> runs
/// steps; <c>WorkflowContext.Durable.cs</c> records durable values and sleeps, and suspends the run.
/// </remarks>
public sealed partial class WorkflowContext
{
    private static readonly AsyncLocal<WorkflowContext?> s_current = new();

    private readonly IWorkflowStore _store;
    private readonly TimeProvider _clock;
    private readonly string _owner;
    private readonly TimeSpan _suspendThreshold;
    private readonly int _maxInterruptedAttempts;
    private readonly Dictionary<int, StepRecord> _journal;
    private readonly int _recordedCount;
    private readonly HashSet<int> _replayed = [];
    private readonly HashSet<int> _executed = [];
    private readonly Dictionary<int, StepRecord> _running = [];
    private readonly Lock _gate = new();
    private int _sequence;
    private int _inFlight;
    private int _wave;
    private int _highestPosition;
    private int _waveSegment;
    private object? _instance;

    internal WorkflowContext(RunRecord run, IReadOnlyList<StepRecord> journal, IWorkflowStore store, TimeProvider clock, string owner,
        TimeSpan suspendThreshold, int maxInterruptedAttempts, Serialization.JournalLimits limits, CancellationToken cancellationToken)
    {
        Limits = limits;
        _maxInterruptedAttempts = maxInterruptedAttempts;
        Run = run;
        _store = store;
        _clock = clock;
        _owner = owner;
        _suspendThreshold = suspendThreshold;
        CancellationToken = cancellationToken;
        _journal = new Dictionary<int, StepRecord>(journal.Count);
        foreach (var step in journal)
        {
            _journal[step.Sequence] = step;
        }
        _recordedCount = _journal.Count;
    }

    /// <summary>The context of the run executing on this async flow, or null outside any run.</summary>
    public static WorkflowContext? Current
    {
        get => s_current.Value;
        internal set => s_current.Value = value;
    }

    /// <summary>The run as it was when this execution began (with the code's schema version once it is adopted).</summary>
    public RunRecord Run { get; private set; }

    public Guid RunId => Run.Id;
    public string TenantId => Run.TenantId;

    /// <summary>Fires when the run is cancelled, passes its deadline, loses its claim, or the engine stops.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The engine's clock.</summary>
    internal TimeProvider Clock => _clock;

    /// <summary>The depth and size limits every payload of this run is written and read within.</summary>
    internal Serialization.JournalLimits Limits { get; }

    /// <summary>True while the code is still re-walking steps the journal already holds.</summary>
    public bool IsReplaying => Volatile.Read(ref _sequence) < _recordedCount;

    /// <summary>
    /// The first error that parks the run (non-determinism, an unreadable journal payload); it stops the run even if
    /// workflow code catches it.
    /// </summary>
    internal Exception? Fatal { get; private set; }

    /// <summary>
    /// Set when the store failed a commit with an error that is neither a refusal of the run's writes (a
    /// <see cref="JournalException"/>) nor its unavailability (retried): what the journal holds is unknown, so this execution
    /// writes nothing more and is abandoned; the run is replayed by the next execution, not failed.
    /// </summary>
    internal Exception? StoreFault { get; private set; }

    /// <summary>Set when a commit was fenced out: the run belongs to another engine now and this execution must not write again.</summary>
    internal RunOwnershipLostException? OwnershipLost { get; private set; }

    /// <summary>Told of every durable commit of this execution (the engine's journal observer).</summary>
    internal Action<RunRecord, IReadOnlyList<JournalWrite>>? Committed { get; init; }

    /// <summary>Called before a commit that releases the run is sent (it may be applied even if its reply is lost).</summary>
    internal Action? Releasing { get; init; }

    /// <summary>The engine's logger (step retries and failures).</summary>
    internal Microsoft.Extensions.Logging.ILogger Logger { get; init; } = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    /// <summary>
    /// The code's schema version, when the run was recorded under another one and the change was accepted: it is written
    /// with the first commit after the replay has passed every recorded step (and never if the run is parked before).
    /// </summary>
    internal string? AdoptSchemaVersion { get; init; }

    /// <summary>Whether the run's record should now carry <see cref="AdoptSchemaVersion"/>: the replay has read every recorded step.</summary>
    private bool AdoptsSchema => AdoptSchemaVersion is not null && Fatal is null && Volatile.Read(ref _sequence) >= _recordedCount;

    /// <summary><paramref name="run"/> with the adopted schema version, when it is time (see <see cref="AdoptSchemaVersion"/>).</summary>
    internal RunRecord WithAdoptedSchema(RunRecord run) =>
        AdoptsSchema && run.Id == RunId && run.SchemaVersion != AdoptSchemaVersion ? run with { SchemaVersion = AdoptSchemaVersion! } : run;

    internal IReadOnlyCollection<int> Replayed => _replayed;
    internal IReadOnlyCollection<int> Executed => _executed;

    internal void Bind(object instance) => _instance = instance;

    /// <summary>Whether calls on <paramref name="workflow"/> are the ones this run journals.</summary>
    public bool Owns(object workflow) => ReferenceEquals(_instance, workflow);

    /// <summary>Records an error that parks the run and returns it, to be thrown.</summary>
    internal Exception Park(Exception error)
    {
        Fatal ??= error;
        return error;
    }

    /// <summary>The step records this execution left unfinished (running or scheduled for a retry).</summary>
    internal IReadOnlyList<StepRecord> UnfinishedSteps()
    {
        lock (_gate)
        {
            return [.. _running.Values];
        }
    }

    /// <summary>A new journal entry of this run: a first attempt, running since <paramref name="now"/>.</summary>
    private StepRecord NewRecord(int sequence, int position, string name, StepKind kind, DateTimeOffset now, string? input = null) => new()
    {
        Input = input,
        Id = Guid.CreateVersion7(now),
        RunId = RunId,
        TenantId = TenantId,
        Sequence = sequence,
        Position = position,
        Name = name,
        Kind = kind,
        Status = StepStatus.Running,
        Attempt = 1,
        CreatedAt = now,
        StartedAt = now,
        UpdatedAt = now,
    };

    /// <summary>Takes the next sequence number and checks the journal's record at it against what the code does now.</summary>
    private int NextSequence(string name, StepKind kind, out StepRecord? recorded)
    {
        if (CurrentStep.Current is { Step: var outer })
        {
            throw new InvalidOperationException(
                $"{kind} '{name}' was called inside the body of step '{outer.Name}'. A step body is not journaled step by step; call it from the workflow's run method (WF0009).");
        }
        if (Fatal is { } fatal)
        {
            throw fatal; // the run is being parked: nothing more is journaled
        }
        if (OwnershipLost is { } lost)
        {
            throw lost;
        }
        CancellationToken.ThrowIfCancellationRequested(); // a cancelled run starts no further step
        var sequence = Interlocked.Increment(ref _sequence);
        lock (_gate)
        {
            _journal.TryGetValue(sequence, out recorded);
        }
        if (recorded is not null && (!string.Equals(recorded.Name, name, StringComparison.Ordinal) || recorded.Kind != kind))
        {
            throw Park(new NonDeterminismException(RunId, sequence, recorded.Name, recorded.Kind, name, kind));
        }
        return sequence;
    }

    /// <summary>Reads a recorded payload; a payload that cannot be read parks the run instead of failing it.</summary>
    private T ReadRecorded<T>(StepRecord recorded, Func<string, T> read)
    {
        try
        {
            return read(recorded.Output ?? "null");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw Park(new JournalPayloadException(RunId, recorded.Sequence, recorded.Name, e));
        }
    }

    /// <summary>
    /// Counts an entry in flight and returns its position (its wave), or -1 when the run's suspension has begun: the entry
    /// must then not start (its caller waits forever, like every call after a suspension; the next execution takes the
    /// same sequence number again).
    /// </summary>
    /// <param name="resume">The position of an entry already journaled that is awaited again (a child's): a wave that
    /// begins with it is that entry's wave, so the calls made beside it share its position.</param>
    /// <param name="bySegment">False for a value taken inline (the time, a guid): it neither joins nor marks a segment's wave.</param>
    private int EnterWave(int? resume = null, bool bySegment = true)
    {
        var segment = bySegment ? WorkflowSynchronizationContext.CurrentSegment : 0;
        lock (_gate)
        {
            if (_suspensionBegun != 0)
            {
                return -1;
            }
            // A new wave begins when nothing is in flight, unless this entry is called in the same segment of workflow
            // code as the wave's last one (called in one go, as in Task.WhenAll: the earlier ones just finished first).
            if (_inFlight == 0 && (segment == 0 || segment != _waveSegment || resume is not null))
            {
                _wave = resume ?? _highestPosition + 1;
            }
            if (segment != 0)
            {
                _waveSegment = segment;
            }
            _inFlight++;
            _highestPosition = Math.Max(_highestPosition, _wave);
            return _wave;
        }
    }

    private void LeaveWave()
    {
        bool drained;
        lock (_gate)
        {
            _inFlight--;
            drained = _suspendRequests > 0 && _inFlight == _suspendRequests;
        }
        if (drained)
        {
            ScheduleSuspension();
        }
    }

    private void TrackRunning(StepRecord record)
    {
        lock (_gate)
        {
            _running[record.Sequence] = record;
        }
    }

    private void MarkReplayed(StepRecord recorded)
    {
        lock (_gate)
        {
            _replayed.Add(recorded.Sequence);
            _highestPosition = Math.Max(_highestPosition, recorded.Position);
        }
    }

    private void MarkExecuted(int sequence)
    {
        lock (_gate)
        {
            _executed.Add(sequence);
            _running.Remove(sequence);
        }
    }
}
