using LatentLens.Api.Tracking;

namespace LatentLens.Api.Serving;

/// <summary>
/// Finds the model to serve in the store: the version of <c>LatentLens-SVD</c> with alias
/// <c>champion</c>; without a registry (or alias), the finished run with the lowest <c>rmse</c> in
/// <c>LatentLens-SVD-Evaluation</c> that has a model.
/// </summary>
public static class ModelResolver
{
    public static ModelOrigin? Resolve(string mlruns, out IReadOnlyList<StoreProblem> problems)
    {
        var reader = new MlflowStoreReader(mlruns);
        try
        {
            var registered = reader.FindRegisteredModel(ModelRegistry.DefaultModelName);
            if (registered?.VersionByAlias(ModelRegistry.ChampionAlias) is { } champion)
            {
                // The version's source names the run's folder (mlruns/<experiment>/<run>/artifacts/model): read just that run.
                var parts = champion.Source.Split('/');
                var experimentId = parts.Length >= 4 && parts[^3] == champion.RunId ? parts[^4] : null;
                var run = experimentId is not null
                    ? reader.FindRun(experimentId, champion.RunId)
                    : reader.ReadExperiments().SelectMany(e => reader.ReadRuns(e.Id)).FirstOrDefault(r => r.RunId == champion.RunId);
                return run is not null
                    ? Origin(run, registered.Name, champion.Version, ModelRegistry.ChampionAlias)
                    : new ModelOrigin(string.Empty, champion.RunId, champion.RunId, registered.Name, champion.Version, ModelRegistry.ChampionAlias,
                        new Dictionary<string, string>(), new Dictionary<string, double>(),
                        Defect: $"the champion's run {champion.RunId} is missing or unreadable in {mlruns}");
            }

            var experiment = reader.FindExperiment(TrainingRecorder.DefaultExperiment);
            var best = experiment is null
                ? null
                : reader.ReadRuns(experiment.Id)
                    .Where(r => r.Status == RunStatus.Finished && r.Metrics.TryGetValue("rmse", out var v) && !double.IsNaN(v)
                        && File.Exists(Path.Combine(r.ArtifactsFolder, ModelArtifact.ArtifactPath, "MLmodel")))
                    .MinBy(r => r.Metrics["rmse"]);
            return best is null ? null : Origin(best, null, null, null);
        }
        finally
        {
            problems = reader.Problems;
        }
    }

    public static string ModelFolder(string mlruns, ModelOrigin origin) =>
        Path.Combine(mlruns, origin.ExperimentId, origin.RunId, "artifacts", ModelArtifact.ArtifactPath);

    private static ModelOrigin Origin(RunInfo run, string? model, int? version, string? alias) =>
        new(run.ExperimentId, run.RunId, run.RunName, model, version, alias, run.Params, run.Metrics);
}
