using System.Diagnostics;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;

namespace LatentLens.Api.Recommender.Evaluation.Search;

/// <summary>
/// One trial of a search: its settings and how they did on the validation data (null and a reason when
/// the fit diverged). <see cref="Score"/> is the chosen metric's mean over the validation splits.
/// </summary>
internal sealed record Trial(int Number, AlgorithmSettings Settings, IRecommenderAlgorithm Algorithm, EvaluationResult? Validation, double Score, string? Failure, double Seconds);

/// <summary>The trials of one algorithm's search and the best of them by the metric (in its better direction).</summary>
internal sealed record SearchResult(string Algorithm, MetricDefinition Metric, IReadOnlyList<Trial> Trials, Trial Best, double Seconds);

/// <summary>
/// Random search (Bergstra and Bengio 2012) over <see cref="SearchSpace"/>: every trial fits on the validation
/// splits' training part and is scored on their validation part (<see cref="ValidationSplit"/>), by the same
/// catalogue-wide evaluation as the test set. It never sees a test rating; the caller refits the best on the
/// whole training data and measures that on the test set.
/// </summary>
internal static class RandomSearch
{
    /// <summary>Runs <paramref name="trials"/> trials (the first: the defaults); <paramref name="onTrial"/> hears of each as it ends, with the best so far.</summary>
    public static SearchResult Run(
        string algorithm,
        int trials,
        IReadOnlyList<Split> validation,
        RatingScale scale,
        MetricDefinition metric,
        int k,
        double threshold,
        int seed,
        Action<Trial, Trial>? onTrial = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(metric);
        var clock = Stopwatch.StartNew();
        var done = new List<Trial>();
        Trial? best = null;
        var settings = SearchSpace.Trials(algorithm, trials, seed);
        for (var n = 0; n < settings.Count; n++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var started = Stopwatch.GetTimestamp();
            var candidate = DivergenceGuard.Wrap(AlgorithmFactory.Create(settings[n]));
            Trial trial;
            try
            {
                var result = Evaluator.Evaluate(candidate, validation, scale, k, threshold, progress: null, cancellationToken);
                trial = new Trial(n + 1, settings[n], candidate, result, metric.Summary(result).Mean, null, Stopwatch.GetElapsedTime(started).TotalSeconds);
            }
            catch (ModelDivergedException ex)
            {
                // A setting whose fit diverges is a bad draw, not a failed search.
                trial = new Trial(n + 1, settings[n], candidate, null, double.NaN, ex.Message, Stopwatch.GetElapsedTime(started).TotalSeconds);
            }

            done.Add(trial);
            if (best is null || Better(trial.Score, best.Score, metric.HigherIsBetter))
            {
                best = trial;
            }

            onTrial?.Invoke(trial, best);
        }

        return new SearchResult(algorithm, metric, done, best!, clock.Elapsed.TotalSeconds);
    }

    // Strictly better, so that of equal scores the earlier trial (the defaults first) is kept; NaN is never better.
    private static bool Better(double score, double than, bool higherIsBetter) =>
        double.IsFinite(score) && (!double.IsFinite(than) || (higherIsBetter ? score > than : score < than));
}
