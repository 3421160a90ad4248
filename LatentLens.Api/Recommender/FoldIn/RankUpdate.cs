using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace LatentLens.Api.Recommender.FoldIn;

/// <summary>
/// The one O(n²·k) loop of a fold-in's solve, register-tiled: the upper triangle of A (n × n, row-major, leading
/// dimension ld) += Σ_h s_h z_hᵀ, from row <c>first</c> down. It forms the weighted Gram matrix (s_h = v_h z_h) and is
/// the trailing update of the blocked Cholesky factorisation (s_h = −u_h, z_h = u_h, a panel of the factor). Four rows
/// × three vectors of A stay in registers while the k entries stream past: per entry three vector loads and four
/// broadcasts feed twelve fused multiply-adds (the row-at-a-time loop it replaces loaded one vector per multiply-add).
/// A row is updated from its diagonal rounded down to a whole vector up to n rounded up to one, so the few entries left
/// of the diagonal (never read) get sums too, and the padding columns of z must be zero. One instance of the loop per
/// vector width (512, 256, 128 bits), each testable on any machine.
/// </summary>
internal static class RankUpdate
{
    /// <summary>The vector width (in doubles) this machine's <see cref="Add"/> runs at.</summary>
    public static int Width => Vector512.IsHardwareAccelerated ? 8 : Vector256.IsHardwareAccelerated ? 4 : 2;

    /// <summary>
    /// A[r, c] += Σ_h s_h[r] · z_h[c] for first ≤ r &lt; n and c from r (rounded down to a vector) to n (rounded up);
    /// s_h and z_h the rows h &lt; count of <paramref name="s"/> and <paramref name="z"/>, <paramref name="ld"/> apart.
    /// </summary>
    public static void Add(Span<double> a, int n, int ld, int first, ReadOnlySpan<double> s, ReadOnlySpan<double> z, int count) =>
        Add(a, n, ld, first, s, z, count, Width);

