using LatentLens.Api.Recommender.Data;

namespace LatentLens.Tests;

/// <summary>Rating data the tests share: a planted low-rank matrix with numeric ids and titles.</summary>
internal static class TestData
{
    /// <summary>
    /// A small CSV (<c>user,item,rating</c>) in <paramref name="folder"/>: about half of <paramref name="users"/> ×
    /// <paramref name="items"/> rated; ids <c>u0</c>/<c>i0</c>, or 1-based numbers (as the API takes them).
    /// Trains in well under a second.
    /// </summary>
    public static string SmallRatingsCsv(string folder, int users = 40, int items = 30, bool numericIds = false)
    {
        var path = Path.Combine(folder, "ratings.csv");
        var lines = new List<string> { "user,item,rating" };
        var random = new Random(1);
        for (var u = 0; u < users; u++)
        {
            for (var i = 0; i < items; i++)
            {
                if (random.NextDouble() < 0.5)
                {
                    lines.Add(numericIds ? $"{u + 1},{i + 1},{1 + ((u + i) % 5)}" : $"u{u},i{i},{1 + ((u + i) % 5)}");
                }
            }
        }

        File.WriteAllLines(path, lines);
        return path;
    }

    /// <summary>120 users × 80 items, 3,000 ratings of a rank-3 structure plus noise; every tenth item is a "Star Wars".</summary>
    public static RatingData SyntheticWithTitles(int seed = 1) => new(
        "synthetic",
        "synthetic.csv",
        new SyntheticRatings { Users = 120, Items = 80, Ratings = 3_000, Rank = 3, Noise = 0.3, Seed = seed }.GenerateRaw(),
        new RatingScale(1, 5),
        Enumerable.Range(0, 80).ToDictionary(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture), i => i % 10 == 0 ? $"Star Wars {i} (1977)" : $"Movie {i} (2000)"));
}
