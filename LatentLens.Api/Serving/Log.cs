namespace LatentLens.Api.Serving;

/// <summary>The API's log messages, source-generated, with stable event ids.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Serving model {RunName} (run {RunId}, version {Version}) loaded from {Store} in {Milliseconds} ms")]
    public static partial void ModelLoaded(ILogger logger, string runName, string runId, int? version, string store, long milliseconds);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Rejected the new model {RunName} (run {RunId}): {Reason}. {Then}")]
    public static partial void ModelRejected(ILogger logger, string runName, string runId, string reason, string then);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "No model to serve in {Store}: no champion and no finished run with a model. Model endpoints answer 503 until one appears")]
    public static partial void NoModel(ILogger logger, string store);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "MLflow store problem: {Problem}")]
    public static partial void StoreProblem(ILogger logger, string problem);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Error, Message = "Checking {Store} for a new model failed")]
    public static partial void WatchFailed(ILogger logger, string store, Exception exception);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "Serving {RunName} (run {RunId}) as a fallback, chosen by {ChosenBy}: {Reason}")]
    public static partial void ModelFallback(ILogger logger, string runName, string runId, string chosenBy, string reason);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Warning, Message = "A reload asked through the admin endpoint did not finish within {Seconds} s; it goes on in the background")]
    public static partial void ReloadSlow(ILogger logger, double seconds);
}
