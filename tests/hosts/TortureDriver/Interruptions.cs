namespace TortureDriver;

/// <summary>What the driver did to the workers of a session: which processes it killed, and which it paused past their lease.</summary>
internal sealed class Interruptions
{
    private readonly HashSet<int> _killed = [];
    private readonly HashSet<int> _paused = [];

    public IReadOnlySet<int> Killed => _killed;

    public IReadOnlySet<int> Paused => _paused;

    public int Kills { get; private set; }

    public int PauseCount { get; private set; }

    public int ServerRestarts { get; private set; }

    public void Kill(int pid)
    {
        _killed.Add(pid);
        Kills++;
    }

    public void Pause(int pid)
    {
        _paused.Add(pid);
        PauseCount++;
    }

    public void ServerRestart() => ServerRestarts++;
}
