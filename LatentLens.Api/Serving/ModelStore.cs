using System.Diagnostics;
using LatentLens.Api.Tracking;
using Microsoft.Extensions.Options;

namespace LatentLens.Api.Serving;

/// <summary>What a reload did.</summary>
internal sealed record ReloadResult(bool Changed, bool Ready, string Message, ModelOrigin? Origin);

/// <summary>
/// Holds the model being served and swaps in a new one atomically. A new model is loaded and
/// checked completely before the swap; one that fails to load is rejected with a warning and the
/// previous model keeps serving.
/// </summary>
internal sealed class ModelStore(ITrackingStore tracking, ILogger<ModelStore> logger)
{
    private readonly Lock _reloadLock = new();
    private LoadedModel? _current;
    private string? _rejectedPointer;
    private string _reportedProblems = string.Empty;
    private bool _reportedNoModel;

    /// <summary>Where models come from, for messages.</summary>
    public string Location => tracking.Location;

    /// <summary>The last model that failed to load, and why; null once a model loads.</summary>
    public (ModelOrigin Origin, string Reason)? LastRejection { get; private set; }

    /// <summary>The model serving now, or null while there is none. Read it once per request.</summary>
    public LoadedModel? Current => Volatile.Read(ref _current);

    /// <summary>Loads the model the store points at if it differs from the one serving (or always, with <paramref name="force"/>).</summary>
    public ReloadResult Reload(bool force = false)
    {
        lock (_reloadLock)
        {
            var sink = new ProblemSink();
            var origin = ChampionResolver.Resolve(tracking, sink);
            var problems = sink.Problems;

            // The store is polled every few seconds: say what is wrong with it once, not on every poll.
            var signature = string.Join('\n', problems);
            if (signature != _reportedProblems)
            {
                foreach (var problem in problems)
                {
                    Log.StoreProblem(logger, problem.ToString());
                }

                _reportedProblems = signature;
            }

            var current = Current;
            if (origin is null)
            {
                if (current is null && !_reportedNoModel)
                {
                    Log.NoModel(logger, Location);
                    _reportedNoModel = true;
                }

                return new ReloadResult(false, current is not null, current is null ? $"No model to serve in {Location}." : "The store points at no model; the current one keeps serving.", current?.Origin);
            }

            if (!force && (origin.Pointer == current?.Origin.Pointer || origin.Pointer == _rejectedPointer))
            {
                return new ReloadResult(false, current is not null, "Unchanged.", current?.Origin);
            }

            using var activity = LatentLensTelemetry.ActivitySource.StartActivity("model.load");
            activity?.SetTag("latentlens.run_id", origin.RunId);
            activity?.SetTag("latentlens.model.version", origin.Version);
            var clock = Stopwatch.StartNew();
            try
            {
                if (origin.Defect is not null || origin.Run is null)
                {
                    throw new InvalidDataException(origin.Defect ?? $"the run {origin.RunId} could not be read");
                }

                var loaded = new LoadedModel(tracking.LoadModel(origin.Run), origin, DateTimeOffset.UtcNow);
                Volatile.Write(ref _current, loaded);
                _rejectedPointer = null;
                LastRejection = null;
                _reportedNoModel = false;
                LatentLensTelemetry.SetModelVersion(origin.Version ?? 0);
                Log.ModelLoaded(logger, origin.RunName, origin.RunId, origin.Version, Location, clock.ElapsedMilliseconds);
                return new ReloadResult(true, true, $"Serving {origin.RunName} (run {origin.RunId}{(origin.Version is { } v ? $", version {v}" : string.Empty)}).", origin);
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                _rejectedPointer = origin.Pointer;
                LastRejection = (origin, ex.Message);
                activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
                Log.ModelRejected(logger, origin.RunName, origin.RunId, ex.Message);
                return new ReloadResult(false, current is not null, $"Rejected {origin.RunName}: {ex.Message}", current?.Origin);
            }
        }
    }
}

/// <summary>
/// Polls the store for a new champion. Polling rather than file-system events: events do not cross
/// every bind mount (Docker Desktop, network shares), and reading the registry's few small files
/// every couple of seconds costs nothing.
/// </summary>
internal sealed class ModelWatcher(ModelStore store, IOptions<LatentLensOptions> options, ILogger<ModelWatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(options.Value.ReloadIntervalSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                store.Reload();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.WatchFailed(logger, store.Location, ex);
            }

            try
            {
                await Task.Delay(interval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}

/// <summary>Ready once a model is loaded: the readiness endpoint and the dashboard's health use it.</summary>
internal sealed class ModelReadyHealthCheck(ModelStore store) : Microsoft.Extensions.Diagnostics.HealthChecks.IHealthCheck
{
    public Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
        Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(store.Current is { } model
            ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy($"Serving {model.Origin.RunName}")
            : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy($"No model loaded from {store.Location}"));
}
