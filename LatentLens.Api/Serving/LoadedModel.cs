using System.Collections.Concurrent;
using LatentLens.Api.Recommender.FoldIn;
using LatentLens.Api.Recommender.Models;
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
        // What only similar items and search need is computed on their first use, not before the first recommendation.
        _itemNorms = new(() => Ranker.ItemNorms(saved.Model));
        _itemSupport = new(() => Ranker.ItemSupport(saved));
        _defaultSimilarityDivisors = new(() => Ranker.SimilarityDivisors(ItemNorms, ItemSupport, DefaultSimilarityShrinkage));
        _foldIn = new(() => FoldIns.For(saved));
        _popularity = new(() => Array.ConvertAll(ItemSupport, count => (float)count));
        _trainedByHistory = FoldIns.RanksTrainedUsersByHistory(saved) ? FoldIns.For(saved) : null;
        // By dense index, so a title costs an array read: the artifact's titles are a sorted dictionary (culture-compared keys).
        _titles = [.. saved.Model.Items.RawIds.Select(id => saved.Titles.TryGetValue(id, out var t) ? t : null)];
        _searchTitles = new(() => [.. saved.Model.Items.RawIds.Select(id => saved.Titles.TryGetValue(id, out var t) ? t.ToLowerInvariant() : string.Empty)]);
    }

    private readonly Lazy<float[]> _itemNorms;
    private readonly Lazy<int[]> _itemSupport;
    private readonly Lazy<float[]> _defaultSimilarityDivisors;
    private readonly Lazy<string[]> _searchTitles;
    private readonly string?[] _titles;
    private readonly Lazy<IFoldIn?> _foldIn;
    private readonly Lazy<float[]> _popularity;

    /// <summary>The model family's fold-in (docs/api.md, "Fold-in"); null for a family without one yet.</summary>
    public IFoldIn? FoldIn => _foldIn.Value;

    /// <summary>Training ratings per item as a score: the list of a history with no known item.</summary>
    public float[] Popularity => _popularity.Value;

    // The fold-in that ranks trained users of a model scoring from histories (EASE); null for factor models.
    private readonly IFoldIn? _trainedByHistory;

    public SavedModel Saved { get; }

    public FactorModel Model => Saved.Model;

    public ModelOrigin Origin { get; }

    public DateTimeOffset LoadedAt { get; }

    /// <summary>λ of the support-shrunk cosine of similar items when the request does not say (docs/benchmarks.md: how it was chosen).</summary>
    public const double DefaultSimilarityShrinkage = 10;

    public float[] ItemNorms => _itemNorms.Value;

    /// <summary>Training ratings per item.</summary>
    public int[] ItemSupport => _itemSupport.Value;

    /// <summary>The divisors of similar items at <see cref="DefaultSimilarityShrinkage"/>, computed once per model.</summary>
    public float[] DefaultSimilarityDivisors => _defaultSimilarityDivisors.Value;

    /// <summary>The k items most similar to <paramref name="item"/> by cosine shrunk with λ = <paramref name="shrinkage"/>.</summary>
    /// <summary>
    /// The k items most similar to <paramref name="item"/>: by shrunk cosine for factor models; for an item-based model
    /// (EASE) the items a rating of it raises most (<see cref="Ranker.SimilarByWeights"/>; shrinkage does not apply).
    /// </summary>
    public ScoredItem[] Similar(int item, int k, double shrinkage) => Model.ItemWeights is { } weights
        ? Ranker.SimilarByWeights(weights, item, k)
        : Ranker.Similar(Model, ItemNorms, shrinkage == DefaultSimilarityShrinkage ? DefaultSimilarityDivisors : Ranker.SimilarityDivisors(ItemNorms, ItemSupport, shrinkage), item, k);

    public string[] SearchTitles => _searchTitles.Value;

    public RecommendationCache Cache { get; } = new();

    public string? TitleOf(int item) => _titles[item];

    /// <summary>
    /// The user's top k as the endpoint answers it, from the cache; what was not asked before is ranked and
    /// serialised (by <paramref name="serialize"/>: the cache does not know the answer's format) once.
    /// </summary>
    public CachedRecommendations Recommendations<TState>(int user, int k, bool excludeRated, Func<LoadedModel, int, int, bool, ScoredItem[], TState, byte[]> serialize, TState state)
    {
        ArgumentNullException.ThrowIfNull(serialize);
        var key = (user, k, excludeRated);
        if (Cache.TryGet(key, out var cached))
        {
            return cached;
        }

        var top = FoldIns.RecommendTrained(Saved, user, k, excludeRated, _trainedByHistory);
        return Cache.Add(key, new CachedRecommendations(serialize(this, user, k, excludeRated, top, state), top.Length));
    }
}

/// <summary>One answer of the recommendations endpoint: its serialised body and how many items it lists.</summary>
internal sealed record CachedRecommendations(byte[] Utf8Json, int Count);

/// <summary>
/// Answers already computed for one model, by (user, k, excludeRated). A model never changes, so neither do its
/// answers. Bounded: past <see cref="MaxEntries"/> answers or <see cref="MaxBytes"/> bytes of them, answers are
/// computed and not kept (a hostile client asking for every k up to 1,000 of every user cannot fill the memory).
/// </summary>
internal sealed class RecommendationCache
{
    public const int MaxEntries = 100_000;

    public const long MaxBytes = 64L << 20;

    private readonly ConcurrentDictionary<(int User, int K, bool ExcludeRated), CachedRecommendations> _entries = new();
    private long _rankings;
    private long _bytes;

    /// <summary>How many rankings were computed (cache misses): what the cache saves is requests minus this.</summary>
    public long Rankings => Interlocked.Read(ref _rankings);

    /// <summary>Bytes of the answers kept.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    public bool TryGet((int User, int K, bool ExcludeRated) key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out CachedRecommendations? answer) =>
        _entries.TryGetValue(key, out answer);

    /// <summary>Counts a ranking and keeps its answer if there is room; returns the answer kept for the key.</summary>
    public CachedRecommendations Add((int User, int K, bool ExcludeRated) key, CachedRecommendations answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        Interlocked.Increment(ref _rankings);
        if (_entries.Count < MaxEntries && Bytes + answer.Utf8Json.Length <= MaxBytes && _entries.TryAdd(key, answer))
        {
            Interlocked.Add(ref _bytes, answer.Utf8Json.Length);
        }

        return answer;
    }
}
