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
    private readonly Dictionary<string, (ModelOrigin Origin, string Reason)> _rejected = new(StringComparer.Ordinal);
    private readonly HashSet<string> _reportedProblems = new(StringComparer.Ordinal);
    private LoadedModel? _current;
    private bool _reportedNoModel;

    /// <summary>Where models come from, for messages.</summary>
    public string Location => tracking.Location;

    /// <summary>The last model that failed to load, and why; null once the first candidate loads.</summary>
    public (ModelOrigin Origin, string Reason)? LastRejection { get; private set; }

    /// <summary>The model serving now, or null while there is none. Read it once per request.</summary>
    public LoadedModel? Current => Volatile.Read(ref _current);

    /// <summary>
    /// Loads the model the rules choose (<see cref="ChampionResolver.Candidates"/>) if it differs from the
    /// one serving (or always, with <paramref name="force"/>). While a valid model serves, a candidate that
    /// fails to load is rejected and the model serving keeps serving; with none (at start-up, or when the
    /// serving run was deleted) the next candidate is tried. A rejected candidate is not tried again
    /// until it changes or a forced reload.
    /// </summary>
    public ReloadResult Reload(bool force = false)
    {
        lock (_reloadLock)
        {
            if (force)
            {
                _rejected.Clear();
            }

            var sink = new ProblemSink();
            var current = Current;

            // A run deleted after it was loaded is no longer servable: the rules pick another one.
            var currentDeleted = current is not null && tracking.FindRun(current.Origin.RunId, sink) is { LifecycleStage: not "active" };
            var result = Choose(sink, currentDeleted ? null : current, currentDeleted);
            ReportProblems(sink.Problems);
            return result;
        }
    }

    private ReloadResult Choose(ProblemSink sink, LoadedModel? current, bool currentDeleted)
    {
        var failures = new List<string>();
        var failedRuns = new HashSet<string>(StringComparer.Ordinal);
        ModelOrigin? firstRejected = null;
        var first = true;
        foreach (var candidate in ChampionResolver.Candidates(tracking, sink))
        {
            var isFirst = first;
            first = false;
            if (failedRuns.Contains(candidate.RunId))
            {
                continue;
            }

            if (current is not null && candidate.Pointer == current.Origin.Pointer)
            {
                var origin = WithReason(candidate, failures);
                if (origin.ChosenBy != current.Origin.ChosenBy || origin.FallbackReason != current.Origin.FallbackReason)
                {
                    // The same files, chosen by another rule now: say so without loading them again.
                    Volatile.Write(ref _current, new LoadedModel(current.Saved, origin, current.LoadedAt));
                    ReportFallback(origin);
                }

                if (isFirst)
                {
                    LastRejection = null;
                }

                return new ReloadResult(false, true, "Unchanged.", origin);
            }

            var rejected = _rejected.TryGetValue(candidate.Pointer, out var byPointer) ? byPointer : _rejected.Values.FirstOrDefault(r => r.Origin.RunId == candidate.RunId);
            if (rejected.Origin is not null)
            {
                failedRuns.Add(candidate.RunId);
                failures.Add(Failure(candidate, rejected.Reason));
                firstRejected ??= candidate;
                continue;
            }

            if (TryLoad(candidate, failures, out var reason))
            {
                if (isFirst)
                {
                    LastRejection = null;
                }

                var loaded = Current!.Origin;
                return new ReloadResult(true, true, $"Serving {loaded.RunName} (run {loaded.RunId}{(loaded.Version is { } v ? $", version {v}" : string.Empty)}{(loaded.ChosenBy == ChosenByRule.Champion ? string.Empty : $", chosen by {loaded.ChosenBy}")}).", loaded);
            }

            failedRuns.Add(candidate.RunId);
            failures.Add(Failure(candidate, reason));
            if (current is not null)
            {
                // A valid model is serving: a broken new one does not replace it.
                return new ReloadResult(false, true, $"Rejected {candidate.RunName}: {reason}", current.Origin);
            }
        }

        if (current is not null)
        {
            return new ReloadResult(false, true, firstRejected is null ? "The store points at no model; the current one keeps serving." : "Unchanged.", current.Origin);
        }

        if (currentDeleted)
        {
            Volatile.Write(ref _current, null);
            LatentLensTelemetry.SetModelVersion(0);
        }

        if (!_reportedNoModel)
        {
            Log.NoModel(logger, Location);
            _reportedNoModel = true;
        }

        return new ReloadResult(false, false, failures.Count == 0 ? $"No model to serve in {Location}." : $"No model to serve in {Location}: {string.Join("; ", failures)}", null);
    }

    private bool TryLoad(ModelOrigin candidate, List<string> failures, out string reason)
    {
        using var activity = LatentLensTelemetry.ActivitySource.StartActivity("model.load");
        activity?.SetTag("latentlens.run_id", candidate.RunId);
        activity?.SetTag("latentlens.model.version", candidate.Version);
        activity?.SetTag("latentlens.model.chosen_by", candidate.ChosenBy);
        var clock = Stopwatch.StartNew();
        try
        {
            if (candidate.Defect is not null || candidate.Run is null)
            {
                throw new InvalidDataException(candidate.Defect ?? $"the run {candidate.RunId} could not be read");
            }

            var origin = WithReason(candidate, failures);
            var loaded = new LoadedModel(tracking.LoadModel(candidate.Run), origin, DateTimeOffset.UtcNow);
            Volatile.Write(ref _current, loaded);
            _rejected.Remove(candidate.Pointer);
            _reportedNoModel = false;
            LatentLensTelemetry.SetModelVersion(origin.Version ?? 0);
            Log.ModelLoaded(logger, origin.RunName, origin.RunId, origin.Version, Location, clock.ElapsedMilliseconds);
            ReportFallback(origin);
            reason = string.Empty;
            return true;
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            _rejected[candidate.Pointer] = (candidate, ex.Message);
            LastRejection = (candidate, ex.Message);
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            Log.ModelRejected(logger, candidate.RunName, candidate.RunId, ex.Message, Current is null ? "Trying the next candidate" : "The previous model keeps serving");
            reason = ex.Message;
            return false;
        }
    }

    /// <summary>A fallback's reason: what failed to load before it, then why the store's earlier rules did not apply.</summary>
    private static ModelOrigin WithReason(ModelOrigin candidate, List<string> failures) =>
        candidate.ChosenBy == ChosenByRule.Champion
            ? candidate
            : candidate with { FallbackReason = string.Join("; ", failures.Append(candidate.FallbackReason).Where(r => !string.IsNullOrEmpty(r)).Distinct()) };

    private static string Failure(ModelOrigin candidate, string reason) => candidate.Defect is not null && candidate.ChosenBy == ChosenByRule.Champion
        ? $"the champion (version {candidate.Version}) cannot be served: {reason}"
        : $"{(candidate.ChosenBy == ChosenByRule.Champion ? "the champion" : candidate.ChosenBy)} ({(candidate.Version is { } v ? $"version {v}, " : string.Empty)}run {candidate.RunId}) failed to load: {reason}";

    private void ReportFallback(ModelOrigin origin)
    {
        if (origin.ChosenBy != ChosenByRule.Champion)
        {
            Log.ModelFallback(logger, origin.RunName, origin.RunId, origin.ChosenBy, origin.FallbackReason ?? string.Empty);
        }
    }

    /// <summary>The store is polled every few seconds: say what is wrong with it once, not on every poll.</summary>
    private void ReportProblems(IReadOnlyList<StoreProblem> problems)
    {
        if (problems.Count == 0)
        {
            _reportedProblems.Clear();
            return;
        }

        foreach (var problem in problems)
        {
            var text = problem.ToString();
            if (_reportedProblems.Add(text))
            {
                Log.StoreProblem(logger, text);
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
            ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy(model.Origin.ChosenBy == ChosenByRule.Champion
                ? $"Serving {model.Origin.RunName}"
                : $"Serving {model.Origin.RunName} as a fallback, chosen by {model.Origin.ChosenBy}: {model.Origin.FallbackReason}")
            : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy($"No model loaded from {store.Location}"));
}
