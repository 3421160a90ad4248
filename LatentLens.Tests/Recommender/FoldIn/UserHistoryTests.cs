using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.FoldIn;
using static LatentLens.Tests.Recommender.FoldIn.TinyModels;

namespace LatentLens.Tests.Recommender.FoldIn;

public sealed class UserHistoryTests
{
    private static IFoldIn WithTraining(string algorithm, float[]? values)
    {
        var saved = Model(algorithm, new Dictionary<string, string>()) with { RatedOffsets = [0, 3, 3], RatedItems = [1, 2, 4] };
        return FoldIns.For(saved with { RatedValues = values })!;
    }

    [Fact]
    public void FreshRatingsReplaceTrainingRatingsOfTheSameItemAndNewOnesFollow()
    {
        var foldIn = WithTraining(AlgorithmFactory.PureSvd, [3, 4, 5]);
        var merged = UserHistory.Merge(foldIn, 0, [new(4, 1), new(0, 2), new(2, float.NaN)]);
        Assert.Equal([new(1, 3), new(2, 4), new(4, 1), new(0, 2)], merged);
    }

    [Fact]
    public void WithoutSavedRatingsARatingFamilyFoldsTheFreshRatingsAlone()
    {
        var foldIn = WithTraining(AlgorithmFactory.PureSvd, null);
        Assert.Equal([new(0, 2)], UserHistory.Merge(foldIn, 0, [new(0, 2)]));
    }

    [Fact]
    public void WithoutSavedRatingsARankingOnlyFamilyKeepsTheTrainingItemsAsInteractions()
    {
        var foldIn = WithTraining(AlgorithmFactory.Popular, null);
        var merged = UserHistory.Merge(foldIn, 0, [new(0, 2)]);
        Assert.Equal([1, 2, 4, 0], merged.Select(e => e.Item));
        Assert.True(merged[0].IsInteraction);
    }
}
