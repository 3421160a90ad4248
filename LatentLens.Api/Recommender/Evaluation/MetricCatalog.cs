using System.Globalization;
using System.Text.RegularExpressions;

namespace LatentLens.Api.Recommender.Evaluation;

/// <summary>One reported metric: its MLflow/JSON key, its label in the table, which way is better, and its value per fold.</summary>
internal sealed record MetricDefinition(string Key, string Label, bool HigherIsBetter, string Format, Func<FoldResult, double> Fold)
{
    public MeanStd Summary(EvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return MeanStd.Of(result.Folds.Select(Fold));
    }
}

/// <summary>One metric of a user-level split evaluation (<see cref="MetricCatalog.UserSplit"/>).</summary>
internal sealed record UserSplitMetric(string Key, string Label, bool HigherIsBetter, string Format, Func<UserSplitResult, double> Value);

/// <summary>
/// Every metric an evaluation reports, defined once for the table, the JSON, the MLflow run and the
/// choice of the champion. RMSE and MAE are NaN (reported as not applicable) for models that only rank.
/// </summary>
internal static partial class MetricCatalog
{
    public static MetricDefinition Rmse { get; } = new("rmse", "RMSE (testset)", false, "F4", f => f.Rmse);

    public static MetricDefinition Mae { get; } = new("mae", "MAE (testset)", false, "F4", f => f.Mae);

    public static MetricDefinition NdcgAt(int k) => new($"ndcg_at_{Invariant(k)}", $"NDCG@{Invariant(k)}", true, "F4", f => f.Ranking.Ndcg);

    public static MetricDefinition MapAt(int k) => new($"map_at_{Invariant(k)}", $"MAP@{Invariant(k)}", true, "F4", f => f.Ranking.Map);

    public static IReadOnlyList<MetricDefinition> For(int k)
    {
        var at = Invariant(k);
        return
        [
            Rmse,
            Mae,
            new($"precision_at_{at}", $"Precision@{at}", true, "F4", f => f.Ranking.Precision),
            new($"recall_at_{at}", $"Recall@{at}", true, "F4", f => f.Ranking.Recall),
            NdcgAt(k),
            MapAt(k),
            new($"hit_rate_at_{at}", $"Hit rate@{at}", true, "F4", f => f.Ranking.HitRate),
            new($"coverage_at_{at}", $"Coverage@{at}", true, "F4", f => f.Ranking.Coverage),
            new($"novelty_at_{at}", $"Novelty@{at}", true, "F3", f => f.Ranking.Novelty),
            new("fit_time_s", "Fit time", false, "F3", f => f.FitSeconds),
            new("test_time_s", "Test time", false, "F3", f => f.TestSeconds),
        ];
    }

    /// <summary>
    /// The metrics of a user-level split (<c>train --split users</c>, <see cref="UserSplitEvaluator"/>), recorded beside the
    /// ordinary ones (which there describe the folded-in users). All top-k metrics are <see cref="TopN.Measure"/>'s definitions
    /// over the held-out users with a relevant test item: <c>foldin_*</c> for those users folded in from their history at
    /// request time (the API's code path), <c>retrained_*</c> for the same configuration refitted with their histories
    /// in training (the ceiling), <c>popularity_*</c> for the most-popular list folded in on the same split;
    /// <c>foldin_ndcg_ratio_at_k</c> = foldin NDCG / retrained NDCG; <c>foldin_time_us</c> the mean time per held-out user to
    /// fold in and rank the catalogue (one thread, in process); <c>retrained_fit_time_s</c> the ceiling's fit.
    /// </summary>
    public static IReadOnlyList<UserSplitMetric> UserSplit(int k)
    {
        var at = Invariant(k);
        var metrics = new List<UserSplitMetric>();
        foreach (var (prefix, label, ranking) in new (string, string, Func<UserSplitResult, RankingMetrics>)[]
        {
            ("foldin", "Fold-in", r => r.FoldIn), ("retrained", "Retrained", r => r.Retrained), ("popularity", "Popularity", r => r.Popularity),
        })
        {
            metrics.Add(new($"{prefix}_ndcg_at_{at}", $"{label} NDCG@{at}", true, "F4", r => ranking(r).Ndcg));
            metrics.Add(new($"{prefix}_precision_at_{at}", $"{label} Precision@{at}", true, "F4", r => ranking(r).Precision));
            metrics.Add(new($"{prefix}_recall_at_{at}", $"{label} Recall@{at}", true, "F4", r => ranking(r).Recall));
            metrics.Add(new($"{prefix}_map_at_{at}", $"{label} MAP@{at}", true, "F4", r => ranking(r).Map));
            metrics.Add(new($"{prefix}_hit_rate_at_{at}", $"{label} Hit rate@{at}", true, "F4", r => ranking(r).HitRate));
        }

        metrics.Add(new($"foldin_ndcg_ratio_at_{at}", $"Fold-in / retrained NDCG@{at}", true, "F3", r => r.FoldIn.Ndcg / r.Retrained.Ndcg));
        metrics.Add(new("foldin_time_us", "Fold-in + rank per user (µs)", false, "F1", r => r.FoldInMicroseconds));
        metrics.Add(new("retrained_fit_time_s", "Retrained fit time", false, "F3", r => r.RetrainFitSeconds));
        metrics.Add(new("heldout_users", "Held-out users", true, "F0", r => r.HeldOutUsers));
        return metrics;
    }

    /// <summary>
    /// Whether a higher value of <paramref name="metric"/> (as recorded: <c>rmse</c>, <c>ndcg_at_10</c>, ...)
    /// is better; throws <see cref="ArgumentException"/> naming the known metrics for any other name.
    /// </summary>
    public static bool HigherIsBetter(string metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        var match = AtK().Match(metric);
        var k = match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 10;
        return UserSplit(k).FirstOrDefault(m => m.Key == metric)?.HigherIsBetter ?? Find(metric).HigherIsBetter;
    }

    /// <summary>
    /// The definition of <paramref name="metric"/> as recorded (<c>rmse</c>, <c>ndcg_at_10</c>, ...);
    /// throws <see cref="ArgumentException"/> naming the known metrics for any other name.
    /// </summary>
    public static MetricDefinition Find(string metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        var match = AtK().Match(metric);
        var k = match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 10;
        return For(k).FirstOrDefault(m => m.Key == metric)
            ?? throw new ArgumentException(
                $"'{metric}' is not a metric LatentLens records; choose one of {string.Join(", ", For(10).Select(m => m.Key))} (any k in place of 10).");
    }

    private static string Invariant(int k) => k.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"_at_([0-9]{1,4})$")]
    private static partial Regex AtK();
}
