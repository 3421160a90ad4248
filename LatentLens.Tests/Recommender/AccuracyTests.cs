using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Evaluation;

namespace LatentLens.Tests.Recommender;

/// <summary>Metrics against values computed by hand.</summary>
public sealed class AccuracyTests
{
    private static TestPrediction P(string user, float actual, float estimate) => new(user, "i", actual, estimate, false);

    [Fact]
    public void RmseAndMaeMatchHandComputedValues()
    {
        // errors 1, -2, 0, 3: RMSE = sqrt(14/4), MAE = 6/4
        var predictions = new[] { P("a", 4, 3), P("a", 2, 4), P("b", 5, 5), P("b", 4, 1) };

        Assert.Equal(Math.Sqrt(14.0 / 4), Accuracy.Rmse(predictions), 12);
        Assert.Equal(1.5, Accuracy.Mae(predictions), 12);
    }

    [Fact]
    public void PrecisionAndRecallAtKFollowSurprisesDefinition()
    {
        var predictions = new[]
        {
            // user a, ranked by estimate: (4.8, actual 5) (4.5, actual 2) (4.1, actual 4) (3.0, actual 4)
            P("a", 2, 4.5f), P("a", 5, 4.8f), P("a", 4, 3.0f), P("a", 4, 4.1f),
            // user b: nothing recommended (all estimates < 4), one relevant
            P("b", 4, 3.9f), P("b", 1, 2.0f),
        };

        var (precision, recall) = Accuracy.PrecisionRecallAtK(predictions, k: 2, threshold: 4);

        // a: top-2 = {5, 2}: recommended 2, hits 1 -> precision 1/2; relevant 3 -> recall 1/3.
        // b: recommended 0 -> precision 0; relevant 1, hits 0 -> recall 0.
        Assert.Equal((0.5 + 0) / 2, precision, 12);
        Assert.Equal((1.0 / 3 + 0) / 2, recall, 12);
    }

    [Fact]
    public void NdcgAtKMatchesHandComputedValue()
    {
        var predictions = new[]
        {
            // ranked: rel 0, rel 1, rel 1 -> DCG = 1/log2(3) + 1/log2(4); ideal = 1 + 1/log2(3)
            P("a", 2, 4.9f), P("a", 5, 4.5f), P("a", 4, 4.0f),
            // user with no relevant item: left out of the average
            P("c", 1, 4.0f),
        };

        var expected = (1 / Math.Log2(3) + 0.5) / (1 + 1 / Math.Log2(3));

        Assert.Equal(expected, Accuracy.NdcgAtK(predictions, k: 10, threshold: 4), 12);
    }

    [Fact]
    public void PerfectRankingHasNdcgOne()
    {
        var predictions = new[] { P("a", 5, 5), P("a", 4, 4.5f), P("a", 1, 1) };

        Assert.Equal(1.0, Accuracy.NdcgAtK(predictions), 12);
    }

    [Fact]
    public void MeanAndStdArePopulationStatisticsAsInSurprise()
    {
        var summary = MeanStd.Of([1, 2, 3, 4]);

        Assert.Equal(2.5, summary.Mean, 12);
        Assert.Equal(Math.Sqrt(1.25), summary.Std, 12);
    }

    [Fact]
    public void KFoldCutsDisjointFoldsCoveringEveryRatingAndIsSeeded()
    {
        var ratings = Enumerable.Range(0, 103).Select(n => new RawRating($"u{n % 7}", $"i{n}", 3, 0)).ToList();

        var folds = Splits.KFold(ratings, 5, seed: 1);
        var again = Splits.KFold(ratings, 5, seed: 1);
        var other = Splits.KFold(ratings, 5, seed: 2);

        Assert.Equal([21, 21, 21, 20, 20], folds.Select(f => f.Test.Count));
        Assert.Equal(103, folds.SelectMany(f => f.Test).Select(r => r.Item).Distinct().Count());
        Assert.All(folds, f => Assert.Empty(f.Train.Select(r => r.Item).Intersect(f.Test.Select(r => r.Item))));
        Assert.Equal(folds[0].Test, again[0].Test);
        Assert.NotEqual(folds[0].Test, other[0].Test);
    }
}
