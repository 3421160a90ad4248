using System.Diagnostics;
using System.Globalization;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Models;

namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>Hyper-parameters of <see cref="Baseline"/>; the defaults are Surprise's <c>BaselineOnly</c> (ALS).</summary>
internal sealed record BaselineOptions
{
    public int Epochs { get; init; } = 10;

    public double UserRegularization { get; init; } = 15;

    public double ItemRegularization { get; init; } = 10;

    public void Validate()
    {
        if (Epochs < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "epochs must be at least 1");
        }

        if (!(UserRegularization >= 0) || !(ItemRegularization >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(UserRegularization), "the regularization must be zero or positive");
        }
    }
}

/// <summary>
/// r̂ = μ + b_u + b_i, the biases fitted by alternating least squares as Surprise's
/// <c>BaselineOnly</c> does: each epoch sets every b_i from the current b_u, then every b_u from the new b_i.
/// Deterministic: it draws nothing at random.
/// </summary>
internal sealed class Baseline(BaselineOptions options) : IRecommenderAlgorithm
{
    public BaselineOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    public string Name => "baseline";

    public string DisplayName => $"baseline-e{Options.Epochs}";

    public IReadOnlyDictionary<string, string> Parameters => new Dictionary<string, string>
    {
        ["algorithm"] = Name,
        ["epochs"] = Options.Epochs.ToString(CultureInfo.InvariantCulture),
        ["reg_user"] = Options.UserRegularization.ToString("R", CultureInfo.InvariantCulture),
        ["reg_item"] = Options.ItemRegularization.ToString("R", CultureInfo.InvariantCulture),
    };

    public FactorModel Fit(Trainset trainset, Action<EpochReport>? onEpoch = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainset);
        Options.Validate();
        var (userBias, itemBias) = FitBiases(trainset, Options, onEpoch, cancellationToken);
        return new FactorModel(Name, trainset.Users, trainset.Items, trainset.Scale, trainset.GlobalMean,
            userBias, itemBias, factors: 0, stride: 0, [], []);
    }

    internal static (float[] UserBias, float[] ItemBias) FitBiases(
        Trainset trainset, BaselineOptions options, Action<EpochReport>? onEpoch, CancellationToken cancellationToken)
    {
        var mu = trainset.GlobalMean;
        var bu = new double[trainset.UserCount];
        var bi = new double[trainset.ItemCount];
        var sum = new double[Math.Max(trainset.UserCount, trainset.ItemCount)];
        var count = new int[sum.Length];
        var users = trainset.UserIndex;
        var items = trainset.ItemIndex;
        var values = trainset.Values;
        var clock = Stopwatch.StartNew();

        for (var epoch = 1; epoch <= options.Epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();

            Array.Clear(sum);
            Array.Clear(count);
            for (var k = 0; k < values.Length; k++)
            {
                sum[items[k]] += values[k] - mu - bu[users[k]];
                count[items[k]]++;
            }

            for (var i = 0; i < bi.Length; i++)
            {
                bi[i] = sum[i] / (options.ItemRegularization + count[i]);
            }

            Array.Clear(sum);
            Array.Clear(count);
            for (var k = 0; k < values.Length; k++)
            {
                sum[users[k]] += values[k] - mu - bi[items[k]];
                count[users[k]]++;
            }

            for (var u = 0; u < bu.Length; u++)
            {
                bu[u] = sum[u] / (options.UserRegularization + count[u]);
            }

            if (onEpoch is not null)
            {
                double sse = 0;
                for (var k = 0; k < values.Length; k++)
                {
                    var e = values[k] - (mu + bu[users[k]] + bi[items[k]]);
                    sse += e * e;
                }

                onEpoch(new EpochReport(epoch, Math.Sqrt(sse / Math.Max(1, values.Length)), clock.Elapsed));
            }
        }

        return (Array.ConvertAll(bu, x => (float)x), Array.ConvertAll(bi, x => (float)x));
    }
}
