namespace LatentLens.Api.Recommender.FoldIn;

/// <summary>
/// A user as the model family represents one, built from a history by <see cref="IFoldIn.Fold"/> or taken
/// from the trained model by <see cref="IFoldIn.Trained"/>. Factor families fill <see cref="Vector"/> (padded to
/// the model's stride) and <see cref="Bias"/>; item-based families need only <see cref="History"/>.
/// </summary>
internal sealed class FoldedUser
{
    public FoldedUser(HistoryEntry[] history, float[] vector, float bias)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(vector);
        History = history;
        Vector = vector;
        Bias = bias;
    }

    /// <summary>The history the user was folded from (empty for a trained user taken as trained).</summary>
    public HistoryEntry[] History { get; }

    /// <summary>The user's factor row p_u, <see cref="Models.FactorModel.Stride"/> floats; empty for families without user factors.</summary>
    public float[] Vector { get; }

    /// <summary>The user's bias b_u (zero for families without one); used for predicted ratings, not for the order.</summary>
    public float Bias { get; }

    /// <summary>
    /// Where the score is linear in the history: one row of <see cref="Models.FactorModel.Stride"/> floats per
    /// history entry, summing to <see cref="Vector"/> (row h is what entry h adds to p_u), so entry h's part of
    /// item j's score is row_h · q_j. Null when the family cannot split the vector that way. BPMF's rows sum to the
    /// vector less its prior-mean term, which no history entry owns. Solve-based families compute the rows on first
    /// use (one small solve per entry), so a fold that is never explained does not pay for them.
    /// </summary>
    public float[]? Contributions
    {
        get => _contributions ?? _lazyContributions?.Value;
        init => _contributions = value;
    }

    /// <summary>Computes <see cref="Contributions"/> on first use (thread-safe, once).</summary>
    public Func<float[]?> ContributionsOnDemand
    {
        init => _lazyContributions = new Lazy<float[]?>(value);
    }

    /// <summary>What the family kept from the fold to explain with (e.g. the factored normal equations); opaque to callers.</summary>
    internal object? State { get; init; }

    private readonly float[]? _contributions;
    private readonly Lazy<float[]?>? _lazyContributions;

    /// <summary>What the user's list is based on: the history given, the trained model, or popularity (no known item).</summary>
    public RecommendationBasis Basis { get; init; } = RecommendationBasis.History;
}

/// <summary>What a list is based on, as the API reports it (<c>basis</c>).</summary>
internal enum RecommendationBasis
{
    /// <summary>The user was folded in from the history given at request time.</summary>
    History,

    /// <summary>The user's trained factors (a known user with no new ratings).</summary>
    Trained,

    /// <summary>No usable history: the most popular items.</summary>
    Popularity,
}
