using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Workflows.CrashTests;

/// <summary>
/// A PostgreSQL server of one test's own, which the test may restart at will (never the server the other tests share):
/// initdb into a temp folder, 127.0.0.1 on a free port, the socket in that folder. Durability is left as PostgreSQL ships
/// it (fsync and synchronous_commit on): an immediate restart (a crash of the server) must not lose a commit it
/// acknowledged. The binaries come from POSTGRES_BIN, else the newest /usr/lib/postgresql/*/bin; as root, every server
/// command runs as the postgres user (initdb refuses root), as build/postgres.sh does. Disposing stops the server and
/// deletes the folder, also when the test failed.
/// </summary>
internal sealed class PrivatePostgresServer : IAsyncDisposable
{
    private static readonly TimeSpan CommandGuard = TimeSpan.FromSeconds(60);

    private readonly string _bin;
    private readonly string _base;
    private readonly bool _asPostgresUser;

    private PrivatePostgresServer(string bin, string baseDirectory, int port, bool asPostgresUser)
    {
        _bin = bin;
        _base = baseDirectory;
        Port = port;
        _asPostgresUser = asPostgresUser;
    }

    public int Port { get; }

    public string ConnectionString => string.Create(CultureInfo.InvariantCulture, $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres");

    private string DataDirectory => Path.Combine(_base, "data");

    private string LogPath => Path.Combine(_base, "server.log");

    /// <summary>How many times the server was restarted.</summary>
    public int Restarts { get; private set; }

    /// <summary>The server's log so far (for failure messages).</summary>
    public string Log => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "(no server log)";

    public static async Task<PrivatePostgresServer> StartAsync()
    {
        var bin = FindBinaries();
        var asPostgresUser = Environment.IsPrivilegedProcess;
        var baseDirectory = Directory.CreateTempSubdirectory("workflows-pg-chaos-").FullName;
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(baseDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var server = new PrivatePostgresServer(bin, baseDirectory, FreePort(), asPostgresUser);
        try
        {
            if (asPostgresUser)
            {
                await RunAsync("chown", ["postgres:postgres", baseDirectory]);
            }
            await server.ServerCommandAsync("initdb", ["-D", server.DataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8"]);
            var options = string.Create(CultureInfo.InvariantCulture,
                $"-c listen_addresses=127.0.0.1 -p {server.Port} -k {baseDirectory} -c max_connections=200");
            await server.ServerCommandAsync("pg_ctl", ["-D", server.DataDirectory, "-l", server.LogPath, "-w", "-t", "30", "-o", options, "start"]);
            await server.WaitUntilAcceptingAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>
    /// <c>pg_ctl restart -m immediate -w</c>: every backend is killed without a checkpoint (as in a crash), then the server
    /// recovers from its WAL and starts again with the options it was started with (postmaster.opts). Returns once it
    /// accepts connections.
    /// </summary>
    public async Task RestartImmediateAsync()
    {
        await ServerCommandAsync("pg_ctl", ["-D", DataDirectory, "-l", LogPath, "-m", "immediate", "-w", "-t", "60", "restart"]);
        Restarts++;
        await WaitUntilAcceptingAsync();
    }

    private async Task WaitUntilAcceptingAsync()
    {
        var until = DateTime.UtcNow + CommandGuard;
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString + ";Pooling=false;Timeout=5");
                await connection.OpenAsync();
                return;
            }
            catch (NpgsqlException) when (DateTime.UtcNow < until)
            {
                await Task.Delay(100);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
            {
                NpgsqlConnection.ClearAllPools();
                await ServerCommandAsync("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "-t", "30", "stop"]);
            }
        }
        finally
        {
            for (var attempt = 0; attempt < 5 && Directory.Exists(_base); attempt++)
            {
                try
                {
                    Directory.Delete(_base, recursive: true);
                }
                catch (IOException)
                {
                    await Task.Delay(100);
                }
                catch (UnauthorizedAccessException)
                {
                    await Task.Delay(100);
                }
            }
        }
    }

    private Task ServerCommandAsync(string program, IReadOnlyList<string> arguments) => _asPostgresUser
        ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, program), .. arguments])
        : RunAsync(Path.Combine(_bin, program), arguments);

    /// <summary>Runs a command to its end (hang guard: a minute) and fails with its output when it exits non-zero.</summary>
    private static async Task RunAsync(string program, IReadOnlyList<string> arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(CommandGuard);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"'{program} {string.Join(' ', arguments)}' did not finish within {CommandGuard}");
        }
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"'{program} {string.Join(' ', arguments)}' exited {process.ExitCode}:\n{await output}\n{await error}");
        }
    }

    private static string FindBinaries()
    {
        if (Environment.GetEnvironmentVariable("POSTGRES_BIN") is { Length: > 0 } fromEnvironment)
        {
            return File.Exists(Path.Combine(fromEnvironment, "pg_ctl"))
                ? fromEnvironment
                : throw new InvalidOperationException($"POSTGRES_BIN is '{fromEnvironment}', which holds no pg_ctl.");
        }
        var found = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
                .OrderBy(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var major) ? major : 0)
                .LastOrDefault()
            : null;
        return found ?? throw new InvalidOperationException(
            "No PostgreSQL binaries: set POSTGRES_BIN (build/postgres.sh exports it) or install postgresql (/usr/lib/postgresql/*/bin).");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
