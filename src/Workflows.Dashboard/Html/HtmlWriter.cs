using System.Globalization;
using System.Text;

namespace Workflows.Dashboard.Html;

/// <summary>
/// Writes server-rendered HTML: elements with encoded attributes and encoded text. Tags and attribute names are the
/// dashboard's own constants; every value and every text goes through <see cref="HtmlText"/>. No reflection, no templates.
/// </summary>
internal sealed class HtmlWriter
{
    private readonly StringBuilder _html = new(8 * 1024);
    private readonly Stack<string> _open = new();
    private bool _inStartTag;

    /// <summary>Starts an element; add attributes with <see cref="Attr(string, string?)"/>, then content, then <see cref="End"/>.</summary>
    public HtmlWriter Start(string tag, string? cssClass = null)
    {
        CloseStartTag();
        _html.Append('<').Append(tag);
        _open.Push(tag);
        _inStartTag = true;
        return cssClass is null ? this : Attr("class", cssClass);
    }

    /// <summary>An element with no content and no end tag (input, meta, link, br).</summary>
    public HtmlWriter Void(string tag, string? cssClass = null)
    {
        CloseStartTag();
        _html.Append('<').Append(tag);
        _inStartTag = true; // closed by whatever is written next; nothing to end
        return cssClass is null ? this : Attr("class", cssClass);
    }

    /// <summary>An attribute of the element just started; a null value writes nothing.</summary>
    public HtmlWriter Attr(string name, string? value)
    {
        if (!_inStartTag) throw new InvalidOperationException($"Attribute '{name}' written outside a start tag.");
        if (value is null) return this;
        _html.Append(' ').Append(name).Append("=\"");
        HtmlText.Append(_html, value);
        _html.Append('"');
        return this;
    }

    public HtmlWriter Attr(string name, long value) => Attr(name, value.ToString(CultureInfo.InvariantCulture));

    /// <summary>A boolean attribute (checked, selected, hidden, required) when <paramref name="on"/>.</summary>
    public HtmlWriter Flag(string name, bool on = true)
    {
        if (!_inStartTag) throw new InvalidOperationException($"Attribute '{name}' written outside a start tag.");
        if (on) _html.Append(' ').Append(name);
        return this;
    }

    public HtmlWriter Text(string? text)
    {
        CloseStartTag();
        HtmlText.Append(_html, text);
        return this;
    }

    /// <summary>Ends the innermost element started with <see cref="Start"/>.</summary>
    public HtmlWriter End()
    {
        if (_open.Count == 0) throw new InvalidOperationException("End() without an open element.");
        CloseStartTag();
        var tag = _open.Pop();
        _html.Append("</").Append(tag).Append('>');
        return this;
    }

    /// <summary>An element holding only text: <c>&lt;tag class&gt;text&lt;/tag&gt;</c>.</summary>
    public HtmlWriter Element(string tag, string? cssClass, string? text) => Start(tag, cssClass).Text(text).End();

    /// <summary>A link whose href and text are encoded.</summary>
    public HtmlWriter Link(string href, string text, string? cssClass = null) => Start("a", cssClass).Attr("href", href).Text(text).End();

    /// <summary>Markup the dashboard wrote itself (the doctype); never journal data.</summary>
    public HtmlWriter Trusted(string markup)
    {
        CloseStartTag();
        _html.Append(markup);
        return this;
    }

    /// <summary>The document; every element must have been ended.</summary>
    public override string ToString()
    {
        CloseStartTag();
        if (_open.Count != 0) throw new InvalidOperationException($"Element <{_open.Peek()}> was not ended.");
        return _html.ToString();
    }

    private void CloseStartTag()
    {
        if (!_inStartTag) return;
        _html.Append('>');
        _inStartTag = false;
    }
}
