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

        foreach (var item in excluded)
        {
            span[item] = float.NegativeInfinity;
        }

        if ((uint)skipItem < (uint)n)
        {
            span[skipItem] = float.NegativeInfinity;
        }

        return SelectTop(span, k);
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

    /// <summary>The k largest finite scores, best first (ties: lower index first).</summary>
    public static ScoredItem[] SelectTop(ReadOnlySpan<float> scores, int k)
    {
        k = Math.Min(k, scores.Length);
        Span<int> topItems = k <= 256 ? stackalloc int[k] : new int[k];
        Span<float> topScores = k <= 256 ? stackalloc float[k] : new float[k];
        var count = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            var score = scores[i];
            if ((count == k && !(score > topScores[k - 1])) || !float.IsFinite(score))
            {
                continue;
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

        var result = new ScoredItem[count];
        for (var j = 0; j < count; j++)
        {
            result[j] = new ScoredItem(topItems[j], topScores[j]);
        }

        return result;
    }
}
