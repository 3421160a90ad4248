using LatentLens.Api.Recommender.Models;

namespace LatentLens.Api.Recommender.FoldIn;

/// <summary>
/// EASE (an item-based model, <see cref="FactorModel.ItemWeights"/>): a user is the history itself, the score of
/// item j is Σ_h x_h·B_hj with x_h the rating (1 for a binary model), exactly what a trained user gets from the
/// training history. Entry h's part of item j's score is x_h·B_hj, so the explanation is exact.
/// </summary>
internal sealed class EaseFoldIn : IFoldIn
{
    public EaseFoldIn(SavedModel saved)
    {
        ArgumentNullException.ThrowIfNull(saved);
        Saved = saved;
        Weights = saved.Model.ItemWeights ?? throw new ArgumentException($"The {saved.Model.Algorithm} model has no item weights.", nameof(saved));
    }

    public SavedModel Saved { get; }

    private ItemWeights Weights { get; }

    public bool NeedsRatings => !Weights.Binary;

    public FoldedUser Fold(ReadOnlySpan<HistoryEntry> history) => new(history.ToArray(), [], 0);

    /// <summary>The training history of <paramref name="user"/> (ratings as saved; without saved ratings each counts 1).</summary>
    public FoldedUser Trained(int user)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)user, (uint)Saved.Model.Users.Count, nameof(user));
        var items = Saved.RatedBy(user);
        var ratings = Saved.RatingsBy(user);
        var history = new HistoryEntry[items.Length];
        for (var h = 0; h < history.Length; h++)
        {
            history[h] = new HistoryEntry(items[h], ratings.IsEmpty ? float.NaN : ratings[h]);
        }

        return new FoldedUser(history, [], 0) { Basis = RecommendationBasis.Trained };
    }

    public void Score(FoldedUser user, Span<float> scores)
    {
        ArgumentNullException.ThrowIfNull(user);
        scores.Clear();
        foreach (var entry in user.History)
        {
            Weights.AddRow(entry.Item, Weights.InputOf(entry.Rating), scores);
        }
    }

    public bool Explain(FoldedUser user, int item, Span<float> parts)
    {
        ArgumentNullException.ThrowIfNull(user);
        for (var h = 0; h < user.History.Length; h++)
        {
            var entry = user.History[h];
            parts[h] = Weights.InputOf(entry.Rating) * Weights.Weight(entry.Item, item);
        }

        return true;
    }
}
