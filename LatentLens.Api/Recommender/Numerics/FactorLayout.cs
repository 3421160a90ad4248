namespace LatentLens.Api.Recommender.Numerics;

internal static class FactorLayout
{
    /// <summary>Floats per factor row: the factor count rounded up to whole SIMD vectors.</summary>
    public static int StrideFor(int factors)
    {
        var width = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? 16 : 8;
        return factors == 0 ? 0 : (factors + width - 1) / width * width;
    }

    /// <summary>Fills the first <paramref name="factors"/> floats of each row with N(mean, std²) draws, padding left zero (in a recycled array when a dead fold left one: <see cref="RecycledArrays"/>).</summary>
    /// <remarks>Jitted fully optimised at once: run once per fit, its loop would otherwise start as unoptimised code.</remarks>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static float[] RandomNormalRows(int rows, int factors, int stride, double mean, double stdDev, ref GaussianFill random)
    {
        var data = RecycledArrays.Take(rows * stride);
        for (var r = 0; r < rows; r++)
        {
            random.Fill(data.AsSpan(r * stride, factors), (float)mean, (float)stdDev);
        }

        return data;
    }
}
