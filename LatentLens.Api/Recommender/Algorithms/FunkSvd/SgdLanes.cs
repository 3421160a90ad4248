using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>
/// The vector operations <see cref="FunkSvdLanesKernel"/> needs, for one vector width, so one kernel
/// serves 128-, 256- and 512-bit vectors (.NET 10 keeps its own <c>ISimdVector</c> internal). The JIT
/// specialises the kernel per struct and inlines these forwards, as if written with the vector type.
/// </summary>
internal interface ISgdLanes<TVector>
    where TVector : struct
{
    /// <summary>Floats per vector.</summary>
    static abstract int Width { get; }

    /// <summary>How many vectors of the user's row the kernel keeps in registers; the rest stay in memory (L1).</summary>
    static abstract int MaxResident { get; }

    static abstract TVector Create(float value);

    static abstract unsafe TVector Load(float* source);

    static abstract unsafe void Store(TVector value, float* destination);

    static abstract TVector Add(TVector left, TVector right);

    static abstract TVector Multiply(TVector left, TVector right);

    /// <summary>a·b + c, fused where the hardware has fused multiply-add (else multiply, then add).</summary>
    static abstract TVector MultiplyAdd(TVector a, TVector b, TVector c);

    /// <summary>The sum of all lanes, in every lane, without a round trip through a scalar register.</summary>
    static abstract TVector SumToAllLanes(TVector value);

    static abstract float ToScalar(TVector value);

    /// <summary>The sum of all lanes in the runtime's own order (VectorN.Sum), for results that match code written with it.</summary>
    static abstract float Sum(TVector value);
}

// The three structs below are the same forwards at three genuinely different widths (Vector128,
// Vector256, Vector512 are distinct types with no common interface we may use); only the lane sum
// and the register budget differ in substance.

/// <summary>128-bit lanes: ARM64 NEON (32 registers) or SSE/AVX on x64 (16 registers).</summary>
internal readonly struct SgdLanes128 : ISgdLanes<Vector128<float>>
{
    public static int Width => 4;

    // As for 256-bit lanes on x64's 16 registers (9 of 25 vectors at 100 factors; 8, 10 and 12 measured no
    // faster); ARM64's 32 registers would hold more, but the kernel names at most 12 (not measured on ARM64).
    public static int MaxResident => AdvSimd.Arm64.IsSupported ? 12 : 9;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Create(float value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector128<float> Load(float* source) => Vector128.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Store(Vector128<float> value, float* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Add(Vector128<float> left, Vector128<float> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Multiply(Vector128<float> left, Vector128<float> right) => left * right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) =>
        Fma.IsSupported || AdvSimd.IsSupported || !Vector128.IsHardwareAccelerated ? Vector128.FusedMultiplyAdd(a, b, c) : (a * b) + c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> SumToAllLanes(Vector128<float> value)
    {
        if (AdvSimd.Arm64.IsSupported)
        {
            // Pairwise adds: [a+b, c+d, a+b, c+d], then the total in every lane.
            value = AdvSimd.Arm64.AddPairwise(value, value);
            return AdvSimd.Arm64.AddPairwise(value, value);
        }

        value += Vector128.Shuffle(value, Vector128.Create(2, 3, 0, 1));
        return value + Vector128.Shuffle(value, Vector128.Create(1, 0, 3, 2));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToScalar(Vector128<float> value) => value.ToScalar();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector128<float> value) => Vector128.Sum(value);
}

/// <summary>256-bit lanes: AVX2, 16 registers.</summary>
internal readonly struct SgdLanes256 : ISgdLanes<Vector256<float>>
{
    public static int Width => 8;

    // 16 ymm registers: 9 resident vectors of p̃, two dot partial sums, a q vector and its decayed copy,
    // the two update factors and the decay; the scalars (bias, α, the running SSE) share the same file.
    // 8 and 10 resident measured no faster (10: the JIT's listing showed the update temporaries spilled); the
    // whole row (13) only fit with the items' decay scaled too, and then three of p̃'s vectors spilled per
    // rating (slower, docs/benchmarks.md §15); at 100 factors the other 4 vectors live in memory (L1).
    public static int MaxResident => 9;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Create(float value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector256<float> Load(float* source) => Vector256.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Store(Vector256<float> value, float* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> left, Vector256<float> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Multiply(Vector256<float> left, Vector256<float> right) => left * right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Fma.IsSupported || !Vector256.IsHardwareAccelerated ? Vector256.FusedMultiplyAdd(a, b, c) : (a * b) + c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> SumToAllLanes(Vector256<float> value)
    {
        if (Avx.IsSupported)
        {
            // Swap the 128-bit halves, then two in-half swaps: the total in all 8 lanes.
            value += Avx.Permute2x128(value, value, 0x01);
            value += Avx.Permute(value, 0b_01_00_11_10);
            return value + Avx.Permute(value, 0b_10_11_00_01);
        }

        // The same swaps in the same order, so the emulated path adds exactly as AVX does.
        value += Vector256.Shuffle(value, Vector256.Create(4, 5, 6, 7, 0, 1, 2, 3));
        value += Vector256.Shuffle(value, Vector256.Create(2, 3, 0, 1, 6, 7, 4, 5));
        return value + Vector256.Shuffle(value, Vector256.Create(1, 0, 3, 2, 5, 4, 7, 6));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToScalar(Vector256<float> value) => value.ToScalar();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> value) => Vector256.Sum(value);
}

/// <summary>512-bit lanes: AVX-512, 32 registers; used for rows longer than <see cref="FunkSvdRegisterKernel"/> takes.</summary>
internal readonly struct SgdLanes512 : ISgdLanes<Vector512<float>>
{
    public static int Width => 16;

    public static int MaxResident => 10;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Create(float value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector512<float> Load(float* source) => Vector512.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Store(Vector512<float> value, float* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> left, Vector512<float> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Multiply(Vector512<float> left, Vector512<float> right) => left * right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> SumToAllLanes(Vector512<float> value) => FunkSvdRegisterKernel.SumToAllLanes(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToScalar(Vector512<float> value) => value.ToScalar();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector512<float> value) => Vector512.Sum(value);
}
