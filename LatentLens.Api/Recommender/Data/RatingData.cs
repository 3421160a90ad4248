namespace LatentLens.Api.Recommender.Data;

/// <summary>One rating as read from a file, with the ids as the file spells them.</summary>
internal readonly record struct RawRating(string User, string Item, float Value, long Timestamp);

/// <summary>The inclusive range ratings live in (MovieLens 100K: 1–5, MovieLens latest: 0.5–5).</summary>
internal readonly record struct RatingScale(float Min, float Max)
{
    public bool Contains(float value) => value >= Min && value <= Max;

    public float Clip(float value) => Math.Clamp(value, Min, Max);

    public override string ToString() => FormattableString.Invariant($"{Min}–{Max}");
}

/// <summary>Ratings read from one source, with item titles where the source has them.</summary>
internal sealed class RatingData
{
    public RatingData(string name, string source, IReadOnlyList<RawRating> ratings, RatingScale scale, IReadOnlyDictionary<string, string>? titles = null)
    {
        ArgumentNullException.ThrowIfNull(ratings);
        Name = name;
        Source = source;
        Ratings = ratings;
        Scale = scale;
        Titles = titles ?? new Dictionary<string, string>();
    }

    /// <summary>A short name such as <c>ml-latest-small</c>, recorded with every run.</summary>
    public string Name { get; }

    /// <summary>Where the ratings came from (a path).</summary>
    public string Source { get; }

    public IReadOnlyList<RawRating> Ratings { get; }

    public RatingScale Scale { get; }

    /// <summary>Item titles by raw item id (may be empty).</summary>
    public IReadOnlyDictionary<string, string> Titles { get; }

    /// <summary>Item genres where the source has them (MovieLens <c>movies.csv</c>, <c>u.item</c>); null otherwise.</summary>
    public RawGenres? Genres { get; init; }
}
