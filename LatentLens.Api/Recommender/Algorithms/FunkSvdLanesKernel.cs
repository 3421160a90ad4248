using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace LatentLens.Api.Recommender.Algorithms;

internal readonly struct V9 : IVectorCount { public static int Count => 9; }
internal readonly struct V10 : IVectorCount { public static int Count => 10; }
internal readonly struct V11 : IVectorCount { public static int Count => 11; }
internal readonly struct V12 : IVectorCount { public static int Count => 12; }

/// <summary>
/// The FunkSvd epoch for any row length and any vector width (<see cref="ISgdLanes{TVector}"/>): the
/// first vectors of the user's row stay in registers for all of that user's ratings (as many as the
/// register file holds beside the working set, <see cref="ISgdLanes{TVector}.MaxResident"/>), the rest
/// of the row is read and written in memory (L1) per rating. At 100 factors on AVX2 the row is 13
/// vectors: 10 in registers, 3 in memory.
/// </summary>
/// <remarks>
/// Arithmetic, as in <see cref="FunkSvdRegisterKernel"/> and unlike Surprise's loop written out:
/// the dot product is two running sums of fused multiply-adds (plus two for the part in memory); the step γe comes
/// from one fused multiply-add γ(r − μ − b_u − b_i) − γ·(p·q), and e is recovered as γe/γ; the
/// updates are p·(1 − γλ) + γe·q. Each differs from the written-out order by float32 roundings only
/// (a few ulps per rating), far inside the known-answer tests' tolerance.
/// </remarks>
internal static class FunkSvdLanesKernel
{
    public static unsafe double RunEpoch<TLanes, TVector>(int stride, int n, int* users, int* items, float* values, float* bu, float* bi, float* pu, float* qi, float mu, float lr, float reg)
        where TLanes : struct, ISgdLanes<TVector>
        where TVector : struct
    {
        var vectors = stride / TLanes.Width;
        return Math.Min(vectors, TLanes.MaxResident) switch
        {
            1 => Run<TLanes, TVector, V1>(stride, n, users, items, values, bu, bi, pu, qi, mu, lr, reg),
            2 => Run<TLanes, TVector, V2>(stride, n, users, items, values, bu, bi, pu, qi, mu, lr, reg),
            3 => Run<TLanes, TVector, V3>(stride, n, users, items, values, bu, bi, pu, qi, mu, lr, reg),
            4 => Run<TLanes, TVector, V4>(stride, n, users, items, values, bu, bi, pu, qi, mu, lr, reg),
            5 => Run<TLanes, TVector, V5>(stride, n, users, items, values, bu, bi, pu, qi, mu, lr, reg),
            6 => Run<TLanes, TVector, V6>(stride, n, users, items, values, bu, bi, pu, qi, mu, lr, reg),
            7 => Run<TLanes, TVector, V7>(stride, n, users, items, values, bu, bi, pu, qi, mu, lr, reg),
            8 => Run<TLanes, TVector, V8>(stride, n, users, items, values, bu, bi, pu, qi, mu, lr, reg),
            9 => Run<TLanes, TVector, V9>(stride, n, users, items, values, bu, bi, pu, qi, mu, lr, reg),
            10 => Run<TLanes, TVector, V10>(stride, n, users, items, values, bu, bi, pu, qi, mu, lr, reg),
            11 => Run<TLanes, TVector, V11>(stride, n, users, items, values, bu, bi, pu, qi, mu, lr, reg),
            12 => Run<TLanes, TVector, V12>(stride, n, users, items, values, bu, bi, pu, qi, mu, lr, reg),
            _ => throw new ArgumentOutOfRangeException(nameof(stride)),
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe double Run<TLanes, TVector, TResident>(int stride, int n, int* users, int* items, float* values, float* bu, float* bi, float* pu, float* qi, float mu, float lr, float reg)
        where TLanes : struct, ISgdLanes<TVector>
        where TVector : struct
        where TResident : struct, IVectorCount
    {
        var w = TLanes.Width;
        var resident = TResident.Count;
        var tail = resident * w;
        var hasTail = tail < stride;
        var decay = TLanes.Create(1f - (lr * reg));
        var minusLr = TLanes.Create(-lr);
        var inverseLr = 1f / lr;
        var zero = TLanes.Create(0f);
        double sse = 0;
        var k = 0;
        while (k < n)
        {
            var u = users[k];
            var p = pu + ((nint)u * stride);
            TVector p0 = TLanes.Load(p), p1 = zero, p2 = zero, p3 = zero, p4 = zero, p5 = zero, p6 = zero, p7 = zero, p8 = zero, p9 = zero, p10 = zero, p11 = zero;
            if (resident > 1) p1 = TLanes.Load(p + w);
            if (resident > 2) p2 = TLanes.Load(p + (2 * w));
            if (resident > 3) p3 = TLanes.Load(p + (3 * w));
            if (resident > 4) p4 = TLanes.Load(p + (4 * w));
            if (resident > 5) p5 = TLanes.Load(p + (5 * w));
            if (resident > 6) p6 = TLanes.Load(p + (6 * w));
            if (resident > 7) p7 = TLanes.Load(p + (7 * w));
            if (resident > 8) p8 = TLanes.Load(p + (8 * w));
            if (resident > 9) p9 = TLanes.Load(p + (9 * w));
            if (resident > 10) p10 = TLanes.Load(p + (10 * w));
            if (resident > 11) p11 = TLanes.Load(p + (11 * w));
            var userBias = bu[u];

            for (; k < n && users[k] == u; k++)
            {
                var i = items[k];
                var q = qi + ((nint)i * stride);
                Prefetch(qi + ((nint)items[Math.Min(k + PrefetchDistance, n - 1)] * stride), stride);

                // Two independent chains of fused multiply-adds, each product reading q straight from
                // memory: with 16 registers, four chains made the JIT spill partial sums to the stack,
                // which put a store and a reload on the dependency chain that bounds this loop.
                var d0 = TLanes.Multiply(p0, TLanes.Load(q));
                var d1 = resident > 1 ? TLanes.Multiply(p1, TLanes.Load(q + w)) : zero;
                if (resident > 2) d0 = TLanes.MultiplyAdd(p2, TLanes.Load(q + (2 * w)), d0);
                if (resident > 3) d1 = TLanes.MultiplyAdd(p3, TLanes.Load(q + (3 * w)), d1);
                if (resident > 4) d0 = TLanes.MultiplyAdd(p4, TLanes.Load(q + (4 * w)), d0);
                if (resident > 5) d1 = TLanes.MultiplyAdd(p5, TLanes.Load(q + (5 * w)), d1);
                if (resident > 6) d0 = TLanes.MultiplyAdd(p6, TLanes.Load(q + (6 * w)), d0);
                if (resident > 7) d1 = TLanes.MultiplyAdd(p7, TLanes.Load(q + (7 * w)), d1);
                if (resident > 8) d0 = TLanes.MultiplyAdd(p8, TLanes.Load(q + (8 * w)), d0);
                if (resident > 9) d1 = TLanes.MultiplyAdd(p9, TLanes.Load(q + (9 * w)), d1);
                if (resident > 10) d0 = TLanes.MultiplyAdd(p10, TLanes.Load(q + (10 * w)), d0);
                if (resident > 11) d1 = TLanes.MultiplyAdd(p11, TLanes.Load(q + (11 * w)), d1);
                var dot = TLanes.Add(d0, d1);
                if (hasTail)
                {
                    dot = TLanes.Add(dot, TailDot<TLanes, TVector>(p, q, tail, stride));
                }

                // γe in every lane; the first term does not wait for the dot product.
                var itemBias = bi[i];
                var known = TLanes.Create(lr * (values[k] - (mu + userBias + itemBias)));
                var s = TLanes.MultiplyAdd(minusLr, TLanes.SumToAllLanes(dot), known);
                var err = TLanes.ToScalar(s) * inverseLr;
                sse += err * err;
                userBias += lr * (err - (reg * userBias));
                bi[i] = itemBias + (lr * (err - (reg * itemBias)));

                if (hasTail)
                {
                    TailUpdate<TLanes, TVector>(p, q, tail, stride, s, decay);
                }

                p0 = Update<TLanes, TVector>(p0, q, s, decay);
                if (resident > 1) p1 = Update<TLanes, TVector>(p1, q + w, s, decay);
                if (resident > 2) p2 = Update<TLanes, TVector>(p2, q + (2 * w), s, decay);
                if (resident > 3) p3 = Update<TLanes, TVector>(p3, q + (3 * w), s, decay);
                if (resident > 4) p4 = Update<TLanes, TVector>(p4, q + (4 * w), s, decay);
                if (resident > 5) p5 = Update<TLanes, TVector>(p5, q + (5 * w), s, decay);
                if (resident > 6) p6 = Update<TLanes, TVector>(p6, q + (6 * w), s, decay);
                if (resident > 7) p7 = Update<TLanes, TVector>(p7, q + (7 * w), s, decay);
                if (resident > 8) p8 = Update<TLanes, TVector>(p8, q + (8 * w), s, decay);
                if (resident > 9) p9 = Update<TLanes, TVector>(p9, q + (9 * w), s, decay);
                if (resident > 10) p10 = Update<TLanes, TVector>(p10, q + (10 * w), s, decay);
                if (resident > 11) p11 = Update<TLanes, TVector>(p11, q + (11 * w), s, decay);
            }

            TLanes.Store(p0, p);
            if (resident > 1) TLanes.Store(p1, p + w);
            if (resident > 2) TLanes.Store(p2, p + (2 * w));
            if (resident > 3) TLanes.Store(p3, p + (3 * w));
            if (resident > 4) TLanes.Store(p4, p + (4 * w));
            if (resident > 5) TLanes.Store(p5, p + (5 * w));
            if (resident > 6) TLanes.Store(p6, p + (6 * w));
            if (resident > 7) TLanes.Store(p7, p + (7 * w));
            if (resident > 8) TLanes.Store(p8, p + (8 * w));
            if (resident > 9) TLanes.Store(p9, p + (9 * w));
            if (resident > 10) TLanes.Store(p10, p + (10 * w));
            if (resident > 11) TLanes.Store(p11, p + (11 * w));
            bu[u] = userBias;
        }

        return sse;
    }

    /// <summary>
    /// How many ratings ahead the item row is requested. At 10 M ratings the ratings and user rows streamed
    /// through each epoch push the item rows out of the caches, so each rating waits for memory; asking
    /// four ratings ahead took the AVX2 loop from about 80 to about 45 ns per rating (2, 3, 6, 8: no better).
    /// </summary>
    private const int PrefetchDistance = 4;

    /// <summary>Asks for an item row that a coming rating will read (x64 only: .NET has no ARM64 prefetch).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Prefetch(float* row, int stride)
    {
        if (Sse.IsSupported)
        {
            var bytes = (byte*)row;
            for (var offset = 0; offset < stride * sizeof(float); offset += 64)
            {
                Sse.Prefetch0(bytes + offset);
            }

            Sse.Prefetch0(bytes + (stride * sizeof(float)) - 1);
        }
    }

    /// <summary>q ← q(1 − γλ) + γe·p in memory; returns p(1 − γλ) + γe·q, both from the old values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe TVector Update<TLanes, TVector>(TVector p, float* q, TVector s, TVector decay)
        where TLanes : struct, ISgdLanes<TVector>
        where TVector : struct
    {
        var qv = TLanes.Load(q);
        TLanes.Store(TLanes.MultiplyAdd(p, s, TLanes.Multiply(qv, decay)), q);
        return TLanes.MultiplyAdd(qv, s, TLanes.Multiply(p, decay));
    }

    /// <summary>The dot product of the row parts kept in memory, in two chains.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe TVector TailDot<TLanes, TVector>(float* p, float* q, int from, int stride)
        where TLanes : struct, ISgdLanes<TVector>
        where TVector : struct
    {
        var w = TLanes.Width;
        var a = TLanes.Multiply(TLanes.Load(p + from), TLanes.Load(q + from));
        var b = TLanes.Create(0f);
        var f = from + w;
        for (; f + w < stride; f += 2 * w)
        {
            b = TLanes.MultiplyAdd(TLanes.Load(p + f), TLanes.Load(q + f), b);
            a = TLanes.MultiplyAdd(TLanes.Load(p + f + w), TLanes.Load(q + f + w), a);
        }

        if (f < stride)
        {
            b = TLanes.MultiplyAdd(TLanes.Load(p + f), TLanes.Load(q + f), b);
        }

        return TLanes.Add(a, b);
    }

    /// <summary>The update of the row parts kept in memory.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void TailUpdate<TLanes, TVector>(float* p, float* q, int from, int stride, TVector s, TVector decay)
        where TLanes : struct, ISgdLanes<TVector>
        where TVector : struct
    {
        for (var f = from; f < stride; f += TLanes.Width)
        {
            TLanes.Store(Update<TLanes, TVector>(TLanes.Load(p + f), q + f, s, decay), p + f);
        }
    }
}
