using Microsoft.Extensions.Logging;

namespace LatentLens.Tests.Api;

/// <summary>Counts the log events of a ServedModel by event id (the ids are stable: Serving/Log.cs).</summary>
internal sealed class CountingLogger : ILogger<LatentLens.Api.Serving.ServedModel>
{
    private readonly System.Collections.Concurrent.ConcurrentBag<int> _events = [];

    public int Count(int eventId) => _events.Count(e => e == eventId);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _events.Add(eventId.Id);
}
