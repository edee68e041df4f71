using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Workflows.Hosting;

/// <summary>What the hosting package itself logs (category <c>Workflows.Hosting</c>).</summary>
internal static partial class WorkflowsLog
{
    internal const string Category = "Workflows.Hosting";

    internal static ILogger Logger(IServiceProvider services) =>
        services.GetService<ILoggerFactory>()?.CreateLogger(Category) ?? NullLogger.Instance;

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Workflow engine {WorkerId} started: its scheduler resumes unfinished runs and claims ready ones")]
    internal static partial void Started(ILogger logger, string workerId);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "The workflow store could not be opened; retrying in {Delay}")]
    internal static partial void StartFailed(ILogger logger, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Workflow engine {WorkerId} stopping: in-flight runs are cancelled and their claims released")]
    internal static partial void Stopping(ILogger logger, string workerId);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Workflow engine {WorkerId} did not stop within the host's shutdown timeout; its claims lapse by themselves")]
    internal static partial void StopTimedOut(ILogger logger, string workerId);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Error, Message = "Retention could not delete ended runs; trying again in {Delay}")]
    internal static partial void RetentionFailed(ILogger logger, TimeSpan delay, Exception exception);
}
