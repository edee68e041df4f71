using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Workflows.Dashboard.Html;

/// <summary>The page around every dashboard view (head, stylesheet, script, header) and how HTML is written to the response.</summary>
internal static class PageLayout
{
    // Everything is served by the dashboard itself: no inline script or style, no other origin.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'";

    /// <summary>Starts a full page: writes up to the opening of &lt;main&gt;; end it with <see cref="EndPage"/>.</summary>
    public static HtmlWriter StartPage(DashboardRequest request, string title)
    {
        var html = new HtmlWriter();
        html.Trusted("<!DOCTYPE html>");
        html.Start("html").Attr("lang", "en");
        html.Start("head");
        html.Void("meta").Attr("charset", "utf-8");
        html.Void("meta").Attr("name", "viewport").Attr("content", "width=device-width, initial-scale=1");
        html.Element("title", null, title + " · " + request.Options.Title);
        html.Void("link").Attr("rel", "stylesheet").Attr("href", request.Paths.Asset(request.Http, "dashboard.css"));
        html.Start("script").Attr("src", request.Paths.Asset(request.Http, "dashboard.js")).Flag("defer").End();
        html.End(); // head
        html.Start("body");
        html.Start("header", "topbar");
        html.Link(request.Paths.Root(request.Http), request.Options.Title, "brand");
        html.Start("span", "tenants").Text(request.Tenants.Count switch
        {
            0 => "no tenant",
            1 => "tenant " + request.Tenants[0],
            _ => "tenants " + string.Join(", ", request.Tenants),
        }).End();
        if (!request.CanAct) html.Element("span", "mode", "read-only");
        html.End(); // header
        html.Start("main");
        return html;
    }

    public static string EndPage(HtmlWriter html)
    {
        html.End(); // main
        html.End(); // body
        html.End(); // html
        return html.ToString();
    }

    /// <summary>Writes <paramref name="html"/> as the response, never cached, under the dashboard's content security policy.</summary>
    public static Task WriteAsync(HttpContext http, string html, int statusCode = StatusCodes.Status200OK)
    {
        var response = http.Response;
        response.StatusCode = statusCode;
        response.ContentType = "text/html; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers["Referrer-Policy"] = "same-origin";
        var bytes = Encoding.UTF8.GetBytes(html);
        response.ContentLength = bytes.Length;
        return response.Body.WriteAsync(bytes, http.RequestAborted).AsTask();
    }

    /// <summary>A page that says what went wrong (400, 403, 404, 409) with a way back.</summary>
    public static Task WriteMessageAsync(DashboardRequest request, int statusCode, string title, string message, string? backHref = null)
    {
        var html = StartPage(request, title);
        html.Start("section", "message").Attr("role", "alert");
        html.Element("h1", null, title);
        html.Element("p", null, message);
        html.Start("p").Link(backHref ?? request.Paths.Root(request.Http), backHref is null ? "Back to the runs" : "Back").End();
        html.End();
        return WriteAsync(request.Http, EndPage(html), statusCode);
    }

    /// <summary>A timestamp as UTC, to the second, in a &lt;time&gt; element carrying the exact instant.</summary>
    public static void Time(HtmlWriter html, DateTimeOffset? at)
    {
        if (at is not { } value)
        {
            html.Text("-");
            return;
        }
        var utc = value.UtcDateTime;
        html.Start("time").Attr("datetime", utc.ToString("O", CultureInfo.InvariantCulture))
            .Text(utc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC").End();
    }
}
