using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Workflows.Generators.Diagnostics;

namespace Workflows.CodeFixes.Tests;

/// <summary>
/// Every descriptor has its page under docs/diagnostics/, its help link points to it, and the rules table in
/// docs/diagnostics/README.md and the release tracking in AnalyzerReleases.Unshipped.md say the same as the descriptor.
/// </summary>
public sealed class DiagnosticDocsTests
{
    /// <summary>Every public static DiagnosticDescriptor field of DiagnosticDescriptors, found by reflection so a new one is covered.</summary>
    public static IReadOnlyList<DiagnosticDescriptor> Descriptors { get; } = typeof(DiagnosticDescriptors)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
        .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
        .OrderBy(d => d.Id, StringComparer.Ordinal)
        .ToList();

    public static TheoryData<string> Ids => new(Descriptors.Select(d => d.Id));

    private static readonly string s_docs = Path.Combine(RepositoryRoot(), "docs", "diagnostics");

    [Fact]
    public void The_descriptors_are_the_fifteen_ids_each_once()
    {
        Assert.Equal(Enumerable.Range(1, 15).Select(i => $"WF{i:0000}"), Descriptors.Select(d => d.Id));
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void The_help_link_points_to_the_page(string id)
    {
        var descriptor = Descriptor(id);
        Assert.EndsWith($"docs/diagnostics/{id}.md", descriptor.HelpLinkUri, StringComparison.Ordinal);
        Assert.Equal(DiagnosticDescriptors.HelpLinkBase + id + ".md", descriptor.HelpLinkUri);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void The_page_exists_with_title_severity_category_and_the_wrong_right_why_sections(string id)
    {
        var descriptor = Descriptor(id);
        var path = Path.Combine(s_docs, id + ".md");
        Assert.True(File.Exists(path), $"No page {path}");
        var lines = File.ReadAllLines(path);

        Assert.Equal($"# {id}: {descriptor.Title}", lines[0]);
        Assert.Contains($"| **Severity** | {descriptor.DefaultSeverity} |", lines);
        Assert.Contains($"| **Category** | {descriptor.Category} |", lines);
        foreach (var section in new[] { "## What it reports", "## Wrong", "## Right", "## Why", "## Code fix" })
        {
            Assert.True(lines.Contains(section), $"{id}.md has no '{section}' section");
        }
        var text = string.Join("\n", lines);
        Assert.True(text.Split("```csharp").Length - 1 >= 2, $"{id}.md should show the wrong and the right code");

        // The page says whether a fix exists, and says it truthfully.
        var fixRow = Assert.Single(lines, l => l.StartsWith("| **Code fix** |", StringComparison.Ordinal));
        Assert.StartsWith(HasCodeFix(id) ? "| **Code fix** | Yes" : "| **Code fix** | No", fixRow, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void The_rules_table_lists_it_with_the_same_category_severity_title_and_fix(string id)
    {
        var descriptor = Descriptor(id);
        var row = Assert.Single(TableRows(Path.Combine(s_docs, "README.md")), r => r[0] == $"[{id}]({id}.md)");
        Assert.Equal(
            new[] { $"[{id}]({id}.md)", descriptor.Category, descriptor.DefaultSeverity.ToString(), descriptor.Title.ToString(), HasCodeFix(id) ? "Yes" : "No" },
            row);
    }

    [Fact]
    public void The_rules_table_lists_nothing_else_and_no_page_is_orphaned()
    {
        var ids = Descriptors.Select(d => d.Id).ToList();
        var listed = TableRows(Path.Combine(s_docs, "README.md")).Where(r => r[0].StartsWith("[WF", StringComparison.Ordinal)).Select(r => r[0][1..7]);
        Assert.Equal(ids, listed);
        var pages = Directory.GetFiles(s_docs, "WF*.md").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal);
        Assert.Equal(ids, pages);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Release_tracking_lists_it_with_the_same_category_and_severity(string id)
    {
        var descriptor = Descriptor(id);
        var unshipped = Path.Combine(RepositoryRoot(), "src", "Workflows.Generators", "AnalyzerReleases.Unshipped.md");
        var row = Assert.Single(TableRows(unshipped), r => r[0] == id);
        Assert.Equal(descriptor.Category, row[1]);
        Assert.Equal(descriptor.DefaultSeverity.ToString(), row[2]);
    }

    private static DiagnosticDescriptor Descriptor(string id) => Descriptors.Single(d => d.Id == id);

    /// <summary>Whether a code fix provider of Workflows.CodeFixes is registered for <paramref name="id"/>.</summary>
    private static bool HasCodeFix(string id) => typeof(UseWorkflowApiCodeFixProvider).Assembly.GetTypes()
        .Where(t => typeof(CodeFixProvider).IsAssignableFrom(t) && !t.IsAbstract)
        .Select(t => (CodeFixProvider)Activator.CreateInstance(t)!)
        .Any(p => p.FixableDiagnosticIds.Contains(id));

    /// <summary>
    /// The cells of each Markdown table row in the file (pipes at the ends optional, as in the release tracking files),
    /// header and separator rows excluded.
    /// </summary>
    private static IEnumerable<string[]> TableRows(string path) => File.ReadAllLines(path)
        .Where(l => l.Contains('|') && !l.TrimStart().StartsWith(';'))
        .Select(l => l.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray())
        .Where(cells => !cells.All(c => c.Length > 0 && c.All(ch => ch is '-' or ':')))
        .Where(cells => cells[0] is not ("Id" or "Rule ID" or ""));

    /// <summary>The checkout: up from the test assembly to the folder holding Workflows.sln, else from this source file.</summary>
    private static string RepositoryRoot([CallerFilePath] string sourceFile = "")
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(sourceFile) ?? "" })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Workflows.sln"))) return directory.FullName;
            }
        }
        throw new InvalidOperationException("Workflows.sln not found above " + AppContext.BaseDirectory);
    }
}
