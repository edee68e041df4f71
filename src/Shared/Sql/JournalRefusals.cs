using Workflows.Journal;

namespace Workflows.Storage.Sql;

/// <summary>
/// Why a journal write did not apply, as the typed error the store contract promises, from what the store's probes found.
/// Shared by the SQL stores so that both say the same thing for the same refusal.
/// </summary>
internal static class JournalRefusals
{
    internal static JournalConflictException StepOfOtherRun(StepRecord step, RunRecord run) =>
        new($"Step {step.Sequence} '{step.Name}' names run {step.RunId}, not the run {run.Id} being created. Nothing was written.");

    internal static JournalConflictException RunIdOfOtherTenant(RunRecord run) =>
        new($"Run id {run.Id} is already used by another tenant; tenant '{run.TenantId}' cannot create it. Nothing was written.");

    internal static JournalConflictException RunNotCreated(RunRecord run) =>
        new($"Run {run.Id} ({run.Workflow}) could not be created and no conflicting run was found.");

    /// <summary>A step insert that inserted nothing: the run is not the tenant's, the sequence is taken, or the step id is.</summary>
    internal static JournalConflictException StepNotInserted(StepRecord step, bool tenantHasRun, bool sequenceTaken) =>
        !tenantHasRun ? new($"Step {step.Sequence} '{step.Name}' names run {step.RunId}, which tenant '{step.TenantId}' does not have.")
        : sequenceTaken ? new($"Run {step.RunId} already has a step at sequence {step.Sequence}; the recorded step was kept.")
        : new($"A step with id {step.Id} is already recorded; step {step.Sequence} '{step.Name}' of run {step.RunId} was not inserted.");

    /// <summary>A step update that changed nothing: the step is missing, or its stored status does not lead to the new one.</summary>
    internal static JournalException StepNotUpdated(StepRecord step, StepStatus? current) =>
        current is { } status ? IllegalTransitionException.For(step, status) : new JournalConflictException($"Run {step.RunId} has no step {step.Id} at sequence {step.Sequence}.");

    /// <summary>A run update that changed nothing: the tenant has no such run, or its stored status does not lead to the new one.</summary>
    internal static JournalException RunNotUpdated(RunRecord run, RunStatus? current) =>
        current is { } status ? IllegalTransitionException.For(run, status) : new JournalConflictException($"Tenant '{run.TenantId}' has no run {run.Id}.");

    /// <summary>A step write the database refused (a constraint, a value it cannot hold).</summary>
    internal static JournalConflictException StepNotWritten(StepRecord step, string reason, Exception inner) =>
        new($"Step {step.Sequence} '{step.Name}' of run {step.RunId} cannot be written: {reason}", inner);

    internal static JournalConflictException RunNotWritten(RunRecord run, string reason, Exception inner) =>
        new($"Run {run.Id} ({run.Workflow}) cannot be updated: {reason}", inner);

    internal static JournalConflictException EventNotStored(EventRecord ev, string reason, Exception inner) =>
        new($"Event {ev.Id} '{ev.Name}' for run {ev.RunId} cannot be stored: {reason}", inner);
}
