using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Evaluation;
using LatentLens.Api.Tracking;
using LatentLens.Api.Tracking.FileStore;
using LatentLens.Api.Training;

namespace LatentLens.Tests.Api;

/// <summary>A temporary MLflow store with trained models, for the API to serve.</summary>
internal sealed class ApiStore : IDisposable
{
    public ApiStore()
    {
        Root = TestPaths.NewTempFolder();
        Store = new FileTrackingStore(Root);
        Store.EnsureLayout();
    }

    public string Root { get; }

    public FileTrackingStore Store { get; }

    public static RatingData Data(int seed = 1) => TestData.SyntheticWithTitles(seed);

    /// <summary>Trains and records a run; registers it and makes it the champion when asked.</summary>
    public RecordedRun Train(IRecommenderAlgorithm algorithm, bool champion = true, int seed = 1, RatingData? data = null)
    {
        data ??= Data(seed);
        var recorder = new TrainingRecorder(Store, Store.GetOrCreateExperiment(LatentLensConventions.ExperimentName)) { GitCommit = null };
        var result = Evaluator.Evaluate(algorithm, Splits.KFold(data.Ratings, 2, seed), data.Scale);
        var run = recorder.Record(algorithm, data, "2-fold", result);
        if (champion)
        {
            var registry = new ModelRegistry(Store);
            var version = registry.RegisterVersion(LatentLensConventions.RegisteredModelName, recorder.ExperimentId, run.RunId);
            registry.SetAlias(LatentLensConventions.RegisteredModelName, LatentLensConventions.ChampionAlias, version);
        }

        return run;
    }

    public string ModelFolder(RecordedRun run) =>
        Path.Combine(Root, new FileTrackingStore(Root).FindExperiment(LatentLensConventions.ExperimentName)!.Id, run.RunId, "artifacts", "model");

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
