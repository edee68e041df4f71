using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Workflows.Dashboard.Html;
using Workflows.Dashboard.Pages;
using Workflows.Journal;
using Workflows.Serialization;
using Workflows.Storage;

namespace Workflows.Dashboard.Actions;

/// <summary>
/// The POST actions on a run: cancel, resume (reopen), fork from an entry, send an event with a JSON payload. In order:
/// the actions policy (403, nothing read), the antiforgery token (400), the run among the user's tenants (404), the
/// form (400 naming the field), then the engine call; success redirects (303) to the run's page (the fork's, for a fork).
/// </summary>
internal static class RunActions
{
    public const string Cancel = "cancel";
    public const string Resume = "resume";
    public const string Fork = "fork";
    public const string SendEvent = "events";

    public static async Task HandleAsync(DashboardRequest request, Guid runId, string action)
    {
        var http = request.Http;
        if (request.Options.ActionsPolicy is null)
        {
            await RefuseAsync(request, "This dashboard is read-only: WorkflowsDashboardOptions.ActionsPolicy names no policy.").ConfigureAwait(false);
            return;
        }
        if (!request.CanAct)
        {
            await RefuseAsync(request, $"You do not meet the policy '{request.Options.ActionsPolicy}' that the dashboard's actions require.").ConfigureAwait(false);
            return;
        }
        try
        {
            await http.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(http).ConfigureAwait(false);
        }
        catch (AntiforgeryValidationException)
        {
            await BadRequestAsync(request, runId, "The form's antiforgery token is missing or not valid for you: reload the run's page and try again.").ConfigureAwait(false);
            return;
        }
        var run = await request.FindRunAsync(runId).ConfigureAwait(false);
        if (run is null)
        {
            await RunDetailPage.NotFoundAsync(request, runId).ConfigureAwait(false);
            return;
        }
        var form = await http.Request.ReadFormAsync(request.Aborted).ConfigureAwait(false);
        try
        {
            switch (action)
            {
                case Cancel:
                    await CancelAsync(request, run, form).ConfigureAwait(false);
                    break;
                case Resume:
                    await ResumeAsync(request, run).ConfigureAwait(false);
                    break;
                case Fork:
                    await ForkAsync(request, run, form).ConfigureAwait(false);
                    break;
                case SendEvent:
                    await SendEventAsync(request, run, form).ConfigureAwait(false);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(action), action, "Unknown dashboard action.");
            }
        }
        catch (WorkflowNotFoundException e)
        {
            await PageLayout.WriteMessageAsync(request, StatusCodes.Status404NotFound, "Not found", e.Message, request.Paths.Run(http, runId)).ConfigureAwait(false);
        }
    }

    private static async Task CancelAsync(DashboardRequest request, RunRecord run, IFormCollection form)
    {
        var who = request.Http.User.Identity?.Name is { Length: > 0 } name ? name : "a dashboard user";
        var reason = Text(form, "reason") is { } given ? $"{given} (cancelled by {who} from the dashboard)" : $"Cancelled by {who} from the dashboard.";
        var outcome = await request.Engine.CancelAsync(run.Id, run.TenantId, reason, request.Aborted).ConfigureAwait(false);
        switch (outcome)
        {
            case CancelOutcome.Cancelled:
                Redirect(request, run.Id, "cancelled");
                break;
            case CancelOutcome.Requested:
                Redirect(request, run.Id, "cancel");
                break;
            case CancelOutcome.AlreadyEnded:
                await ConflictAsync(request, run.Id, $"Run {run.Id} has already ended; there is nothing to cancel.").ConfigureAwait(false);
                break;
            default:
                await RunDetailPage.NotFoundAsync(request, run.Id).ConfigureAwait(false);
                break;
        }
    }

    private static async Task ResumeAsync(DashboardRequest request, RunRecord run)
    {
        if (run.Status is not (RunStatus.Parked or RunStatus.Failed))
        {
            await ConflictAsync(request, run.Id, $"Run {run.Id} is {run.Status}: only a parked or failed run can be resumed.").ConfigureAwait(false);
            return;
        }
        var reopened = await request.Engine.ReopenRunAsync(run.Id, run.TenantId, request.Aborted).ConfigureAwait(false);
        if (reopened.Status is RunStatus.Parked or RunStatus.Failed)
        {
            await ConflictAsync(request, run.Id, $"Run {run.Id} is still {reopened.Status}.").ConfigureAwait(false);
            return;
        }
        Redirect(request, run.Id, "resume");
    }

    private static async Task ForkAsync(DashboardRequest request, RunRecord run, IFormCollection form)
    {
        var text = Text(form, "from");
        if (text is null || !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var from))
        {
            await BadRequestAsync(request, run.Id, $"Field 'from' is '{text}'; it must be the number of the entry to fork from.").ConfigureAwait(false);
            return;
        }
        RunRecord fork;
        try
        {
            fork = await request.Engine.ForkRunAsync(run.Id, from, run.TenantId, request.Aborted).ConfigureAwait(false);
        }
        catch (ArgumentOutOfRangeException e)
        {
            await BadRequestAsync(request, run.Id, $"Field 'from': {FirstLine(e.Message)}").ConfigureAwait(false);
            return;
        }
        Redirect(request, fork.Id, "fork");
    }

    private static async Task SendEventAsync(DashboardRequest request, RunRecord run, IFormCollection form)
    {
        var name = Text(form, "name");
        if (name is null)
        {
            await BadRequestAsync(request, run.Id, "Field 'name' is empty; it must name the event.").ConfigureAwait(false);
            return;
        }
        var payloadText = Text(form, "payload") ?? "null";
        JsonElement payload;
        try
        {
            using var document = JsonDocument.Parse(payloadText);
            payload = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            await BadRequestAsync(request, run.Id, $"Field 'payload' is not JSON: {e.Message}").ConfigureAwait(false);
            return;
        }
        try
        {
            await request.Engine.SendEventAsync(run.Id, name, payload, JsonCodecs.JsonElement, run.TenantId, Text(form, "idempotencyKey"), request.Aborted)
                .ConfigureAwait(false);
        }
        catch (EventDeliveryException e) when (e.RunStatus is null)
        {
            await RunDetailPage.NotFoundAsync(request, run.Id).ConfigureAwait(false);
            return;
        }
        catch (EventDeliveryException e)
        {
            await ConflictAsync(request, run.Id, e.Message).ConfigureAwait(false);
            return;
        }
        catch (ArgumentException e)
        {
            await BadRequestAsync(request, run.Id, FirstLine(e.Message)).ConfigureAwait(false);
            return;
        }
        Redirect(request, run.Id, "event");
    }

    private static void Redirect(DashboardRequest request, Guid runId, string done)
    {
        request.Http.Response.StatusCode = StatusCodes.Status303SeeOther;
        request.Http.Response.Headers.Location = request.Paths.Run(request.Http, runId) + "?done=" + done;
    }

    private static Task RefuseAsync(DashboardRequest request, string message) =>
        PageLayout.WriteMessageAsync(request, StatusCodes.Status403Forbidden, "Not allowed", message);

    private static Task BadRequestAsync(DashboardRequest request, Guid runId, string message) =>
        PageLayout.WriteMessageAsync(request, StatusCodes.Status400BadRequest, "Bad request", message, request.Paths.Run(request.Http, runId));

    private static Task ConflictAsync(DashboardRequest request, Guid runId, string message) =>
        PageLayout.WriteMessageAsync(request, StatusCodes.Status409Conflict, "Not possible now", message, request.Paths.Run(request.Http, runId));

    private static string? Text(IFormCollection form, string field) =>
        form.TryGetValue(field, out var values) && values.Count > 0 && !string.IsNullOrWhiteSpace(values[0]) ? values[0]!.Trim() : null;

    // ArgumentException messages end with " (Parameter 'x')" and the actual value on lines of their own.
    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
