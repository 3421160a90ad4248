using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Evaluation;
using LatentLens.Api.Recommender.Numerics;

namespace LatentLens.Tests.Recommender;

/// <summary>
/// <see cref="RecycledArrays"/>: what is given back comes back zeroed, for the same length only, within bounds; and a
/// k-fold evaluation (which recycles each fold's rows into the next fold's fit) gives every fold the result it gets alone.
/// </summary>
[Collection(nameof(RecycledArraysTests))]
public sealed class RecycledArraysTests
{
    [Fact]
    public void AnArrayGivenBackIsTakenAgainZeroedAndOnlyForItsLength()
    {
        RecycledArrays.Clear();
        var array = new float[1000];
        array.AsSpan().Fill(3f);
        RecycledArrays.GiveBack(array);

        var other = RecycledArrays.Take(999);
        Assert.NotSame(array, other);
        var again = RecycledArrays.Take(1000);
        Assert.Same(array, again);
        Assert.All(again, x => Assert.Equal(0f, x));
        Assert.NotSame(array, RecycledArrays.Take(1000)); // taken once: gone from the recycler
    }

    [Fact]
    public void TheRecyclerKeepsAtMostItsBoundAndDropsTheOldestFirst()
    {
        RecycledArrays.Clear();
        var arrays = Enumerable.Range(0, RecycledArrays.MaxArrays + 2).Select(_ => new float[16]).ToArray();
        foreach (var array in arrays)
        {
            RecycledArrays.GiveBack(array);
        }

        var taken = Enumerable.Range(0, RecycledArrays.MaxArrays + 2).Select(_ => RecycledArrays.Take(16)).ToList();
        Assert.Equal(RecycledArrays.MaxArrays, taken.Count(t => arrays.Contains(t)));
        Assert.DoesNotContain(taken, t => ReferenceEquals(t, arrays[0]));
        Assert.DoesNotContain(taken, t => ReferenceEquals(t, arrays[1]));
        RecycledArrays.Clear();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void EachFoldOfAnEvaluationFitsAsItWouldAlone(int threads)
    {
        var scale = new RatingScale(1, 5);
        var ratings = new SyntheticRatings { Users = 120, Items = 80, Ratings = 4000, Rank = 3, Noise = 0.3, Scale = scale, Seed = 5 }.GenerateRaw();
        var splits = Splits.KFold(ratings, 3, seed: 2);
        var algorithm = new FunkSvd(new FunkSvdOptions { Factors = 20, Epochs = 5, Threads = threads });

        RecycledArrays.Clear();
        var together = Evaluator.Evaluate(algorithm, splits, scale);
        for (var s = 0; s < splits.Count; s++)
        {
            RecycledArrays.Clear();
            var alone = Evaluator.Evaluate(algorithm, [splits[s]], scale).Folds[0];
            Assert.Equal(alone.Rmse, together.Folds[s].Rmse);
            Assert.Equal(alone.Ranking.Ndcg, together.Folds[s].Ranking.Ndcg);
        }
    }
}

/// <summary>The recycler is process-wide and every k-fold evaluation uses it: these tests run with no other test beside them.</summary>
[CollectionDefinition(nameof(RecycledArraysTests), DisableParallelization = true)]
public sealed class RecycledArraysCollection;
