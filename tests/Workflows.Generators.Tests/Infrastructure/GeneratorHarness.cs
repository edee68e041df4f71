using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Workflows.Generators.Tests.Infrastructure;

/// <summary>A source file given to the compiler under a fixed path, so interceptor locations do not depend on the machine.</summary>
public sealed record SourceFile(string Path, string Text);

/// <summary>
/// Compiles test sources the way a consuming project does (the .NET runtime, Workflows.dll, implicit usings,
/// nullable enabled, interceptors allowed in Workflows.Generated) and runs the Workflows generator over them.
/// </summary>
public static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new CSharpParseOptions(LanguageVersion.Preview)
        .WithFeatures(new[] { new KeyValuePair<string, string>("InterceptorsNamespaces", "Workflows.Generated") });

    /// <summary>The SDK's implicit usings for a console or library project.</summary>
    public static readonly SourceFile ImplicitUsings = new("/src/GlobalUsings.cs", """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """);

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(() =>
    {
        // The shared framework only: the test host's own dependencies (xunit, Roslyn) are not the consumer's.
        var runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(path => string.Equals(Path.GetDirectoryName(path), runtimeDirectory, StringComparison.Ordinal));
        return platform
            .Append(typeof(WorkflowAttribute).Assembly.Location)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();
    });

    private static readonly CSharpCompilationOptions s_options = new(
        OutputKind.DynamicallyLinkedLibrary,
        nullableContextOptions: NullableContextOptions.Enable);

    /// <summary>Parses with "\n" line ends whatever the checkout's, so interceptor checksums (and baselines) are the same everywhere.</summary>
    public static SyntaxTree Parse(SourceFile file) =>
        CSharpSyntaxTree.ParseText(file.Text.Replace("\r\n", "\n"), ParseOptions, file.Path, System.Text.Encoding.UTF8);

    /// <summary>A compilation of <paramref name="files"/> plus the implicit usings.</summary>
    public static CSharpCompilation Compile(params SourceFile[] files) =>
        CSharpCompilation.Create(
            "Consumer",
            files.Prepend(ImplicitUsings).Select(Parse),
            s_references.Value,
            s_options);

    public static GeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create(
            new[] { new WorkflowGenerator().AsSourceGenerator() },
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs a new driver over <paramref name="files"/>.</summary>
    public static GeneratorRun Run(params SourceFile[] files) => Run(CreateDriver(), Compile(files));

    /// <summary>Runs <paramref name="driver"/> (fresh or already run, for caching tests) over <paramref name="compilation"/>.</summary>
    public static GeneratorRun Run(GeneratorDriver driver, Compilation compilation)
    {
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        return new GeneratorRun(driver, driver.GetRunResult(), compilation, output, diagnostics);
    }
}

/// <summary>One run of the generator: what it produced and the compilation with its output added.</summary>
public sealed record GeneratorRun(
    GeneratorDriver Driver,
    GeneratorDriverRunResult Result,
    Compilation InputCompilation,
    Compilation OutputCompilation,
    ImmutableArray<Diagnostic> DriverDiagnostics)
{
    public GeneratorRunResult Generator => Result.Results.Single();

    /// <summary>Generated files by hint name.</summary>
    public IReadOnlyDictionary<string, string> Sources =>
        Generator.GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString(), StringComparer.Ordinal);

    public IEnumerable<string> HintNames => Generator.GeneratedSources.Select(s => s.HintName).Order(StringComparer.Ordinal);

    public string Source(string hintName) =>
        Sources.TryGetValue(hintName, out var text)
            ? text
            : throw new Xunit.Sdk.XunitException($"No generated file '{hintName}'; generated: {string.Join(", ", HintNames)}");

    /// <summary>The generator did not throw: no exception on the result and no CS8785 ("generator failed").</summary>
    public void AssertGeneratorDidNotThrow()
    {
        Assert.Null(Generator.Exception);
        Assert.DoesNotContain(DriverDiagnostics, d => d.Id is "CS8785" or "CS8784");
    }

    /// <summary>The generated code compiles: no errors anywhere and no warnings in generated files.</summary>
    public void AssertCompilesCleanly()
    {
        AssertGeneratorDidNotThrow();
        var generatedTrees = Generator.GeneratedSources.Select(s => s.SyntaxTree).ToHashSet();
        var problems = OutputCompilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error
                || (d.Severity == DiagnosticSeverity.Warning && d.Location.SourceTree is { } tree && generatedTrees.Contains(tree)))
            .ToList();
        Assert.True(problems.Count == 0,
            "The output compilation has problems:\n" + string.Join("\n", problems.Select(Describe)));
    }

    private static string Describe(Diagnostic diagnostic)
    {
        var span = diagnostic.Location.GetLineSpan();
        var line = diagnostic.Location.SourceTree?.GetText().Lines[span.StartLinePosition.Line].ToString().Trim();
        return $"  {span.Path}({span.StartLinePosition.Line + 1}): {diagnostic.Id} {diagnostic.GetMessage()}\n      {line}";
    }
}
