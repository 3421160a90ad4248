using System.Globalization;
using LatentLens.Api.Recommender.Numerics;

namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>
/// The memory a configuration needs for its factor arrays, checked against what the machine has
/// before anything is allocated: <c>--factors 2000000000</c> once allocated 7.9 GB before failing vaguely.
/// </summary>
/// <remarks>
/// The estimate counts the arrays that grow with users × factors and items × factors (and PureSVD's
/// Gram matrix), which dominate; it is a lower bound of the process's peak, not a prediction of it.
/// </remarks>
internal static class ModelSizeGuard
{
    /// <summary>The most factors the command line takes: more is almost certainly a typo (MovieLens models use 10 to 500).</summary>
    public const int MaxFactors = 10_000;

    /// <summary>8 GiB, or half of the memory available to this process if that is less.</summary>
    public static long DefaultLimitBytes
    {
        get
        {
            var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
            var limit = 8L << 30;
            return available > 0 ? Math.Min(limit, available / 2) : limit;
        }
    }

    /// <summary>Bytes of the arrays the fit of <paramref name="settings"/> allocates for <paramref name="users"/> users and <paramref name="items"/> items.</summary>
    public static long EstimateBytes(AlgorithmSettings settings, int users, int items)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var algorithm = AlgorithmFactory.Create(settings);
        long factors = algorithm.Parameters.TryGetValue("factors", out var f) ? long.Parse(f, CultureInfo.InvariantCulture) : 0;
        long rank = factors;
        if (algorithm is Bpmf bpmf)
        {
            // The served rows hold every kept sample side by side.
            factors = bpmf.Options.SavedWidth;
        }

        long stride = factors == 0 ? 0 : FactorLayout.StrideFor((int)Math.Min(factors, int.MaxValue - 64));
        long rows = (long)users + items;

        // Every model: biases and the user and item factor rows (float, padded to the SIMD stride).
        var bytes = (rows * sizeof(float) * 2) + (rows * stride * sizeof(float));
        bytes += settings.Algorithm switch
        {
            // Surprise's SVDpp state: P, Q and the implicit-feedback Y rows in double.
            AlgorithmFactory.SvdPlusPlus => (rows + items) * factors * sizeof(double),
            // The sampler's rows ([p, b], [q, b], y, s) and the implicit step's k×k matrices per user and per item.
            AlgorithmFactory.Bpmf => ((rows * (rank + 1)) + (rows * rank) + (rows * rank * rank)) * sizeof(double),
            // The Gram matrices of the conjugate-gradient solver, one per core.
            AlgorithmFactory.Als => (Environment.ProcessorCount + 2L) * stride * stride * sizeof(float),
            // The dense Gram matrix of the smaller side, and the other side's dense columns.
            AlgorithmFactory.PureSvd or AlgorithmFactory.PureSvdCentred =>
                ((long)Math.Min(users, items) * Math.Min(users, items) * sizeof(double)) + (rows * factors * sizeof(double)),
            // The dense items × items matrix being inverted (padded to 32) and six item × 256 panels.
            AlgorithmFactory.Ease => ((long)SpdInverse.PaddedOrder(items) * SpdInverse.PaddedOrder(items) * sizeof(float)) + (6L * SpdInverse.PaddedOrder(items) * 256 * sizeof(float)),
            _ => 0,
        };
        return bytes;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the option when the configuration needs more than <paramref name="limitBytes"/>.</summary>
    public static void Check(AlgorithmSettings settings, int users, int items, long limitBytes)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var needed = EstimateBytes(settings, users, items);
        if (needed <= limitBytes)
        {
            return;
        }

        if (settings.Algorithm == AlgorithmFactory.Ease)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"ease needs {Size(needed)} for the dense {items:N0} × {items:N0} matrix it inverts; at most {Size(limitBytes)} here (the lesser of 8 GiB and half the memory available): give data with fewer items."));
        }

        var what = settings.Factors is { } factors
            ? string.Create(CultureInfo.InvariantCulture, $"--factors {factors}")
            : $"{settings.Algorithm} with its default factors";
        throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
            $"{what} needs {Size(needed)} for {users:N0} users and {items:N0} items; at most {Size(limitBytes)} here (the lesser of 8 GiB and half the memory available): give fewer --factors or less data."));
    }

    /// <summary>Bytes in the largest unit that keeps a whole number in front, e.g. <c>15 GB</c>, <c>3.2 MB</c>.</summary>
    public static string Size(long bytes) => bytes switch
    {
        >= 10L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):F0} GiB"),
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):F1} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):F1} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:F1} KiB"),
    };
}
