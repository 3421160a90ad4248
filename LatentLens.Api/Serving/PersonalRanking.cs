using LatentLens.Api.Recommender.FoldIn;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Recommender.Ranking;

namespace LatentLens.Api.Serving;

/// <summary>A ranked list and what it came from: the user it was scored for (null: popularity) and the user that explains it.</summary>
internal readonly record struct RankedList(ScoredItem[] Top, RecommendationBasis Basis, FoldedUser? User, FoldedUser? Explainer);

/// <summary>
/// Recommendations for a request (<see cref="RecommendationQuery"/>) through the model family's fold-in
/// (<see cref="IFoldIn"/>): a new user from a history, a known user with fresh ratings, a known user filtered or
/// explained, and the popularity list when no item of the history is known. Filters apply before the top k is taken.
/// Synchronous and per thread: the buffers are the calling thread's.
/// </summary>
internal static class PersonalRanking
{
    /// <summary>The most history items named behind one recommendation.</summary>
    public const int MaxBecause = 3;

    [ThreadStatic]
    private static int[]? _excluded;

    [ThreadStatic]
    private static bool[]? _allowed;

    [ThreadStatic]
    private static float[]? _buffer;

    /// <summary>A user the model never saw: folded from the query's history, or the popularity list when it has no known item.</summary>
    public static RankedList ForHistory(LoadedModel loaded, IFoldIn? foldIn, RecommendationQuery query)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        ArgumentNullException.ThrowIfNull(query);
        var history = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(query.History);
        if (history.IsEmpty)
        {
            return new RankedList(Popular(loaded, query), RecommendationBasis.Popularity, null, null);
        }

