using System.Diagnostics;
using LatentLens.Api.Tracking;
using Microsoft.Extensions.Options;

namespace LatentLens.Api.Serving;

/// <summary>What a reload did. <see cref="StoreFailed"/>: the store could not be read (in time), so nothing was decided.</summary>
internal sealed record ReloadResult(bool Changed, bool Ready, string Message, ModelOrigin? Origin)
{
    public bool StoreFailed { get; init; }
}

/// <summary>The model the rules chose first and why it is not serving; <see cref="Origin"/> is null when the champion rule chose nothing.</summary>
internal sealed record ModelRejection(ModelOrigin? Origin, string Reason);

/// <summary>
/// Holds the model being served and swaps in a new one atomically. A new model is loaded and
/// checked completely before the swap; one that fails to load is rejected with a warning and the
/// previous model keeps serving.
/// </summary>
internal sealed class ServedModel(ITrackingStore tracking, ILogger<ServedModel> logger)
{
    private readonly Lock _reloadLock = new();
    private readonly Dictionary<string, (ModelOrigin Origin, string Reason)> _rejected = new(StringComparer.Ordinal);
    private readonly HashSet<string> _reportedProblems = new(StringComparer.Ordinal);
    private readonly Lock _pendingLock = new();
    private Task<ReloadResult>? _pending;
    private LoadedModel? _current;
    private bool _reportedNoModel;

    /// <summary>Where models come from, for messages.</summary>
    public string Location => tracking.Location;

    /// <summary>
    /// Why the model the rules choose first (normally the champion) is not the one serving: it failed to load,
    /// or the champion rule chooses nothing servable; null when it serves. <c>/model</c> and <c>/ready</c> show it.
    /// </summary>
    public ModelRejection? Rejection { get; private set; }

    /// <summary>The model serving now, or null while there is none. Read it once per request.</summary>
    public LoadedModel? Current => Volatile.Read(ref _current);

    /// <summary>
    /// Loads the model the rules choose (<see cref="ChampionResolver.Candidates"/>) if it differs from the
    /// one serving (or always, with <paramref name="force"/>). While a model chosen by the champion rule serves,
    /// only a champion that loads replaces it: a broken champion, or an alias that points nowhere, leaves it
    /// serving (<see cref="Rejection"/> says why). The fallback rules choose only with nothing loaded (at start-up,
    /// or when the serving run was deleted) or while a fallback serves. A rejected candidate is not tried again
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

