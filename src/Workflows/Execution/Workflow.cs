using Workflows.Journal;
using Workflows.Serialization;

namespace Workflows;

/// <summary>What workflow code can ask of the run it is executing in.</summary>
public static class Workflow
{
    /// <summary>The id of the running run.</summary>
    /// <exception cref="InvalidOperationException">Called outside a running workflow.</exception>
    public static Guid RunId => Context(nameof(RunId)).RunId;

    /// <summary>The tenant of the running run.</summary>
    public static string TenantId => Context(nameof(TenantId)).TenantId;

    /// <summary>True while the run is re-walking steps that its journal already holds.</summary>
    public static bool IsReplaying => Context(nameof(IsReplaying)).IsReplaying;

    /// <summary>Whether the caller is inside a running workflow.</summary>
    public static bool IsRunning => WorkflowContext.Current is not null;

    /// <summary>The token that is cancelled when the engine stops the run.</summary>
    public static CancellationToken CancellationToken => Context(nameof(CancellationToken)).CancellationToken;

    /// <summary>
    /// The current UTC time, recorded in the journal: a replay sees the time the first execution saw.
    /// Use it instead of <see cref="DateTime.UtcNow"/> in workflow code.
    /// </summary>
    public static DateTime UtcNow
    {
        get
        {
            var context = Context(nameof(UtcNow));
            return context.RecordValue("now", StepKind.Now, () => context.Clock.GetUtcNow().UtcDateTime, JsonCodecs.DateTime);
        }
    }

    /// <summary>The recorded time (see <see cref="UtcNow"/>) in the machine's local time zone.</summary>
    public static DateTime Now => UtcNow.ToLocalTime();

    /// <summary>
    /// Whether this run takes the code change <paramref name="changeId"/>: guard a change to a workflow that runs are still
    /// executing with it (<c>if (Workflow.Patched("add-fraud-check")) await CheckFraudAsync(order);</c>). A run executing
    /// the call for the first time takes the new branch and journals the patch in its place; a run recorded before the change
    /// (whose journal holds something else where the call now is) takes the old branch, so its replay matches what it
    /// recorded; a replay of a run that took it takes it again. Call it from workflow code in call order (not inside a step
    /// body or a parallel wave), once per change id at each place. Resuming old runs under the changed code needs
    /// <see cref="SchemaChangePolicy.AcceptCompatible"/> when the change adds or removes steps (an added step is compatible).
    /// Once no run recorded before the change can still resume, remove the old branch, keeping the call (it returns true
    /// for every run from then on) until no run recorded with the patch is left either.
    /// </summary>
    /// <param name="changeId">A stable name of the change: 1 to 200 characters, no control characters.</param>
    public static bool Patched(string changeId) => Context(nameof(Patched)).Patched(changeId);

    /// <summary>A new GUID, recorded in the journal: a replay gets the same one. Use it instead of <see cref="Guid.NewGuid"/>.</summary>
    public static Guid NewGuid() =>
        Context(nameof(NewGuid)).RecordValue("guid", StepKind.Guid, static () => Guid.NewGuid(), JsonCodecs.Guid);

    /// <summary>
    /// A durable timer: waits <paramref name="duration"/>, with the wake-up time journaled first, so that a restarted run
    /// waits only for what is left and a timer that fired is not waited for again; it never ends before that time. Use it
    /// instead of Task.Delay. A sleep longer than the engine's <see cref="WorkflowEngineOptions.SuspendThreshold"/> suspends
    /// the run (nothing of it stays in memory; the scheduler wakes it by replay): <paramref name="cancellationToken"/> cannot
    /// outlive that, so end such a sleep early by cancelling the run (<see cref="WorkflowEngine.CancelAsync"/>).
    /// </summary>
    public static Task SleepAsync(TimeSpan duration, CancellationToken cancellationToken = default) =>
        Context(nameof(SleepAsync)).SleepAsync(duration, cancellationToken);

    /// <summary>
    /// Waits for an external event of <paramref name="name"/> sent to this run (<see cref="WorkflowEngine.SendEventAsync{T}(Guid, string, T, string?, string?, CancellationToken)"/>)
    /// and returns its payload. Journaled (an <see cref="StepKind.Event"/> entry whose output is the payload): a replay returns
    /// the same payload. An event sent before the wait is delivered to it; events of one name queue in the order they were
    /// sent, one per wait. While none is there the run is suspended (nothing of it stays in memory) until one is sent or
    /// <paramref name="timeout"/> passes (none: wait as long as it takes).
    /// </summary>
    /// <exception cref="EventTimeoutException">No event arrived in time (the wait's entry is recorded as failed; a later event waits for the next wait).</exception>
    public static Task<T> WaitForEventAsync<T>(string name, TimeSpan? timeout = null) =>
        Context(nameof(WaitForEventAsync)).WaitForEventAsync(name, timeout, JsonCodecRegistry.Get<T>($"the payload of event '{name}'"));

