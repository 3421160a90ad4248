using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Models;

namespace LatentLens.Api.Recommender.FoldIn;

/// <summary>
/// BPMF. The served model is K kept Gibbs samples side by side (each k wide, scaled by 1/√K, so a dot product is the
/// mean of the samples' predictions), biases averaged. What is not saved: each sample's hyper-parameters (μ_U, Λ_U),
/// its noise precision α, its per-sample user biases and its implicit y_j. So the fold-in is, per kept sample s, the
/// posterior mean of the user's vector given that sample's item side, which is the sampler's own conditional
/// (Gaussian: prior precision Λ_s + α_s Σ_h z_h z_hᵀ), with the missing pieces replaced by what the saved samples
/// show: the prior mean and covariance of [p_u; b_u] are the empirical mean and covariance of the trained users'
/// sample-s rows (with the averaged bias), and α_s = n / Σ (r − r̂_s)² over the training ratings of sample s alone
/// (the model's default precision when an old artifact has no rated values). z_h = [q_h^s; 1], the target
/// r_h − μ − b_h. The user's implicit term is not separated: the trained rows it is estimated from include it, so the
/// prior already carries its average. The folded user is the K posterior means side by side, so its score is the
/// mean over samples of the conditional posterior-mean prediction. Explain splits the score as for ALS
/// (Σ_s α_s t_h z_hᵀA_s⁻¹[q_i^s/K; 0]); the prior-mean term, which no history entry owns, is left out.
/// </summary>
internal sealed class BpmfFoldIn : FactorFoldIn
{
    private readonly int _k;
    private readonly int _samples;
    private readonly double[][] _precision;
    private readonly double[][] _precisionMean;
    private readonly double[] _alpha;

    public BpmfFoldIn(SavedModel saved)
        : base(saved)
    {
        var model = saved.Model;
        _samples = Math.Max(1, SavedParameters.Int(saved, "kept_samples", 1));
        _k = SavedParameters.Int(saved, "factors", model.Factors / _samples);
        if (_k * _samples != model.Factors)
        {
            (_k, _samples) = (model.Factors, 1);
        }

        _precision = new double[_samples][];
        _precisionMean = new double[_samples][];
        _alpha = new double[_samples];
        for (var s = 0; s < _samples; s++)
        {
            (_precision[s], _precisionMean[s]) = Prior(model, s);
            _alpha[s] = NoisePrecision(saved, s);
        }
    }

    public override bool NeedsRatings => true;

    /// <summary>The unscaled row of sample s (√K times the saved block), k floats.</summary>
    private void SampleRow(float[] rows, int row, int s, Span<double> into)
    {
        var block = rows.AsSpan((row * Model.Stride) + (s * _k), _k);
        var scale = Math.Sqrt(_samples);
        for (var c = 0; c < _k; c++)
        {
            into[c] = block[c] * scale;
        }
    }

    /// <summary>Λ_s (the inverse empirical covariance of [p_u; b_u], ridged) and Λ_s m_s.</summary>
    private (double[] Precision, double[] PrecisionMean) Prior(FactorModel model, int s)
    {
        var n = _k + 1;
        var users = model.Users.Count;
        var mean = new double[n];
        var covariance = new double[n * n];
        var row = new double[n];
        for (var u = 0; u < users; u++)
        {
            SampleRow(model.UserFactors, u, s, row);
            row[_k] = model.UserBias[u];
            System.Numerics.Tensors.TensorPrimitives.Add(mean, row, mean);
        }

        System.Numerics.Tensors.TensorPrimitives.Divide(mean, Math.Max(1, users), mean);
        for (var u = 0; u < users; u++)
        {
            SampleRow(model.UserFactors, u, s, row);
            row[_k] = model.UserBias[u];
            System.Numerics.Tensors.TensorPrimitives.Subtract(row, mean, row);
            for (var a = 0; a < n; a++)
            {
                for (var b = 0; b < n; b++)
                {
                    covariance[(a * n) + b] += row[a] * row[b];
                }
            }
        }

        // A ridge of 1e-6 of the mean variance keeps Λ_s finite when a direction has no spread (few users, a dead factor).
        System.Numerics.Tensors.TensorPrimitives.Divide(covariance, Math.Max(1, users - 1), covariance);
        var meanVariance = 0.0;
        for (var a = 0; a < n; a++)
        {
            meanVariance += covariance[(a * n) + a] / n;
        }

        for (var a = 0; a < n; a++)
        {
            covariance[(a * n) + a] += 1e-6 * Math.Max(meanVariance, 1e-6);
        }

        var precision = NormalEquations.Inverse(covariance, n);
        var precisionMean = new double[n];
        for (var a = 0; a < n; a++)
        {
            precisionMean[a] = System.Numerics.Tensors.TensorPrimitives.Dot(precision.AsSpan(a * n, n), mean);
        }

        return (precision, precisionMean);
    }

