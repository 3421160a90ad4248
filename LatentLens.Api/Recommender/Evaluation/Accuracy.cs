namespace LatentLens.Api.Recommender.Evaluation;

/// <summary>One test rating with its prediction.</summary>
internal readonly record struct TestPrediction(string User, string Item, float Actual, float Estimate, bool FellBack);

/// <summary>Accuracy of rating predictions, as Surprise defines it (<c>surprise.accuracy</c>). Ranking metrics: <see cref="TopN"/>.</summary>
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

    private static void RequireSome(IReadOnlyList<TestPrediction> predictions)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        if (predictions.Count == 0)
        {
            throw new ArgumentException("There are no test predictions to measure.", nameof(predictions));
        }
    }
}
