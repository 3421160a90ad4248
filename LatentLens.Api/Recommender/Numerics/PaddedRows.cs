using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LatentLens.Api.Recommender.Numerics;

/// <summary>Arithmetic on factor rows padded to whole SIMD vectors (see <see cref="FactorLayout.StrideFor"/>).</summary>
internal static class PaddedRows
{
    /// <summary>The unit every row stride is a multiple of: one 256-bit vector, the narrowest step of <see cref="Dot"/>.</summary>
    public const int Granule = 8;

    /// <summary>
    /// p·q over <paramref name="stride"/> floats, any multiple of <see cref="Granule"/>: AVX-512 steps where the CPU
    /// has them, a 256-bit step for a tail of 8 (so a row padded to 8 on one machine is read correctly on another);
    /// 256-bit steps on AVX2; two 128-bit steps per 8 floats where 256-bit vectors are not accelerated (ARM64).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe float Dot(float* p, float* q, int stride)
    {
        Debug.Assert(stride % Granule == 0, "a row stride is whole 8-float vectors");
        return Vector512.IsHardwareAccelerated ? Dot512(p, q, stride)
            : Vector256.IsHardwareAccelerated ? Dot256(p, q, stride)
            : Dot128(p, q, stride);
    }

    // One method per width, so tests run each of them on any machine (an unaccelerated width runs in software,
    // with the same results): the machine's own width alone would leave the others untested where they matter.

    /// <summary>AVX-512: 32 floats a step, then 16, then a 256-bit tail of 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe float Dot512(float* p, float* q, int stride)
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

        if (f + 16 <= stride)
        {
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(p + f), Vector512.Load(q + f), a0);
            f += 16;
        }

        var sum = Vector512.Sum(a0 + a1);
        if (f < stride)
        {
            sum += Vector256.Sum(Vector256.Load(p + f) * Vector256.Load(q + f));
        }

        return sum;
    }

    /// <summary>AVX2: 16 floats a step, then 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe float Dot256(float* p, float* q, int stride)
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

    /// <summary>
    /// 128-bit machines (ARM64's NEON, x64 without AVX2), where Vector256 would run in software: two 4-float steps per
    /// 8. MultiplyAddEstimate is one fused instruction where the CPU has FMA, a multiply and an add where not.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe float Dot128(float* p, float* q, int stride)
    {
        var a0 = Vector128<float>.Zero;
        var a1 = Vector128<float>.Zero;
        for (var f = 0; f < stride; f += 8)
        {
            a0 = Vector128.MultiplyAddEstimate(Vector128.Load(p + f), Vector128.Load(q + f), a0);
            a1 = Vector128.MultiplyAddEstimate(Vector128.Load(p + f + 4), Vector128.Load(q + f + 4), a1);
        }

        return Vector128.Sum(a0 + a1);
    }
}
