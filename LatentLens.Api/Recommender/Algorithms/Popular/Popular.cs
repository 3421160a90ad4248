using System.Diagnostics;
using System.Globalization;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Models;

namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>Hyper-parameters of <see cref="Popular"/>.</summary>
internal sealed record PopularOptions
{
    /// <summary>
    /// How far an item's mean rating is shrunk toward the global mean: b_i = Σ(r − μ) / (n_i + λ),
    /// so an item with few ratings predicts close to μ.
    /// </summary>
    public double Shrinkage { get; init; } = 10;

    public void Validate()
    {
        if (!(Shrinkage >= 0) || !double.IsFinite(Shrinkage))
        {
            throw new ArgumentOutOfRangeException(nameof(Shrinkage), Shrinkage, "the shrinkage must be zero or positive");
        }
    }
}

/// <summary>
/// The most-popular list, the baseline every top-N comparison shows: items ranked by their number of
/// training ratings, ties by item id ascending (numerically where both ids are numbers, else
/// ordinally). The same list for every user, without what the user rated. For RMSE it predicts the
/// item's mean rating shrunk toward the global mean (<see cref="PopularOptions.Shrinkage"/>).
/// </summary>
/// <remarks>
/// The ranking term is the item's position in that order turned into a score (the most popular of n
/// items scores n, the next n − 1, ...): whole numbers are exact in floats up to 2²⁴ items, so the
/// ranking code's ordering by score reproduces the tie rule exactly.
/// </remarks>
internal sealed class Popular(PopularOptions options) : IRecommenderAlgorithm
{
    public PopularOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    public string Name => "popular";

    public string DisplayName => "popular";

    public IReadOnlyDictionary<string, string> Parameters => new Dictionary<string, string>
    {
        ["algorithm"] = Name,
        ["shrinkage"] = Options.Shrinkage.ToString("R", CultureInfo.InvariantCulture),
    };

    public FactorModel Fit(Trainset trainset, Action<EpochReport>? onEpoch = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainset);
        Options.Validate();
        var clock = Stopwatch.StartNew();
        var items = trainset.ItemCount;
        var counts = new int[items];
        var deviations = new double[items];
        for (var k = 0; k < trainset.Count; k++)
        {
            var i = trainset.ItemIndex[k];
            counts[i]++;
            deviations[i] += trainset.Values[k] - trainset.GlobalMean;
        }

        var itemBias = new float[items];
        for (var i = 0; i < items; i++)
        {
            itemBias[i] = (float)(deviations[i] / (counts[i] + Options.Shrinkage));
        }

        var order = Enumerable.Range(0, items).ToArray();
        Array.Sort(order, (a, b) => counts[a] != counts[b] ? counts[b].CompareTo(counts[a]) : CompareIds(trainset.Items.ToRaw(a), trainset.Items.ToRaw(b)));
        var rankingScore = new float[items];
        for (var position = 0; position < items; position++)
        {
            rankingScore[order[position]] = items - position;
        }

        var model = new FactorModel(Name, trainset.Users, trainset.Items, trainset.Scale, trainset.GlobalMean,
            new float[trainset.UserCount], itemBias, factors: 0, stride: 0, [], [])
        {
            RankingBias = rankingScore,
        };

        if (onEpoch is not null)
        {
            double sse = 0;
            for (var k = 0; k < trainset.Count; k++)
            {
                var e = trainset.Values[k] - model.Predict(trainset.UserIndex[k], trainset.ItemIndex[k]).Value;
                sse += e * e;
            }

            onEpoch(new EpochReport(1, Math.Sqrt(sse / Math.Max(1, trainset.Count)), clock.Elapsed));
        }

        return model;
    }

    /// <summary>Numerically when both ids are whole numbers (MovieLens ids), else ordinally.</summary>
    internal static int CompareIds(string a, string b) =>
        long.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out var x) && long.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var y)
            ? x.CompareTo(y)
            : string.CompareOrdinal(a, b);
}
