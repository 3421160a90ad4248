using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace LatentLens.Api.Recommender.FoldIn;

/// <summary>
/// The short loops of a fold-in's solve, written for short rows (n ≈ 100 doubles): a library call per row or per
/// dot product cost more than the arithmetic (a 100-rating ALS fold-in took 380 µs through TensorPrimitives, most of it
/// call overhead). No bounds checks; the O(n²k) loop is <see cref="RankUpdate"/>.
/// </summary>
internal static class DenseKernels
{
    /// <summary>The leading dimension of the matrices <see cref="AddWeightedGram"/> works on: n rounded up to whole 512-bit vectors.</summary>
    public static int LeadingDimension(int n) => (n + 7) / 8 * 8;

    /// <summary>
    /// The upper triangle of A (n × n, row-major) += Σ_h v_h z_h z_hᵀ, z_h the rows of <paramref name="rows"/> (n wide),
    /// through the register-tiled <see cref="RankUpdate"/> with s_h = v_h z_h. Rows of both are <paramref name="ld"/>
    /// (<see cref="LeadingDimension"/>) apart and z's padding columns are zero, so every vector is whole (the few entries
    /// of a row left of its diagonal get sums too; they are never read).
    /// </summary>
    public static void AddWeightedGram(double[] matrix, int n, int ld, double[] rows, double[] weights, int count)
    {
        if (ld % 8 != 0 || ld < n || matrix.Length < n * ld || rows.Length < count * ld || weights.Length < count)
        {
            throw new ArgumentException("The arrays do not match n, the leading dimension and the count.");
        }

        var scaled = Scratch(count * ld);
        for (var h = 0; h < count; h++)
        {
            Scale(rows.AsSpan(h * ld, ld), weights[h], scaled.AsSpan(h * ld, ld));
        }

        RankUpdate.Add(matrix, n, ld, 0, scaled, rows, count);
    }

    [ThreadStatic]
    private static double[]? _scratch;

    /// <summary>This thread's scratch of at least <paramref name="length"/> doubles (contents undefined).</summary>
    internal static double[] Scratch(int length) =>
        _scratch is { } s && s.Length >= length ? s : _scratch = new double[Math.Max(length, 16 * 1024)];

    /// <summary>y = a·x for short spans.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Scale(ReadOnlySpan<double> x, double a, Span<double> y)
    {
        ref var px = ref MemoryMarshal.GetReference(x);
        ref var py = ref MemoryMarshal.GetReference(y);
        var length = Math.Min(x.Length, y.Length);
        var c = 0;
        var va = Vector256.Create(a);
        for (; c + Vector256<double>.Count <= length; c += Vector256<double>.Count)
        {
            (Vector256.LoadUnsafe(ref px, (nuint)c) * va).StoreUnsafe(ref py, (nuint)c);
        }

        for (; c < length; c++)
        {
            Unsafe.Add(ref py, c) = a * Unsafe.Add(ref px, c);
        }
    }

    /// <summary>y = x widened to double (a float item row into a system's row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Widen(ReadOnlySpan<float> x, Span<double> y)
    {
        ref var px = ref MemoryMarshal.GetReference(x);
        ref var py = ref MemoryMarshal.GetReference(y);
        var length = Math.Min(x.Length, y.Length);
        var c = 0;
        for (; c + Vector256<float>.Count <= length; c += Vector256<float>.Count)
        {
            var (lower, upper) = Vector256.Widen(Vector256.LoadUnsafe(ref px, (nuint)c));
            lower.StoreUnsafe(ref py, (nuint)c);
            upper.StoreUnsafe(ref py, (nuint)(c + Vector256<double>.Count));
        }

        for (; c < length; c++)
        {
            Unsafe.Add(ref py, c) = Unsafe.Add(ref px, c);
        }
    }

    /// <summary>y += a·x for short spans, inlined into the Cholesky loop.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Axpy(double a, ReadOnlySpan<double> x, Span<double> y)
    {
        ref var px = ref MemoryMarshal.GetReference(x);
        ref var py = ref MemoryMarshal.GetReference(y);
        var length = x.Length;
        var c = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var va = Vector512.Create(a);
            for (; c + Vector512<double>.Count <= length; c += Vector512<double>.Count)
            {
                Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref px, (nuint)c), va, Vector512.LoadUnsafe(ref py, (nuint)c)).StoreUnsafe(ref py, (nuint)c);
            }
        }

        var vb = Vector256.Create(a);
        for (; c + Vector256<double>.Count <= length; c += Vector256<double>.Count)
        {
            Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref px, (nuint)c), vb, Vector256.LoadUnsafe(ref py, (nuint)c)).StoreUnsafe(ref py, (nuint)c);
        }

        for (; c < length; c++)
        {
            Unsafe.Add(ref py, c) += a * Unsafe.Add(ref px, c);
        }
    }

    /// <summary>x·y for short spans: two vector accumulators, inlined into the Cholesky loop.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        ref var px = ref MemoryMarshal.GetReference(x);
        ref var py = ref MemoryMarshal.GetReference(y);
        var length = x.Length;
        var width = Vector256<double>.Count;
        var s0 = Vector256<double>.Zero;
        var s1 = Vector256<double>.Zero;
        var c = 0;
        for (; c + (2 * width) <= length; c += 2 * width)
        {
            s0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref px, (nuint)c), Vector256.LoadUnsafe(ref py, (nuint)c), s0);
            s1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref px, (nuint)(c + width)), Vector256.LoadUnsafe(ref py, (nuint)(c + width)), s1);
        }

        var sum = Vector256.Sum(s0 + s1);
        for (; c < length; c++)
        {
            sum += Unsafe.Add(ref px, c) * Unsafe.Add(ref py, c);
        }

        return sum;
    }
}
