using System.Runtime.CompilerServices;

namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>The sampler's stateless arithmetic: outer products into a precision matrix, norms, and the seed of every random stream.</summary>
internal sealed partial class BpmfSampler
{
    /// <summary>Adds x̃ x̃ᵀ (lower triangle) and target·x̃ for the feature x̃ = [x, 1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void AddOuter(Span<double> precision, Span<double> linear, ReadOnlySpan<double> feature, double target, int d)
    {
        var k = d - 1;
        fixed (double* p = precision, b = linear, x = feature)
        {
            for (var a = 0; a < k; a++)
            {
                b[a] += target * x[a];
            }

            AddLowerOuter(p, d, x, k);
            b[k] += target;
            var last = p + (k * d);
            for (var c = 0; c < k; c++)
            {
                last[c] += x[c];
            }

            last[k] += 1;
        }
    }

    /// <summary>p[a, c] += x[a]·x[c] for c ≤ a &lt; n, the rows of p <paramref name="stride"/> apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AddLowerOuter(double* p, int stride, double* x, int n)
    {
        for (var a = 0; a < n; a++)
        {
            var xa = x[a];
            var row = p + (a * stride);
            for (var c = 0; c <= a; c++)
            {
                row[c] += xa * x[c];
            }
        }
    }

    private static void Mirror(Span<double> m, int n)
    {
        for (var a = 0; a < n; a++)
        {
            for (var c = 0; c < a; c++)
            {
                m[(c * n) + a] = m[(a * n) + c];
            }
        }
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b) => System.Numerics.Tensors.TensorPrimitives.Dot(a, b);

    private static void Add(Span<double> x, ReadOnlySpan<double> y) => System.Numerics.Tensors.TensorPrimitives.Add(x, y, x);

    /// <summary>A stream's seed from (seed, sample, block, row), mixed by SplitMix64's finaliser: distinct inputs, unrelated streams.</summary>
    internal static ulong Stream(int seed, int sample, int block, int row)
    {
        var h = Mix(((ulong)(uint)seed << 32) | (uint)sample);
        h = Mix(h ^ (((ulong)(uint)block << 32) | (uint)row));
        return h;
    }

    internal static ModelDivergedException NotPositiveDefinite() =>
        new("bpmf: a posterior precision matrix is not positive definite (the sampler diverged); check the ratings and --factors.");

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static double[] Norms(int[] starts)
    {
        var norms = new double[starts.Length - 1];
        for (var r = 0; r < norms.Length; r++)
        {
            var n = starts[r + 1] - starts[r];
            norms[r] = n == 0 ? 0 : 1 / Math.Sqrt(n);
        }

        return norms;
    }
}
