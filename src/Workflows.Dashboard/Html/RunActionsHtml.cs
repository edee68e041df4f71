using System.Globalization;
using Workflows.Inspection;
using Workflows.Journal;

namespace Workflows.Dashboard.Html;

/// <summary>
/// The action forms of a run's page (rendered only for a user who meets the actions policy), each posting with an
/// antiforgery token. A form shows only while the run's status allows it (<c>data-when</c>; the script follows the live status).
/// </summary>
internal static class RunActionsHtml
{
    public const string NotEnded = "Pending Running Waiting Parked";
    public const string Reopenable = "Parked Failed";

    public static void Write(HtmlWriter html, DashboardRequest request, TimelineView view)
    {
        var run = view.Run;
        var tokens = request.Antiforgery();
        html.Start("section", "actions").Attr("id", "run-actions").Attr("data-status", run.Status.ToString()).Attr("aria-label", "actions");
        html.Element("h2", null, "Actions");

        Form(html, request, run, "cancel", NotEnded, tokens.FormFieldName, tokens.RequestToken);
        html.Element("h3", null, "Cancel");
        Field(html, "Reason", "reason", "text", null, "optional");
        html.Start("button").Attr("type", "submit").Text("Cancel run").End();
        html.End();

        Form(html, request, run, "resume", Reopenable, tokens.FormFieldName, tokens.RequestToken);
        html.Element("h3", null, "Resume");
        html.Element("p", "hint", "Reopens the run; an engine that has its workflow runs it again from its journal.");
        html.Start("button").Attr("type", "submit").Text("Resume run").End();
        html.End();

        var last = view.Rows.Where(r => r.Depth == 0).Select(r => r.Sequence).DefaultIfEmpty(0).Max();
        Form(html, request, run, "fork", null, tokens.FormFieldName, tokens.RequestToken);
        html.Element("h3", null, "Fork");
        html.Start("label").Text("From entry ");
        html.Void("input").Attr("type", "number").Attr("name", "from").Attr("min", "1")
            .Attr("max", (last + 1).ToString(CultureInfo.InvariantCulture)).Attr("value", Math.Max(1, last).ToString(CultureInfo.InvariantCulture))
            .Flag("required");
        html.End();
        html.Element("p", "hint", "A new run whose journal is this one's entries before that one; those replay, the rest run for real.");
        html.Start("button").Attr("type", "submit").Text("Fork run").End();
        html.End();

        Form(html, request, run, "events", NotEnded, tokens.FormFieldName, tokens.RequestToken);
        html.Element("h3", null, "Send an event");
        var waitingFor = run.WaitingFor is { } waiting && waiting.StartsWith("event:", StringComparison.Ordinal) ? waiting["event:".Length..] : null;
        Field(html, "Event", "name", "text", waitingFor, "event name", required: true);
        html.Start("label").Text("Payload (JSON) ");
        html.Start("textarea").Attr("name", "payload").Attr("rows", "3").Attr("spellcheck", "false").Flag("required").Text("null").End();
        html.End();
        Field(html, "Idempotency key", "idempotencyKey", "text", null, "optional");
        html.Start("button").Attr("type", "submit").Text("Send event").End();
        html.End();

        html.End();
    }

    private static void Form(HtmlWriter html, DashboardRequest request, RunRecord run, string action, string? when, string fieldName, string? token)
    {
        html.Start("form", "action action-" + action).Attr("method", "post").Attr("action", request.Paths.RunAction(request.Http, run.Id, action))
            .Attr("data-when", when);
        if (when is not null) html.Flag("hidden", !when.Split(' ').Contains(run.Status.ToString()));
        html.Void("input").Attr("type", "hidden").Attr("name", fieldName).Attr("value", token);
    }

    private static void Field(HtmlWriter html, string label, string name, string type, string? value, string? placeholder, bool required = false)
    {
        html.Start("label").Text(label + " ");
        html.Void("input").Attr("type", type).Attr("name", name).Attr("value", value).Attr("placeholder", placeholder).Flag("required", required);
        html.End();
    }
}
