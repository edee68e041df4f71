using Workflows.Journal;

namespace Workflows.Storage;

/// <summary>A request to cancel a run.</summary>
public sealed record CancelRequest(string TenantId, Guid RunId, string Reason, DateTimeOffset Now);

/// <summary>What a cancel request did.</summary>
public enum CancelOutcome
{
    /// <summary>The tenant has no such run.</summary>
    NotFound,
    /// <summary>The run was not held by a live engine and is now <see cref="RunStatus.Cancelled"/>.</summary>
    Cancelled,
    /// <summary>An engine holds the run; the request is recorded and the owner cancels it cooperatively.</summary>
    Requested,
    /// <summary>The run had already ended; nothing changed.</summary>
    AlreadyEnded,
}

/// <summary>The outcome of <see cref="IWorkflowStore.RequestCancelAsync"/>, with the run as it now is.</summary>
public readonly record struct CancelResult(CancelOutcome Outcome, RunRecord? Run);

/// <summary>How every store applies a cancel request, so that they agree.</summary>
public static class RunCancellation
{
    /// <summary>Whether a live engine holds the run (a claim not yet expired): then the owner cancels it, not the store.</summary>
    public static bool IsHeld(RunRecord run, DateTimeOffset now) => run.Owner is not null && run.LeaseExpiresAt is { } lease && lease > now;

    /// <summary>A step the cancellation cut short (still pending or running): failed, with the run's cancellation error.</summary>
    public static StepRecord CutShort(StepRecord step, CancelRequest request) => step with
    {
        Status = StepStatus.Failed,
        Error = new ErrorInfo(ErrorKind.Cancelled, request.Reason),
        CompletedAt = request.Now,
        UpdatedAt = request.Now,
    };

    /// <summary>The run cancelled by the store itself: final, released, with who/why as its error.</summary>
    public static RunRecord Cancelled(RunRecord run, CancelRequest request) => run with
    {
        Status = RunStatus.Cancelled,
        Error = new ErrorInfo(ErrorKind.Cancelled, request.Reason),
        CompletedAt = request.Now,
        UpdatedAt = request.Now,
        Owner = null,
        LeaseExpiresAt = null,
        WakeAt = null,
        WaitingFor = null,
        CancelRequestedAt = request.Now,
        CancelReason = request.Reason,
    };
}
