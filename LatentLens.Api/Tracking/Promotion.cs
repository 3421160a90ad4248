namespace LatentLens.Api.Tracking;

/// <summary>The outcome of a promotion: which run's version holds the alias now, and whether it moved.</summary>
internal sealed record PromotionResult(string RunId, string RunName, int Version, double Score, bool Moved, int? PreviousVersion, string Alias, string Metric)
{
    /// <summary>What the promotion did, as <c>promote</c> and <c>train --register</c> say it.</summary>
    public string Message
    {
        get
        {
            var direction = Recommender.Evaluation.MetricCatalog.HigherIsBetter(Metric) ? "higher is better" : "lower is better";
            var was = PreviousVersion is { } p ? FormattableString.Invariant($"version {p}") : "unset";
            return Moved
                ? FormattableString.Invariant($"{Alias} -> version {Version}: {RunName} ({RunId}), {Metric} {Score:F4}, the best ({direction}; was {was}).")
                : FormattableString.Invariant($"{Alias} stays at version {Version}: {RunName} ({RunId}), {Metric} {Score:F4}, the best ({direction}).");
        }
    }
}

/// <summary>Chooses the champion: the servable run with the best metric, registered if it is not yet.</summary>
internal static class Promotion
{
    /// <summary>
    /// Moves <paramref name="alias"/> of <paramref name="modelName"/> to the version of the servable run
    /// of <paramref name="experimentName"/> that is best by <paramref name="metric"/> (<see cref="ServableRuns"/>).
    /// </summary>
    public static PromotionResult PromoteBest(
        ITrackingStore store,
        string experimentName,
        string metric,
        string modelName = LatentLensConventions.RegisteredModelName,
        string alias = LatentLensConventions.ChampionAlias)
    {
        ArgumentNullException.ThrowIfNull(store);
        // A metric LatentLens does not record is refused before the store is asked anything (a server may be slow).
        _ = Recommender.Evaluation.MetricCatalog.HigherIsBetter(metric);
        var experiment = store.FindExperiment(experimentName)
            ?? throw new InvalidOperationException($"There is no experiment '{experimentName}' in {store.Location}.");
        var best = ServableRuns.Best(store, experiment.Id, metric)
            ?? throw new InvalidOperationException($"No finished run of '{experimentName}' has both a model and the metric '{metric}'.");
        // Not "look up, then register if missing": a trainer in another process may register the same run
        // in between. RegisterVersion decides under the store lock and returns the run's version if it has one.
        var version = store.RegisterVersion(modelName, best.ExperimentId, best.RunId, description: $"{best.RunName}: {metric} {best.Metrics[metric]:F4}");
        var model = store.FindRegisteredModel(modelName);
        int? previous = model?.Aliases.TryGetValue(alias, out var p) == true ? p : null;
        if (previous != version)
        {
            store.SetAlias(modelName, alias, version);
        }

        return new PromotionResult(best.RunId, best.RunName, version, best.Metrics[metric], previous != version, previous, alias, metric);
    }
}
