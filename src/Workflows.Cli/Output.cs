using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Workflows.Cli;

/// <summary>stdout for results, stderr for the one-line errors.</summary>
internal static class Output
{
    private static readonly JsonWriterOptions JsonOptions = new()
    {
        Indented = true,
        IndentSize = 2,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        MaxDepth = 256,
    };

    public static void Text(string text) => Console.Out.Write(text);

    public static void Line(string line) => Console.Out.WriteLine(line);

    /// <summary>One JSON document on stdout, then a newline.</summary>
    public static void Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, JsonOptions))
        {
            write(writer);
        }
        Console.Out.Write(Encoding.UTF8.GetString(buffer.ToArray()));
        Console.Out.WriteLine();
    }

    public static void Error(string message) => Console.Error.WriteLine("workflows: " + message.ReplaceLineEndings(" "));
}
