using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Evaluation;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Recommender.Ranking;

namespace LatentLens.Tests.Recommender;

/// <summary>The top-N models and the catalogue-wide evaluation against known answers.</summary>
public sealed class TopNTests
{
    private static readonly RatingScale Scale = new(1, 5);

    private static RawRating R(string user, string item, float value = 4) => new(user, item, value, 0);

    [Fact]
    public void PopularRanksByRatingsThenByNumericItemId()
    {
        // Item 5 has four ratings; 10, 9 and 2 one each, seen in that order (so their dense indices are
        // not in id order): the ties go 2, 9, 10, numerically (ordinally "10" would come before "2" and "9").
        var trainset = Trainset.Build([R("a", "5"), R("b", "5"), R("c", "5"), R("d", "10"), R("d", "9"), R("d", "2"), R("e", "5")], Scale);
        var saved = SavedModel.From(new Popular(new PopularOptions()).Fit(trainset), trainset, new Dictionary<string, string>(), new Dictionary<string, string>());
        string[] Top(string user, bool excludeRated) =>
            [.. Ranker.Recommend(saved, saved.Model.Users.TryGetIndex(user, out var u) ? u : -1, 10, excludeRated).Select(s => saved.Model.Items.ToRaw(s.Item))];

        Assert.Equal(["5", "2", "9", "10"], Top("a", excludeRated: false));
        Assert.Equal(["2", "9", "10"], Top("e", excludeRated: true));
        Assert.Empty(Top("d", excludeRated: true).Intersect(["10", "9", "2"]));
    }

    [Fact]
    public void PopularPredictsTheItemMeanShrunkTowardTheGlobalMean()
    {
        // μ = (5 + 5 + 1 + 1) / 4 = 3; item x: two 5s -> b = (2 + 2) / (2 + λ) with λ = 2.
        var trainset = Trainset.Build([R("a", "x", 5), R("b", "x", 5), R("a", "y", 1), R("b", "y", 1)], Scale);
        var model = new Popular(new PopularOptions { Shrinkage = 2 }).Fit(trainset);

        Assert.True(model.PredictsRatings);
        Assert.Equal(3 + (4.0 / 4), model.Predict("a", "x").Value, 5);
        Assert.Equal(3 - (4.0 / 4), model.Predict("a", "y").Value, 5);
    }

    [Fact]
    public void PureSvdReconstructsAPlantedRankTwoMatrixAndDoesNotPredictRatings()
    {
        // R = A Bᵀ with rank 2, every entry observed: the rank-2 PureSVD scores p_u·q_i are R itself.
        var ratings = new List<RawRating>();
        for (var u = 0; u < 12; u++)
        {
            for (var i = 0; i < 9; i++)
            {
                var value = (1 + (u % 3)) * (1 + (i % 2)) * 0.5 + ((u % 4) * (i % 3) * 0.25);
                ratings.Add(R($"u{u}", $"i{i}", (float)value));
            }
        }

        var trainset = Trainset.Build(ratings, new RatingScale(0, 10));
        var model = new PureSvd(new PureSvdOptions { Factors = 2 }).Fit(trainset);

        Assert.False(model.PredictsRatings);
        foreach (var r in ratings)
        {
            Assert.True(model.Users.TryGetIndex(r.User, out var u));
            Assert.True(model.Items.TryGetIndex(r.Item, out var i));
            var score = System.Numerics.Tensors.TensorPrimitives.Dot(model.UserFactors.AsSpan(u * model.Stride, model.Stride), model.ItemFactors.AsSpan(i * model.Stride, model.Stride));
            Assert.Equal(r.Value, score, 3);
        }
    }

    [Fact]
    public void SimilarItemsShrinkTheCosineByTheItemsSupport()
    {
        // Item 0 asks. Item 1 points the same way (cosine 1) but has 1 rating; item 2 is at cosine 0.8 with 100.
        // λ = 0: item 1 first. λ = 10: 1 · 1/11 = 0.09 against 0.8 · 100/110 = 0.73, so item 2 first.
        var stride = 8;
        var itemFactors = new float[3 * stride];
        (itemFactors[0], itemFactors[1]) = (1, 0);
        (itemFactors[stride], itemFactors[stride + 1]) = (2, 0);
        (itemFactors[(2 * stride)], itemFactors[(2 * stride) + 1]) = (0.8f, 0.6f);
        var items = new IdMap(["a", "b", "c"]);
        var model = new FactorModel("t", new IdMap(["u"]), items, Scale, 3, [0], [0, 0, 0], factors: 2, stride, new float[stride], itemFactors);
        var norms = Ranker.ItemNorms(model);
        int[] support = [50, 1, 100];

        var plain = Ranker.Similar(model, norms, Ranker.SimilarityDivisors(norms, support, 0), item: 0, k: 2);
        var shrunk = Ranker.Similar(model, norms, Ranker.SimilarityDivisors(norms, support, 10), item: 0, k: 2);

        Assert.Equal([1, 2], plain.Select(s => s.Item));
        Assert.Equal(1.0, plain[0].Score, 5);
        Assert.Equal([2, 1], shrunk.Select(s => s.Item));
        Assert.Equal(0.8 * 100 / 110, shrunk[0].Score, 5);
        Assert.Equal(1.0 / 11, shrunk[1].Score, 5);
    }

    [RequiresMovieLens100kFact]
    public void PopularOnU1MatchesTheIndependentlyComputedFigures()
    {
        // Recomputed independently from the protocol (issue "Measure what the API serves"): 456 users,
        // precision@10 0.2136, recall@10 0.1180, NDCG@10 0.2451.
        var train = RatingReaders.ReadTabSeparated(Path.Combine(TestPaths.MovieLens100k, "u1.base"), RatingReaders.MovieLens100kScale);
        var test = RatingReaders.ReadTabSeparated(Path.Combine(TestPaths.MovieLens100k, "u1.test"), RatingReaders.MovieLens100kScale);
        var result = Evaluator.Evaluate(new Popular(new PopularOptions()), [new Split("u1", train, test)], RatingReaders.MovieLens100kScale);
        var m = result.Folds[0].Ranking;

        Assert.Equal(456, m.Users);
        Assert.Equal(0.2136, m.Precision, 0.0005);
        Assert.Equal(0.1180, m.Recall, 0.0005);
        Assert.Equal(0.2451, m.Ndcg, 0.0005);
    }
}
