using System.Diagnostics;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Recommender.Numerics;

namespace LatentLens.Api.Recommender.Evaluation;

/// <summary>The figures of one split. RMSE and MAE are NaN for a model that ranks without predicting ratings.</summary>
internal sealed record FoldResult(
    string Name,
    int TrainCount,
    int TestCount,
    double Rmse,
    double Mae,
    RankingMetrics Ranking,
    double FitSeconds,
    double TestSeconds,
    IReadOnlyList<EpochReport> Epochs);

/// <summary>Mean and (population) standard deviation of one metric across folds, as Surprise's <c>cross_validate</c> reports them.</summary>
internal readonly record struct MeanStd(double Mean, double Std)
{
    /// <summary>NaN when any value is (a metric that does not apply to the model).</summary>
    public static MeanStd Of(IEnumerable<double> values)
    {
        var list = values.ToList();
        var mean = list.Average();
        var variance = list.Sum(v => (v - mean) * (v - mean)) / list.Count;
        return new MeanStd(mean, Math.Sqrt(variance));
    }
}

/// <summary>The result of evaluating one configuration on a set of splits.</summary>
internal sealed record EvaluationResult(string Algorithm, string DisplayName, IReadOnlyDictionary<string, string> Parameters, int K, double Threshold, IReadOnlyList<FoldResult> Folds)
{
    /// <summary>Whether the model predicts ratings (RMSE and MAE apply).</summary>
    public bool PredictsRatings => Folds.All(f => !double.IsNaN(f.Rmse));

    /// <summary>The test users the ranking metrics average over (mean across folds).</summary>
    public double RankingUsers => Folds.Average(f => f.Ranking.Users);
}

/// <summary>Progress of an evaluation, for the command line's display.</summary>
internal interface IEvaluationProgress
{
    void FoldStarted(string fold, int index, int count);

    void Epoch(string fold, EpochReport report);

    void FoldFinished(FoldResult result);
}

internal static class Evaluator
{
    /// <summary>Fits the algorithm on each split's train part and measures it on the test part.</summary>
    public static EvaluationResult Evaluate(
        IRecommenderAlgorithm algorithm,
        IReadOnlyList<Split> splits,
        RatingScale scale,
        int k = 10,
        double threshold = 4.0,
        IEvaluationProgress? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(algorithm);
        ArgumentNullException.ThrowIfNull(splits);
        var folds = new List<FoldResult>(splits.Count);

        // Not part of any fold's fit time (as Surprise's compiled loops cost nothing to start): the first fold
        // would otherwise also time the JIT compiling the algorithm's loop.
        if (splits.Count > 0)
        {
            algorithm.WarmUp();
        }

        for (var s = 0; s < splits.Count; s++)
        {
            var split = splits[s];
            progress?.FoldStarted(split.Name, s + 1, splits.Count);
            var epochs = new List<EpochReport>();

            // As in Surprise, fit time is the algorithm's fit alone: building the trainset is not part of it,
            // nor is what the caller does with each epoch's report (the progress display, the telemetry).
            var trainset = Trainset.Build(split.Train, scale);
            var reporting = TimeSpan.Zero;
            FactorModel model;
            double fitSeconds;
            using (QuietGcFor(algorithm))
            {
                var clock = Stopwatch.StartNew();
                model = algorithm.Fit(trainset, split.Test, e =>
                {
                    var started = Stopwatch.GetTimestamp();
                    e = e with { Elapsed = e.Elapsed - reporting }; // the same clock as the fit time
                    epochs.Add(e);
                    progress?.Epoch(split.Name, e);
                    reporting += Stopwatch.GetElapsedTime(started);
                }, cancellationToken);
                fitSeconds = (clock.Elapsed - reporting).TotalSeconds;
            }

            // Test time covers what a user of the model waits for: every test prediction and every test user's list.
            var testClock = Stopwatch.StartNew();
            double rmse = double.NaN, mae = double.NaN;
            if (model.PredictsRatings)
            {
                var predictions = Predict(model, split.Test);
                (rmse, mae) = (Accuracy.Rmse(predictions), Accuracy.Mae(predictions));
            }

            var ranking = TopN.Evaluate(SavedModel.From(model, trainset, new Dictionary<string, string>(), algorithm.Parameters), split.Test, k, threshold);
            var testSeconds = testClock.Elapsed.TotalSeconds;

            // The fold's model is scored and goes no further: the next fold's fit may draw into its rows.
            RecycledArrays.GiveBack(model.UserFactors, model.ItemFactors);
            var result = new FoldResult(split.Name, split.Train.Count, split.Test.Count, rmse, mae, ranking, fitSeconds, testSeconds, epochs);
            folds.Add(result);
            progress?.FoldFinished(result);
        }

        // The last fold's rows would otherwise stay kept for the life of the process.
        RecycledArrays.Clear();
        return new EvaluationResult(algorithm.Name, algorithm.DisplayName, algorithm.Parameters, k, threshold, folds);
    }

    /// <summary>
    /// The SGD fits (funksvd, svdpp) run with no full collection mid-fit (<see cref="LowLatencyGc"/>): they are short and
    /// allocate little. The others keep the default mode: an inverse (EASE), a Gibbs sampler (BPMF) or ALS may run for
    /// minutes and allocate hundreds of MB, and must be free to collect the fold before's.
    /// </summary>
    private static LowLatencyGc.Scope QuietGcFor(IRecommenderAlgorithm algorithm) =>
        algorithm.Name is AlgorithmFactory.FunkSvd or AlgorithmFactory.SvdPlusPlus ? LowLatencyGc.Enter() : default;

    public static List<TestPrediction> Predict(FactorModel model, IReadOnlyList<RawRating> test)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(test);
        var predictions = new List<TestPrediction>(test.Count);
        foreach (var r in test)
        {
            var p = model.Predict(r.User, r.Item);
            predictions.Add(new TestPrediction(r.User, r.Item, r.Value, p.Value, p.FellBack));
        }

        return predictions;
    }
}
