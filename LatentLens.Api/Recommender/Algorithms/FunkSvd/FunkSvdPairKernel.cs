using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>
/// The FunkSvd ratings of one block of the parallel schedule (<see cref="SgdBlocks"/>) as two interleaved streams:
/// the block's users cut in two halves at a user boundary, one rating of the first half, then one of the second, in
/// turn, then the rest of the longer half alone. Each half keeps its user's row in registers as
/// <see cref="FunkSvdRegisterKernel"/> does, with the same arithmetic.
/// </summary>
/// <remarks>
/// Why: one rating's update feeds the next rating's dot product of the same user, so the register kernel waits on a
/// chain of about 45 cycles per rating (products, the lane sum, the step, the row update) while the core sits mostly
/// idle. Two users' chains are independent: the core runs them side by side. The order is a fixed one (deterministic:
/// the same block gives the same result bit for bit), and sequential: when both halves rate the same item, the second
/// rating reads the item row the first one wrote. It is not Surprise's order, which only the single-threaded loop keeps
/// (<see cref="SgdOptions.Threads"/> = 1); blocks are already trained in an order of their own.
/// </remarks>
internal static class FunkSvdPairKernel
{
    public static bool Supports(int stride) => FunkSvdRegisterKernel.Supports(stride);

    /// <summary>Where the second half of <paramref name="n"/> ratings grouped by user starts: the first user boundary at or after n/2 (n when there is none).</summary>
    public static unsafe int SecondHalf(int n, int* users)
    {
        var mid = n / 2;
        while (mid > 0 && mid < n && users[mid] == users[mid - 1])
        {
            mid++;
        }

        return mid;
    }

    public static unsafe double RunBlock(int stride, int n, int* users, int* items, float* values, float* bu, float* bi, float* pu, float* qi, float mu, float lr, float reg) =>
        (stride / 16) switch
        {
            1 => Run<V1>(n, users, items, values, bu, bi, pu, qi, mu, lr, reg),
            2 => Run<V2>(n, users, items, values, bu, bi, pu, qi, mu, lr, reg),
            3 => Run<V3>(n, users, items, values, bu, bi, pu, qi, mu, lr, reg),
            4 => Run<V4>(n, users, items, values, bu, bi, pu, qi, mu, lr, reg),
            5 => Run<V5>(n, users, items, values, bu, bi, pu, qi, mu, lr, reg),
            6 => Run<V6>(n, users, items, values, bu, bi, pu, qi, mu, lr, reg),
            7 => Run<V7>(n, users, items, values, bu, bi, pu, qi, mu, lr, reg),
            8 => Run<V8>(n, users, items, values, bu, bi, pu, qi, mu, lr, reg),
            _ => throw new ArgumentOutOfRangeException(nameof(stride)),
        };

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe double Run<TCount>(int n, int* users, int* items, float* values, float* bu, float* bi, float* pu, float* qi, float mu, float lr, float reg)
        where TCount : struct, IVectorCount
    {
        var stride = TCount.Count * 16;
        var mid = SecondHalf(n, users);
        if (mid <= 0 || mid >= n)
        {
            return FunkSvdRegisterKernel.RunEpoch(stride, n, users, items, values, bu, bi, pu, qi, mu, lr, reg);
        }

        var step = new Step(mu, lr, reg);
        double sse = 0;
        int a = 0, b = mid;
        int ua = users[a], ub = users[b];
        float biasA = bu[ua], biasB = bu[ub];
        Vector512<float> a0, a1, a2, a3, a4, a5, a6, a7, b0, b1, b2, b3, b4, b5, b6, b7;
        Load<TCount>(pu + ((nint)ua * stride), out a0, out a1, out a2, out a3, out a4, out a5, out a6, out a7);
        Load<TCount>(pu + ((nint)ub * stride), out b0, out b1, out b2, out b3, out b4, out b5, out b6, out b7);
        while (a < mid && b < n)
        {
            if (users[a] != ua)
            {
                Store<TCount>(pu + ((nint)ua * stride), a0, a1, a2, a3, a4, a5, a6, a7);
                bu[ua] = biasA;
                ua = users[a];
                biasA = bu[ua];
                Load<TCount>(pu + ((nint)ua * stride), out a0, out a1, out a2, out a3, out a4, out a5, out a6, out a7);
            }

            var errA = Rate<TCount>(ref a0, ref a1, ref a2, ref a3, ref a4, ref a5, ref a6, ref a7, ref biasA, items[a], values[a], bi, qi, step);
            sse += errA * errA;
            a++;

            if (users[b] != ub)
            {
                Store<TCount>(pu + ((nint)ub * stride), b0, b1, b2, b3, b4, b5, b6, b7);
                bu[ub] = biasB;
                ub = users[b];
                biasB = bu[ub];
                Load<TCount>(pu + ((nint)ub * stride), out b0, out b1, out b2, out b3, out b4, out b5, out b6, out b7);
            }

            var errB = Rate<TCount>(ref b0, ref b1, ref b2, ref b3, ref b4, ref b5, ref b6, ref b7, ref biasB, items[b], values[b], bi, qi, step);
            sse += errB * errB;
            b++;
        }

        Store<TCount>(pu + ((nint)ua * stride), a0, a1, a2, a3, a4, a5, a6, a7);
        bu[ua] = biasA;
        Store<TCount>(pu + ((nint)ub * stride), b0, b1, b2, b3, b4, b5, b6, b7);
        bu[ub] = biasB;

        // The longer half's rest, alone (its current user's row and bias are back in memory, where the kernel reads them).
        sse += FunkSvdRegisterKernel.RunEpoch(stride, mid - a, users + a, items + a, values + a, bu, bi, pu, qi, mu, lr, reg);
        sse += FunkSvdRegisterKernel.RunEpoch(stride, n - b, users + b, items + b, values + b, bu, bi, pu, qi, mu, lr, reg);
        return sse;
    }

