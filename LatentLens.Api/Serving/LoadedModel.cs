using System.Collections.Concurrent;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Ranking;
using LatentLens.Api.Tracking;

namespace LatentLens.Api.Serving;

/// <summary>
/// A model ready to serve: the saved model, where it came from, and what the endpoints need
/// precomputed (item norms for cosine similarity, lower-cased titles for search). The model and
/// these never change: a new model is swapped in whole, so requests in flight finish on the one
/// they started with. Its <see cref="Cache"/> of answers is the one part that grows, and it lives
/// and dies with the model.
/// </summary>
internal sealed class LoadedModel
{
    public LoadedModel(SavedModel saved, ModelOrigin origin, DateTimeOffset loadedAt)
    {
        ArgumentNullException.ThrowIfNull(saved);
        Saved = saved;
        Origin = origin;
        LoadedAt = loadedAt;
        ItemNorms = Ranker.ItemNorms(saved.Model);
        ItemSupport = Ranker.ItemSupport(saved);
        DefaultSimilarityDivisors = Ranker.SimilarityDivisors(ItemNorms, ItemSupport, DefaultSimilarityShrinkage);
        SearchTitles = [.. saved.Model.Items.RawIds.Select(id => saved.Titles.TryGetValue(id, out var t) ? t.ToLowerInvariant() : string.Empty)];
    }

    public SavedModel Saved { get; }

    public FactorModel Model => Saved.Model;

    public ModelOrigin Origin { get; }

    public DateTimeOffset LoadedAt { get; }

    /// <summary>λ of the support-shrunk cosine of similar items when the request does not say (docs/benchmarks.md: how it was chosen).</summary>
    public const double DefaultSimilarityShrinkage = 10;

    public float[] ItemNorms { get; }

    /// <summary>Training ratings per item.</summary>
    public int[] ItemSupport { get; }

    /// <summary>The divisors of similar items at <see cref="DefaultSimilarityShrinkage"/>, computed once per model.</summary>
    public float[] DefaultSimilarityDivisors { get; }

    /// <summary>The k items most similar to <paramref name="item"/> by cosine shrunk with λ = <paramref name="shrinkage"/>.</summary>
    public ScoredItem[] Similar(int item, int k, double shrinkage) =>
        Ranker.Similar(Model, ItemNorms, shrinkage == DefaultSimilarityShrinkage ? DefaultSimilarityDivisors : Ranker.SimilarityDivisors(ItemNorms, ItemSupport, shrinkage), item, k);

    public string[] SearchTitles { get; }

    public RecommendationCache Cache { get; } = new();

    public string? TitleOf(int item) => Saved.Titles.TryGetValue(Model.Items.ToRaw(item), out var title) ? title : null;

    /// <summary>The user's top k from the cache, ranking (once) what was not asked before.</summary>
    public ScoredItem[] Recommend(int user, int k, bool excludeRated) =>
        Cache.GetOrRank((user, k, excludeRated), key => Ranker.Recommend(Saved, key.User, key.K, key.ExcludeRated));
}

/// <summary>
/// Ranked items already computed for one model, by (user, k, excludeRated). A model never changes,
/// so neither do its answers. Bounded: past <see cref="MaxEntries"/> answers are computed and not kept.
/// </summary>
internal sealed class RecommendationCache
{
    public const int MaxEntries = 100_000;

    private readonly ConcurrentDictionary<(int User, int K, bool ExcludeRated), ScoredItem[]> _entries = new();
    private long _rankings;

    /// <summary>How many rankings were computed (cache misses): what the cache saves is requests minus this.</summary>
    public long Rankings => Interlocked.Read(ref _rankings);

    public ScoredItem[] GetOrRank((int User, int K, bool ExcludeRated) key, Func<(int User, int K, bool ExcludeRated), ScoredItem[]> rank)
    {
        ArgumentNullException.ThrowIfNull(rank);
        if (_entries.TryGetValue(key, out var cached))
        {
            return cached;
        }

        Interlocked.Increment(ref _rankings);
        var top = rank(key);
        if (_entries.Count < MaxEntries)
        {
            _entries.TryAdd(key, top);
        }

        return top;
    }
}
