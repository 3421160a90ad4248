using LatentLens.Api.Recommender.Data;

namespace LatentLens.Tests;

/// <summary>Rating data the tests share: a planted low-rank matrix with numeric ids and titles.</summary>
internal static class TestData
{
    /// <summary>120 users × 80 items, 3,000 ratings of a rank-3 structure plus noise; every tenth item is a "Star Wars".</summary>
    public static RatingData SyntheticWithTitles(int seed = 1) => new(
        "synthetic",
        "synthetic.csv",
        new SyntheticRatings { Users = 120, Items = 80, Ratings = 3_000, Rank = 3, Noise = 0.3, Seed = seed }.GenerateRaw(),
        new RatingScale(1, 5),
        Enumerable.Range(0, 80).ToDictionary(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture), i => i % 10 == 0 ? $"Star Wars {i} (1977)" : $"Movie {i} (2000)"));
}
