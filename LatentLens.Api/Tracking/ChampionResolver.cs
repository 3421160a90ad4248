using LatentLens.Api.Recommender.Models;

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
    public static RunInfo? Best(ITrackingStore store, string experimentId, string metric, ProblemSink? problems = null) =>
        BestFirst(store, experimentId, metric, problems).FirstOrDefault();

    /// <summary>The servable runs of the experiment, best by <paramref name="metric"/> first (ties in the order read).</summary>
    public static IEnumerable<RunInfo> BestFirst(ITrackingStore store, string experimentId, string metric, ProblemSink? problems = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        var servable = store.ReadRuns(experimentId, problems).Where(r => IsServable(store, r, metric));
        return Recommender.Evaluation.MetricCatalog.HigherIsBetter(metric) ? servable.OrderByDescending(r => r.Metrics[metric]) : servable.OrderBy(r => r.Metrics[metric]);
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
            championReason = defect is null ? null : ChampionCannotBeServed(champion.Version, defect);
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

        foreach (var run in ServableRuns.BestFirst(store, experiment.Id, FallbackMetric, problems))
        {
            yield return ModelOrigin.Of(run) with { ChosenBy = ChosenByRule.BestRun, FallbackReason = noVersion };
        }
    }

    /// <summary>
    /// The model the API serves when nothing is loaded yet (at start-up): the first of <see cref="Candidates"/>
    /// that loads; null when none does. <paramref name="failures"/> collects why each earlier one did not. The
    /// benchmarks choose their model with it, so they measure what the API would serve.
    /// </summary>
    public static (ModelOrigin Origin, SavedModel Model)? FirstLoadable(ITrackingStore store, ProblemSink problems, ICollection<string>? failures = null)
    {
        var failedRuns = new HashSet<string>(StringComparer.Ordinal);
        foreach (var candidate in Candidates(store, problems))
        {
            // A run that failed to load as one candidate (the champion) fails as any other (a version) too.
            if (failedRuns.Contains(candidate.RunId))
            {
                continue;
            }

            if (TryLoad(store, candidate, out var reason) is { } saved)
            {
                return (candidate, saved);
            }

            failedRuns.Add(candidate.RunId);
            failures?.Add(Failure(candidate, reason));
        }

        return null;
    }

    /// <summary>Loads a candidate's model; null, with the reason, when it has a defect or its files are missing or broken.</summary>
    public static SavedModel? TryLoad(ITrackingStore store, ModelOrigin candidate, out string reason)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(candidate);
        try
        {
            if (candidate.Defect is not null || candidate.Run is null)
            {
                throw new InvalidDataException(candidate.Defect ?? $"the run {candidate.RunId} could not be read");
            }

            var saved = store.LoadModel(candidate.Run);
            reason = string.Empty;
            return saved;
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            reason = ex.Message;
            return null;
        }
    }

    /// <summary>Why a candidate was passed over, as <c>/model</c>, the log and the benchmarks say it.</summary>
    public static string Failure(ModelOrigin candidate, string reason)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        return candidate.Defect is not null && candidate.ChosenBy == ChosenByRule.Champion
            ? ChampionCannotBeServed(candidate.Version, reason)
            : $"{(candidate.ChosenBy == ChosenByRule.Champion ? "the champion" : candidate.ChosenBy)} ({(candidate.Version is { } v ? $"version {v}, " : string.Empty)}run {candidate.RunId}) failed to load: {reason}";
    }

    private static string ChampionCannotBeServed(int? version, string reason) => $"the champion (version {version}) cannot be served: {reason}";

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
