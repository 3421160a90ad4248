using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>The arrays and hyper-parameters of one FunkSvd epoch, as the kernels take them.</summary>
internal readonly unsafe struct SgdEpoch
{
    public required int Count { get; init; }

    public required int* Users { get; init; }

    public required int* Items { get; init; }

    public required float* Values { get; init; }

    public required float* UserBias { get; init; }

    public required float* ItemBias { get; init; }

    public required float* UserFactors { get; init; }

    public required float* ItemFactors { get; init; }

    public required int Stride { get; init; }

    public required float Mean { get; init; }

    public required float LearningRate { get; init; }

    public required float Regularization { get; init; }
}

/// <summary>
/// The FunkSvd epoch for any row length and any vector width (<see cref="ISgdLanes{TVector}"/>): AVX2,
/// 128-bit (ARM64 NEON, SSE) and AVX-512 beyond 128 factors. The first vectors of the user's row stay in
/// registers for all of that user's ratings (as many as the register file holds beside the working set,
/// <see cref="ISgdLanes{TVector}.MaxResident"/>), the rest of the row is read and written in L1 per
/// rating. At 100 factors on AVX2 the row is 13 vectors: 9 in registers, 4 in memory.
/// </summary>
/// <remarks>
/// <para>What changed from the loop that was written out as Surprise's rule, and why:</para>
/// <list type="bullet">
/// <item>The user's weight decay without multiplies. The update p ← p(1 − γλ) + γe·q costs a multiply and
/// a fused multiply-add per vector; keeping the user's row as a scale times a stored row, p = α·p̃, turns the
/// decay into one scalar multiply per rating (α' = α(1 − γλ)) and the update into one fused multiply-add,
/// p̃ ← p̃ + (γe/α')·q; the item's update is q ← q(1 − γλ) + (γe·α)·p̃, both from the old rows as Surprise's
/// rule says, and the prediction's dot product is α(p̃·q). α is folded into the row when the user ends (so the
/// row in memory is always plain); a user with more ratings than (1 − γλ)^run ≥ <see cref="FoldBelow"/> allows
/// is taken in runs of that many (138,000 at Surprise's defaults), so the loop never tests for it.</item>
/// <item>No scalar round trip for the step: with the residual ρ = r − μ − b_u − b_i, γe/α' and γe·α are each one
/// fused multiply-add on the lane sum of p̃·q, their other terms computed while the dot product runs; e = ρ − α(p̃·q)
/// feeds the biases and the running RMSE.</item>
/// <item>The row length is a type (<see cref="IVectorCount"/>): the JIT does not unroll loops, even with a constant
/// trip count, so the part of the row in memory and the prefetch are written out and guarded by constants.</item>
/// </list>
/// <para>
/// In exact arithmetic this is Surprise's update; in float32 each rating's results differ from the written-out
/// order by a few ulps, far inside the known-answer tests' tolerance (<c>FunkSvdKernelPathTests</c> runs them on
/// every path). <see cref="Supports"/> refuses γλ ≥ 0.5 (such a decay diverges anyway); FunkSvd then runs the
/// scalar loop. Tried and dropped (docs/benchmarks.md §15): the whole row in registers with the item's decay also
/// folded into a per-item scale (the JIT then spilled three of the row's vectors per rating: slower); four dot
/// chains instead of two (no faster: the loop is not bound by that chain here, see §15).
/// </para>
/// </remarks>
internal static class FunkSvdLanesKernel
{
    /// <summary>The user's row scale never falls below this: the row is folded before (no underflow, no huge stored rows).</summary>
    public const float FoldBelow = 1f / (1 << 20);

    /// <summary>
    /// How many ratings the user's scale α = decayⁿ can span before it would fall below <see cref="FoldBelow"/>
    /// (without regularization the decay is 1 and α never moves: no limit).
    /// </summary>
    public static int RunLength(float decay) =>
        decay >= 1f ? int.MaxValue : (int)Math.Clamp(Math.Floor(Math.Log(FoldBelow) / Math.Log(decay)), 1, int.MaxValue);

    /// <summary>Whether the scaled updates are safe for these hyper-parameters (the decay 1 − γλ must stay well above zero).</summary>
    public static bool Supports(float learningRate, float regularization) => learningRate * regularization < 0.5f;

