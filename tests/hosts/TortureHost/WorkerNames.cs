using System.Globalization;

namespace TortureHost;

/// <summary>How the driver finds a worker's connections on the PostgreSQL server (<c>pg_stat_activity.application_name</c>).</summary>
public static class WorkerNames
{
    public static string ApplicationName(int pid) => string.Create(CultureInfo.InvariantCulture, $"torture-{pid}");
}
