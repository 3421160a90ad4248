using LatentLens.Api.Recommender.Models;

namespace LatentLens.Api.Recommender.FoldIn;

/// <summary>
/// The history to fold for a known user who sends fresh ratings (<c>POST /users/{id}/recommendations</c>): the user's
/// training ratings (<see cref="SavedModel.RatedBy"/> with <see cref="SavedModel.RatingsBy"/>) merged with the fresh ones.
/// </summary>
internal static class UserHistory
{
    /// <summary>
    /// The training entries in training order, each replaced by the fresh rating of the same item if there is one (a fresh
    /// interaction, NaN, keeps the training rating: it says nothing new), then the fresh entries of items not rated in
    /// training, in the order given. An artifact saved before rated_values.npy has the training items but not their
    /// ratings: then a family that needs ratings (<see cref="IFoldIn.NeedsRatings"/>) folds the fresh ratings alone
    /// (the user is served as a new user who rated just those), and one that does not gets the training items as interactions.
    /// The caller has checked <paramref name="fresh"/> (known items, no item twice).
    /// </summary>
    public static HistoryEntry[] Merge(IFoldIn foldIn, int user, ReadOnlySpan<HistoryEntry> fresh)
    {
        ArgumentNullException.ThrowIfNull(foldIn);
        var saved = foldIn.Saved;
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)user, (uint)saved.Model.Users.Count, nameof(user));
        var items = saved.RatedBy(user);
        var values = saved.RatingsBy(user);
        var known = !values.IsEmpty || items.IsEmpty;
        if (!known && foldIn.NeedsRatings)
        {
            return fresh.ToArray();
        }

        var freshByItem = new Dictionary<int, float>(fresh.Length);
        foreach (var entry in fresh)
        {
            freshByItem[entry.Item] = entry.Rating;
        }

        var merged = new List<HistoryEntry>(items.Length + fresh.Length);
        for (var e = 0; e < items.Length; e++)
        {
            var rating = known ? values[e] : float.NaN;
            if (freshByItem.Remove(items[e], out var replacement) && !float.IsNaN(replacement))
            {
                rating = replacement;
            }

            merged.Add(new HistoryEntry(items[e], rating));
        }

        foreach (var entry in fresh)
        {
            if (freshByItem.ContainsKey(entry.Item))
            {
                merged.Add(entry);
            }
        }

        return [.. merged];
    }
}
