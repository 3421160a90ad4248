using LatentLens.Api.Recommender.Numerics;

namespace LatentLens.Api.Recommender.Data;

/// <summary>
/// Ratings with a planted low-rank structure: r = mean + x_u·y_i + ε, ε ~ N(0, noise²), with
/// rank-<see cref="Rank"/> factors whose product has unit variance, clipped to the scale. Every user
/// rates Ratings/Users distinct items drawn uniformly. Used by the tests (a known answer: a good
/// model's test RMSE approaches the noise) and by the scale benchmark (10 M ratings).
/// </summary>
internal sealed record SyntheticRatings
{
    public int Users { get; init; } = 1_000;

    public int Items { get; init; } = 500;

    public long Ratings { get; init; } = 50_000;

    public int Rank { get; init; } = 5;

    public double Noise { get; init; } = 0.1;

    public double Mean { get; init; } = 3;

    public RatingScale Scale { get; init; } = new(1, 5);

    public int Seed { get; init; }

    /// <summary>Generates straight into a trainset (no strings: 10 M ratings fit in about 120 MB).</summary>
    public Trainset GenerateTrainset()
    {
        var (u, i, r) = GenerateArrays();
        return Trainset.FromIndices(NumberedIds(Users), NumberedIds(Items), u, i, r, Scale);
    }

    /// <summary>Generates raw ratings (ids "0", "1", ...), for splitting into train and test.</summary>
    public List<RawRating> GenerateRaw()
    {
        var (u, i, r) = GenerateArrays();
        var ratings = new List<RawRating>(r.Length);
        for (var k = 0; k < r.Length; k++)
        {
            ratings.Add(new RawRating(u[k].ToString(System.Globalization.CultureInfo.InvariantCulture), i[k].ToString(System.Globalization.CultureInfo.InvariantCulture), r[k], 0));
        }

        return ratings;
    }

    private (int[] Users, int[] Items, float[] Values) GenerateArrays()
    {
        if (Users < 1 || Items < 1 || Rank < 1 || Ratings < 1 || Ratings > (long)Users * Items || Ratings > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(Ratings), "Need at least one user, item and rating, and no more ratings than user–item pairs.");
        }

        var random = new Random(Seed);
        var std = Math.Pow(Rank, -0.25);
        var x = Gaussians(random, Users * Rank, std);
        var y = Gaussians(random, Items * Rank, std);

        var n = (int)Ratings;
        var users = new int[n];
        var items = new int[n];
        var values = new float[n];
        var perUser = n / Users;
        var extra = n % Users;
        var chosen = new HashSet<int>();
        var k = 0;
        for (var user = 0; user < Users; user++)
        {
            var count = perUser + (user < extra ? 1 : 0);
            chosen.Clear();
            while (chosen.Count < count)
            {
                var item = random.Next(Items);
                if (!chosen.Add(item))
                {
                    continue;
                }

                double dot = 0;
                for (var f = 0; f < Rank; f++)
                {
                    dot += x[(user * Rank) + f] * y[(item * Rank) + f];
                }

                users[k] = user;
                items[k] = item;
                values[k] = Scale.Clip((float)(Mean + dot + (Noise * Gaussian(random))));
                k++;
            }
        }

        return (users, items, values);
    }

    private static IdMap NumberedIds(int count) =>
        new(Enumerable.Range(0, count).Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    private static double[] Gaussians(Random random, int count, double std)
    {
        var values = new double[count];
        for (var k = 0; k < count; k++)
        {
            values[k] = std * Gaussian(random);
        }

        return values;
    }

    private static double Gaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
