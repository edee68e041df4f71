namespace TortureDriver;

/// <summary>Which journal a session tortures, and how.</summary>
internal enum TortureMode
{
    /// <summary>A SQLite file; one worker, killed with SIGKILL.</summary>
    Sqlite,

    /// <summary>A PostgreSQL schema; 2–4 workers at once, one killed with SIGKILL each time, one SIGSTOPped past its lease now and then.</summary>
    Postgres,

    /// <summary>A PostgreSQL server of the session's own, crashed with <c>pg_ctl restart -m immediate</c> under two workers.</summary>
    PostgresRestart,
}

/// <summary>One torture session's configuration.</summary>
internal sealed record TortureSettings
{
    public required TortureMode Mode { get; init; }

    /// <summary>How many crashes (kills, or server restarts) to inflict; 0 for a crash-free session.</summary>
    public required int Crashes { get; init; }

    /// <summary>The seed of every random choice of the driver (the moments, the victims, the gaps).</summary>
    public required int Seed { get; init; }

    /// <summary>Runs are created while crashes remain to be inflicted, and at least this many.</summary>
    public int MinRuns { get; init; } = 4;

    /// <summary>At most this many unfinished top-level runs at a time (each has a child run as well).</summary>
    public int InFlight { get; init; } = 6;

    /// <summary>The workers' MaxConcurrentRuns.</summary>
    public int MaxConcurrentRuns { get; init; } = 8;

    /// <summary>The workload's durable sleep (longer than the workers' suspend threshold, so it suspends the run).</summary>
    public int SleepMs { get; init; } = 400;

    /// <summary>Each step body waits up to this long, so that kills land inside bodies.</summary>
    public int BodyMs { get; init; } = 20;

    /// <summary>
    /// The workers' lease (PostgreSQL takes a killed worker's runs over when it lapses); 0: 2 s, or 3 s under server
    /// restarts (an outage that outlasts a lease hands runs to whichever worker reaches the server first).
    /// </summary>
    public int LeaseMs { get; init; }

    /// <summary>The lease the workers get.</summary>
    public int EffectiveLeaseMs => LeaseMs > 0 ? LeaseMs : Mode == TortureMode.PostgresRestart ? 3000 : 2000;

    /// <summary>PostgreSQL (<see cref="TortureMode.Postgres"/>): the server; the session works in a schema of its own.</summary>
    public string? PostgresConnectionString { get; init; }

    /// <summary>How long the runs may take to finish once the last crash is done.</summary>
    public TimeSpan DrainGuard { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>Progress lines (null: quiet).</summary>
    public Action<string>? Log { get; init; }

    public string StoreName => Mode switch
    {
        TortureMode.Sqlite => "sqlite",
        TortureMode.Postgres => "postgres",
        _ => "postgres-restart",
    };
}
