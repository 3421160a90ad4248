using LatentLens.Api.Recommender.Models;

namespace LatentLens.Api.Recommender.FoldIn;

/// <summary>
/// How one model family serves a user it was not trained on: fold a history into the family's user
/// representation against the fixed item side, score every item for it, and say which history items a
/// score comes from. Each family has its own exact rule (docs/api.md, "Fold-in"); <see cref="FoldIns.For"/>
/// picks it by the model's algorithm, so a family added later plugs in here.
/// </summary>
internal interface IFoldIn
{
    /// <summary>The model the fold-in works against.</summary>
    SavedModel Saved { get; }

    /// <summary>True when history entries need a rating value; false when interactions (NaN ratings) are enough.</summary>
    bool NeedsRatings { get; }

    /// <summary>
    /// Folds a history into a user. The caller has checked the history: at least one entry, known items only,
    /// no item twice, ratings finite and on the model's scale (or NaN where <see cref="NeedsRatings"/> is false).
    /// Thread-safe; the model is not changed.
    /// </summary>
    FoldedUser Fold(ReadOnlySpan<HistoryEntry> history);

    /// <summary>The trained user <paramref name="user"/> as the model has it (dense index).</summary>
    FoldedUser Trained(int user);

    /// <summary>
    /// The ranking score of every item for <paramref name="user"/> into <paramref name="scores"/> (one per item), on
    /// the same scale as a trained user's (<see cref="Ranking.Ranker.Recommend"/>): higher ranks first.
    /// </summary>
    void Score(FoldedUser user, Span<float> scores);

    /// <summary>
    /// Each history entry's part of <paramref name="item"/>'s score into <paramref name="parts"/> (one per entry of
    /// <see cref="FoldedUser.History"/>); false when the family's score is not a sum over the history.
    /// </summary>
    bool Explain(FoldedUser user, int item, Span<float> parts);
}
