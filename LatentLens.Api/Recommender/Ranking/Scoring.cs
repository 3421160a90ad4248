using System.Runtime.CompilerServices;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Recommender.Numerics;

namespace LatentLens.Api.Recommender.Ranking;

/// <summary>One scored item of a result.</summary>
internal readonly record struct ScoredItem(int Item, float Score);

/// <summary>
/// The hot path of serving: scores of every item against one vector (a user's factors, or an item's
/// for similarity) and the top k of them, with no allocation but the result. Scores go into a
/// per-thread buffer; the top k is kept by insertion into a k-slot array, which for k ≪ items
/// almost never moves anything.
/// </summary>
internal static class Scoring
{
    [ThreadStatic]
    private static float[]? _scores;

    /// <summary>
    /// The items with the k highest values of (offset_i + q_i·v) / divisor_i (v may be empty: offsets
    /// only; offset and divisor optional), skipping <paramref name="excluded"/> and <paramref name="skipItem"/>.
    /// </summary>
    public static ScoredItem[] TopK(FactorModel model, ReadOnlySpan<float> vector, ReadOnlySpan<float> itemOffset, ReadOnlySpan<int> excluded, int k, int skipItem = -1, ReadOnlySpan<float> itemDivisor = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var n = model.Items.Count;
        var scores = _scores is { } buffer && buffer.Length >= n ? buffer : _scores = new float[n];
        var span = scores.AsSpan(0, n);
        ScoreAll(model, vector, span);
        if (!itemOffset.IsEmpty)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(span, itemOffset, span);
        }

        if (!itemDivisor.IsEmpty)
        {
            // Zero divisors give NaN or infinity: never selected.
            System.Numerics.Tensors.TensorPrimitives.Divide(span, itemDivisor, span);
        }

        LeaveOut(span, excluded, default);
        if ((uint)skipItem < (uint)n)
        {
            span[skipItem] = float.NegativeInfinity;
        }

