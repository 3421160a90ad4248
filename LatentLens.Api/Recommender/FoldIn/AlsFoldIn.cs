using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Models;

namespace LatentLens.Api.Recommender.FoldIn;

/// <summary>
/// Implicit ALS, as implicit's <c>recalculate_user</c>: the user's factors solve the least-squares problem of the
/// implicit-feedback objective with the item factors Y fixed, exactly (Cholesky, not the fit's few CG steps):
/// p = (YᵀY + Yᵀ(C_u − I)Y + λI)⁻¹ YᵀC_u p(u), with the confidence rule of the fit (<see cref="ImplicitAlsAdjacency"/>):
/// c_h = 1 + α·r_h for a history item (preference 1), c = 1 and preference 0 for every other item; λ and α the run's
/// <c>regularization</c> and <c>alpha</c>. YᵀY + λI is formed once per model. Explained as implicit's <c>explain</c>:
/// entry h's part of item i's score is c_h · y_hᵀ A⁻¹ y_i, which sum to p·y_i.
/// </summary>
internal sealed class AlsFoldIn : FactorFoldIn
{
    private readonly double _alpha;
    private readonly double[] _gram;

    public AlsFoldIn(SavedModel saved)
        : base(saved)
    {
        var defaults = new ImplicitAlsOptions();
        _alpha = SavedParameters.Double(saved, "alpha", defaults.Alpha);
        var regularization = SavedParameters.Double(saved, "regularization", defaults.Regularization);
        _gram = Gram(saved.Model, regularization);
    }

    public override bool NeedsRatings => true;

    /// <summary>YᵀY + λI over all items, lower triangle, f × f in double.</summary>
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
                    var target = gram.AsSpan(a * f, a + 1);
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(row.AsSpan(0, a + 1), row[a], target, target);
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
        var model = Model;
        var (f, stride) = (model.Factors, model.Stride);
        var system = new NormalEquations(f, history.Length);
        system.AddMatrix(_gram);
        foreach (var entry in history)
        {
            var y = model.ItemFactors.AsSpan(entry.Item * stride, f);
            var z = system.NextRow();
            for (var c = 0; c < f; c++)
            {
                z[c] = y[c];
            }

            var weight = _alpha * entry.Rating;
            system.Add(weight, 1 + weight);
        }

        var x = system.Solve();
        var vector = NewRow();
        for (var c = 0; c < f; c++)
        {
            vector[c] = (float)x[c];
        }

        var entries = history.ToArray();
        return new FoldedUser(entries, vector, 0)
        {
            State = system,
            ContributionsOnDemand = () => Contributions(system, entries.Length),
        };
    }

    public override bool Explain(FoldedUser user, int item, Span<float> parts)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user.State is not NormalEquations system)
        {
            return false;
        }

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
