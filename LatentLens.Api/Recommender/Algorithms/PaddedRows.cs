using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>Arithmetic on factor rows padded to whole SIMD vectors (see <see cref="FactorModel.Stride"/>).</summary>
internal static class PaddedRows
{
    /// <summary>p·q over <paramref name="stride"/> floats (a multiple of the vector width): AVX-512 where the CPU has it, else 256-bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe float Dot(float* p, float* q, int stride)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            // Two accumulators halve the dependency chain of the fused multiply-adds.
            var a0 = Vector512<float>.Zero;
            var a1 = Vector512<float>.Zero;
            var f = 0;
            for (; f + 32 <= stride; f += 32)
            {
                a0 = Vector512.FusedMultiplyAdd(Vector512.Load(p + f), Vector512.Load(q + f), a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Load(p + f + 16), Vector512.Load(q + f + 16), a1);
            }

            if (f < stride)
            {
                a0 = Vector512.FusedMultiplyAdd(Vector512.Load(p + f), Vector512.Load(q + f), a0);
            }

            return Vector512.Sum(a0 + a1);
        }
        else
        {
            var a0 = Vector256<float>.Zero;
            var a1 = Vector256<float>.Zero;
            var f = 0;
            for (; f + 16 <= stride; f += 16)
            {
                a0 = Vector256.FusedMultiplyAdd(Vector256.Load(p + f), Vector256.Load(q + f), a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.Load(p + f + 8), Vector256.Load(q + f + 8), a1);
            }

            if (f < stride)
            {
                a0 = Vector256.FusedMultiplyAdd(Vector256.Load(p + f), Vector256.Load(q + f), a0);
            }

            return Vector256.Sum(a0 + a1);
        }
    }
}