        return SelectTop(span, k);
    }

    /// <summary>
    /// Sets the score of every item in <paramref name="excluded"/>, and of every item whose <paramref name="allowed"/> entry
    /// is false (empty: all allowed), to −∞, which <see cref="SelectTop"/> never takes.
    /// </summary>
    public static void LeaveOut(Span<float> scores, ReadOnlySpan<int> excluded, ReadOnlySpan<bool> allowed)
    {
        foreach (var item in excluded)
        {
            scores[item] = float.NegativeInfinity;
        }

        if (!allowed.IsEmpty)
        {
            for (var i = 0; i < scores.Length; i++)
            {
                if (!allowed[i])
                {
                    scores[i] = float.NegativeInfinity;
                }
            }
        }
    }

    /// <summary>scores[i] = q_i · v for every item i (zero when the model has no factors).</summary>
    public static void ScoreAll(FactorModel model, ReadOnlySpan<float> vector, Span<float> scores)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Factors == 0 || vector.IsEmpty)
        {
            scores.Clear();
            return;
        }

        var stride = model.Stride;
        var factors = model.ItemFactors.AsSpan();
        if (vector.Length != stride)
        {
            throw new ArgumentException($"The vector has {vector.Length} floats; the model's rows have {stride}.", nameof(vector));
        }

        ScoreRows(factors, vector, scores, stride);
    }

    /// <summary>
    /// scores[i] = q_i · v + offsets[i] for every item i (the offsets alone when the model has no factors): the same
    /// floats as <see cref="ScoreAll(FactorModel, ReadOnlySpan{float}, Span{float})"/> followed by adding the offsets, in one pass.
    /// </summary>
    public static void ScoreAll(FactorModel model, ReadOnlySpan<float> vector, ReadOnlySpan<float> offsets, Span<float> scores)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (offsets.Length < scores.Length)
        {
            throw new ArgumentException($"{offsets.Length} offsets for {scores.Length} scores.", nameof(offsets));
        }

        if (model.Factors == 0 || vector.IsEmpty)
        {
            // 0 + offset, as the two passes give it.
            System.Numerics.Tensors.TensorPrimitives.Add(offsets[..scores.Length], 0f, scores);
            return;
        }

        var stride = model.Stride;
        if (vector.Length != stride)
        {
            throw new ArgumentException($"The vector has {vector.Length} floats; the model's rows have {stride}.", nameof(vector));
        }

        ScoreRows(model.ItemFactors, vector, offsets, scores, stride);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ScoreRows(ReadOnlySpan<float> factors, ReadOnlySpan<float> vector, ReadOnlySpan<float> offsets, Span<float> scores, int stride)
    {
        fixed (float* q = factors, v = vector, o = offsets, s = scores)
        {
            for (var i = 0; i < scores.Length; i++)
            {
                s[i] = PaddedRows.Dot(q + ((nint)i * stride), v, stride) + o[i];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ScoreRows(ReadOnlySpan<float> factors, ReadOnlySpan<float> vector, Span<float> scores, int stride)
    {
        fixed (float* q = factors, v = vector, s = scores)
        {
            for (var i = 0; i < scores.Length; i++)
            {
                s[i] = PaddedRows.Dot(q + ((nint)i * stride), v, stride);
            }
        }
    }

    /// <summary>
    /// The k largest finite scores, best first (ties: lower index first). Once k are held, a block of 8 scores (4 where
    /// 256-bit vectors are not accelerated) none of which beats the k-th is skipped with one comparison: most of a
    /// catalogue is, so the scan costs a vector compare per block instead of a branch per item. Same result as item by item.
    /// </summary>
    public static ScoredItem[] SelectTop(ReadOnlySpan<float> scores, int k)
    {
        k = Math.Min(k, scores.Length);
        if (k <= 0)
        {
            return [];
        }

        Span<int> topItems = k <= 256 ? stackalloc int[k] : new int[k];
        Span<float> topScores = k <= 256 ? stackalloc float[k] : new float[k];
        var count = SelectInto(scores, k, topItems, topScores);
        var result = new ScoredItem[count];
        for (var j = 0; j < count; j++)
        {
            result[j] = new ScoredItem(topItems[j], topScores[j]);
        }

        return result;
    }

    /// <summary>The k-th largest finite score (<see cref="SelectTop"/>'s last), or −∞ when fewer than k are finite; allocates nothing.</summary>
    public static float KthLargest(ReadOnlySpan<float> scores, int k)
    {
        if (k <= 0 || k > scores.Length)
        {
            return float.NegativeInfinity;
        }

        Span<int> topItems = k <= 256 ? stackalloc int[k] : new int[k];
        Span<float> topScores = k <= 256 ? stackalloc float[k] : new float[k];
        return SelectInto(scores, k, topItems, topScores) == k ? topScores[k - 1] : float.NegativeInfinity;
    }

    /// <summary>The top k (k ≤ the length) into the two spans, best first; the count found.</summary>
    private static int SelectInto(ReadOnlySpan<float> scores, int k, Span<int> topItems, Span<float> topScores)
    {
        var count = 0;
        var i = 0;
        for (; i < scores.Length && count < k; i++)
        {
            Offer(scores[i], i, topItems, topScores, ref count, k);
        }

        ref var first = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(scores);
        if (System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= scores.Length; i += 8)
            {
                var block = System.Runtime.Intrinsics.Vector256.LoadUnsafe(ref first, (nuint)i);
                if (System.Runtime.Intrinsics.Vector256.GreaterThanAny(block, System.Runtime.Intrinsics.Vector256.Create(topScores[k - 1])))
                {
                    for (var j = i; j < i + 8; j++)
                    {
                        Offer(scores[j], j, topItems, topScores, ref count, k);
                    }
                }
            }
        }
        else
        {
            for (; i + 4 <= scores.Length; i += 4)
            {
                var block = System.Runtime.Intrinsics.Vector128.LoadUnsafe(ref first, (nuint)i);
                if (System.Runtime.Intrinsics.Vector128.GreaterThanAny(block, System.Runtime.Intrinsics.Vector128.Create(topScores[k - 1])))
                {
                    for (var j = i; j < i + 4; j++)
                    {
                        Offer(scores[j], j, topItems, topScores, ref count, k);
                    }
                }
            }
        }

        for (; i < scores.Length; i++)
        {
            Offer(scores[i], i, topItems, topScores, ref count, k);
        }

        return count;
    }

    /// <summary>Item <paramref name="i"/> into the top k held so far, if it belongs there.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Offer(float score, int i, Span<int> topItems, Span<float> topScores, ref int count, int k)
    {
        if ((count == k && !(score > topScores[k - 1])) || !float.IsFinite(score))
        {
            return;
        }

        var position = count < k ? count++ : k - 1;
        while (position > 0 && topScores[position - 1] < score)
        {
            topScores[position] = topScores[position - 1];
            topItems[position] = topItems[position - 1];
            position--;
        }

        topScores[position] = score;
        topItems[position] = i;
    }
}
