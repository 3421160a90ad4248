namespace LatentLens.Api.Recommender.FoldIn;

/// <summary>
/// One item of a history given at request time (or a trained user's history): the item's dense index and
/// its rating. <see cref="float.NaN"/> as the rating means an interaction without a rating, which only the
/// families that rank without rating values accept (<see cref="IFoldIn.NeedsRatings"/>).
/// </summary>
internal readonly record struct HistoryEntry(int Item, float Rating)
{
    /// <summary>True when the entry carries no rating value (an interaction).</summary>
    public bool IsInteraction => float.IsNaN(Rating);
}
