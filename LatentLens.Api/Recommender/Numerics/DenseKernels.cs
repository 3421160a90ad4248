using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LatentLens.Api.Recommender.Numerics;

/// <summary>The one loop of the dense and sparse products here, inlined into methods that are jitted fully optimised at once.</summary>
internal static class DenseKernels
{
    /// <summary>y += a·x over the length of <paramref name="x"/> (SIMD; <paramref name="y"/> at least as long).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Axpy(ReadOnlySpan<double> x, double a, Span<double> y)
    {
        if (y.Length < x.Length)
        {
            throw new ArgumentException("The target is shorter than the source.", nameof(y));
        }

        ref var xs = ref MemoryMarshal.GetReference(x);
        ref var ys = ref MemoryMarshal.GetReference(y);
        var scale = new Vector<double>(a);
        var i = 0;
        for (; i <= x.Length - Vector<double>.Count; i += Vector<double>.Count)
        {
            var sum = Vector.MultiplyAddEstimate(Vector.LoadUnsafe(ref xs, (nuint)i), scale, Vector.LoadUnsafe(ref ys, (nuint)i));
            sum.StoreUnsafe(ref ys, (nuint)i);
        }

        for (; i < x.Length; i++)
        {
            Unsafe.Add(ref ys, i) += a * Unsafe.Add(ref xs, i);
        }
    }
}