    /// <summary>One rating with <see cref="FunkSvdRegisterKernel"/>'s arithmetic: the item's row and bias in memory, the user's in registers. Returns the error.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float Rate<TCount>(
        ref Vector512<float> p0, ref Vector512<float> p1, ref Vector512<float> p2, ref Vector512<float> p3,
        ref Vector512<float> p4, ref Vector512<float> p5, ref Vector512<float> p6, ref Vector512<float> p7,
        ref float userBias, int i, float value, float* bi, float* qi, in Step step)
        where TCount : struct, IVectorCount
    {
        var count = TCount.Count;
        var q = qi + ((nint)i * count * 16);
        var zero = Vector512<float>.Zero;
        Vector512<float> q0 = Vector512.Load(q), q1 = zero, q2 = zero, q3 = zero, q4 = zero, q5 = zero, q6 = zero, q7 = zero;
        if (count > 1) q1 = Vector512.Load(q + 16);
        if (count > 2) q2 = Vector512.Load(q + 32);
        if (count > 3) q3 = Vector512.Load(q + 48);
        if (count > 4) q4 = Vector512.Load(q + 64);
        if (count > 5) q5 = Vector512.Load(q + 80);
        if (count > 6) q6 = Vector512.Load(q + 96);
        if (count > 7) q7 = Vector512.Load(q + 112);

        var dot = p0 * q0;
        if (count > 1) dot += p1 * q1;
        var dot2 = count > 2 ? p2 * q2 : zero;
        if (count > 3) dot2 += p3 * q3;
        var dot3 = count > 4 ? p4 * q4 : zero;
        if (count > 5) dot3 += p5 * q5;
        var dot4 = count > 6 ? p6 * q6 : zero;
        if (count > 7) dot4 += p7 * q7;

        var itemBias = bi[i];
        var (lr, reg) = (step.LearningRate, step.Regularization);
        var known = Vector512.Create(lr * (value - (step.Mean + userBias + itemBias)));
        var s = Vector512.FusedMultiplyAdd(step.MinusLr, FunkSvdRegisterKernel.SumToAllLanes((dot + dot2) + (dot3 + dot4)), known);
        var err = s.ToScalar() * step.InverseLr;
        userBias += lr * (err - (reg * userBias));
        bi[i] = itemBias + (lr * (err - (reg * itemBias)));

        var decay = step.Decay;
        Vector512.FusedMultiplyAdd(p0, s, q0 * decay).Store(q);
        p0 = Vector512.FusedMultiplyAdd(q0, s, p0 * decay);
        if (count > 1) { Vector512.FusedMultiplyAdd(p1, s, q1 * decay).Store(q + 16); p1 = Vector512.FusedMultiplyAdd(q1, s, p1 * decay); }
        if (count > 2) { Vector512.FusedMultiplyAdd(p2, s, q2 * decay).Store(q + 32); p2 = Vector512.FusedMultiplyAdd(q2, s, p2 * decay); }
        if (count > 3) { Vector512.FusedMultiplyAdd(p3, s, q3 * decay).Store(q + 48); p3 = Vector512.FusedMultiplyAdd(q3, s, p3 * decay); }
        if (count > 4) { Vector512.FusedMultiplyAdd(p4, s, q4 * decay).Store(q + 64); p4 = Vector512.FusedMultiplyAdd(q4, s, p4 * decay); }
        if (count > 5) { Vector512.FusedMultiplyAdd(p5, s, q5 * decay).Store(q + 80); p5 = Vector512.FusedMultiplyAdd(q5, s, p5 * decay); }
        if (count > 6) { Vector512.FusedMultiplyAdd(p6, s, q6 * decay).Store(q + 96); p6 = Vector512.FusedMultiplyAdd(q6, s, p6 * decay); }
        if (count > 7) { Vector512.FusedMultiplyAdd(p7, s, q7 * decay).Store(q + 112); p7 = Vector512.FusedMultiplyAdd(q7, s, p7 * decay); }
        return err;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Load<TCount>(
        float* p, out Vector512<float> p0, out Vector512<float> p1, out Vector512<float> p2, out Vector512<float> p3,
        out Vector512<float> p4, out Vector512<float> p5, out Vector512<float> p6, out Vector512<float> p7)
        where TCount : struct, IVectorCount
    {
        var count = TCount.Count;
        var zero = Vector512<float>.Zero;
        p0 = Vector512.Load(p);
        p1 = count > 1 ? Vector512.Load(p + 16) : zero;
        p2 = count > 2 ? Vector512.Load(p + 32) : zero;
        p3 = count > 3 ? Vector512.Load(p + 48) : zero;
        p4 = count > 4 ? Vector512.Load(p + 64) : zero;
        p5 = count > 5 ? Vector512.Load(p + 80) : zero;
        p6 = count > 6 ? Vector512.Load(p + 96) : zero;
        p7 = count > 7 ? Vector512.Load(p + 112) : zero;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store<TCount>(
        float* p, Vector512<float> p0, Vector512<float> p1, Vector512<float> p2, Vector512<float> p3,
        Vector512<float> p4, Vector512<float> p5, Vector512<float> p6, Vector512<float> p7)
        where TCount : struct, IVectorCount
    {
        var count = TCount.Count;
        p0.Store(p);
        if (count > 1) p1.Store(p + 16);
        if (count > 2) p2.Store(p + 32);
        if (count > 3) p3.Store(p + 48);
        if (count > 4) p4.Store(p + 64);
        if (count > 5) p5.Store(p + 80);
        if (count > 6) p6.Store(p + 96);
        if (count > 7) p7.Store(p + 112);
    }

    /// <summary>The constants of a step, computed once per block.</summary>
    private readonly struct Step(float mu, float lr, float reg)
    {
        public float Mean { get; } = mu;

        public float LearningRate { get; } = lr;

        public float Regularization { get; } = reg;

        public float InverseLr { get; } = 1f / lr;

        public Vector512<float> Decay { get; } = Vector512.Create(1f - (lr * reg));

        public Vector512<float> MinusLr { get; } = Vector512.Create(-lr);
    }
}
