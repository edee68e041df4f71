namespace Workflows.Tests.BadInput.Limits;

/// <summary>One level of a chain: its JSON nests one object deeper per link.</summary>
public sealed class Link
{
    public Link? Next { get; set; }
}

/// <summary>A step that returns a chain <c>depth</c> links long: over <see cref="Serialization.JournalLimits.MaxDepth"/> when asked.</summary>
[Workflow("badinput-nesting")]
public partial class NestingWorkflow
{
    [WorkflowRun]
    public async Task<int> RunAsync(int depth) => LimitPayloads.Length(await NestAsync(depth));

    [Step("nest")]
    private Task<Link> NestAsync(int depth) => Task.FromResult(LimitPayloads.Chain(depth));
}

/// <summary>Payloads at and over the journal's depth limit.</summary>
public static class LimitPayloads
{
    public static Link Chain(int depth)
    {
        var link = new Link();
        for (var i = 1; i < depth; i++) link = new Link { Next = link };
        return link;
    }

    public static int Length(Link? link)
    {
        var length = 0;
        for (; link is not null; link = link.Next) length++;
        return length;
    }

    /// <summary>The journal text of <see cref="Chain"/>: <c>{"next":{"next":…{"next":null}…}}</c>.</summary>
    public static string ChainText(int depth) => string.Concat(Enumerable.Repeat("{\"next\":", depth)) + "null" + new string('}', depth);

    /// <summary><c>[[[…]]]</c>, <paramref name="depth"/> arrays deep, as an event payload (read with a depth limit above any the journal allows).</summary>
    public static System.Text.Json.JsonElement Nested(int depth)
    {
        using var document = System.Text.Json.JsonDocument.Parse(new string('[', depth) + new string(']', depth),
            new System.Text.Json.JsonDocumentOptions { MaxDepth = 2000 });
        return document.RootElement.Clone();
    }
}
