using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace LatentLens.Api.Recommender.FoldIn;

/// <summary>
/// The two loops that dominate a fold-in's solve, written for short rows (n ≈ 100 doubles): a library call per row or per
/// dot product cost more than the arithmetic (a 100-rating ALS fold-in took 380 µs through TensorPrimitives, most of it
/// call overhead). 256-bit vectors, several independent accumulators, no bounds checks.
/// </summary>
internal static class DenseKernels
{
    /// <summary>The leading dimension of the matrices <see cref="AddWeightedGram"/> works on: n rounded up to whole 512-bit vectors.</summary>
    public static int LeadingDimension(int n) => (n + 7) / 8 * 8;

    /// <summary>
    /// The upper triangle of A (n × n, row-major) += Σ_h v_h z_h z_hᵀ, z_h the rows of <paramref name="rows"/> (n wide).
    /// Row by row of A, four vectors of it kept in registers while every entry streams past. Rows of both are
    /// <paramref name="ld"/> (<see cref="LeadingDimension"/>) apart and z's padding columns are zero, so every vector is whole:
    /// a row starts at its diagonal rounded down to a vector (the few entries left of it are below the diagonal, never read).
    /// </summary>
    public static void AddWeightedGram(double[] matrix, int n, int ld, double[] rows, double[] weights, int count)
    {
        if (ld % 8 != 0 || ld < n || matrix.Length < n * ld || rows.Length < count * ld || weights.Length < count)
        {
            throw new ArgumentException("The arrays do not match n, the leading dimension and the count.");
        }

        if (Vector512.IsHardwareAccelerated)
        {
            AddWeightedGram512(matrix, n, ld, rows, weights, count);
        }
        else
        {
            AddWeightedGram256(matrix, n, ld, rows, weights, count);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddWeightedGram512(double[] matrix, int n, int ld, double[] rows, double[] weights, int count)
    {
        ref var a = ref MemoryMarshal.GetArrayDataReference(matrix);
        ref var z = ref MemoryMarshal.GetArrayDataReference(rows);
        ref var v = ref MemoryMarshal.GetArrayDataReference(weights);
        var width = Vector512<double>.Count;
        for (var r = 0; r < n; r++)
        {
            ref var row = ref Unsafe.Add(ref a, r * ld);
            var c = r / width * width;

            // Two rows at once where both start in the same vector: each load of z_h feeds both rows' accumulators.
            if (r + 1 < n && (r + 1) / width * width == c)
            {
                ref var next = ref Unsafe.Add(ref a, (r + 1) * ld);
                for (; c + (2 * width) <= n; c += 2 * width)
                {
                    var a0 = Vector512.LoadUnsafe(ref row, (nuint)c);
                    var a1 = Vector512.LoadUnsafe(ref row, (nuint)(c + width));
                    var b0 = Vector512.LoadUnsafe(ref next, (nuint)c);
                    var b1 = Vector512.LoadUnsafe(ref next, (nuint)(c + width));
                    for (var h = 0; h < count; h++)
                    {
                        ref var zh = ref Unsafe.Add(ref z, h * ld);
                        var vh = Unsafe.Add(ref v, h);
                        var ca = Vector512.Create(vh * Unsafe.Add(ref zh, r));
                        var cb = Vector512.Create(vh * Unsafe.Add(ref zh, r + 1));
                        var z0 = Vector512.LoadUnsafe(ref zh, (nuint)c);
                        var z1 = Vector512.LoadUnsafe(ref zh, (nuint)(c + width));
                        a0 = Vector512.FusedMultiplyAdd(z0, ca, a0);
                        a1 = Vector512.FusedMultiplyAdd(z1, ca, a1);
                        b0 = Vector512.FusedMultiplyAdd(z0, cb, b0);
                        b1 = Vector512.FusedMultiplyAdd(z1, cb, b1);
                    }

                    a0.StoreUnsafe(ref row, (nuint)c);
                    a1.StoreUnsafe(ref row, (nuint)(c + width));
                    b0.StoreUnsafe(ref next, (nuint)c);
                    b1.StoreUnsafe(ref next, (nuint)(c + width));
                }

                for (; c < n; c += width)
                {
                    Vector512<double> a0 = Vector512<double>.Zero, a1 = a0, b0 = a0, b1 = a0;
                    var h = 0;
                    for (; h + 2 <= count; h += 2)
                    {
                        ref var z0 = ref Unsafe.Add(ref z, h * ld);
                        ref var z1 = ref Unsafe.Add(ref z, (h + 1) * ld);
                        var (v0, v1) = (Unsafe.Add(ref v, h), Unsafe.Add(ref v, h + 1));
                        var y0 = Vector512.LoadUnsafe(ref z0, (nuint)c);
                        var y1 = Vector512.LoadUnsafe(ref z1, (nuint)c);
                        a0 = Vector512.FusedMultiplyAdd(y0, Vector512.Create(v0 * Unsafe.Add(ref z0, r)), a0);
                        b0 = Vector512.FusedMultiplyAdd(y0, Vector512.Create(v0 * Unsafe.Add(ref z0, r + 1)), b0);
                        a1 = Vector512.FusedMultiplyAdd(y1, Vector512.Create(v1 * Unsafe.Add(ref z1, r)), a1);
                        b1 = Vector512.FusedMultiplyAdd(y1, Vector512.Create(v1 * Unsafe.Add(ref z1, r + 1)), b1);
                    }

                    for (; h < count; h++)
                    {
                        ref var zh = ref Unsafe.Add(ref z, h * ld);
                        var y0 = Vector512.LoadUnsafe(ref zh, (nuint)c);
                        a0 = Vector512.FusedMultiplyAdd(y0, Vector512.Create(Unsafe.Add(ref v, h) * Unsafe.Add(ref zh, r)), a0);
                        b0 = Vector512.FusedMultiplyAdd(y0, Vector512.Create(Unsafe.Add(ref v, h) * Unsafe.Add(ref zh, r + 1)), b0);
                    }

                    (Vector512.LoadUnsafe(ref row, (nuint)c) + a0 + a1).StoreUnsafe(ref row, (nuint)c);
                    (Vector512.LoadUnsafe(ref next, (nuint)c) + b0 + b1).StoreUnsafe(ref next, (nuint)c);
                }

                r++;
                continue;
            }

            for (; c + (4 * width) <= n; c += 4 * width)
            {
                var s0 = Vector512.LoadUnsafe(ref row, (nuint)c);
                var s1 = Vector512.LoadUnsafe(ref row, (nuint)(c + width));
                var s2 = Vector512.LoadUnsafe(ref row, (nuint)(c + (2 * width)));
                var s3 = Vector512.LoadUnsafe(ref row, (nuint)(c + (3 * width)));
                for (var h = 0; h < count; h++)
                {
                    ref var zh = ref Unsafe.Add(ref z, h * ld);
                    var coefficient = Vector512.Create(Unsafe.Add(ref v, h) * Unsafe.Add(ref zh, r));
                    s0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref zh, (nuint)c), coefficient, s0);
                    s1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref zh, (nuint)(c + width)), coefficient, s1);
                    s2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref zh, (nuint)(c + (2 * width))), coefficient, s2);
                    s3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref zh, (nuint)(c + (3 * width))), coefficient, s3);
                }

                s0.StoreUnsafe(ref row, (nuint)c);
                s1.StoreUnsafe(ref row, (nuint)(c + width));
                s2.StoreUnsafe(ref row, (nuint)(c + (2 * width)));
                s3.StoreUnsafe(ref row, (nuint)(c + (3 * width)));
            }

            // The last vectors of the row, whole (into its zero padding). Four chains over the entries, so no FMA waits on the one before.
            for (; c < n; c += width)
            {
                Vector512<double> s0 = Vector512<double>.Zero, s1 = s0, s2 = s0, s3 = s0;
                var h = 0;
                for (; h + 4 <= count; h += 4)
                {
                    ref var z0 = ref Unsafe.Add(ref z, h * ld);
                    ref var z1 = ref Unsafe.Add(ref z, (h + 1) * ld);
                    ref var z2 = ref Unsafe.Add(ref z, (h + 2) * ld);
                    ref var z3 = ref Unsafe.Add(ref z, (h + 3) * ld);
                    s0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref z0, (nuint)c), Vector512.Create(Unsafe.Add(ref v, h) * Unsafe.Add(ref z0, r)), s0);
                    s1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref z1, (nuint)c), Vector512.Create(Unsafe.Add(ref v, h + 1) * Unsafe.Add(ref z1, r)), s1);
                    s2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref z2, (nuint)c), Vector512.Create(Unsafe.Add(ref v, h + 2) * Unsafe.Add(ref z2, r)), s2);
                    s3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref z3, (nuint)c), Vector512.Create(Unsafe.Add(ref v, h + 3) * Unsafe.Add(ref z3, r)), s3);
                }

                for (; h < count; h++)
                {
                    ref var zh = ref Unsafe.Add(ref z, h * ld);
                    s0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref zh, (nuint)c), Vector512.Create(Unsafe.Add(ref v, h) * Unsafe.Add(ref zh, r)), s0);
                }

                (Vector512.LoadUnsafe(ref row, (nuint)c) + ((s0 + s1) + (s2 + s3))).StoreUnsafe(ref row, (nuint)c);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddWeightedGram256(double[] matrix, int n, int ld, double[] rows, double[] weights, int count)
    {
        ref var a = ref MemoryMarshal.GetArrayDataReference(matrix);
        ref var z = ref MemoryMarshal.GetArrayDataReference(rows);
        ref var v = ref MemoryMarshal.GetArrayDataReference(weights);
        var width = Vector256<double>.Count;
        for (var r = 0; r < n; r++)
        {
            ref var row = ref Unsafe.Add(ref a, r * ld);
            var c = r / width * width;
            for (; c + (4 * width) <= n; c += 4 * width)
            {
                var s0 = Vector256.LoadUnsafe(ref row, (nuint)c);
                var s1 = Vector256.LoadUnsafe(ref row, (nuint)(c + width));
                var s2 = Vector256.LoadUnsafe(ref row, (nuint)(c + (2 * width)));
                var s3 = Vector256.LoadUnsafe(ref row, (nuint)(c + (3 * width)));
                for (var h = 0; h < count; h++)
                {
                    ref var zh = ref Unsafe.Add(ref z, h * ld);
                    var coefficient = Vector256.Create(Unsafe.Add(ref v, h) * Unsafe.Add(ref zh, r));
                    s0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref zh, (nuint)c), coefficient, s0);
                    s1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref zh, (nuint)(c + width)), coefficient, s1);
                    s2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref zh, (nuint)(c + (2 * width))), coefficient, s2);
                    s3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref zh, (nuint)(c + (3 * width))), coefficient, s3);
                }

                s0.StoreUnsafe(ref row, (nuint)c);
                s1.StoreUnsafe(ref row, (nuint)(c + width));
                s2.StoreUnsafe(ref row, (nuint)(c + (2 * width)));
                s3.StoreUnsafe(ref row, (nuint)(c + (3 * width)));
            }

            // The last vectors of the row, whole (into its zero padding). Four chains over the entries, so no FMA waits on the one before.
            for (; c < n; c += width)
            {
                Vector256<double> s0 = Vector256<double>.Zero, s1 = s0, s2 = s0, s3 = s0;
                var h = 0;
                for (; h + 4 <= count; h += 4)
                {
                    ref var z0 = ref Unsafe.Add(ref z, h * ld);
                    ref var z1 = ref Unsafe.Add(ref z, (h + 1) * ld);
                    ref var z2 = ref Unsafe.Add(ref z, (h + 2) * ld);
                    ref var z3 = ref Unsafe.Add(ref z, (h + 3) * ld);
                    s0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref z0, (nuint)c), Vector256.Create(Unsafe.Add(ref v, h) * Unsafe.Add(ref z0, r)), s0);
                    s1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref z1, (nuint)c), Vector256.Create(Unsafe.Add(ref v, h + 1) * Unsafe.Add(ref z1, r)), s1);
                    s2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref z2, (nuint)c), Vector256.Create(Unsafe.Add(ref v, h + 2) * Unsafe.Add(ref z2, r)), s2);
                    s3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref z3, (nuint)c), Vector256.Create(Unsafe.Add(ref v, h + 3) * Unsafe.Add(ref z3, r)), s3);
                }

                for (; h < count; h++)
                {
                    ref var zh = ref Unsafe.Add(ref z, h * ld);
                    s0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref zh, (nuint)c), Vector256.Create(Unsafe.Add(ref v, h) * Unsafe.Add(ref zh, r)), s0);
                }

                (Vector256.LoadUnsafe(ref row, (nuint)c) + ((s0 + s1) + (s2 + s3))).StoreUnsafe(ref row, (nuint)c);
            }
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