    /// <summary><see cref="WaitForEventAsync{T}(string, TimeSpan?)"/> with an explicit codec.</summary>
    public static Task<T> WaitForEventAsync<T>(string name, JsonCodec<T> codec, TimeSpan? timeout = null) =>
        Context(nameof(WaitForEventAsync)).WaitForEventAsync(name, timeout, codec ?? throw new ArgumentNullException(nameof(codec)));

    /// <summary>
    /// Like <see cref="WaitForEventAsync{T}(string, TimeSpan?)"/>, but a timeout is not an exception: the result says whether
    /// the event arrived (the timed-out wait is still journaled as failed, and replays the same way).
    /// </summary>
    public static async Task<EventWaitResult<T>> TryWaitForEventAsync<T>(string name, TimeSpan timeout)
    {
        try
        {
            return new EventWaitResult<T>(true, await WaitForEventAsync<T>(name, timeout).ConfigureAwait(false));
        }
        catch (EventTimeoutException)
        {
            return new EventWaitResult<T>(false, default);
        }
    }

    /// <summary>
    /// Publishes <paramref name="value"/> under <paramref name="key"/> for the run's callers
    /// (<see cref="WorkflowEngine.GetEventAsync{T}(Guid, string, TimeSpan, string?, CancellationToken)"/>): progress, an
    /// intermediate result, the payment link a checkout waits for. Journaled and committed before it returns; a replay does
    /// not publish it again. Publishing the key again replaces the value for readers.
    /// </summary>
    public static Task SetEventAsync<T>(string key, T value) =>
        Context(nameof(SetEventAsync)).PublishAsync(key, value, JsonCodecRegistry.Get<T>($"the value published under '{key}'"));

    /// <summary><see cref="SetEventAsync{T}(string, T)"/> with an explicit codec.</summary>
    public static Task SetEventAsync<T>(string key, T value, JsonCodec<T> codec) =>
        Context(nameof(SetEventAsync)).PublishAsync(key, value, codec ?? throw new ArgumentNullException(nameof(codec)));

    /// <summary>
    /// The first of <paramref name="tasks"/> to finish (steps, waits, children of this run), like <see cref="Task.WhenAny(Task[])"/>,
    /// but journaled: a replay returns the one that finished first when the run first executed. <c>Task.WhenAny</c> over
    /// journaled calls cannot do that (on a replay every recorded entry is finished at once, so it picks the first argument);
    /// use this in workflow code.
    /// </summary>
    public static Task<Task> WhenAnyAsync(params Task[] tasks) => Context(nameof(WhenAnyAsync)).WhenAnyAsync(tasks);

    /// <summary>The typed form of <see cref="WhenAnyAsync(Task[])"/>.</summary>
    public static async Task<Task<T>> WhenAnyAsync<T>(params Task<T>[] tasks) =>
        (Task<T>)await Context(nameof(WhenAnyAsync)).WhenAnyAsync(tasks).ConfigureAwait(false);

    /// <summary>
    /// A random number generator for workflow code, seeded from the journal (the seed is recorded the first time an
    /// execution asks), so a replay draws the same numbers in the same order. Use it instead of <see cref="System.Random.Shared"/>.
    /// </summary>
    public static Random Random => Context(nameof(Random)).Random;

    /// <summary>
    /// Starts a child run of <paramref name="child"/> and returns its handle; await <see cref="ChildWorkflowRun{TOutput}.GetResultAsync"/>
    /// for its result. The child records this run as its parent (and the entry that started it), runs in this run's tenant,
    /// and has an id derived from this run's, so a replay never starts it twice. Cancelling this run cancels its children.
    /// </summary>
    /// <param name="timeout">The child's deadline (<see cref="StartOptions.Timeout"/>), if any.</param>
    public static Task<ChildWorkflowRun<TOutput>> StartChildAsync<TWorkflow, TInput, TOutput>(WorkflowDefinition<TWorkflow, TInput, TOutput> child, TInput input,
        TimeSpan? timeout = null)
        where TWorkflow : class =>
        Context(nameof(StartChildAsync)).StartChildAsync(child, input, timeout);

    /// <summary>
    /// Runs a child workflow and returns its result (<see cref="StartChildAsync{TWorkflow, TInput, TOutput}"/>, then its
    /// result). This run is suspended while the child runs and woken when it ends.
    /// </summary>
    /// <exception cref="ChildWorkflowFailedException">The child failed or was cancelled; it carries the child's error.</exception>
    public static async Task<TOutput> RunChildAsync<TWorkflow, TInput, TOutput>(WorkflowDefinition<TWorkflow, TInput, TOutput> child, TInput input,
        TimeSpan? timeout = null)
        where TWorkflow : class
    {
        var run = await StartChildAsync(child, input, timeout).ConfigureAwait(false);
        return await run.GetResultAsync().ConfigureAwait(false);
    }

    private static WorkflowContext Context(string member) =>
        WorkflowContext.Current ?? throw new InvalidOperationException($"Workflow.{member} is only available inside a running workflow.");
}

/// <summary>What <see cref="Workflow.TryWaitForEventAsync{T}"/> got: whether the event arrived, and its payload if it did.</summary>
public readonly record struct EventWaitResult<T>(bool Arrived, T? Payload);
