using LatentLens.Api.Recommender.Numerics;

namespace LatentLens.Tests.Recommender;

/// <summary>The one by-row index every grouping (trainset, CSR, bpmf's items, ALS's adjacency) is built with.</summary>
public sealed class RowIndexTests
{
    [Fact]
    public void EntriesAreGroupedByRowAndKeepTheirOrderWithinARow()
    {
        int[] rowOf = [2, 0, 2, 1, 0, 2];
        string[] entry = ["a", "b", "c", "d", "e", "f"];

        var index = RowIndex.Build(rowOf, rows: 4);

        Assert.Equal([0, 2, 3, 6, 6], index.Starts);
        Assert.Equal(["b", "e", "d", "a", "c", "f"], index.Arrange<string>(entry));
        Assert.Equal(index.Starts, RowIndex.StartsOf(rowOf, 4));
    }

    [Fact]
    public void AColumnOfAnotherLengthIsRefused() =>
        Assert.Throws<ArgumentException>(() => RowIndex.Build([0, 1], 2).Arrange<int>([1]));
}
