using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Workflows.Hosting.Tests;

public sealed class LoggingTests : HostingTestBase
{
    [Fact]
    public async Task The_engine_and_the_worker_log_through_the_containers_loggers()
    {
        var sink = new CollectingProvider();
        using var host = BuildHost(new Probe(), setup: b => b.Logging.AddProvider(sink).SetMinimumLevel(LogLevel.Debug));
        await host.StartAsync();
        var run = await host.Services.GetRequiredService<IWorkflowClient>().StartAsync(GreetWorkflow.Definition, "Ed");
        await run.GetResultAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await host.StopAsync();

        Assert.Contains(sink.Entries, e => e.Category == "Workflows.Hosting" && e.EventId == 2001); // worker started
        Assert.Contains(sink.Entries, e => e.Category == "Workflows.Hosting" && e.EventId == 2003); // worker stopping
        Assert.Contains(sink.Entries, e => e.Category == "Workflows.Engine" && e.EventId == 1001 && e.Message.Contains(run.RunId.ToString()));
    }

    private sealed record Entry(string Category, int EventId, string Message);

    private sealed class CollectingProvider : ILoggerProvider
    {
        public ConcurrentQueue<Entry> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Collector(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Collector(CollectingProvider provider, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                provider.Entries.Enqueue(new Entry(category, eventId.Id, formatter(state, exception)));
        }
    }
}