    /// <summary>
    /// <see cref="Reload(bool)"/> for a caller that waits (an HTTP request): at most <paramref name="bound"/>, then an
    /// answer that says the store did not answer in time while the reload goes on in the background (a tracking server
    /// that hangs is retried for minutes). A failure to read the store is an answer too, not an exception. Callers
    /// that come while such a reload is still running wait for that one instead of queueing another.
    /// </summary>
    public async Task<ReloadResult> ReloadWithinAsync(TimeSpan bound, bool force, CancellationToken cancellationToken)
    {
        Task<ReloadResult> reload;
        lock (_pendingLock)
        {
            if (_pending is not { IsCompleted: false })
            {
                _pending = Task.Run(() => Reload(force), CancellationToken.None);
                _ = _pending.ContinueWith(t => Log.WatchFailed(logger, Location, t.Exception!.GetBaseException()), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            }

            reload = _pending;
        }

        string Serving() => Current is { } current ? $"{current.Origin.RunName}{VersionText(current.Origin)} keeps serving" : "no model is serving";
        try
        {
            return await reload.WaitAsync(bound, cancellationToken);
        }
        catch (TimeoutException)
        {
            Log.ReloadSlow(logger, bound.TotalSeconds);
            return new ReloadResult(false, Current is not null, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Location} did not answer within {bound.TotalSeconds:0.#} s; {Serving()}, and the reload goes on in the background."), Current?.Origin) { StoreFailed = true };
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The reload itself threw (the store could not be read): an answer, not a 500.
            return new ReloadResult(false, Current is not null, $"Reading {Location} failed: {ex.Message}; {Serving()}.", Current?.Origin) { StoreFailed = true };
        }
    }

    private ReloadResult Choose(ProblemSink sink, LoadedModel? current, bool currentDeleted)
    {
        var failures = new List<string>();
        var failedRuns = new HashSet<string>(StringComparer.Ordinal);
        ModelRejection? firstChoiceFailed = null;
        var first = true;
        foreach (var candidate in ChampionResolver.Candidates(tracking, sink))
        {
            var isFirst = first;
            first = false;
            if (failedRuns.Contains(candidate.RunId))
            {
                continue;
            }

            if (current is not null && current.Origin.ChosenBy == ChosenByRule.Champion && candidate.ChosenBy != ChosenByRule.Champion)
            {
                // The champion rule chose what serves; now it chooses nothing servable (an alias moved to a
                // version that does not exist, a champion rejected above), even when the fallback would pick the
                // very files that serve: they stay served as the champion that was promoted. A fallback rule is for a start with
                // nothing loaded: it never replaces the model a person promoted.
                Rejection = firstChoiceFailed ?? new ModelRejection(null, candidate.FallbackReason ?? "the champion rule chooses no model");
                return new ReloadResult(false, true, $"Not replacing the champion {current.Origin.RunName}: {Rejection.Reason}", current.Origin);
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

                Rejection = firstChoiceFailed;
                return new ReloadResult(false, true, "Unchanged.", origin);
            }

            // A candidate rejected before is not read again until it changes or a forced reload.
            var known = _rejected.TryGetValue(candidate.Pointer, out var byPointer) ? byPointer : _rejected.Values.FirstOrDefault(r => r.Origin.RunId == candidate.RunId);
            string reason;
            if (known.Origin is not null)
            {
                reason = known.Reason;
            }
            else if (TryLoad(candidate, failures, out reason))
            {
                Rejection = isFirst ? null : firstChoiceFailed;
                var loaded = Current!.Origin;
                return new ReloadResult(true, true, $"Serving {loaded.RunName} (run {loaded.RunId}{(loaded.Version is { } v ? $", version {v}" : string.Empty)}{(loaded.ChosenBy == ChosenByRule.Champion ? string.Empty : $", chosen by {loaded.ChosenBy}")}).", loaded);
            }

            failedRuns.Add(candidate.RunId);
            failures.Add(ChampionResolver.Failure(candidate, reason));
            if (isFirst)
            {
                firstChoiceFailed = new ModelRejection(candidate, reason);
            }

            if (current is null || current.Origin.ChosenBy != ChosenByRule.Champion)
            {
                // Nothing loaded, or a fallback serving: the rules move on to the next candidate.
                continue;
            }

            Rejection = firstChoiceFailed ?? new ModelRejection(candidate, reason);
            return new ReloadResult(false, true, $"Rejected {candidate.RunName}{VersionText(candidate)}: {reason}. {current.Origin.RunName}{VersionText(current.Origin)} keeps serving.", current.Origin);
        }

        if (current is not null)
        {
            Rejection = firstChoiceFailed;
            return new ReloadResult(false, true, firstChoiceFailed is null ? "The store points at no model; the current one keeps serving." : "Unchanged.", current.Origin);
        }

        Rejection = firstChoiceFailed;
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

    private static string VersionText(ModelOrigin origin) => origin.Version is { } v ? $" (version {v})" : string.Empty;

    private bool TryLoad(ModelOrigin candidate, List<string> failures, out string reason)
    {
        using var activity = LatentLensTelemetry.ActivitySource.StartActivity("model.load");
        activity?.SetTag("latentlens.run_id", candidate.RunId);
        activity?.SetTag("latentlens.model.version", candidate.Version);
        activity?.SetTag("latentlens.model.chosen_by", candidate.ChosenBy);
        var clock = Stopwatch.StartNew();
        if (ChampionResolver.TryLoad(tracking, candidate, out reason) is not { } saved)
        {
            _rejected[candidate.Pointer] = (candidate, reason);
            activity?.SetStatus(ActivityStatusCode.Error, reason);
            Log.ModelRejected(logger, candidate.RunName, candidate.RunId, reason, Current is null ? "Trying the next candidate" : "The previous model keeps serving");
            return false;
        }

        var origin = WithReason(candidate, failures);
        Volatile.Write(ref _current, new LoadedModel(saved, origin, DateTimeOffset.UtcNow));
        _rejected.Remove(candidate.Pointer);
        _reportedNoModel = false;
        LatentLensTelemetry.SetModelVersion(origin.Version ?? 0);
        Log.ModelLoaded(logger, origin.RunName, origin.RunId, origin.Version, Location, clock.ElapsedMilliseconds);
        ReportFallback(origin);
        return true;
    }

    /// <summary>A fallback's reason: what failed to load before it, then why the store's earlier rules did not apply.</summary>
    private static ModelOrigin WithReason(ModelOrigin candidate, List<string> failures) =>
        candidate.ChosenBy == ChosenByRule.Champion
            ? candidate
            : candidate with { FallbackReason = string.Join("; ", failures.Append(candidate.FallbackReason).Where(r => !string.IsNullOrEmpty(r)).Distinct()) };

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
internal sealed class ModelWatcher(ServedModel served, IOptions<LatentLensOptions> options, ILogger<ModelWatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(options.Value.ReloadIntervalSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                served.Reload();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.WatchFailed(logger, served.Location, ex);
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
internal sealed class ModelReadyHealthCheck(ServedModel served) : Microsoft.Extensions.Diagnostics.HealthChecks.IHealthCheck
{
    public Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
        Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(served.Current is { } model
            ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy(Describe(model.Origin, served.Rejection))
            : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy(
                $"No model loaded from {served.Location}{(served.Rejection is { } r ? $"; {(r.Origin is { } o ? $"{o.RunName}{(o.Version is { } v ? $" (version {v})" : string.Empty)} was rejected" : "the champion rule chooses no model")}: {r.Reason}" : string.Empty)}"));

    private static string Describe(ModelOrigin served, ModelRejection? rejection)
    {
        var serving = served.ChosenBy == ChosenByRule.Champion
            ? $"Serving {served.RunName}"
            : $"Serving {served.RunName} as a fallback, chosen by {served.ChosenBy}: {served.FallbackReason}";
        if (rejection is null || served.ChosenBy != ChosenByRule.Champion)
        {
            // A fallback's reason already says what the rules before it rejected.
            return serving;
        }

        var what = rejection.Origin is { } o ? $"{(o.ChosenBy == ChosenByRule.Champion ? "the champion" : o.ChosenBy)} {o.RunName}{(o.Version is { } v ? $" (version {v})" : string.Empty)} was rejected" : "the champion rule chooses no model";
        return $"{serving}{(served.Version is { } sv ? $" (version {sv})" : string.Empty)}; {what}: {rejection.Reason}";
    }
}
