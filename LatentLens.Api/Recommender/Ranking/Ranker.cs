using LatentLens.Api.Recommender.Models;

namespace LatentLens.Api.Recommender.Ranking;

/// <summary>
/// What a saved model ranks, without HTTP: a user's top k over the whole catalogue and the items
/// nearest an item. The API, the benchmarks and the evaluation call these, so what is measured is
/// what is served.
/// </summary>
internal static class Ranker
{
    /// <summary>
    /// The user's top k items by the model's ranking score: for rating models r̂ = μ + b_u + b_i + p_u·q_i,
    /// ranked by b_i + p_u·q_i (μ and b_u do not change the order); for models with a ranking term of
    /// their own (<see cref="FactorModel.RankingBias"/>) that term plus p_u·q_i. Optionally without the
    /// items the user rated in training.
    /// </summary>
    public static ScoredItem[] Recommend(SavedModel saved, int user, int k, bool excludeRated)
    {
        ArgumentNullException.ThrowIfNull(saved);
        var model = saved.Model;
        var vector = model.Factors == 0 ? ReadOnlySpan<float>.Empty : model.UserFactors.AsSpan(user * model.Stride, model.Stride);
        var excluded = excludeRated ? saved.RatedBy(user) : ReadOnlySpan<int>.Empty;
        if (QuantizedRows.Serves(model) && vector.Length == model.Stride
            && QuantizedRows.For(model).Top(vector, model.RankingOffsets, k, excluded, default) is { } top)
        {
            // The same list as the exact scan below, found from the int8 copy.
            return top;
        }

        return Scoring.TopK(model, vector, model.RankingOffsets, excluded, k);
    }

    /// <summary>The predicted rating of an item ranked for <paramref name="user"/>, clipped to the scale; null for a model that does not predict ratings.</summary>
    public static float? PredictedRating(FactorModel model, int user, ScoredItem item)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!model.PredictsRatings)
        {
            return null;
        }

        // The ranking score is b_i + p_u·q_i unless the model ranks by a term of its own.
        return model.RankingBias is null
            ? model.Scale.Clip((float)(model.GlobalMean + model.UserBias[user] + item.Score))
            : model.Predict(user, item.Item).Value;
    }

    /// <summary>The Euclidean norm of every item's factor row: the divisors of cosine similarity.</summary>
    public static float[] ItemNorms(FactorModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var norms = new float[model.Items.Count];
        for (var i = 0; i < norms.Length; i++)
        {
            var row = model.ItemFactors.AsSpan(i * model.Stride, model.Stride);
            norms[i] = model.Factors == 0 ? 0 : MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.Dot(row, row));
        }

        return norms;
    }

    /// <summary>The number of training ratings of every item (its support), from the saved rated-item lists.</summary>
    public static int[] ItemSupport(SavedModel saved)
    {
        ArgumentNullException.ThrowIfNull(saved);
        var counts = new int[saved.Model.Items.Count];
        foreach (var item in saved.RatedItems)
        {
            counts[item]++;
        }

        return counts;
    }

    /// <summary>
    /// Divisors that turn q_i·q_j into the support-shrunk cosine cos(i, j) · n_j / (n_j + λ) once divided
    /// by |q_i| (Koren's shrinkage of neighbourhood similarities): |q_j| (n_j + λ) / n_j. With λ = 0 they are
    /// the norms. An item without ratings or without factors gets infinity: it is never similar.
    /// </summary>
    public static float[] SimilarityDivisors(ReadOnlySpan<float> itemNorms, ReadOnlySpan<int> itemSupport, double shrinkage)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(shrinkage);
        var divisors = new float[itemNorms.Length];
        for (var j = 0; j < divisors.Length; j++)
        {
            var n = itemSupport[j];
            divisors[j] = n > 0 && itemNorms[j] > 0 ? (float)(itemNorms[j] * (n + shrinkage) / n) : float.PositiveInfinity;
        }

        return divisors;
    }

    /// <summary>
    /// The similar items of an item-based model (EASE), which has no latent space: the k items a rating of
    /// <paramref name="item"/> raises most, by its kept weights B_ij (row i of <see cref="ItemWeights"/>), largest first
    /// (ties: lower index first); items it lowers (B_ij ≤ 0) are never listed.
    /// </summary>
    public static ScoredItem[] SimilarByWeights(ItemWeights weights, int item, int k)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var (start, end) = (weights.Offsets[item], weights.Offsets[item + 1]);
        var row = new List<ScoredItem>(end - start);
        for (var e = start; e < end; e++)
        {
            if (weights.Values[e] > 0 && weights.Columns[e] != item)
            {
                row.Add(new ScoredItem(weights.Columns[e], weights.Values[e]));
            }
        }

        row.Sort((a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Item.CompareTo(b.Item));
        return [.. row.Take(k)];
    }

    /// <summary>
    /// The k items nearest to <paramref name="item"/> (itself left out) by q_i·q_j / (|q_i| d_j), with
    /// <paramref name="divisors"/> d from <see cref="SimilarityDivisors"/> (or the norms: plain cosine).
    /// </summary>
    public static ScoredItem[] Similar(FactorModel model, ReadOnlySpan<float> itemNorms, ReadOnlySpan<float> divisors, int item, int k)
    {
        ArgumentNullException.ThrowIfNull(model);
        var vector = model.ItemFactors.AsSpan(item * model.Stride, model.Stride);
        var top = Scoring.TopK(model, vector, default, default, k, skipItem: item, itemDivisor: divisors);
        var norm = itemNorms[item];
        for (var j = 0; j < top.Length; j++)
        {
            top[j] = top[j] with { Score = norm > 0 ? top[j].Score / norm : 0 };
        }

        return top;
    }
}
