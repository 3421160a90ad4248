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
    string? Defect = null,
    string ChosenBy = ChosenByRule.Champion,
    string? FallbackReason = null)
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
        return Recommender.Evaluation.MetricCatalog.HigherIsBetter(metric) ? candidates.MaxBy(r => r.Metrics[metric]) : candidates.MinBy(r => r.Metrics[metric]);
    }
}

/// <summary>The rules that choose the model to serve, in order; the value is what <c>/model</c> shows as <c>chosenBy</c>.</summary>
internal static class ChosenByRule
{
    public const string Champion = "champion";
    public const string NewestValidVersion = "newest valid version";
    public const string BestRun = "best run by rmse";
}

/// <summary>
/// Finds the model to serve, by three rules in order: the version of <c>LatentLens-SVD</c> with alias
/// <c>champion</c>; else the newest valid version of <c>LatentLens-SVD</c>; else the servable run with
/// the lowest <c>rmse</c> in <c>LatentLens-SVD-Evaluation</c>. A deleted run is never a candidate.
/// </summary>
internal static class ChampionResolver
{
    public const string FallbackMetric = "rmse";

    /// <summary>The first candidate (see <see cref="Candidates"/>), or null when the store has none.</summary>
    public static ModelOrigin? Resolve(ITrackingStore store, ProblemSink problems) => Candidates(store, problems).FirstOrDefault();

    /// <summary>
    /// The models to try, best first: the champion (with a <see cref="ModelOrigin.Defect"/> when its run
    /// cannot be served), then the valid versions newest first, then the servable runs by <c>rmse</c>.
    /// Each fallback carries why the rules before it did not apply. Lazy: the runs are read only when
    /// the caller goes that far.
    /// </summary>
    public static IEnumerable<ModelOrigin> Candidates(ITrackingStore store, ProblemSink problems)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(problems);
        var name = LatentLensConventions.RegisteredModelName;
        var alias = LatentLensConventions.ChampionAlias;
        var registered = store.FindRegisteredModel(name, problems);
        string? championReason;
        int? championVersion = null;
        if (registered is null)
        {
            championReason = $"there is no registered model {name} in {store.Location}";
        }
        else if (!registered.Aliases.TryGetValue(alias, out var aliased))
        {
            championReason = ProblemWith(problems, p => Path.GetFileName(p.Path) == alias && Path.GetFileName(Path.GetDirectoryName(p.Path)) == "aliases") is { } bad
                ? $"the alias {alias} of {name} is unreadable: {bad}"
                : $"{name} has no alias {alias}";
        }
        else if (registered.Versions.FirstOrDefault(v => v.Version == aliased) is not { } champion)
        {
            championVersion = aliased;
            championReason = ProblemWith(problems, p => $"version-{aliased}" == Path.GetFileName(p.Path) || $"version-{aliased}" == Path.GetFileName(Path.GetDirectoryName(p.Path))) is { } bad
                ? $"the alias {alias} points at version {aliased} of {name}, whose metadata is unreadable: {bad}"
                : $"the alias {alias} points at version {aliased} of {name}, which does not exist";
        }
        else
        {
            championVersion = champion.Version;
            var run = store.FindRun(champion.RunId, problems);
            var defect = Unservable(store, run, champion.RunId);
            // A champion that looks servable may still fail to load: the caller says so when it does.
            championReason = defect is null ? null : $"the champion (version {champion.Version}) cannot be served: {defect}";
            yield return run is not null && defect is null
                ? ModelOrigin.Of(run, registered.Name, champion.Version, alias)
                : new ModelOrigin(run?.ExperimentId ?? string.Empty, champion.RunId, run?.RunName ?? champion.RunId, registered.Name, champion.Version, alias,
                    run?.Params ?? new Dictionary<string, string>(), run?.Metrics ?? new Dictionary<string, double>(), run, Defect: defect);
        }

        var versionsSkipped = new List<string>();
        if (registered is not null)
        {
            foreach (var version in registered.Versions.Where(v => v.Version != championVersion).OrderByDescending(v => v.Version))
            {
                var run = store.FindRun(version.RunId, problems);
                if (Unservable(store, run, version.RunId) is { } defect)
                {
                    versionsSkipped.Add($"version {version.Version}: {defect}");
                    continue;
                }

                yield return ModelOrigin.Of(run!, registered.Name, version.Version) with { ChosenBy = ChosenByRule.NewestValidVersion, FallbackReason = championReason };
            }
        }

        var noVersion = registered is null
            ? championReason
            : string.Join("; ", new[] { championReason, $"no other version of {name} is valid{(versionsSkipped.Count == 0 ? string.Empty : $" ({string.Join("; ", versionsSkipped)})")}" }.OfType<string>());
        var experiment = store.FindExperiment(LatentLensConventions.ExperimentName, problems);
        if (experiment is null)
        {
            yield break;
        }

        var servable = store.ReadRuns(experiment.Id, problems).Where(r => ServableRuns.IsServable(store, r, FallbackMetric));
        var ordered = Recommender.Evaluation.MetricCatalog.HigherIsBetter(FallbackMetric) ? servable.OrderByDescending(r => r.Metrics[FallbackMetric]) : servable.OrderBy(r => r.Metrics[FallbackMetric]);
        foreach (var run in ordered)
        {
            yield return ModelOrigin.Of(run) with { ChosenBy = ChosenByRule.BestRun, FallbackReason = noVersion };
        }
    }

    /// <summary>Why a run cannot be served as a registered version, or null when it can (or may: its files are checked by loading).</summary>
    private static string? Unservable(ITrackingStore store, RunInfo? run, string runId) => run switch
    {
        null => $"its run {runId} is missing or unreadable in {store.Location}",
        { LifecycleStage: not "active" } => $"its run {runId} is {run.LifecycleStage}",
        { Status: not RunStatus.Finished } => $"its run {runId} is {run.Status}, not finished",
        _ when !store.HasModel(run) => $"its run {runId} has no model artifact",
        _ => null,
    };

    private static string? ProblemWith(ProblemSink problems, Func<StoreProblem, bool> match) =>
        problems.Problems.FirstOrDefault(match) is { } p ? $"{Path.GetFileName(p.Path)}: {p.Message}" : null;
}
