using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Models;

namespace LatentLens.Api.Recommender.FoldIn;

/// <summary>
/// The baseline r̂ = μ + b_u + b_i: the user's bias is the baseline's own ALS step for a user with the item biases fixed,
/// b_u = Σ_h (r_h − μ − b_h) / (λ_u + |H|), λ_u the run's <c>reg_user</c>. Its last epoch ends with exactly this step,
/// so a trained user's own history gives back its trained bias. The order of items is b_i for every user: the history
/// changes predicted ratings, not the list, and there is nothing to explain.
/// </summary>
internal sealed class BaselineFoldIn(SavedModel saved) : FactorFoldIn(saved)
{
    private readonly double _regularization = SavedParameters.Double(saved, "reg_user", new BaselineOptions().UserRegularization);

    public override bool NeedsRatings => true;

    public override FoldedUser Fold(ReadOnlySpan<HistoryEntry> history) =>
        new(history.ToArray(), [], (float)UserBias(Model, history, _regularization));

    /// <summary>b_u = Σ_h (r_h − μ − b_h) / (λ + |H|), in double as the baseline computes it.</summary>
    internal static double UserBias(FactorModel model, ReadOnlySpan<HistoryEntry> history, double regularization)
    {
        double sum = 0;
        foreach (var entry in history)
        {
            sum += entry.Rating - model.GlobalMean - model.ItemBias[entry.Item];
        }

        return sum / (regularization + history.Length);
    }
}

/// <summary>
/// <c>puresvd-centred</c>: the model factors the residuals r − μ − b_u − b_i with P = R_res V, so the folded-in user is
/// b_u from the baseline step (<see cref="BaselineFoldIn.UserBias"/>, the run's <c>reg_user</c>), then
/// p = Σ_h (r_h − μ − b_u − b_h) q_h: what a trained user's row is, from the same residuals. Linear in the residuals:
/// entry h contributes (r_h − μ − b_u − b_h) q_h.
/// </summary>
internal sealed class CentredPureSvdFoldIn(SavedModel saved) : FactorFoldIn(saved)
{
    private readonly double _regularization = SavedParameters.Double(saved, "reg_user", new BaselineOptions().UserRegularization);

    public override bool NeedsRatings => true;

    public override FoldedUser Fold(ReadOnlySpan<HistoryEntry> history)
    {
        var model = Model;
        var stride = model.Stride;
        var bias = (float)BaselineFoldIn.UserBias(model, history, _regularization);
        var vector = NewRow();
        var entries = history.ToArray();
        foreach (var entry in entries)
        {
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(model.ItemFactors.AsSpan(entry.Item * stride, stride), Residual(entry, bias), vector, vector);
        }

        return new FoldedUser(entries, vector, bias) { ContributionsOnDemand = () => Rows(entries, bias) };
    }

    /// <summary>The residual as the fit computes it: from the float biases, in double.</summary>
    private float Residual(HistoryEntry entry, float bias) =>
        (float)(entry.Rating - (Model.GlobalMean + bias + Model.ItemBias[entry.Item]));

    /// <summary>Entry h's row (r_h − μ − b_u − b_h) q_h, computed when an explanation asks for it.</summary>
    private float[] Rows(HistoryEntry[] history, float bias)
    {
        var stride = Model.Stride;
        var rows = new float[history.Length * stride];
        for (var h = 0; h < history.Length; h++)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(Model.ItemFactors.AsSpan(history[h].Item * stride, stride), Residual(history[h], bias), rows.AsSpan(h * stride, stride));
        }

        return rows;
    }
}
