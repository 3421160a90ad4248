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
    /// Whether a higher value of <paramref name="metric"/> (as recorded: <c>rmse</c>, <c>ndcg_at_10</c>, ...)
    /// is better; throws <see cref="ArgumentException"/> naming the known metrics for any other name.
    /// </summary>
    public static bool HigherIsBetter(string metric) => Find(metric).HigherIsBetter;

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