    /// <summary>
    /// How many ratings ahead the item row is requested. At 10 M ratings the ratings and user rows streamed
    /// through each epoch push the item rows out of the caches, so each rating waits for memory; asking
    /// four ratings ahead took the AVX2 loop from about 80 to about 45 ns per rating (2, 3, 6, 8: no better).
    /// </summary>
    private const int PrefetchDistance = 4;

    public static double RunEpoch<TLanes, TVector>(in SgdEpoch epoch)
        where TLanes : struct, ISgdLanes<TVector>
        where TVector : struct
    {
        if (epoch.Stride % TLanes.Width != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(epoch), epoch.Stride, $"the row stride must be a whole number of {TLanes.Width}-float vectors");
        }

        if (!Supports(epoch.LearningRate, epoch.Regularization))
        {
            throw new ArgumentOutOfRangeException(nameof(epoch), "learning rate × regularization must be below 0.5 for the scaled updates (FunkSvd runs the scalar loop then)");
        }

        var run = new Runner<TLanes, TVector> { Epoch = epoch };
        return VectorCounts.Dispatch<Runner<TLanes, TVector>, double>(epoch.Stride / TLanes.Width, ref run);
    }

    private struct Runner<TLanes, TVector> : IVectorCountAction<double>
        where TLanes : struct, ISgdLanes<TVector>
        where TVector : struct
    {
        public SgdEpoch Epoch;

        public readonly double Run<TCount>()
            where TCount : struct, IVectorCount => Run<TLanes, TVector, TCount>(Epoch);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe double Run<TLanes, TVector, TCount>(in SgdEpoch epoch)
        where TLanes : struct, ISgdLanes<TVector>
        where TVector : struct
        where TCount : struct, IVectorCount
    {
        var w = TLanes.Width;

        // Constants when TCount names the count: every guard on them below folds away.
        var count = TCount.Count == 0 ? epoch.Stride / w : TCount.Count;
        var stride = count * w;
        var resident = Math.Min(count, Math.Min(TLanes.MaxResident, NamedResident));
        int n = epoch.Count;
        int* users = epoch.Users, items = epoch.Items;
        float* values = epoch.Values, bu = epoch.UserBias, bi = epoch.ItemBias, pu = epoch.UserFactors, qi = epoch.ItemFactors;
        float mu = epoch.Mean, lr = epoch.LearningRate, reg = epoch.Regularization;
        var decay = 1f - (lr * reg);
        var decayVector = TLanes.Create(decay);
        var minusLrOverDecay = TLanes.Create(-lr / decay);

        // α = (1 − γλ)^(ratings so far) must stay above FoldBelow: a user with more ratings than this is taken
        // in runs of this many (the row is folded and reloaded between runs), so the loop has no test for it.
        var maxRun = RunLength(decay);
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
            var alpha = 1f;
            var end = (int)Math.Min(n, (long)k + maxRun);

            for (; k < end && users[k] == u; k++)
            {
                var i = items[k];
                var q = qi + ((nint)i * stride);
                Prefetch(qi + ((nint)items[Math.Min(k + PrefetchDistance, n - 1)] * stride), stride);

                // p̃·q in two independent chains of fused multiply-adds, each product reading q straight from memory.
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
                TailDot<TLanes, TVector>(p, q, resident, count, ref d0, ref d1);
                var dot = TLanes.SumToAllLanes(TLanes.Add(d0, d1));

                // With e = r − μ − b_u − b_i − α(p̃·q) the updates need γe/α' and γe·α in every lane: each is one
                // fused multiply-add on the lane sum, its other terms computed while the dot product runs.
                var itemBias = bi[i];
                var residual = values[k] - (mu + userBias + itemBias);
                var newAlpha = alpha * decay;
                var newInverseAlpha = 1f / newAlpha; // divided, not carried: a carried 1/α would drift by an ulp per rating
                var toUser = TLanes.MultiplyAdd(minusLrOverDecay, dot, TLanes.Create(lr * residual * newInverseAlpha));
                var toItem = TLanes.MultiplyAdd(TLanes.Create(-lr * alpha * alpha), dot, TLanes.Create(lr * alpha * residual));
                var err = residual - (alpha * TLanes.ToScalar(dot));
                sse += err * err;
                userBias += lr * (err - (reg * userBias));
                bi[i] = itemBias + (lr * (err - (reg * itemBias)));

                // q ← q(1 − γλ) + (γe·α)·p̃ and p̃ ← p̃ + (γe/α')·q, both from the old rows.
                p0 = Update<TLanes, TVector>(p0, q, toUser, toItem, decayVector);
                if (resident > 1) p1 = Update<TLanes, TVector>(p1, q + w, toUser, toItem, decayVector);
                if (resident > 2) p2 = Update<TLanes, TVector>(p2, q + (2 * w), toUser, toItem, decayVector);
                if (resident > 3) p3 = Update<TLanes, TVector>(p3, q + (3 * w), toUser, toItem, decayVector);
                if (resident > 4) p4 = Update<TLanes, TVector>(p4, q + (4 * w), toUser, toItem, decayVector);
                if (resident > 5) p5 = Update<TLanes, TVector>(p5, q + (5 * w), toUser, toItem, decayVector);
                if (resident > 6) p6 = Update<TLanes, TVector>(p6, q + (6 * w), toUser, toItem, decayVector);
                if (resident > 7) p7 = Update<TLanes, TVector>(p7, q + (7 * w), toUser, toItem, decayVector);
                if (resident > 8) p8 = Update<TLanes, TVector>(p8, q + (8 * w), toUser, toItem, decayVector);
                if (resident > 9) p9 = Update<TLanes, TVector>(p9, q + (9 * w), toUser, toItem, decayVector);
                if (resident > 10) p10 = Update<TLanes, TVector>(p10, q + (10 * w), toUser, toItem, decayVector);
                if (resident > 11) p11 = Update<TLanes, TVector>(p11, q + (11 * w), toUser, toItem, decayVector);
                TailUpdate<TLanes, TVector>(p, q, resident, count, toUser, toItem, decayVector);

                alpha = newAlpha;
            }

            // The user (or a run of MaxRun of its ratings) ends: fold α into the row, p = α·p̃.
            var scale = TLanes.Create(alpha);
            TLanes.Store(TLanes.Multiply(p0, scale), p);
            if (resident > 1) TLanes.Store(TLanes.Multiply(p1, scale), p + w);
            if (resident > 2) TLanes.Store(TLanes.Multiply(p2, scale), p + (2 * w));
            if (resident > 3) TLanes.Store(TLanes.Multiply(p3, scale), p + (3 * w));
            if (resident > 4) TLanes.Store(TLanes.Multiply(p4, scale), p + (4 * w));
            if (resident > 5) TLanes.Store(TLanes.Multiply(p5, scale), p + (5 * w));
            if (resident > 6) TLanes.Store(TLanes.Multiply(p6, scale), p + (6 * w));
            if (resident > 7) TLanes.Store(TLanes.Multiply(p7, scale), p + (7 * w));
            if (resident > 8) TLanes.Store(TLanes.Multiply(p8, scale), p + (8 * w));
            if (resident > 9) TLanes.Store(TLanes.Multiply(p9, scale), p + (9 * w));
            if (resident > 10) TLanes.Store(TLanes.Multiply(p10, scale), p + (10 * w));
            if (resident > 11) TLanes.Store(TLanes.Multiply(p11, scale), p + (11 * w));
            ScaleRow<TLanes, TVector>(p, resident * w, stride, alpha);
            bu[u] = userBias;
        }

        return sse;
    }

    /// <summary>Asks for an item row that a coming rating will read (x64 only: .NET has no ARM64 prefetch).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Prefetch(float* row, int stride)
    {
        if (!Sse.IsSupported)
        {
            return;
        }

        // One request per cache line the row can touch: its first byte of each 64, and its last byte.
        // Written out for rows of up to 8 lines (the stride is a constant here, so the tests fold away).
        var bytes = (byte*)row;
        var length = stride * sizeof(float);
        if (length <= 8 * 64)
        {
            Sse.Prefetch0(bytes);
            if (length > 64) Sse.Prefetch0(bytes + 64);
            if (length > 128) Sse.Prefetch0(bytes + 128);
            if (length > 192) Sse.Prefetch0(bytes + 192);
            if (length > 256) Sse.Prefetch0(bytes + 256);
            if (length > 320) Sse.Prefetch0(bytes + 320);
            if (length > 384) Sse.Prefetch0(bytes + 384);
            if (length > 448) Sse.Prefetch0(bytes + 448);
        }
        else
        {
            for (var offset = 0; offset < length; offset += 64)
            {
                Sse.Prefetch0(bytes + offset);
            }
        }

        Sse.Prefetch0(bytes + length - 1);
    }

    /// <summary>The row parts written out vector by vector: the JIT does not unroll loops, even with a constant trip count.</summary>
    private const int UnrolledTail = 16;

    /// <summary>The kernel's named registers for the user's row (p0 … p11): no more of the row can be resident.</summary>
    private const int NamedResident = 12;

    /// <summary>Adds the products of the row parts kept in memory (vectors [from, count)) to the two partial sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void TailDot<TLanes, TVector>(float* p, float* q, int from, int count, ref TVector d0, ref TVector d1)
        where TLanes : struct, ISgdLanes<TVector>
        where TVector : struct
    {
        var w = TLanes.Width;
        var tail = count - from;
        if (tail > 0) d0 = TLanes.MultiplyAdd(TLanes.Load(p + ((from + 0) * w)), TLanes.Load(q + ((from + 0) * w)), d0);
        if (tail > 1) d1 = TLanes.MultiplyAdd(TLanes.Load(p + ((from + 1) * w)), TLanes.Load(q + ((from + 1) * w)), d1);
        if (tail > 2) d0 = TLanes.MultiplyAdd(TLanes.Load(p + ((from + 2) * w)), TLanes.Load(q + ((from + 2) * w)), d0);
        if (tail > 3) d1 = TLanes.MultiplyAdd(TLanes.Load(p + ((from + 3) * w)), TLanes.Load(q + ((from + 3) * w)), d1);
        if (tail > 4) d0 = TLanes.MultiplyAdd(TLanes.Load(p + ((from + 4) * w)), TLanes.Load(q + ((from + 4) * w)), d0);
        if (tail > 5) d1 = TLanes.MultiplyAdd(TLanes.Load(p + ((from + 5) * w)), TLanes.Load(q + ((from + 5) * w)), d1);
        if (tail > 6) d0 = TLanes.MultiplyAdd(TLanes.Load(p + ((from + 6) * w)), TLanes.Load(q + ((from + 6) * w)), d0);
        if (tail > 7) d1 = TLanes.MultiplyAdd(TLanes.Load(p + ((from + 7) * w)), TLanes.Load(q + ((from + 7) * w)), d1);
        if (tail > 8) d0 = TLanes.MultiplyAdd(TLanes.Load(p + ((from + 8) * w)), TLanes.Load(q + ((from + 8) * w)), d0);
        if (tail > 9) d1 = TLanes.MultiplyAdd(TLanes.Load(p + ((from + 9) * w)), TLanes.Load(q + ((from + 9) * w)), d1);
        if (tail > 10) d0 = TLanes.MultiplyAdd(TLanes.Load(p + ((from + 10) * w)), TLanes.Load(q + ((from + 10) * w)), d0);
        if (tail > 11) d1 = TLanes.MultiplyAdd(TLanes.Load(p + ((from + 11) * w)), TLanes.Load(q + ((from + 11) * w)), d1);
        if (tail > 12) d0 = TLanes.MultiplyAdd(TLanes.Load(p + ((from + 12) * w)), TLanes.Load(q + ((from + 12) * w)), d0);
        if (tail > 13) d1 = TLanes.MultiplyAdd(TLanes.Load(p + ((from + 13) * w)), TLanes.Load(q + ((from + 13) * w)), d1);
        if (tail > 14) d0 = TLanes.MultiplyAdd(TLanes.Load(p + ((from + 14) * w)), TLanes.Load(q + ((from + 14) * w)), d0);
        if (tail > 15) d1 = TLanes.MultiplyAdd(TLanes.Load(p + ((from + 15) * w)), TLanes.Load(q + ((from + 15) * w)), d1);
        for (var v = from + UnrolledTail; v < count; v++)
        {
            d0 = TLanes.MultiplyAdd(TLanes.Load(p + (v * w)), TLanes.Load(q + (v * w)), d0);
        }
    }

    /// <summary>The update of the row parts kept in memory (vectors [from, count)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void TailUpdate<TLanes, TVector>(float* p, float* q, int from, int count, TVector toUser, TVector toItem, TVector decay)
        where TLanes : struct, ISgdLanes<TVector>
        where TVector : struct
    {
        var w = TLanes.Width;
        var tail = count - from;
        if (tail > 0) TLanes.Store(Update<TLanes, TVector>(TLanes.Load(p + ((from + 0) * w)), q + ((from + 0) * w), toUser, toItem, decay), p + ((from + 0) * w));
        if (tail > 1) TLanes.Store(Update<TLanes, TVector>(TLanes.Load(p + ((from + 1) * w)), q + ((from + 1) * w), toUser, toItem, decay), p + ((from + 1) * w));
        if (tail > 2) TLanes.Store(Update<TLanes, TVector>(TLanes.Load(p + ((from + 2) * w)), q + ((from + 2) * w), toUser, toItem, decay), p + ((from + 2) * w));
        if (tail > 3) TLanes.Store(Update<TLanes, TVector>(TLanes.Load(p + ((from + 3) * w)), q + ((from + 3) * w), toUser, toItem, decay), p + ((from + 3) * w));
        if (tail > 4) TLanes.Store(Update<TLanes, TVector>(TLanes.Load(p + ((from + 4) * w)), q + ((from + 4) * w), toUser, toItem, decay), p + ((from + 4) * w));
        if (tail > 5) TLanes.Store(Update<TLanes, TVector>(TLanes.Load(p + ((from + 5) * w)), q + ((from + 5) * w), toUser, toItem, decay), p + ((from + 5) * w));
        if (tail > 6) TLanes.Store(Update<TLanes, TVector>(TLanes.Load(p + ((from + 6) * w)), q + ((from + 6) * w), toUser, toItem, decay), p + ((from + 6) * w));
        if (tail > 7) TLanes.Store(Update<TLanes, TVector>(TLanes.Load(p + ((from + 7) * w)), q + ((from + 7) * w), toUser, toItem, decay), p + ((from + 7) * w));
        if (tail > 8) TLanes.Store(Update<TLanes, TVector>(TLanes.Load(p + ((from + 8) * w)), q + ((from + 8) * w), toUser, toItem, decay), p + ((from + 8) * w));
        if (tail > 9) TLanes.Store(Update<TLanes, TVector>(TLanes.Load(p + ((from + 9) * w)), q + ((from + 9) * w), toUser, toItem, decay), p + ((from + 9) * w));
        if (tail > 10) TLanes.Store(Update<TLanes, TVector>(TLanes.Load(p + ((from + 10) * w)), q + ((from + 10) * w), toUser, toItem, decay), p + ((from + 10) * w));
        if (tail > 11) TLanes.Store(Update<TLanes, TVector>(TLanes.Load(p + ((from + 11) * w)), q + ((from + 11) * w), toUser, toItem, decay), p + ((from + 11) * w));
        if (tail > 12) TLanes.Store(Update<TLanes, TVector>(TLanes.Load(p + ((from + 12) * w)), q + ((from + 12) * w), toUser, toItem, decay), p + ((from + 12) * w));
        if (tail > 13) TLanes.Store(Update<TLanes, TVector>(TLanes.Load(p + ((from + 13) * w)), q + ((from + 13) * w), toUser, toItem, decay), p + ((from + 13) * w));
        if (tail > 14) TLanes.Store(Update<TLanes, TVector>(TLanes.Load(p + ((from + 14) * w)), q + ((from + 14) * w), toUser, toItem, decay), p + ((from + 14) * w));
        if (tail > 15) TLanes.Store(Update<TLanes, TVector>(TLanes.Load(p + ((from + 15) * w)), q + ((from + 15) * w), toUser, toItem, decay), p + ((from + 15) * w));
        for (var v = from + UnrolledTail; v < count; v++)
        {
            TLanes.Store(Update<TLanes, TVector>(TLanes.Load(p + (v * w)), q + (v * w), toUser, toItem, decay), p + (v * w));
        }
    }

    /// <summary>q ← q·decay + toItem·p̃ in memory; returns p̃ + toUser·q, both from the old values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe TVector Update<TLanes, TVector>(TVector p, float* q, TVector toUser, TVector toItem, TVector decay)
        where TLanes : struct, ISgdLanes<TVector>
        where TVector : struct
    {
        var qv = TLanes.Load(q);
        TLanes.Store(TLanes.MultiplyAdd(p, toItem, TLanes.Multiply(qv, decay)), q);
        return TLanes.MultiplyAdd(qv, toUser, p);
    }

    /// <summary>Multiplies floats [from, stride) of a row by a scale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void ScaleRow<TLanes, TVector>(float* row, int from, int stride, float scale)
        where TLanes : struct, ISgdLanes<TVector>
        where TVector : struct
    {
        var s = TLanes.Create(scale);
        for (var f = from; f < stride; f += TLanes.Width)
        {
            TLanes.Store(TLanes.Multiply(TLanes.Load(row + f), s), row + f);
        }
    }

}
