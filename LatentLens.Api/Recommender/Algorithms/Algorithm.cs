using LatentLens.Api.Recommender.Data;

namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>What training reports after each epoch: the epoch (1-based), the train RMSE and the time since training began.</summary>
/// <param name="Epoch">The epoch, 1-based.</param>
/// <param name="TrainRmse">
/// For SGD (FunkSvd, SVD++): the running RMSE over the epoch, as LIBMF reports it: each rating's error is taken
/// during the SGD pass, before that rating's update, so it costs no second pass over the ratings (the
/// model at the epoch's end would score slightly lower). Other algorithms: the RMSE of their fit at the epoch's end
/// (PureSVD: of the reconstructed entries; implicit ALS: its own loss, see the algorithm).
/// </param>
/// <param name="Elapsed">The time since training began.</param>
internal readonly record struct EpochReport(int Epoch, double TrainRmse, TimeSpan Elapsed)
{
    /// <summary>
    /// The RMSE on the test ratings given to the fit, where the algorithm measures it (bpmf: of the running
    /// posterior mean, per sample); NaN otherwise.
    /// </summary>
    public double TestRmse { get; init; } = double.NaN;
}

/// <summary>A training algorithm: same seed and data, identical model.</summary>
internal interface IRecommenderAlgorithm
{
    /// <summary>The algorithm's name as the command line spells it (<c>baseline</c>, <c>funksvd</c>, <c>puresvd</c>).</summary>
    string Name { get; }

    /// <summary>Every hyper-parameter, formatted with the invariant culture, for display and tracking.</summary>
    IReadOnlyDictionary<string, string> Parameters { get; }

    /// <summary>A short readable name of the configuration, e.g. <c>funksvd-f100-e20</c>.</summary>
    string DisplayName { get; }

    FactorModel Fit(Trainset trainset, Action<EpochReport>? onEpoch = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Fits with the split's test ratings at hand, for algorithms that report their test error as they go
    /// (<see cref="EpochReport.TestRmse"/>); the model must not depend on them. By default they are ignored.
    /// </summary>
    FactorModel Fit(Trainset trainset, IReadOnlyList<RawRating> probe, Action<EpochReport>? onEpoch, CancellationToken cancellationToken) =>
        Fit(trainset, onEpoch, cancellationToken);

    /// <summary>
    /// Runs the algorithm's hot code once on a tiny problem, so that the JIT compiles it before a timed fit
    /// (Surprise's fit time covers no compilation: its loops are compiled ahead of time). By default nothing.
    /// </summary>
    void WarmUp()
    {
    }
}

internal static class FactorLayout
{
    /// <summary>Floats per factor row: the factor count rounded up to whole SIMD vectors.</summary>
    public static int StrideFor(int factors)
    {
        var width = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? 16 : 8;
        return factors == 0 ? 0 : (factors + width - 1) / width * width;
    }

    /// <summary>Fills the first <paramref name="factors"/> floats of each row with N(mean, std²) draws, padding left zero.</summary>
    /// <remarks>Jitted fully optimised at once: run once per fit, its loop would otherwise start as unoptimised code.</remarks>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static float[] RandomNormalRows(int rows, int factors, int stride, double mean, double stdDev, ref GaussianFill random)
    {
        var data = new float[rows * stride];
        for (var r = 0; r < rows; r++)
        {
            random.Fill(data.AsSpan(r * stride, factors), (float)mean, (float)stdDev);
        }

        return data;
    }
}