        ArgumentNullException.ThrowIfNull(foldIn);
        var user = foldIn.Fold(history);
        var excluded = Excluded(query, query.ExcludeRated ? history : default, default);
        return new RankedList(FoldIns.Recommend(foldIn, user, query.K, excluded, Allowed(loaded, query)), RecommendationBasis.History, user, user);
    }

    /// <summary>
    /// A user the model was trained on (dense index): as trained when the query holds no known rating, else folded from
    /// the training history with the query's ratings added (a fresh rating replaces the training one of its item).
    /// Explained by the fold-in of that history (for a trained user: of the training history alone).
    /// </summary>
    public static RankedList ForUser(LoadedModel loaded, IFoldIn foldIn, int userIndex, RecommendationQuery query)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        ArgumentNullException.ThrowIfNull(foldIn);
        ArgumentNullException.ThrowIfNull(query);
        var saved = loaded.Saved;
        var trainedItems = saved.RatedBy(userIndex);
        if (query.History.Count == 0)
        {
            var trained = foldIn.Trained(userIndex);
            var excluded = Excluded(query, default, query.ExcludeRated ? trainedItems : default);
            var top = FoldIns.Recommend(foldIn, trained, query.K, excluded, Allowed(loaded, query));
            var explainer = query.Explain && UserHistory.Merge(foldIn, userIndex, []) is { Length: > 0 } training ? foldIn.Fold(training) : null;
            return new RankedList(top, RecommendationBasis.Trained, trained, explainer);
        }

        var merged = UserHistory.Merge(foldIn, userIndex, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(query.History));
        var user = foldIn.Fold(merged);
        var without = Excluded(query, query.ExcludeRated ? merged : default, default);
        return new RankedList(FoldIns.Recommend(foldIn, user, query.K, without, Allowed(loaded, query)), RecommendationBasis.History, user, user);
    }

    /// <summary>True when the user's training history can be folded: the ratings were saved, or the family needs none.</summary>
    public static bool HasTrainingHistory(IFoldIn foldIn) => foldIn.Saved.RatedValues is not null || !foldIn.NeedsRatings;

    /// <summary>The predicted rating of a listed item where the model predicts ratings: μ + b_u + b_i + p_u·q_i, clipped; μ + b_i for popularity.</summary>
    public static float? PredictedRating(FactorModel model, FoldedUser? user, ScoredItem item)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!model.PredictsRatings)
        {
            return null;
        }

        if (user is null)
        {
            return model.Scale.Clip((float)(model.GlobalMean + model.ItemBias[item.Item]));
        }

        if (model.RankingBias is null)
        {
            // The ranking score is b_i + p_u·q_i (FactorFoldIn.Score): μ and b_u make it the prediction.
            return model.Scale.Clip((float)(model.GlobalMean + user.Bias + item.Score));
        }

        var dot = user.Vector.Length == 0 ? 0f : System.Numerics.Tensors.TensorPrimitives.Dot(user.Vector, model.ItemFactors.AsSpan(item.Item * model.Stride, model.Stride));
        return model.Scale.Clip((float)(model.GlobalMean + user.Bias + model.ItemBias[item.Item] + dot));
    }

    /// <summary>
    /// The history items contributing most to <paramref name="item"/>'s score, largest part first, into <paramref name="because"/>:
    /// only positive parts, share = part / Σ|part| over the history. Returns how many, or -1 when the family cannot split the score.
    /// </summary>
    public static int Explain(IFoldIn foldIn, FoldedUser explainer, int item, Span<(int Item, float Share)> because)
    {
        ArgumentNullException.ThrowIfNull(foldIn);
        ArgumentNullException.ThrowIfNull(explainer);
        var n = explainer.History.Length;
        var parts = Buffer(n);
        if (n == 0 || !foldIn.Explain(explainer, item, parts))
        {
            return -1;
        }

        var total = System.Numerics.Tensors.TensorPrimitives.SumOfMagnitudes(parts);
        var count = 0;
        var limit = Math.Min(because.Length, MaxBecause);
        for (var h = 0; h < n; h++)
        {
            var part = parts[h];
            if (!(part > 0) || (count == limit && part <= because[count - 1].Share))
            {
                continue;
            }

            var position = count < limit ? count++ : limit - 1;
            while (position > 0 && because[position - 1].Share < part)
            {
                because[position] = because[position - 1];
                position--;
            }

            because[position] = (explainer.History[h].Item, part);
        }

        for (var j = 0; j < count; j++)
        {
            because[j].Share = total > 0 ? because[j].Share / total : 0;
        }

        return count;
    }

    /// <summary>The most popular items (most training ratings), without the excluded and outside the filters.</summary>
    private static ScoredItem[] Popular(LoadedModel loaded, RecommendationQuery query)
    {
        var popularity = loaded.Popularity;
        var scores = Buffer(popularity.Length);
        popularity.CopyTo(scores);
        foreach (var item in query.Exclude)
        {
            scores[item] = float.NegativeInfinity;
        }

        var allowed = Allowed(loaded, query);
        for (var i = 0; i < allowed.Length; i++)
        {
            if (!allowed[i])
            {
                scores[i] = float.NegativeInfinity;
            }
        }

        return Scoring.SelectTop(scores, query.K);
    }

    /// <summary>The history's items (or the trained items) and the query's exclusions, in this thread's buffer.</summary>
    private static ReadOnlySpan<int> Excluded(RecommendationQuery query, ReadOnlySpan<HistoryEntry> history, ReadOnlySpan<int> items)
    {
        var length = history.Length + items.Length + query.Exclude.Count;
        var excluded = _excluded is { } e && e.Length >= length ? e : _excluded = new int[Math.Max(length, 256)];
        var n = 0;
        foreach (var entry in history)
        {
            excluded[n++] = entry.Item;
        }

        items.CopyTo(excluded.AsSpan(n));
        n += items.Length;
        System.Runtime.InteropServices.CollectionsMarshal.AsSpan(query.Exclude).CopyTo(excluded.AsSpan(n));
        return excluded.AsSpan(0, length);
    }

    /// <summary>Which items pass the genre and include filters; empty when there are none.</summary>
    private static ReadOnlySpan<bool> Allowed(LoadedModel loaded, RecommendationQuery query)
    {
        if (!query.HasMask)
        {
            return default;
        }

        var n = loaded.Model.Items.Count;
        var allowed = _allowed is { } a && a.Length >= n ? a : _allowed = new bool[n];
        var span = allowed.AsSpan(0, n);
        if (query.HasInclude)
        {
            span.Clear();
            foreach (var item in query.Include)
            {
                span[item] = true;
            }
        }
        else
        {
            span.Fill(true);
        }

        if (query.GenreMask != 0 && loaded.Saved.Genres is { } genres)
        {
            var masks = genres.Masks;
            for (var i = 0; i < n; i++)
            {
                span[i] &= (masks[i] & query.GenreMask) != 0;
            }
        }

        return span;
    }

    private static Span<float> Buffer(int n) => (_buffer is { } b && b.Length >= n ? b : _buffer = new float[Math.Max(n, 256)]).AsSpan(0, n);
}
