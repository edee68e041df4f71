namespace Workflows;

/// <summary>
/// The synchronization context workflow code runs under. It runs every continuation on the thread pool, as the default
/// would, and numbers the synchronous segments of the workflow's code: the calls a workflow makes in one go (the steps of
/// one <c>Task.WhenAll</c>) are made in one segment, and a call made after an await is made in a later one. The context
/// uses that to put the entries called in one go in one wave (one <see cref="Journal.StepRecord.Position"/>), however
/// fast each of them finishes.
/// </summary>
internal sealed class WorkflowSynchronizationContext : SynchronizationContext
{
    [ThreadStatic]
    private static int t_segment;

    private static int s_segments;

    /// <summary>The segment of workflow code running on this thread, or 0 outside workflow code.</summary>
    internal static int CurrentSegment => t_segment;

    public override void Post(SendOrPostCallback d, object? state) =>
        ThreadPool.UnsafeQueueUserWorkItem(static item => item.Context.Run(item.Callback, item.State), (Context: this, Callback: d, State: state), preferLocal: false);

    public override void Send(SendOrPostCallback d, object? state) => Run(d, state);

    public override SynchronizationContext CreateCopy() => this;

    /// <summary>Runs <paramref name="callback"/> as a new segment of workflow code, under this context.</summary>
    internal void Run(SendOrPostCallback callback, object? state)
    {
        var previousContext = Current;
        var previousSegment = t_segment;
        SetSynchronizationContext(this);
        t_segment = Interlocked.Increment(ref s_segments);
        try
        {
            callback(state);
        }
        finally
        {
            t_segment = previousSegment;
            SetSynchronizationContext(previousContext);
        }
    }
}
