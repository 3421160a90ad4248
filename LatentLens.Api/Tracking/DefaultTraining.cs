using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Evaluation;

namespace LatentLens.Api.Tracking;

/// <summary>The outcome of the default training: the new run, and what became of the champion.</summary>
public sealed record DefaultTrainingResult(string RunId, string RunName, double Rmse, int Version, PromotionResult Promotion);

/// <summary>
/// The dashboard's "Train new model": FunkSvd with Surprise's defaults on the bundled
/// ml-latest-small, 5-fold cross-validation (seed 0), recorded as a run, registered, and promoted to
/// champion only when it beats the current champion's RMSE.
/// </summary>
public static class DefaultTraining
{
    public static DefaultTrainingResult Run(string mlruns, int seed = 0, CancellationToken cancellationToken = default)
    {
        var data = RatingReaders.ReadMovieLensLatest(DatasetCatalog.FindBundled(), DatasetCatalog.MovieLensLatestSmall);
        var algorithm = new FunkSvd(new FunkSvdOptions { Seed = seed });
        var splits = Splits.KFold(data.Ratings, 5, seed);
        var result = Evaluator.Evaluate(algorithm, splits, data.Scale, cancellationToken: cancellationToken);

        var store = new MlflowStore(mlruns);
        var recorder = new TrainingRecorder(store, store.GetOrCreateExperiment(TrainingRecorder.DefaultExperiment)) { SourceName = "LatentLens.Api admin/train" };
        var run = recorder.Record(algorithm, data, $"5-fold cross-validation (seed {seed})", result, cancellationToken: cancellationToken);
        var version = new ModelRegistry(store).RegisterVersion(ModelRegistry.DefaultModelName, recorder.ExperimentId, run.RunId, description: run.Name);
        var promotion = Promotion.PromoteBest(store, TrainingRecorder.DefaultExperiment, "rmse");
        return new DefaultTrainingResult(run.RunId, run.Name, result.Rmse.Mean, version, promotion);
    }
}
