using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Models;

namespace LatentLens.Api.Recommender.FoldIn;

/// <summary>
/// FunkSvd and SVD++ (and their bias-only cousin, the baseline, in <see cref="BaselineFoldIn"/>): the user's bias and factors
/// x = [b_u; p] solve the regularised least-squares problem against the fixed item side,
/// min Σ_h (r_h − μ − b_h − q_h·s − b_u − p·q_h)² + κ (b_u² + |p|²), in closed form: one (f+1) × (f+1) solve
/// (z_h = [1; q_h], A = Σ z_h z_hᵀ + κI, x = A⁻¹ Σ z_h t_h), κ = |H|λ + 1/(γE) from the run's <c>regularization</c> λ,
/// <c>learning_rate</c> γ and <c>epochs</c> E. |H|λ is the fixed point of the SGD the model was trained with (every rating
/// shrinks b_u and p by λ, so at convergence Σ_h e_h z_h = |H|λ x); 1/(γE) is the ridge that stopping gradient descent
/// after E steps of γ from zero amounts to (Ali, Kolter and Tibshirani 2019): the trained users' vectors are where the
/// epochs left them, far from that fixed point at Surprise's defaults (1/(γE) = 10 against |H|λ = 1 for 50 ratings).
/// SVD++ adds its implicit term from the history exactly, s = |H|^(-1/2) Σ_h y_h (the saved y_j), and serves p + s as
/// the user's vector, as its trained users are; FunkSvd has s = 0.
/// Linear in the targets t_h = r_h − μ − b_h − q_h·s: entry h's part of item i's score is t_h z_hᵀA⁻¹[0; q_i]
/// (+ |H|^(-1/2) y_h·q_i for SVD++), as implicit's <c>explain</c> splits an ALS score.
/// </summary>
internal sealed class SgdFoldIn : FactorFoldIn
{
    private readonly double _regularization;
    private readonly double _earlyStopping;
    private readonly float[]? _implicit;

    // FunkSvd's implicit term: zero, shared by every fold (never written), instead of a new row per request.
    private readonly float[] _zeros;

    public SgdFoldIn(SavedModel saved)
        : base(saved)
    {
        var defaults = saved.Model.Algorithm == AlgorithmFactory.SvdPlusPlus ? (SgdOptions)new SvdPlusPlusOptions() : new FunkSvdOptions();
        _regularization = SavedParameters.Double(saved, "regularization", defaults.Regularization);
        var steps = SavedParameters.Double(saved, "learning_rate", defaults.LearningRate) * SavedParameters.Int(saved, "epochs", defaults.Epochs);
        _earlyStopping = steps > 0 ? 1 / steps : 0;
        _implicit = saved.Model.ItemImplicitFactors;
        _zeros = new float[saved.Model.Stride];
        if (saved.Model.Algorithm == AlgorithmFactory.SvdPlusPlus && _implicit is null)
        {
            // An SVD++ artifact saved before item_implicit.npy: the implicit term cannot be formed, so the fold-in is
            // FunkSvd's rule against the same items (still a least-squares fit, without the history's implicit term).
            MissingImplicitTerm = true;
        }
    }

    /// <summary>True for an SVD++ model saved without its y_j: folded in as FunkSvd (no implicit term).</summary>
    public bool MissingImplicitTerm { get; }

    public override bool NeedsRatings => true;

    public override FoldedUser Fold(ReadOnlySpan<HistoryEntry> history)
    {
        var model = Model;
        var f = model.Factors;
        var entries = history.ToArray();

        // s = |H|^(-1/2) Σ y_h, the implicit term (SVD++ only).
        var implicitTerm = _implicit is null ? _zeros : NewRow();
        var scale = entries.Length == 0 ? 0f : 1f / MathF.Sqrt(entries.Length);
        if (_implicit is { } y)
        {
            foreach (var entry in entries)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(implicitTerm, y.AsSpan(entry.Item * model.Stride, model.Stride), implicitTerm);
            }

            System.Numerics.Tensors.TensorPrimitives.Multiply(implicitTerm, scale, implicitTerm);
        }

        var x = Build(entries, implicitTerm, NormalEquations.Rent(f + 1, entries.Length)).Solve();
        var vector = NewRow();
        for (var c = 0; c < f; c++)
        {
            vector[c] = (float)x[c + 1] + implicitTerm[c];
        }

        // Explaining needs the factored system: it is folded again, into one of its own, when first asked for.
        var state = new Lazy<State>(() =>
        {
            var system = Build(entries, implicitTerm, new NormalEquations(f + 1, entries.Length));
            system.Solve();
            return new State(system, scale);
        });
        return new FoldedUser(entries, vector, (float)x[0])
        {
            State = state,
            ContributionsOnDemand = () => Contributions(state.Value.System, entries, scale),
        };
    }

    /// <summary>A = Σ z_h z_hᵀ + |H|λI and b = Σ z_h t_h, z_h = [1; q_h], t_h = r_h − μ − b_h − q_h·s.</summary>
    private NormalEquations Build(HistoryEntry[] history, float[] implicitTerm, NormalEquations system)
    {
        var model = Model;
        var (f, stride) = (model.Factors, model.Stride);
        system.AddDiagonal((history.Length * _regularization) + _earlyStopping);
        foreach (var entry in history)
        {
            var q = model.ItemFactors.AsSpan(entry.Item * stride, f);
            var z = system.NextRow();
            z[0] = 1;
            DenseKernels.Widen(q, z[1..]);
            var target = entry.Rating - model.GlobalMean - model.ItemBias[entry.Item]
                - (_implicit is null ? 0 : System.Numerics.Tensors.TensorPrimitives.Dot(q, implicitTerm.AsSpan(0, f)));
            system.Add(1, target);
        }

        return system;
    }

    public override bool Explain(FoldedUser user, int item, Span<float> parts)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user.State is not Lazy<State> lazy)
        {
            return false;
        }

        var state = lazy.Value;
        var model = Model;
        var (f, stride) = (model.Factors, model.Stride);
        var q = model.ItemFactors.AsSpan(item * stride, f);
        var target = new double[f + 1];
        for (var c = 0; c < f; c++)
        {
            target[c + 1] = q[c];
        }

        state.System.PartOf(target, parts);
        if (_implicit is { } y)
        {
            for (var h = 0; h < user.History.Length; h++)
            {
                parts[h] += state.Scale * System.Numerics.Tensors.TensorPrimitives.Dot(y.AsSpan(user.History[h].Item * stride, f), q);
            }
        }

        return true;
    }

    private float[] Contributions(NormalEquations system, HistoryEntry[] history, float scale)
    {
        var (f, stride) = (Model.Factors, Model.Stride);
        var rows = new float[history.Length * stride];
        var term = new double[f + 1];
        for (var h = 0; h < history.Length; h++)
        {
            system.TermOf(h, term);
            var row = rows.AsSpan(h * stride, stride);
            for (var c = 0; c < f; c++)
            {
                row[c] = (float)term[c + 1];
            }

            if (_implicit is { } y)
            {
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(y.AsSpan(history[h].Item * stride, stride), scale, row, row);
            }
        }

        return rows;
    }

    private sealed record State(NormalEquations System, float Scale);
}
