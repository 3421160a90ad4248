namespace LatentLens.Api.Tracking;

/// <summary>
/// Where a served model came from: the run, and the registry version and alias when it was resolved
/// through them. <see cref="Defect"/> says why it cannot be served (e.g. the champion's run is unreadable).
/// </summary>
internal sealed record ModelOrigin(
    string ExperimentId,
    string RunId,
    string RunName,
    string? RegisteredModel,
    int? Version,
    string? Alias,
    IReadOnlyDictionary<string, string> Params,
    IReadOnlyDictionary<string, double> Metrics,
    RunInfo? Run,
    string? Defect = null)
{
    /// <summary>Identifies what the origin points at; a change means there is a new model to load.</summary>
    public string Pointer => $"{RegisteredModel}/{Version}/{RunId}";

    public static ModelOrigin Of(RunInfo run, string? model = null, int? version = null, string? alias = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        return new(run.ExperimentId, run.RunId, run.RunName, model, version, alias, run.Params, run.Metrics, run);
    }
}

/// <summary>Which runs may be served or promoted, and which value of a metric is better: one rule for the API, promote and train --register.</summary>
internal static class ServableRuns
{
    /// <summary>Lower for rmse, mae and times, higher for the ranking metrics; an unknown metric is an <see cref="ArgumentException"/>.</summary>
    public static bool HigherIsBetter(string metric) => Recommender.Evaluation.MetricCatalog.HigherIsBetter(metric);

    /// <summary>A finished, active run with a model artifact and a number for <paramref name="metric"/>.</summary>
    public static bool IsServable(ITrackingStore store, RunInfo run, string metric)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(run);
        return run.Status == RunStatus.Finished && run.LifecycleStage == "active"
            && run.Metrics.TryGetValue(metric, out var value) && !double.IsNaN(value)
            && store.HasModel(run);
    }

    /// <summary>The servable run of the experiment that is best by <paramref name="metric"/>, or null.</summary>
    public static RunInfo? Best(ITrackingStore store, string experimentId, string metric, ProblemSink? problems = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        var candidates = store.ReadRuns(experimentId, problems).Where(r => IsServable(store, r, metric));
        return HigherIsBetter(metric) ? candidates.MaxBy(r => r.Metrics[metric]) : candidates.MinBy(r => r.Metrics[metric]);
    }
}

/// <summary>
/// Finds the model to serve: the version of <c>LatentLens-SVD</c> with alias <c>champion</c>;
/// without a registry (or alias), the servable run with the lowest <c>rmse</c> in
/// <c>LatentLens-SVD-Evaluation</c>.
/// </summary>
internal static class ChampionResolver
{
    public const string FallbackMetric = "rmse";

    public static ModelOrigin? Resolve(ITrackingStore store, ProblemSink problems)
    {
        ArgumentNullException.ThrowIfNull(store);
        var registered = store.FindRegisteredModel(LatentLensConventions.RegisteredModelName, problems);
        if (registered?.VersionByAlias(LatentLensConventions.ChampionAlias) is { } champion)
        {
            return store.FindRun(champion.RunId, problems) is { } run
                ? ModelOrigin.Of(run, registered.Name, champion.Version, LatentLensConventions.ChampionAlias)
                : new ModelOrigin(string.Empty, champion.RunId, champion.RunId, registered.Name, champion.Version, LatentLensConventions.ChampionAlias,
                    new Dictionary<string, string>(), new Dictionary<string, double>(), Run: null,
                    Defect: $"the champion's run {champion.RunId} is missing or unreadable in {store.Location}");
        }

        var experiment = store.FindExperiment(LatentLensConventions.ExperimentName, problems);
        var best = experiment is null ? null : ServableRuns.Best(store, experiment.Id, FallbackMetric, problems);
        return best is null ? null : ModelOrigin.Of(best);
    }
}
