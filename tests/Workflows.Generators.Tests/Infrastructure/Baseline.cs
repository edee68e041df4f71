using System.Runtime.CompilerServices;

namespace Workflows.Generators.Tests.Infrastructure;

/// <summary>
/// Compares emitted text with the committed file in Baselines/. With WORKFLOWS_UPDATE_BASELINES=1 the file is
/// rewritten instead: review the diff, then commit it.
/// </summary>
public static class Baseline
{
    public static bool Updating => Environment.GetEnvironmentVariable("WORKFLOWS_UPDATE_BASELINES") == "1";

    /// <summary>Baselines/ in the source tree (this file is in Infrastructure/, beside it).</summary>
    public static string Directory { get; } = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(ThisFile())!)!, "Baselines");

    public static string PathOf(string hintName) => Path.Combine(Directory, hintName + ".txt");

    public static void AssertMatches(string hintName, string actual)
    {
        var path = PathOf(hintName);
        actual = Normalize(actual);
        if (Updating)
        {
            File.WriteAllText(path, actual);
            return;
        }
        Assert.True(File.Exists(path), $"No baseline {path}; run the tests with WORKFLOWS_UPDATE_BASELINES=1 to create it.");
        var expected = Normalize(File.ReadAllText(path));
        if (expected == actual) return;

        var expectedLines = expected.Split('\n');
        var actualLines = actual.Split('\n');
        var line = 0;
        while (line < expectedLines.Length && line < actualLines.Length && expectedLines[line] == actualLines[line]) line++;
        Assert.Fail($"""
            {hintName} differs from its baseline {path} at line {line + 1}:
              expected: {(line < expectedLines.Length ? expectedLines[line] : "<end of file>")}
              actual:   {(line < actualLines.Length ? actualLines[line] : "<end of file>")}
            Run the tests with WORKFLOWS_UPDATE_BASELINES=1 to accept the new output.
            """);
    }

    private static string ThisFile([CallerFilePath] string path = "") => path;

    private static string Normalize(string text) => text.Replace("\r\n", "\n");
}
