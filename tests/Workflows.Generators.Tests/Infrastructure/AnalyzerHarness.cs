using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace Workflows.Generators.Tests.Infrastructure;

/// <summary>
/// Runs every Workflows analyzer the way a build does: over the compilation with the generator's output added.
/// Sources may mark expected diagnostics as <c>{|WF0001:text|}</c>; the markers are removed before compiling and
/// <see cref="AnalyzerRun.AssertExpected"/> checks that exactly those ids are reported at exactly those spans.
/// </summary>
public static partial class AnalyzerHarness
{
    /// <summary>Every analyzer in the Workflows.Generators assembly, found once so new analyzers are covered automatically.</summary>
    public static readonly ImmutableArray<DiagnosticAnalyzer> Analyzers = typeof(WorkflowGenerator).Assembly.GetTypes()
        .Where(t => typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract)
        .OrderBy(t => t.FullName, StringComparer.Ordinal)
        .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    [GeneratedRegex(@"\{\|(?<id>WF\d{4}|AD\d{4}|CS\d{4}):(?<text>(?:(?!\|\}).)*)\|\}", RegexOptions.Singleline)]
    private static partial Regex Marker();

    /// <summary>Removes <c>{|ID:text|}</c> markers and returns the plain source with the expected (id, span) pairs.</summary>
    public static (SourceFile File, IReadOnlyList<ExpectedDiagnostic> Expected) Unmark(SourceFile file)
    {
        var expected = new List<ExpectedDiagnostic>();
        var text = file.Text.Replace("\r\n", "\n");
        var plain = new System.Text.StringBuilder();
        var last = 0;
        foreach (Match match in Marker().Matches(text))
        {
            plain.Append(text, last, match.Index - last);
            var start = plain.Length;
            plain.Append(match.Groups["text"].Value);
            expected.Add(new ExpectedDiagnostic(match.Groups["id"].Value, file.Path, TextSpan.FromBounds(start, plain.Length)));
            last = match.Index + match.Length;
        }
        plain.Append(text, last, text.Length - last);
        return (file with { Text = plain.ToString() }, expected);
    }

    /// <summary>Generates, then analyzes <paramref name="files"/> (markers removed).</summary>
    public static AnalyzerRun Run(params SourceFile[] files)
    {
        var unmarked = files.Select(Unmark).ToList();
        var generated = GeneratorHarness.Run(unmarked.Select(u => u.File).ToArray());
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            onAnalyzerException: null,
            concurrentAnalysis: true,
            logAnalyzerExecutionTime: false,
            reportSuppressedDiagnostics: false);
        var analyzed = generated.OutputCompilation.WithAnalyzers(Analyzers, options);
        var diagnostics = analyzed.GetAllDiagnosticsAsync().GetAwaiter().GetResult();
        return new AnalyzerRun(generated, diagnostics, unmarked.SelectMany(u => u.Expected).ToList());
    }
}

/// <summary>A diagnostic a test expects: its id, file and exact span.</summary>
public sealed record ExpectedDiagnostic(string Id, string Path, TextSpan Span);

/// <summary>The result of generating and analyzing test sources.</summary>
public sealed record AnalyzerRun(GeneratorRun Generation, ImmutableArray<Diagnostic> AllDiagnostics, IReadOnlyList<ExpectedDiagnostic> Expected)
{
    /// <summary>The Workflows diagnostics, in source order.</summary>
    public IReadOnlyList<Diagnostic> Diagnostics => AllDiagnostics
        .Where(d => d.Id.StartsWith("WF", StringComparison.Ordinal))
        .OrderBy(d => d.Location.SourceTree?.FilePath, StringComparer.Ordinal)
        .ThenBy(d => d.Location.SourceSpan.Start)
        .ToList();

    /// <summary>Analyzer crashes (AD0001) and generator crashes (CS8785): there must never be any.</summary>
    public IReadOnlyList<Diagnostic> Failures => AllDiagnostics
        .Concat(Generation.DriverDiagnostics)
        .Where(d => d.Id is "AD0001" or "CS8785" or "CS8784")
        .ToList();

    /// <summary>
    /// Exactly the marked diagnostics were reported (id, file and span), no analyzer failed, and each
    /// <paramref name="messages"/> entry (in source order) equals the message of the diagnostic at that position.
    /// </summary>
    public AnalyzerRun AssertExpected(params string[] messages)
    {
        Assert.True(Failures.Count == 0, "Analyzer or generator failures:\n" + string.Join("\n", Failures));
        var actual = Diagnostics.Select(d => new ExpectedDiagnostic(d.Id, d.Location.SourceTree?.FilePath ?? "", d.Location.SourceSpan)).ToList();
        var expected = Expected.OrderBy(e => e.Path, StringComparer.Ordinal).ThenBy(e => e.Span.Start).ToList();
        Assert.True(expected.SequenceEqual(actual),
            "Expected:\n  " + string.Join("\n  ", expected.Select(Describe)) + "\nActual:\n  " + string.Join("\n  ", Diagnostics.Select(Describe)));
        if (messages.Length > 0)
        {
            Assert.Equal(messages, Diagnostics.Select(d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        }
        return this;
    }

    /// <summary>No Workflows diagnostic and no analyzer failure.</summary>
    public void AssertClean() => AssertExpected();

    private string Describe(ExpectedDiagnostic expected) => $"{expected.Id} {expected.Path} {expected.Span} '{TextAt(expected.Path, expected.Span)}'";

    private static string Describe(Diagnostic diagnostic) =>
        $"{diagnostic.Id} {diagnostic.Location.SourceTree?.FilePath} {diagnostic.Location.SourceSpan} '{diagnostic.Location.SourceTree?.GetText().ToString(diagnostic.Location.SourceSpan)}': {diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";

    private string TextAt(string path, TextSpan span) =>
        Generation.InputCompilation.SyntaxTrees.FirstOrDefault(t => t.FilePath == path)?.GetText().ToString(span) ?? "?";
}
