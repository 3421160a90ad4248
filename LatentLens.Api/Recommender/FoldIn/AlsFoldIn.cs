using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Models;

namespace LatentLens.Api.Recommender.FoldIn;

/// <summary>
/// Implicit ALS, as implicit's <c>recalculate_user</c>: the user's factors solve the least-squares problem of the
/// implicit-feedback objective with the item factors Y fixed, exactly (Cholesky, not the fit's few CG steps):
/// p = (YᵀY + Yᵀ(C_u − I)Y + λI)⁻¹ YᵀC_u p(u), with the confidence rule of the fit (<see cref="ImplicitAlsAdjacency"/>):
/// c_h = 1 + α·r_h for a history item (preference 1), c = 1 and preference 0 for every other item; λ and α the run's
/// <c>regularization</c> and <c>alpha</c>. YᵀY + λI is formed once per model. Explained as implicit's <c>explain</c>:
/// entry h's part of item i's score is c_h · y_hᵀ A⁻¹ y_i, which sum to p·y_i. With the run's
/// <c>regularization_scaling</c> = <c>frequency</c> (Rendle et al. 2021, the default since the search), λ is the
/// user's own as in the fit (<see cref="ImplicitAlsAdjacency.ScaledPenalty"/>): λ · (items + Σ_h α·r_h).
/// </summary>
internal sealed class AlsFoldIn : FactorFoldIn
{
    private readonly double _alpha;
    // YᵀY + λI in the system's padded layout (NormalEquations.SetMatrix).
    private readonly double[] _gram;

    // Scaled regularisation: λ per user, the gram holds none; 0 when λ is in the gram.
    private readonly double _scaledLambda;

    public AlsFoldIn(SavedModel saved)
        : base(saved)
    {
        var defaults = new ImplicitAlsOptions();
        _alpha = SavedParameters.Double(saved, "alpha", defaults.Alpha);
        var regularization = SavedParameters.Double(saved, "regularization", defaults.Regularization);
        var scaled = saved.Parameters.TryGetValue("regularization_scaling", out var scaling) && scaling == "frequency";
        _scaledLambda = scaled ? regularization : 0;
        _gram = NormalEquations.Padded(Gram(saved.Model, scaled ? 0 : regularization), saved.Model.Factors);
    }

    public override bool NeedsRatings => true;

    /// <summary>YᵀY + λI over all items, upper triangle, f × f in double.</summary>
    internal static double[] Gram(FactorModel model, double regularization)
    {
        var (f, stride) = (model.Factors, model.Stride);
        var gram = new double[f * f];
        var row = new double[f];
        for (var i = 0; i < model.Items.Count; i++)
        {
            var y = model.ItemFactors.AsSpan(i * stride, f);
            for (var c = 0; c < f; c++)
            {
                row[c] = y[c];
            }

            for (var a = 0; a < f; a++)
            {
                if (row[a] != 0)
                {
                    var target = gram.AsSpan((a * f) + a, f - a);
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(row.AsSpan(a, f - a), row[a], target, target);
                }
            }
        }

        for (var a = 0; a < f; a++)
        {
            gram[(a * f) + a] += regularization;
        }

        return gram;
    }

    public override FoldedUser Fold(ReadOnlySpan<HistoryEntry> history)
    {
        var f = Model.Factors;
        var entries = history.ToArray();
        var x = Build(entries, NormalEquations.Rent(f, entries.Length)).Solve();
        var vector = NewRow();
        for (var c = 0; c < f; c++)
        {
            vector[c] = (float)x[c];
        }

        // Explaining needs the factored system: it is folded again, into one of its own, when first asked for.
        var state = new Lazy<NormalEquations>(() =>
        {
            var system = Build(entries, new NormalEquations(f, entries.Length));
            system.Solve();
            return system;
        });
        return new FoldedUser(entries, vector, 0)
        {
            State = state,
            ContributionsOnDemand = () => Contributions(state.Value, entries.Length),
        };
    }

    /// <summary>A = YᵀY + λI + Σ_h (c_h − 1) y_h y_hᵀ and b = Σ_h c_h y_h, c_h = 1 + α r_h.</summary>
    private NormalEquations Build(HistoryEntry[] history, NormalEquations system)
    {
        var (f, stride) = (Model.Factors, Model.Stride);
        system.SetMatrix(_gram);
        if (_scaledLambda > 0)
        {
            // The fit's ScaledPenalty for this row: λ times its total confidence over every item.
            double total = Model.Items.Count;
            foreach (var entry in history)
            {
                total += _alpha * entry.Rating;
            }

            system.AddDiagonal(_scaledLambda * total);
        }

        foreach (var entry in history)
        {
            var y = Model.ItemFactors.AsSpan(entry.Item * stride, f);
            DenseKernels.Widen(y, system.NextRow());

            var weight = _alpha * entry.Rating;
            system.Add(weight, 1 + weight);
        }

        return system;
    }

    public override bool Explain(FoldedUser user, int item, Span<float> parts)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user.State is not Lazy<NormalEquations> lazy)
        {
            return false;
        }

        var system = lazy.Value;
        var (f, stride) = (Model.Factors, Model.Stride);
        var q = Model.ItemFactors.AsSpan(item * stride, f);
        var target = new double[f];
        for (var c = 0; c < f; c++)
        {
            target[c] = q[c];
        }

        system.PartOf(target, parts);
        return true;
    }

    private float[] Contributions(NormalEquations system, int count)
    {
        var (f, stride) = (Model.Factors, Model.Stride);
        var rows = new float[count * stride];
        var term = new double[f];
        for (var h = 0; h < count; h++)
        {
            system.TermOf(h, term);
            for (var c = 0; c < f; c++)
            {
                rows[(h * stride) + c] = (float)term[c];
            }
        }

        return rows;
    }
}
