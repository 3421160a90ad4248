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
        FunkSvdRegisterKernel.Dispatch<Paired>(stride, n, users, items, values, bu, bi, pu, qi, mu, lr, reg);

    private readonly struct Paired : FunkSvdRegisterKernel.ILoop
    {
        public static unsafe double Run<TCount>(int n, int* users, int* items, float* values, float* bu, float* bi, float* pu, float* qi, float mu, float lr, float reg)
            where TCount : struct, IVectorCount => FunkSvdPairKernel.Run<TCount>(n, users, items, values, bu, bi, pu, qi, mu, lr, reg);
    }

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

        var step = new FunkSvdRegisterKernel.Step(mu, lr, reg);
        double sse = 0;
        int a = 0, b = mid;
        int ua = users[a], ub = users[b];
        float biasA = bu[ua], biasB = bu[ub];
        Vector512<float> a0, a1, a2, a3, a4, a5, a6, a7, b0, b1, b2, b3, b4, b5, b6, b7;
        FunkSvdRegisterKernel.Load<TCount>(pu + ((nint)ua * stride), out a0, out a1, out a2, out a3, out a4, out a5, out a6, out a7);
        FunkSvdRegisterKernel.Load<TCount>(pu + ((nint)ub * stride), out b0, out b1, out b2, out b3, out b4, out b5, out b6, out b7);
        while (a < mid && b < n)
        {
            if (users[a] != ua)
            {
                FunkSvdRegisterKernel.Store<TCount>(pu + ((nint)ua * stride), a0, a1, a2, a3, a4, a5, a6, a7);
                bu[ua] = biasA;
                ua = users[a];
                biasA = bu[ua];
                FunkSvdRegisterKernel.Load<TCount>(pu + ((nint)ua * stride), out a0, out a1, out a2, out a3, out a4, out a5, out a6, out a7);
            }

            var errA = FunkSvdRegisterKernel.Rate<TCount>(ref a0, ref a1, ref a2, ref a3, ref a4, ref a5, ref a6, ref a7, ref biasA, items[a], values[a], bi, qi, step);
            sse += errA * errA;
            a++;

            if (users[b] != ub)
            {
                FunkSvdRegisterKernel.Store<TCount>(pu + ((nint)ub * stride), b0, b1, b2, b3, b4, b5, b6, b7);
                bu[ub] = biasB;
                ub = users[b];
                biasB = bu[ub];
                FunkSvdRegisterKernel.Load<TCount>(pu + ((nint)ub * stride), out b0, out b1, out b2, out b3, out b4, out b5, out b6, out b7);
            }

            var errB = FunkSvdRegisterKernel.Rate<TCount>(ref b0, ref b1, ref b2, ref b3, ref b4, ref b5, ref b6, ref b7, ref biasB, items[b], values[b], bi, qi, step);
            sse += errB * errB;
            b++;
        }

        FunkSvdRegisterKernel.Store<TCount>(pu + ((nint)ua * stride), a0, a1, a2, a3, a4, a5, a6, a7);
        bu[ua] = biasA;
        FunkSvdRegisterKernel.Store<TCount>(pu + ((nint)ub * stride), b0, b1, b2, b3, b4, b5, b6, b7);
        bu[ub] = biasB;

        // The longer half's rest, alone (its current user's row and bias are back in memory, where the kernel reads them).
        sse += FunkSvdRegisterKernel.RunEpoch(stride, mid - a, users + a, items + a, values + a, bu, bi, pu, qi, mu, lr, reg);
        sse += FunkSvdRegisterKernel.RunEpoch(stride, n - b, users + b, items + b, values + b, bu, bi, pu, qi, mu, lr, reg);
        return sse;
    }
}
