namespace LatentLens.Api.Serving;

/// <summary>Recommendations and similar items from a loaded model, without HTTP: the endpoints and the benchmark call these.</summary>
public static class RecommendationEngine
{
    /// <summary>The user's top k items by r̂ = μ + b_u + b_i + p_u·q_i (ranked by b_i + p_u·q_i), optionally without the items the user rated in training.</summary>
    public static ScoredItem[] Recommend(LoadedModel loaded, int user, int k, bool excludeRated)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        var model = loaded.Model;
        var vector = model.Factors == 0 ? ReadOnlySpan<float>.Empty : model.UserFactors.AsSpan(user * model.Stride, model.Stride);
        var excluded = excludeRated ? loaded.Saved.RatedBy(user) : ReadOnlySpan<int>.Empty;
        return Scoring.TopK(model, vector, model.ItemBias, excluded, k);
    }

    /// <summary>As <see cref="Recommend"/>, answered from the model's cache when it was asked before.</summary>
    public static ScoredItem[] RecommendCached(LoadedModel loaded, int user, int k, bool excludeRated)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        var key = (user, k, excludeRated);
        if (loaded.RecommendationCache.TryGetValue(key, out var cached))
        {
            return cached;
        }

        var top = Recommend(loaded, user, k, excludeRated);
        if (loaded.RecommendationCache.Count < LoadedModel.MaxCachedResults)
        {
            loaded.RecommendationCache.TryAdd(key, top);
        }

        return top;
    }

    /// <summary>The predicted rating of a ranked item, clipped to the scale.</summary>
    public static float PredictedRating(LoadedModel loaded, int user, ScoredItem item)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        var model = loaded.Model;
        return model.Scale.Clip((float)(model.GlobalMean + model.UserBias[user] + item.Score));
    }

    /// <summary>The k items nearest to <paramref name="item"/> by cosine similarity of their factors (itself left out).</summary>
    public static ScoredItem[] Similar(LoadedModel loaded, int item, int k)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        var model = loaded.Model;
        var vector = model.ItemFactors.AsSpan(item * model.Stride, model.Stride);
        var top = Scoring.TopK(model, vector, default, default, k, skipItem: item, itemDivisor: loaded.ItemNorms);
        var norm = loaded.ItemNorms[item];
        for (var j = 0; j < top.Length; j++)
        {
            top[j] = top[j] with { Score = norm > 0 ? top[j].Score / norm : 0 };
        }

        return top;
    }
}