    /// <summary><see cref="Add"/> at a given width in doubles (8, 4 or 2): tests run every width on any machine.</summary>
    internal static void Add(Span<double> a, int n, int ld, int first, ReadOnlySpan<double> s, ReadOnlySpan<double> z, int count, int width)
    {
        if (width is not (8 or 4 or 2) || ld % width != 0 || ld < n || first < 0 || count < 0
            || (n > 0 && a.Length < ((n - 1) * ld) + ld) || s.Length < count * ld || z.Length < count * ld)
        {
            throw new ArgumentException("The spans do not match n, the leading dimension, the count and the width.");
        }

        if (first >= n || count == 0)
        {
            return;
        }

        ref var pa = ref MemoryMarshal.GetReference(a);
        ref var ps = ref MemoryMarshal.GetReference(s);
        ref var pz = ref MemoryMarshal.GetReference(z);
        switch (width)
        {
            case 8:
                Core<V512, Vector512<double>>(ref pa, n, ld, first, ref ps, ref pz, count);
                break;
            case 4:
                Core<V256, Vector256<double>>(ref pa, n, ld, first, ref ps, ref pz, count);
                break;
            default:
                Core<V128, Vector128<double>>(ref pa, n, ld, first, ref ps, ref pz, count);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Core<TOps, TVec>(ref double a, int n, int ld, int first, ref double s, ref double z, int count)
        where TOps : struct, IOps<TVec>
        where TVec : struct
    {
        var w = TOps.Width;
        var end = (n + w - 1) / w * w;
        var r = first;
        for (; r + 4 <= n; r += 4)
        {
            var c = r / w * w;
            for (; c + (3 * w) <= end; c += 3 * w)
            {
                Tile4x3<TOps, TVec>(ref a, ld, r, c, ref s, ref z, count);
            }

            for (; c < end; c += w)
            {
                Tile4x1<TOps, TVec>(ref a, ld, r, c, ref s, ref z, count);
            }
        }

        for (; r < n; r++)
        {
            var c = r / w * w;
            for (; c + (3 * w) <= end; c += 3 * w)
            {
                Tile1x3<TOps, TVec>(ref a, ld, r, c, ref s, ref z, count);
            }

            for (; c < end; c += w)
            {
                Tile1x1<TOps, TVec>(ref a, ld, r, c, ref s, ref z, count);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile4x3<TOps, TVec>(ref double a, int ld, int r, int c, ref double s, ref double z, int count)
        where TOps : struct, IOps<TVec>
        where TVec : struct
    {
        var w = TOps.Width;
        ref var a0 = ref Unsafe.Add(ref a, (r * ld) + c);
        ref var a1 = ref Unsafe.Add(ref a0, ld);
        ref var a2 = ref Unsafe.Add(ref a1, ld);
        ref var a3 = ref Unsafe.Add(ref a2, ld);
        TVec x00 = TOps.Load(ref a0, 0), x01 = TOps.Load(ref a0, w), x02 = TOps.Load(ref a0, 2 * w);
        TVec x10 = TOps.Load(ref a1, 0), x11 = TOps.Load(ref a1, w), x12 = TOps.Load(ref a1, 2 * w);
        TVec x20 = TOps.Load(ref a2, 0), x21 = TOps.Load(ref a2, w), x22 = TOps.Load(ref a2, 2 * w);
        TVec x30 = TOps.Load(ref a3, 0), x31 = TOps.Load(ref a3, w), x32 = TOps.Load(ref a3, 2 * w);
        ref var sh = ref Unsafe.Add(ref s, r);
        ref var zh = ref Unsafe.Add(ref z, c);
        for (var h = 0; h < count; h++)
        {
            var z0 = TOps.Load(ref zh, 0);
            var z1 = TOps.Load(ref zh, w);
            var z2 = TOps.Load(ref zh, 2 * w);
            var b = TOps.Broadcast(sh);
            x00 = TOps.Fma(z0, b, x00);
            x01 = TOps.Fma(z1, b, x01);
            x02 = TOps.Fma(z2, b, x02);
            b = TOps.Broadcast(Unsafe.Add(ref sh, 1));
            x10 = TOps.Fma(z0, b, x10);
            x11 = TOps.Fma(z1, b, x11);
            x12 = TOps.Fma(z2, b, x12);
            b = TOps.Broadcast(Unsafe.Add(ref sh, 2));
            x20 = TOps.Fma(z0, b, x20);
            x21 = TOps.Fma(z1, b, x21);
            x22 = TOps.Fma(z2, b, x22);
            b = TOps.Broadcast(Unsafe.Add(ref sh, 3));
            x30 = TOps.Fma(z0, b, x30);
            x31 = TOps.Fma(z1, b, x31);
            x32 = TOps.Fma(z2, b, x32);
            sh = ref Unsafe.Add(ref sh, ld);
            zh = ref Unsafe.Add(ref zh, ld);
        }

        TOps.Store(x00, ref a0, 0);
        TOps.Store(x01, ref a0, w);
        TOps.Store(x02, ref a0, 2 * w);
        TOps.Store(x10, ref a1, 0);
        TOps.Store(x11, ref a1, w);
        TOps.Store(x12, ref a1, 2 * w);
        TOps.Store(x20, ref a2, 0);
        TOps.Store(x21, ref a2, w);
        TOps.Store(x22, ref a2, 2 * w);
        TOps.Store(x30, ref a3, 0);
        TOps.Store(x31, ref a3, w);
        TOps.Store(x32, ref a3, 2 * w);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile4x1<TOps, TVec>(ref double a, int ld, int r, int c, ref double s, ref double z, int count)
        where TOps : struct, IOps<TVec>
        where TVec : struct
    {
        ref var a0 = ref Unsafe.Add(ref a, (r * ld) + c);
        ref var a1 = ref Unsafe.Add(ref a0, ld);
        ref var a2 = ref Unsafe.Add(ref a1, ld);
        ref var a3 = ref Unsafe.Add(ref a2, ld);
        TVec x0 = TOps.Load(ref a0, 0), x1 = TOps.Load(ref a1, 0), x2 = TOps.Load(ref a2, 0), x3 = TOps.Load(ref a3, 0);
        ref var sh = ref Unsafe.Add(ref s, r);
        ref var zh = ref Unsafe.Add(ref z, c);
        for (var h = 0; h < count; h++)
        {
            var z0 = TOps.Load(ref zh, 0);
            x0 = TOps.Fma(z0, TOps.Broadcast(sh), x0);
            x1 = TOps.Fma(z0, TOps.Broadcast(Unsafe.Add(ref sh, 1)), x1);
            x2 = TOps.Fma(z0, TOps.Broadcast(Unsafe.Add(ref sh, 2)), x2);
            x3 = TOps.Fma(z0, TOps.Broadcast(Unsafe.Add(ref sh, 3)), x3);
            sh = ref Unsafe.Add(ref sh, ld);
            zh = ref Unsafe.Add(ref zh, ld);
        }

        TOps.Store(x0, ref a0, 0);
        TOps.Store(x1, ref a1, 0);
        TOps.Store(x2, ref a2, 0);
        TOps.Store(x3, ref a3, 0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile1x3<TOps, TVec>(ref double a, int ld, int r, int c, ref double s, ref double z, int count)
        where TOps : struct, IOps<TVec>
        where TVec : struct
    {
        var w = TOps.Width;
        ref var a0 = ref Unsafe.Add(ref a, (r * ld) + c);
        TVec x0 = TOps.Load(ref a0, 0), x1 = TOps.Load(ref a0, w), x2 = TOps.Load(ref a0, 2 * w);
        ref var sh = ref Unsafe.Add(ref s, r);
        ref var zh = ref Unsafe.Add(ref z, c);
        for (var h = 0; h < count; h++)
        {
            var b = TOps.Broadcast(sh);
            x0 = TOps.Fma(TOps.Load(ref zh, 0), b, x0);
            x1 = TOps.Fma(TOps.Load(ref zh, w), b, x1);
            x2 = TOps.Fma(TOps.Load(ref zh, 2 * w), b, x2);
            sh = ref Unsafe.Add(ref sh, ld);
            zh = ref Unsafe.Add(ref zh, ld);
        }

        TOps.Store(x0, ref a0, 0);
        TOps.Store(x1, ref a0, w);
        TOps.Store(x2, ref a0, 2 * w);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile1x1<TOps, TVec>(ref double a, int ld, int r, int c, ref double s, ref double z, int count)
        where TOps : struct, IOps<TVec>
        where TVec : struct
    {
        ref var a0 = ref Unsafe.Add(ref a, (r * ld) + c);
        var x0 = TOps.Load(ref a0, 0);
        ref var sh = ref Unsafe.Add(ref s, r);
        ref var zh = ref Unsafe.Add(ref z, c);
        for (var h = 0; h < count; h++)
        {
            x0 = TOps.Fma(TOps.Load(ref zh, 0), TOps.Broadcast(sh), x0);
            sh = ref Unsafe.Add(ref sh, ld);
            zh = ref Unsafe.Add(ref zh, ld);
        }

        TOps.Store(x0, ref a0, 0);
    }

    /// <summary>
    /// The few vector operations the tiles use, one implementation per width (the JIT specialises each). The three structs
    /// are the same forwards at three widths because Vector128, Vector256 and Vector512 share no public interface
    /// (.NET 10 keeps ISimdVector internal), as in <c>SgdLanes</c>.
    /// </summary>
    private interface IOps<TVec>
        where TVec : struct
    {
        static abstract int Width { get; }

        static abstract TVec Load(ref double source, int offset);

        static abstract void Store(TVec value, ref double destination, int offset);

        static abstract TVec Broadcast(double value);

        static abstract TVec Fma(TVec x, TVec y, TVec addend);
    }

    private readonly struct V512 : IOps<Vector512<double>>
    {
        public static int Width => Vector512<double>.Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<double> Load(ref double source, int offset) => Vector512.LoadUnsafe(ref source, (nuint)offset);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector512<double> value, ref double destination, int offset) => value.StoreUnsafe(ref destination, (nuint)offset);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<double> Broadcast(double value) => Vector512.Create(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<double> Fma(Vector512<double> x, Vector512<double> y, Vector512<double> addend) => Vector512.FusedMultiplyAdd(x, y, addend);
    }

    private readonly struct V256 : IOps<Vector256<double>>
    {
        public static int Width => Vector256<double>.Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> Load(ref double source, int offset) => Vector256.LoadUnsafe(ref source, (nuint)offset);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector256<double> value, ref double destination, int offset) => value.StoreUnsafe(ref destination, (nuint)offset);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> Broadcast(double value) => Vector256.Create(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> Fma(Vector256<double> x, Vector256<double> y, Vector256<double> addend) => Vector256.FusedMultiplyAdd(x, y, addend);
    }

    private readonly struct V128 : IOps<Vector128<double>>
    {
        public static int Width => Vector128<double>.Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<double> Load(ref double source, int offset) => Vector128.LoadUnsafe(ref source, (nuint)offset);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector128<double> value, ref double destination, int offset) => value.StoreUnsafe(ref destination, (nuint)offset);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<double> Broadcast(double value) => Vector128.Create(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<double> Fma(Vector128<double> x, Vector128<double> y, Vector128<double> addend) => Vector128.FusedMultiplyAdd(x, y, addend);
    }
}
