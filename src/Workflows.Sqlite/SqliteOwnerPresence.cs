using System.Security.Cryptography;
using System.Text;

namespace Workflows.Sqlite;

/// <summary>
/// Tells the store, for sure, that the engine holding a claim is gone, so that its runs are taken over at once instead of
/// when its lease lapses. A SQLite journal is used by processes of one machine (SQLite needs a local file system), so each
/// owner that claims runs through this store holds an OS lock on a file of its own in <c>{database}-owners/</c>; the kernel
/// drops the lock when the process dies, however it dies. A file that can be locked names an owner that is gone.
/// </summary>
/// <remarks>
/// Only ever a shortcut: an owner whose file is missing or still locked (a paused process holds its lock) is left to its
/// lease. Not thread-safe: used under the store's gate.
/// </remarks>
internal sealed class SqliteOwnerPresence : IDisposable
{
    private static readonly TimeSpan ScanInterval = TimeSpan.FromMilliseconds(200);
    private readonly string _directory;
    private readonly Dictionary<string, (string Path, FileStream Lock)> _held = new(StringComparer.Ordinal);
    private long _lastScan;

    internal SqliteOwnerPresence(string databasePath) => _directory = databasePath + "-owners";

    /// <summary>Marks <paramref name="owner"/> as alive for as long as this store is open.</summary>
    internal void Announce(string owner)
    {
        if (_held.ContainsKey(owner)) return;
        var path = Path.Combine(_directory, FileName(owner));
        try
        {
            Directory.CreateDirectory(_directory);
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            stream.SetLength(0);
            stream.Write(Encoding.UTF8.GetBytes(owner));
            stream.Flush();
            _held[owner] = (path, stream);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Cannot announce (another live process uses the same owner id, or the folder is not writable): the owner's
            // runs are then only taken over when its lease lapses.
        }
    }

    /// <summary>Owners whose process is gone (their lock is free); their files are removed. Scans at most every 200 ms.</summary>
    internal IReadOnlyList<string> TakeGoneOwners()
    {
        var now = Environment.TickCount64;
        if (now - _lastScan < ScanInterval.TotalMilliseconds || !Directory.Exists(_directory)) return [];
        _lastScan = now;
        var gone = new List<string>();
        IEnumerable<string> files;
        try
        {
            files = Directory.EnumerateFiles(_directory, "*.owner").ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
        foreach (var file in files)
        {
            if (_held.Values.Any(h => h.Path == file)) continue;
            try
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
                using var reader = new StreamReader(stream, Encoding.UTF8);
                var owner = reader.ReadToEnd();
                if (owner.Length == 0) continue; // being written by an owner that is announcing itself
                File.Delete(file);
                gone.Add(owner);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // locked: its owner is alive (or paused, which the lease covers); or it vanished meanwhile
            }
        }
        return gone;
    }

    public void Dispose()
    {
        foreach (var (path, stream) in _held.Values)
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // left behind: the next scan finds it unlocked and removes it
            }
            stream.Dispose();
        }
        _held.Clear();
        try
        {
            if (Directory.Exists(_directory) && !Directory.EnumerateFileSystemEntries(_directory).Any()) Directory.Delete(_directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // another store of the file announced an owner meanwhile
        }
    }

    private static string FileName(string owner) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(owner)).AsSpan(0, 16)) + ".owner";
}
