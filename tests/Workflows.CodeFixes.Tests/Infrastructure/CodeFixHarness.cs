using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Workflows.Generators;

namespace Workflows.CodeFixes.Tests.Infrastructure;

/// <summary>
/// Drives a code fix the way the IDE does, without the Roslyn testing packages: the source goes into an
/// <see cref="AdhocWorkspace"/> project compiled like a consumer's (the shared framework, Workflows.dll, implicit
/// usings), the real generator and analyzers find the diagnostics, the provider registers its actions through a
/// <see cref="CodeFixContext"/>, and the action's operations are applied to get the fixed text.
/// Sources mark where the diagnostic is expected with <c>[|text|]</c>.
/// </summary>
public static class CodeFixHarness
{
    /// <summary>Where the source under test lives in the project.</summary>
    public const string FilePath = "/src/Workflow.cs";

    /// <summary>Every analyzer in the Workflows.Generators assembly, so new ones take part without a change here.</summary>
    public static readonly ImmutableArray<DiagnosticAnalyzer> Analyzers = typeof(WorkflowGenerator).Assembly.GetTypes()
        .Where(t => typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract)
        .OrderBy(t => t.FullName, StringComparer.Ordinal)
        .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    private static readonly CSharpParseOptions s_parseOptions = new CSharpParseOptions(LanguageVersion.Preview)
        .WithFeatures(new[] { new KeyValuePair<string, string>("InterceptorsNamespaces", "Workflows.Generated") });

    /// <summary>The SDK's implicit usings, as a consumer project has them.</summary>
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(() =>
    {
        // The shared framework only (the trusted platform assemblies of the runtime directory), plus Workflows.dll.
        var runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        return ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(path => string.Equals(Path.GetDirectoryName(path), runtimeDirectory, StringComparison.Ordinal))
            .Append(typeof(WorkflowAttribute).Assembly.Location)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();
    });

    /// <summary>Removes the <c>[|text|]</c> markers (which may nest); returns the plain text and the marked spans by start, then end.</summary>
    public static (string Text, ImmutableArray<TextSpan> Spans) Unmark(string marked)
    {
        var spans = new List<TextSpan>();
        var open = new Stack<int>();
        var plain = new System.Text.StringBuilder();
        for (var i = 0; i < marked.Length; i++)
        {
            if (string.CompareOrdinal(marked, i, "[|", 0, 2) == 0) { open.Push(plain.Length); i++; }
            else if (string.CompareOrdinal(marked, i, "|]", 0, 2) == 0 && open.Count > 0) { spans.Add(TextSpan.FromBounds(open.Pop(), plain.Length)); i++; }
            else plain.Append(marked[i]);
        }
        Assert.True(open.Count == 0, "An unclosed [| marker.");
        return (plain.ToString(), spans.OrderBy(s => s.Start).ThenBy(s => s.End).ToImmutableArray());
    }

