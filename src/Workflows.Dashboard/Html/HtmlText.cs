using System.Text;

namespace Workflows.Dashboard.Html;

/// <summary>
/// HTML encoding for text and quoted attribute values. Everything the dashboard shows from the journal (workflow and step
/// names, JSON, error messages, tenant ids) is user data and goes through here; the page is UTF-8, so only the five
/// characters that can change the markup are replaced.
/// </summary>
internal static class HtmlText
{
    public static void Append(StringBuilder builder, string? text)
    {
        if (string.IsNullOrEmpty(text)) return;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var entity = text[i] switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                '\0' => "\uFFFD",
                _ => null,
            };
            if (entity is null) continue;
            builder.Append(text, start, i - start).Append(entity);
            start = i + 1;
        }
        builder.Append(text, start, text.Length - start);
    }

    public static string Encode(string? text)
    {
        var builder = new StringBuilder(text?.Length ?? 0);
        Append(builder, text);
        return builder.ToString();
    }
}
