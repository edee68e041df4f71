using System.Diagnostics;
using System.Reflection;
using System.Text;
using Workflows.Journal;
using Workflows.Sqlite;

namespace Workflows.Cli.Tests;

[CollectionDefinition(Name)]
public sealed class CliCollection : ICollectionFixture<CliFixture>
{
    public const string Name = "workflows CLI";
}

/// <summary>What one run of the tool printed and exited with.</summary>
public sealed record CliResult(int ExitCode, string StdOut, string StdErr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{StdOut}\n--- stderr\n{StdErr}";
}

/// <summary>
/// Once per test run: packs src/Workflows.Cli (built by this project's reference, not rebuilt) into artifacts/packages
/// under a version no cache can hold, installs it with <c>dotnet tool install --tool-path</c> into a temporary folder
/// (a private NUGET_PACKAGES), and makes a journal by real runs on a real engine over a SQLite file. Tests run
/// <c>&lt;tools&gt;/workflows</c> as a child process, on the journal or on a copy of it when they write.
/// </summary>
public sealed class CliFixture : IAsyncLifetime
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ProcessGuard = TimeSpan.FromMinutes(4);

    public string Root { get; } = Metadata("RepositoryRoot").TrimEnd('/');
    public string Work { get; } = Path.Combine(Path.GetTempPath(), "workflows-cli-tests-" + Guid.NewGuid().ToString("N")[..10]);
    public string Version { get; } = $"0.1.0-clitest.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
    public string ToolPath => Path.Combine(Work, "tools", "workflows");
    /// <summary>The journal the fixture's runs made; tests that write work on a <see cref="CopyJournal"/>.</summary>
    public string Journal => Path.Combine(Work, "journal", "workflows.db");

    /// <summary>The failed run with every kind of row (<see cref="InspectWorkflow"/>).</summary>
    public Guid MainRunId { get; private set; }
    public Guid ChildRunId { get; private set; }
    public Guid WaitingRunId { get; private set; }
    public Guid ParkedRunId { get; private set; }
    /// <summary>A section run in tenant "acme".</summary>
    public Guid AcmeRunId { get; private set; }
    /// <summary>Every run, newest first as the store lists them.</summary>
    public IReadOnlyList<RunRecord> Runs { get; private set; } = [];

    private string PackagePath => Path.Combine(Root, "artifacts", "packages", $"Workflows.Cli.{Version}.nupkg");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(Work, "journal"));
        var tool = InstallToolAsync();
        await MakeJournalAsync();
        await tool;
    }

    public Task DisposeAsync()
    {
        TryDelete(() => File.Delete(PackagePath));
        TryDelete(() => Directory.Delete(Work, recursive: true));
        return Task.CompletedTask;
    }

    /// <summary>Runs the installed tool with these arguments (no WORKFLOWS_DB unless given).</summary>
    public Task<CliResult> RunAsync(params string[] arguments) => RunAsync(arguments, null);

    public async Task<CliResult> RunAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment)
    {
        var info = new ProcessStartInfo(ToolPath) { WorkingDirectory = Work };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        info.Environment.Remove("WORKFLOWS_DB");
        info.Environment["DOTNET_ROOT"] = DotnetRoot();
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>()) info.Environment[key] = value;
        return await RunProcessAsync(info, Guard);
    }

    /// <summary>A copy of the journal (its file only: the fixture's engine has checkpointed and closed it) for a test that writes.</summary>
    public string CopyJournal(string name)
    {
        var folder = Path.Combine(Work, "copies", name + "-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(folder);
        var copy = Path.Combine(folder, "workflows.db");
        File.Copy(Journal, copy);
        return copy;
    }

    private async Task InstallToolAsync()
    {
        var packages = Path.Combine(Root, "artifacts", "packages");
        Directory.CreateDirectory(packages);
        var configuration = Metadata("Configuration");
        await DotnetAsync("pack", Path.Combine(Root, "src", "Workflows.Cli", "Workflows.Cli.csproj"), "-c", configuration, "--no-build", "-nologo",
            "-v:quiet", "-o", packages, $"-p:PackageVersion={Version}");
        Assert.True(File.Exists(PackagePath), $"dotnet pack wrote no {PackagePath}");

        // Only the folder with the package just made: the tool package carries its dependencies, nothing else is restored.
        var config = Path.Combine(Work, "nuget.config");
        await File.WriteAllTextAsync(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="artifacts" value="{packages}" />
              </packageSources>
            </configuration>
            """);
        await DotnetAsync("tool", "install", "Workflows.Cli", "--tool-path", Path.Combine(Work, "tools"), "--add-source", packages,
            "--configfile", config, "--version", Version);
        Assert.True(File.Exists(ToolPath), $"dotnet tool install left no {ToolPath}");
    }

    private async Task DotnetAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = Work };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        // The test host's MSBuild settings are not the child build's; the package cache is private to this test run.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList()) info.Environment.Remove(key);
        info.Environment["NUGET_PACKAGES"] = Path.Combine(Work, "nuget-packages");
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        var result = await RunProcessAsync(info, ProcessGuard);
        Assert.True(result.ExitCode == 0, $"dotnet {string.Join(' ', arguments)} failed: {result}");
    }

    private static async Task<CliResult> RunProcessAsync(ProcessStartInfo info, TimeSpan guard)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        info.StandardOutputEncoding = Encoding.UTF8;
        info.StandardErrorEncoding = Encoding.UTF8;
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {info.FileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(guard);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{info.FileName} {string.Join(' ', info.ArgumentList)} did not exit within {guard}");
        }
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    private async Task MakeJournalAsync()
    {
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var store = new SqliteWorkflowStore(Journal);
        await using var engine = new WorkflowEngine(store, new WorkflowEngineOptions
        {
            OnJournalCommitted = commit =>
            {
                if (commit.Workflow == "cli-waiting" && commit.Run?.Status == RunStatus.Waiting) waiting.TrySetResult();
            },
        })
            .Register(InspectWorkflow.Definition)
            .Register(SectionWorkflow.Definition)
            .Register(WaitingWorkflow.Definition)
            .Register(ParkedWorkflow.Definition);

        var main = await engine.StartAsync(InspectWorkflow.Definition, "A-17");
        MainRunId = main.RunId;
        // Sent before the run gets to its wait: the wait takes it when it does.
        await engine.SendEventAsync(main.RunId, "approval", new Approval(true, "ada"));
        await Assert.ThrowsAsync<WorkflowRunFailedException>(() => main.GetResultAsync().WaitAsync(Guard));

        var wait = await engine.StartAsync(WaitingWorkflow.Definition, "W-1");
        WaitingRunId = wait.RunId;
        await waiting.Task.WaitAsync(Guard);

        var parked = await engine.StartAsync(ParkedWorkflow.Definition, "P-1");
        ParkedRunId = parked.RunId;
        await Assert.ThrowsAsync<WorkflowRunParkedException>(() => parked.GetResultAsync().WaitAsync(Guard));

        var acme = await engine.StartAsync(SectionWorkflow.Definition, "B-2", new StartOptions { TenantId = "acme" });
        AcmeRunId = acme.RunId;
        await acme.GetResultAsync().WaitAsync(Guard);

        var children = await engine.ListRunsAsync(new Storage.RunQuery { ParentRunId = MainRunId });
        ChildRunId = Assert.Single(children.Runs).Id;
        Runs = await store.ListRunsAsync(new Storage.RunQuery { NewestFirst = true, Limit = 1000 });
        Assert.Equal(5, Runs.Count);
    }

    private static string DotnetRoot()
    {
        // <root>/shared/Microsoft.NETCore.App/<version>/System.Private.CoreLib.dll
        var runtime = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        return Path.GetFullPath(Path.Combine(runtime, "..", "..", ".."));
    }

    private static string Metadata(string key) =>
        typeof(CliFixture).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"no {key} metadata");

    private static void TryDelete(Action delete)
    {
        try
        {
            delete();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // left for the OS's temp cleanup
        }
    }
}