    /// <summary>A new workspace holding one consumer project with the implicit usings and <paramref name="source"/>.</summary>
    public static Document CreateDocument(string source, params (string Path, string Text)[] otherFiles)
    {
        var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var solution = workspace.CurrentSolution.AddProject(ProjectInfo.Create(
            projectId,
            VersionStamp.Default,
            name: "Consumer",
            assemblyName: "Consumer",
            language: LanguageNames.CSharp,
            compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable),
            parseOptions: s_parseOptions,
            metadataReferences: s_references.Value));
        solution = solution.AddDocument(DocumentId.CreateNewId(projectId), "GlobalUsings.cs", SourceText.From(ImplicitUsings), filePath: "/src/GlobalUsings.cs");
        foreach (var (path, text) in otherFiles)
        {
            solution = solution.AddDocument(DocumentId.CreateNewId(projectId), Path.GetFileName(path), SourceText.From(text), filePath: path);
        }
        var documentId = DocumentId.CreateNewId(projectId);
        solution = solution.AddDocument(documentId, Path.GetFileName(FilePath), SourceText.From(source), filePath: FilePath);
        Assert.True(workspace.TryApplyChanges(solution), "The workspace refused the test project.");
        return workspace.CurrentSolution.GetDocument(documentId)!;
    }

    /// <summary>
    /// Builds <paramref name="project"/> as a consumer's build would: the generator's output added, then every analyzer
    /// run. Returns the compiler's and the analyzers' diagnostics; analyzer or generator crashes fail the test.
    /// </summary>
    public static async Task<ImmutableArray<Diagnostic>> DiagnoseAsync(Project project)
    {
        var compilation = (await project.GetCompilationAsync())!;
        var driver = CSharpGeneratorDriver.Create(new[] { new WorkflowGenerator().AsSourceGenerator() }, parseOptions: s_parseOptions);
        driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            onAnalyzerException: null,
            concurrentAnalysis: true,
            logAnalyzerExecutionTime: false,
            reportSuppressedDiagnostics: false);
        var all = await output.WithAnalyzers(Analyzers, options).GetAllDiagnosticsAsync();
        var failures = all.Concat(generatorDiagnostics).Where(d => d.Id is "AD0001" or "CS8784" or "CS8785").ToList();
        Assert.True(failures.Count == 0, "Analyzer or generator failures:\n" + string.Join("\n", failures));
        return all;
    }

    /// <summary>
    /// The diagnostics the code fix is for (its fixable ids) in <paramref name="document"/>, in source order, as the real
    /// analyzers report them.
    /// </summary>
    public static async Task<IReadOnlyList<Diagnostic>> FixableDiagnosticsAsync(CodeFixProvider provider, Document document)
    {
        foreach (var id in provider.FixableDiagnosticIds)
        {
            Assert.True(Analyzers.Any(a => a.SupportedDiagnostics.Any(d => d.Id == id)), $"No analyzer reports {id}.");
        }
        var tree = await document.GetSyntaxTreeAsync();
        return (await DiagnoseAsync(document.Project))
            .Where(d => provider.FixableDiagnosticIds.Contains(d.Id) && d.Location.SourceTree == tree)
            .OrderBy(d => d.Location.SourceSpan.Start)
            .ThenBy(d => d.Location.SourceSpan.End)
            .ToList();
    }

    /// <summary>The descriptor of <paramref name="id"/> in DiagnosticDescriptors.</summary>
    public static DiagnosticDescriptor Descriptor(string id) =>
        typeof(Workflows.Generators.Diagnostics.DiagnosticDescriptors).GetFields()
            .Select(f => f.GetValue(null)).OfType<DiagnosticDescriptor>()
            .Single(d => d.Id == id);

    /// <summary>Every action <paramref name="provider"/> registers for <paramref name="diagnostic"/>.</summary>
    public static async Task<IReadOnlyList<CodeAction>> ActionsAsync(CodeFixProvider provider, Document document, Diagnostic diagnostic)
    {
        var actions = new List<CodeAction>();
        var context = new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None);
        await provider.RegisterCodeFixesAsync(context);
        return actions;
    }

    /// <summary>Runs <paramref name="action"/>'s operations (its cleanup included) and returns the changed document.</summary>
    public static async Task<Document> ApplyAsync(CodeAction action, Document document)
    {
        var operations = await action.GetOperationsAsync(CancellationToken.None);
        var apply = Assert.Single(operations.OfType<ApplyChangesOperation>());
        return apply.ChangedSolution.GetDocument(document.Id)!;
    }

    /// <summary>
    /// The source marked with one <c>[|…|]</c> gets exactly one diagnostic the provider fixes, reported there by the
    /// real analyzers; the provider offers exactly one action for it; applying it gives exactly <paramref name="after"/>,
    /// which compiles (with the generator's output) and no longer raises that diagnostic.
    /// </summary>
    public static async Task VerifyFixAsync(CodeFixProvider provider, string before, string after, params (string Path, string Text)[] otherFiles)
    {
        var (source, spans) = Unmark(before);
        var span = Assert.Single(spans);
        var document = CreateDocument(source, otherFiles);
        var diagnostics = await FixableDiagnosticsAsync(provider, document);
        Assert.True(diagnostics.Count == 1 && diagnostics[0].Location.SourceSpan == span,
            $"Expected one fixable diagnostic at {span} '{source.Substring(span.Start, span.Length)}', got:\n" + Describe(diagnostics));
        var diagnostic = diagnostics[0];

        var action = Assert.Single(await ActionsAsync(provider, document, diagnostic));
        var fixedDocument = await ApplyAsync(action, document);
        AssertSameText(after, (await fixedDocument.GetTextAsync()).ToString());
        await AssertFixedAsync(provider, fixedDocument);
    }

    /// <summary>
    /// Fix All in the document: every marked span has a fixable diagnostic (and there are no others), and the provider's
    /// Fix All gives exactly <paramref name="after"/>, which compiles and raises none of them.
    /// </summary>
    public static async Task VerifyFixAllAsync(CodeFixProvider provider, string before, string after)
    {
        var (source, spans) = Unmark(before);
        var document = CreateDocument(source);
        var diagnostics = await FixableDiagnosticsAsync(provider, document);
        Assert.True(diagnostics.Select(d => d.Location.SourceSpan).SequenceEqual(spans),
            $"Expected fixable diagnostics at {string.Join(", ", spans)}, got:\n" + Describe(diagnostics));

        var fixedDocument = await FixAllAsync(provider, document, diagnostics);
        AssertSameText(after, (await fixedDocument.GetTextAsync()).ToString());
        await AssertFixedAsync(provider, fixedDocument);
    }

    /// <summary>Runs the provider's Fix All over <paramref name="diagnostics"/> in <paramref name="document"/>, as the IDE's "Fix all in document".</summary>
    public static async Task<Document> FixAllAsync(CodeFixProvider provider, Document document, IReadOnlyList<Diagnostic> diagnostics)
    {
        var first = (await ActionsAsync(provider, document, diagnostics[0]))[0];
        var fixAll = provider.GetFixAllProvider();
        Assert.NotNull(fixAll);
        var context = new FixAllContext(
            document,
            provider,
            FixAllScope.Document,
            first.EquivalenceKey,
            provider.FixableDiagnosticIds,
            new FixedDiagnosticProvider(diagnostics),
            CancellationToken.None);
        var action = await fixAll.GetFixAsync(context);
        Assert.NotNull(action);
        return await ApplyAsync(action, document);
    }

    /// <summary>
    /// The analyzers report a diagnostic the provider is registered for at each marked span (and nowhere else), and the
    /// provider offers no action for any of them: the fix is never offered where it cannot fix.
    /// </summary>
    public static async Task VerifyNoFixAsync(CodeFixProvider provider, string source)
    {
        var (text, spans) = Unmark(source);
        var document = CreateDocument(text);
        var diagnostics = await FixableDiagnosticsAsync(provider, document);
        Assert.NotEmpty(spans);
        Assert.True(diagnostics.Select(d => d.Location.SourceSpan).SequenceEqual(spans),
            $"Expected diagnostics at {string.Join(", ", spans)}, got:\n" + Describe(diagnostics));
        foreach (var diagnostic in diagnostics)
        {
            var actions = await ActionsAsync(provider, document, diagnostic);
            Assert.True(actions.Count == 0, $"A fix was offered for {diagnostic}: {string.Join(", ", actions.Select(a => a.Title))}");
        }
    }

    private static string Describe(IEnumerable<Diagnostic> diagnostics) => string.Join("\n", diagnostics.Select(d =>
        $"  {d.Id} {d.Location.SourceSpan} '{d.Location.SourceTree?.GetText().ToString(d.Location.SourceSpan)}': {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}"));

    /// <summary>Exact equality, with both whole texts in the failure message so a changed fix is easy to read.</summary>
    private static void AssertSameText(string expected, string actual)
    {
        if (expected == actual) return;
        throw new Xunit.Sdk.XunitException($"The fixed source differs.\n--- expected ---\n{expected}\n--- actual ---\n{actual}\n---");
    }

    /// <summary>The fixed project has no compiler errors and none of the provider's diagnostics.</summary>
    private static async Task AssertFixedAsync(CodeFixProvider provider, Document fixedDocument)
    {
        var diagnostics = await DiagnoseAsync(fixedDocument.Project);
        var problems = diagnostics
            .Where(d => d.Severity == DiagnosticSeverity.Error || provider.FixableDiagnosticIds.Contains(d.Id))
            .ToList();
        Assert.True(problems.Count == 0, "The fixed code still has problems:\n" + string.Join("\n", problems));
    }

    /// <summary>Hands Fix All the diagnostics the test already computed.</summary>
    private sealed class FixedDiagnosticProvider(IReadOnlyList<Diagnostic> diagnostics) : FixAllContext.DiagnosticProvider
    {
        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>(diagnostics);

        public override async Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken)
        {
            var tree = await document.GetSyntaxTreeAsync(cancellationToken);
            return diagnostics.Where(d => d.Location.SourceTree == tree);
        }

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult(Enumerable.Empty<Diagnostic>());
    }
}
