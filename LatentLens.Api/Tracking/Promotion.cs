namespace LatentLens.Api.Tracking;

/// <summary>The outcome of a promotion: which run's version holds the alias now, and whether it moved.</summary>
public sealed record PromotionResult(string RunId, string RunName, int Version, double Score, bool Moved, int? PreviousVersion);

/// <summary>Chooses the champion: the finished run with the best metric, registered if it is not yet.</summary>
public static class Promotion
{
    /// <summary>Metrics where a higher value is better; every other metric (rmse, mae, ...) is better lower.</summary>
    private static readonly string[] HigherIsBetterPrefixes = ["precision", "recall", "ndcg"];

    public static bool HigherIsBetter(string metric) => HigherIsBetterPrefixes.Any(p => metric.StartsWith(p, StringComparison.Ordinal));

    /// <summary>
    /// Moves <paramref name="alias"/> of <paramref name="modelName"/> to the version of the finished run
    /// of <paramref name="experimentName"/> that is best by <paramref name="metric"/> (and has a model).
    /// </summary>
    public static PromotionResult PromoteBest(MlflowStore store, string experimentName, string metric, string modelName = ModelRegistry.DefaultModelName, string alias = ModelRegistry.ChampionAlias)
    {
        ArgumentNullException.ThrowIfNull(store);
        var reader = new MlflowStoreReader(store.Root);
        var experiment = reader.FindExperiment(experimentName)
            ?? throw new InvalidOperationException($"There is no experiment '{experimentName}' in {store.Root}.");
        var candidates = reader.ReadRuns(experiment.Id)
            .Where(r => r.Status == RunStatus.Finished && r.Metrics.ContainsKey(metric) && !double.IsNaN(r.Metrics[metric])
                && File.Exists(Path.Combine(r.ArtifactsFolder, ModelArtifact.ArtifactPath, "MLmodel")))
            .ToList();
        if (candidates.Count == 0)
        {
            throw new InvalidOperationException($"No finished run of '{experimentName}' has both a model and the metric '{metric}'.");
        }

        var best = HigherIsBetter(metric) ? candidates.MaxBy(r => r.Metrics[metric])! : candidates.MinBy(r => r.Metrics[metric])!;
        var registry = new ModelRegistry(store);
        var model = reader.FindRegisteredModel(modelName);
        var version = model?.Versions.LastOrDefault(v => v.RunId == best.RunId)?.Version
            ?? registry.RegisterVersion(modelName, best.ExperimentId, best.RunId, description: $"{best.RunName}: {metric} {best.Metrics[metric]:F4}");
        int? previous = model?.Aliases.TryGetValue(alias, out var p) == true ? p : null;
        if (previous != version)
        {
            registry.SetAlias(modelName, alias, version);
        }

        return new PromotionResult(best.RunId, best.RunName, version, best.Metrics[metric], previous != version, previous);
    }
}
