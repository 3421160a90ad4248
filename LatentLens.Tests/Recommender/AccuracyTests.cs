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

    private static UserList L(int[] recommended, int[] relevant, int? relevantCount = null) =>
        new(recommended, relevant.ToHashSet(), relevantCount ?? relevant.Length);

    [Fact]
    public void TopNMetricsMatchHandComputedValues()
    {
        // k = 3. User a: list [5, 2, 7], relevant {2, 9} -> one hit at rank 2.
        //   precision 1/3, recall 1/2, DCG 1/log2(3), IDCG 1 + 1/log2(3), AP (1/2) / min(3, 2) = 1/4, hit.
        // User b: list [1, 4, 8], relevant {1, 8, 3, 6} -> hits at ranks 1 and 3.
        //   precision 2/3, recall 2/4, DCG 1 + 1/2, IDCG 1 + 1/log2(3) + 1/2, AP (1/1 + 2/3) / 3 = 5/9, hit.
        // User c: no relevant item -> left out of every average (its list too).
        var lists = new[] { L([5, 2, 7], [2, 9]), L([1, 4, 8], [1, 8, 3, 6]), L([0, 2, 3], []) };
        double Novelty(int item) => item; // any per-item value: the metric averages it over the listed items

        var m = TopN.Measure(lists, k: 3, candidateItems: 20, Novelty);

        var ndcgA = (1 / Math.Log2(3)) / (1 + (1 / Math.Log2(3)));
        var ndcgB = 1.5 / (1 + (1 / Math.Log2(3)) + 0.5);
        Assert.Equal(2, m.Users);
        Assert.Equal(((1.0 / 3) + (2.0 / 3)) / 2, m.Precision, 12);
        Assert.Equal((0.5 + 0.5) / 2, m.Recall, 12);
        Assert.Equal((ndcgA + ndcgB) / 2, m.Ndcg, 12);
        Assert.Equal((0.25 + (5.0 / 9)) / 2, m.Map, 12);
        Assert.Equal(1.0, m.HitRate, 12);
        Assert.Equal(6.0 / 20, m.Coverage, 12); // {5, 2, 7, 1, 4, 8}
        Assert.Equal((5 + 2 + 7 + 1 + 4 + 8) / 6.0, m.Novelty, 12);
    }

    [Fact]
    public void AShortListStillDividesPrecisionByKAndCountsUnknownRelevantItems()
    {
        // k = 10 but only 2 candidates: precision = hits / k. 3 relevant items, one of them unknown to the model.
        var m = TopN.Measure([L([4, 6], [6, 8], relevantCount: 3)], k: 10, candidateItems: 2, _ => 0);

        Assert.Equal(1.0 / 10, m.Precision, 12);
        Assert.Equal(1.0 / 3, m.Recall, 12);
        Assert.Equal((1 / Math.Log2(3)) / (1 + (1 / Math.Log2(3)) + 0.5), m.Ndcg, 12);
        Assert.Equal((1.0 / 2) / 3, m.Map, 12);
    }

    [Fact]
    public void WithoutAnyRelevantItemTheRankingMetricsDoNotApply()
    {
        var m = TopN.Measure([L([1, 2], [])], k: 2, candidateItems: 5, _ => 0);

        Assert.Equal(0, m.Users);
        Assert.True(double.IsNaN(m.Precision) && double.IsNaN(m.Ndcg));
    }

    [Fact]
    public void APerfectListHasNdcgAndMapOne()
    {
        var m = TopN.Measure([L([3, 1, 2], [1, 2, 3])], k: 3, candidateItems: 3, _ => 0);

        Assert.Equal(1.0, m.Ndcg, 12);
        Assert.Equal(1.0, m.Map, 12);
        Assert.Equal(1.0, m.Coverage, 12);
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
