using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Recommender.Numerics;
using LatentLens.Api.Recommender.Ranking;

namespace LatentLens.Api.Recommender.FoldIn;

/// <summary>
/// What every factor family shares once a user is a vector: the score of item i is offset_i + p_u·q_i (the
/// model's <see cref="FactorModel.RankingOffsets"/>, as <see cref="Ranker.Recommend"/> ranks a trained user),
/// a trained user is its stored row, and where <see cref="FoldedUser.Contributions"/> splits p_u over the history,
/// entry h's part of item i's score is row_h·q_i. A family supplies only <see cref="Fold"/>.
/// </summary>
internal abstract class FactorFoldIn : IFoldIn
{
    protected FactorFoldIn(SavedModel saved)
    {
        ArgumentNullException.ThrowIfNull(saved);
        Saved = saved;
    }

    public SavedModel Saved { get; }

    protected FactorModel Model => Saved.Model;

    public abstract bool NeedsRatings { get; }

    public abstract FoldedUser Fold(ReadOnlySpan<HistoryEntry> history);

    public FoldedUser Trained(int user)
    {
        var model = Model;
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)user, (uint)model.Users.Count, nameof(user));
        var vector = model.Factors == 0 ? [] : model.UserFactors.AsSpan(user * model.Stride, model.Stride).ToArray();
        return new FoldedUser([], vector, model.UserBias[user]) { Basis = RecommendationBasis.Trained };
    }

    public void Score(FoldedUser user, Span<float> scores)
    {
        ArgumentNullException.ThrowIfNull(user);
        Scoring.ScoreAll(Model, user.Vector, Model.RankingOffsets, scores);
    }

    public virtual bool Explain(FoldedUser user, int item, Span<float> parts)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user.Contributions is not { } rows || Model.Factors == 0)
        {
            return false;
        }

        var stride = Model.Stride;
        var q = Model.ItemFactors.AsSpan(item * stride, stride);
        for (var h = 0; h < user.History.Length; h++)
        {
            parts[h] = System.Numerics.Tensors.TensorPrimitives.Dot(rows.AsSpan(h * stride, stride), q);
        }

        return true;
    }

    /// <summary>A new zeroed row of the model's stride.</summary>
    protected float[] NewRow() => new float[Model.Stride];
}

/// <summary>
/// PureSVD (Cremonesi et al. 2010): a user's scores are r_u Q Qᵀ, so the folded-in user is p = r_u Q = Σ_h r_h q_h,
/// exactly what the trained users are (U Σ = R Q). Linear in the history: entry h contributes r_h q_h.
/// </summary>
internal sealed class PureSvdFoldIn(SavedModel saved) : FactorFoldIn(saved)
{
    public override bool NeedsRatings => true;

    public override FoldedUser Fold(ReadOnlySpan<HistoryEntry> history)
    {
        var stride = Model.Stride;
        var vector = NewRow();
        foreach (var entry in history)
        {
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(Model.ItemFactors.AsSpan(entry.Item * stride, stride), entry.Rating, vector, vector);
        }

        var entries = history.ToArray();
        return new FoldedUser(entries, vector, 0) { ContributionsOnDemand = () => Rows(entries) };
    }

    /// <summary>Entry h's row r_h q_h, computed when an explanation asks for it.</summary>
    private float[] Rows(HistoryEntry[] history)
    {
        var stride = Model.Stride;
        var rows = new float[history.Length * stride];
        for (var h = 0; h < history.Length; h++)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(Model.ItemFactors.AsSpan(history[h].Item * stride, stride), history[h].Rating, rows.AsSpan(h * stride, stride));
        }

        return rows;
    }
}

/// <summary>The most-popular list ranks without the history: every user gets the same scores.</summary>
internal sealed class PopularFoldIn(SavedModel saved) : FactorFoldIn(saved)
{
    public override bool NeedsRatings => false;

    public override FoldedUser Fold(ReadOnlySpan<HistoryEntry> history) => new(history.ToArray(), [], 0);
}
