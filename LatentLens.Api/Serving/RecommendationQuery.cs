using LatentLens.Api.Recommender.FoldIn;

namespace LatentLens.Api.Serving;

/// <summary>
/// What a recommendations request asks, already checked against the served model: the history as dense items
/// (each item once, ratings on the scale), the ids the model does not know, k, and the filters. One per thread,
/// reused (<see cref="Rent"/>): the request path allocates no lists of its own.
/// </summary>
internal sealed class RecommendationQuery
{
    /// <summary>The most ratings a history may hold, and the most ids each of exclude and include may list (more: 413).</summary>
    public const int MaxRatings = 10_000;

    [ThreadStatic]
    private static RecommendationQuery? _current;

    public int K { get; set; } = 10;

    public bool ExcludeRated { get; set; } = true;

    public bool Explain { get; set; }

    /// <summary>The known items of the history given, in the order given.</summary>
    public List<HistoryEntry> History { get; } = [];

    /// <summary>Item ids of the history that the model does not know (ignored, listed in the answer).</summary>
    public List<string> UnknownItems { get; } = [];

    /// <summary>Any-of genre bits; 0: no genre filter.</summary>
    public ulong GenreMask { get; set; }

    /// <summary>Items never to return (known ones; unknown ids are dropped).</summary>
    public List<int> Exclude { get; } = [];

    /// <summary>True when an include list was given: only <see cref="Include"/> may come back.</summary>
    public bool HasInclude { get; set; }

    /// <summary>The known items of the include list.</summary>
    public List<int> Include { get; } = [];

    /// <summary>True when a filter other than exclusions limits the candidates (a mask is built).</summary>
    public bool HasMask => GenreMask != 0 || HasInclude;

    /// <summary>True when the answer differs from the plain (cached) one of the GET route.</summary>
    public bool IsPlain => !HasMask && Exclude.Count == 0 && !Explain;

    /// <summary>This thread's query, emptied. Use it synchronously: an await may resume on another thread.</summary>
    public static RecommendationQuery Rent()
    {
        var query = _current ??= new RecommendationQuery();
        query.K = 10;
        query.ExcludeRated = true;
        query.Explain = false;
        query.History.Clear();
        query.UnknownItems.Clear();
        query.GenreMask = 0;
        query.Exclude.Clear();
        query.HasInclude = false;
        query.Include.Clear();
        return query;
    }
}