    /// <summary>α_s = n / Σ (r − μ − b_u − b_i − p_u^s·q_i^s)² over the training ratings; the model's default without them.</summary>
    private double NoisePrecision(SavedModel saved, int s)
    {
        var model = saved.Model;
        if (saved.RatedValues is not { } values || values.Length == 0)
        {
            return new BpmfOptions().Precision;
        }

        var p = new double[_k];
        var q = new double[_k];
        double sse = 0;
        for (var u = 0; u < model.Users.Count; u++)
        {
            SampleRow(model.UserFactors, u, s, p);
            for (var e = saved.RatedOffsets[u]; e < saved.RatedOffsets[u + 1]; e++)
            {
                var i = saved.RatedItems[e];
                SampleRow(model.ItemFactors, i, s, q);
                var error = values[e] - (model.GlobalMean + model.UserBias[u] + model.ItemBias[i] + System.Numerics.Tensors.TensorPrimitives.Dot(p, q));
                sse += error * error;
            }
        }

        return sse > 0 ? values.Length / sse : new BpmfOptions().Precision;
    }

    public override FoldedUser Fold(ReadOnlySpan<HistoryEntry> history)
    {
        var vector = NewRow();
        var entries = history.ToArray();
        double bias = 0;
        var scale = 1 / Math.Sqrt(_samples);
        for (var s = 0; s < _samples; s++)
        {
            var x = Build(entries, s, NormalEquations.Rent(_k + 1, entries.Length)).Solve();
            for (var c = 0; c < _k; c++)
            {
                vector[(s * _k) + c] = (float)(x[c] * scale);
            }

            bias += x[_k] / _samples;
        }

        // Explaining needs the factored systems: they are folded again, into systems of their own, when first asked for.
        var state = new Lazy<NormalEquations[]>(() => [.. Enumerable.Range(0, _samples).Select(s =>
        {
            var system = Build(entries, s, new NormalEquations(_k + 1, entries.Length));
            system.Solve();
            return system;
        })]);
        return new FoldedUser(entries, vector, (float)bias)
        {
            State = state,
            ContributionsOnDemand = () => Contributions(state.Value, entries.Length),
        };
    }

    /// <summary>Sample s's system: A = Λ_s + α_s Σ z_h z_hᵀ, b = Λ_s m_s + α_s Σ z_h t_h, z_h = [q_h^s; 1], t_h = r_h − μ − b_h.</summary>
    private NormalEquations Build(HistoryEntry[] history, int s, NormalEquations system)
    {
        var model = Model;
        system.AddMatrix(_precision[s]);
        system.AddRightHandSide(_precisionMean[s]);
        foreach (var entry in history)
        {
            var z = system.NextRow();
            SampleRow(model.ItemFactors, entry.Item, s, z);
            z[_k] = 1;
            system.Add(_alpha[s], _alpha[s] * (entry.Rating - model.GlobalMean - model.ItemBias[entry.Item]));
        }

        return system;
    }

    public override bool Explain(FoldedUser user, int item, Span<float> parts)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user.State is not Lazy<NormalEquations[]> lazy)
        {
            return false;
        }

        var systems = lazy.Value;
        var count = user.History.Length;
        parts[..count].Clear();
        var target = new double[_k + 1];
        var sample = new float[count];
        for (var s = 0; s < _samples; s++)
        {
            SampleRow(Model.ItemFactors, item, s, target);
            System.Numerics.Tensors.TensorPrimitives.Divide(target.AsSpan(0, _k), _samples, target.AsSpan(0, _k));
            target[_k] = 0;
            systems[s].PartOf(target, sample);
            System.Numerics.Tensors.TensorPrimitives.Add(parts[..count], sample, parts[..count]);
        }

        return true;
    }

    private float[] Contributions(NormalEquations[] systems, int count)
    {
        var stride = Model.Stride;
        var rows = new float[count * stride];
        var term = new double[_k + 1];
        var scale = 1 / Math.Sqrt(_samples);
        for (var h = 0; h < count; h++)
        {
            for (var s = 0; s < _samples; s++)
            {
                systems[s].TermOf(h, term);
                for (var c = 0; c < _k; c++)
                {
                    rows[(h * stride) + (s * _k) + c] = (float)(term[c] * scale);
                }
            }
        }

        return rows;
    }
}
