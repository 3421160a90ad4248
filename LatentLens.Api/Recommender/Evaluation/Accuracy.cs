namespace LatentLens.Api.Recommender.Evaluation;

/// <summary>One test rating with its prediction; <see cref="User"/> groups a user's predictions for the ranking metrics.</summary>
internal readonly record struct TestPrediction(string User, string Item, float Actual, float Estimate, bool FellBack);

/// <summary>
/// Accuracy and ranking metrics over test predictions, defined as Surprise defines them
/// (<c>surprise.accuracy</c>; precision and recall as in Surprise's FAQ).
/// </summary>
internal static class Accuracy
{
    public static double Rmse(IReadOnlyList<TestPrediction> predictions)
    {
        RequireSome(predictions);
        double sse = 0;
        foreach (var p in predictions)
        {
            var e = (double)p.Actual - p.Estimate;
            sse += e * e;
        }

        return Math.Sqrt(sse / predictions.Count);
    }

    public static double Mae(IReadOnlyList<TestPrediction> predictions)
    {
        RequireSome(predictions);
        double sae = 0;
        foreach (var p in predictions)
        {
            sae += Math.Abs((double)p.Actual - p.Estimate);
        }

        return sae / predictions.Count;
    }

    /// <summary>
    /// Precision@k and recall@k averaged over users with test ratings. For each user the test items
    /// are ranked by estimate; relevant = actual ≥ threshold, recommended = estimate ≥ threshold among
    /// the top k. precision = |relevant ∩ recommended| / |recommended| (0 when nothing is recommended),
    /// recall = |relevant ∩ recommended| / |relevant| (0 when nothing is relevant).
    /// </summary>
    public static (double Precision, double Recall) PrecisionRecallAtK(IReadOnlyList<TestPrediction> predictions, int k = 10, double threshold = 4.0)
    {
        RequireSome(predictions);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        double precisionSum = 0, recallSum = 0;
        var users = 0;
        foreach (var ranked in RankedByUser(predictions))
        {
            var relevant = ranked.Count(p => p.Actual >= threshold);
            var top = ranked.Take(k).ToList();
            var recommended = top.Count(p => p.Estimate >= threshold);
            var hits = top.Count(p => p.Estimate >= threshold && p.Actual >= threshold);
            precisionSum += recommended == 0 ? 0 : (double)hits / recommended;
            recallSum += relevant == 0 ? 0 : (double)hits / relevant;
            users++;
        }

        return (precisionSum / users, recallSum / users);
    }

    /// <summary>
    /// NDCG@k with binary gains (actual ≥ threshold), averaged over users who have at least one
    /// relevant test item: DCG = Σ_{r=1..k} rel_r / log2(r + 1) over the test items ranked by
    /// estimate, divided by the DCG of the ideal ranking.
    /// </summary>
    public static double NdcgAtK(IReadOnlyList<TestPrediction> predictions, int k = 10, double threshold = 4.0)
    {
        RequireSome(predictions);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        double sum = 0;
        var users = 0;
        foreach (var ranked in RankedByUser(predictions))
        {
            var relevant = ranked.Count(p => p.Actual >= threshold);
            if (relevant == 0)
            {
                continue;
            }

            double dcg = 0, ideal = 0;
            for (var r = 0; r < Math.Min(k, ranked.Count); r++)
            {
                var discount = 1.0 / Math.Log2(r + 2);
                if (ranked[r].Actual >= threshold)
                {
                    dcg += discount;
                }

                if (r < relevant)
                {
                    ideal += discount;
                }
            }

            sum += dcg / ideal;
            users++;
        }

        return users == 0 ? 0 : sum / users;
    }

    /// <summary>Each user's predictions, best estimate first (ties: in the order given, so results are deterministic).</summary>
    private static IEnumerable<List<TestPrediction>> RankedByUser(IReadOnlyList<TestPrediction> predictions) =>
        predictions
            .Select((p, index) => (p, index))
            .GroupBy(x => x.p.User, StringComparer.Ordinal)
            .Select(g => g.OrderByDescending(x => x.p.Estimate).ThenBy(x => x.index).Select(x => x.p).ToList());

    private static void RequireSome(IReadOnlyList<TestPrediction> predictions)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        if (predictions.Count == 0)
        {
            throw new ArgumentException("There are no test predictions to measure.", nameof(predictions));
        }
    }
}
