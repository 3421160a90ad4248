using System.Diagnostics;
using System.Runtime.CompilerServices;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Recommender.Numerics;

namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>Hyper-parameters of <see cref="SvdPlusPlus"/>; the defaults are Surprise's <c>SVDpp</c>'s.</summary>
internal sealed record SvdPlusPlusOptions : SgdOptions
{
    public SvdPlusPlusOptions()
    {
        Factors = 20;
        LearningRate = 0.007;
    }
}

/// <summary>
/// SVD++ (Koren 2008) with Surprise's <c>SVDpp</c> update rule and defaults:
/// r̂ = μ + b_u + b_i + q_i·(p_u + |N(u)|^(-1/2) Σ_{j∈N(u)} y_j), N(u) the items u rated. For each
/// rating, with s = |N(u)|^(-1/2) Σ y_j and e the error: b_u += γ(e − λb_u), b_i += γ(e − λb_i),
/// p_u += γ(e·q_i − λp_u), q_i += γ(e·(p_u + s) − λq_i), and for every j in N(u)
/// y_j += γ(e·q_i·|N(u)|^(-1/2) − λy_j), all from the old values.
/// </summary>
/// <remarks>
/// Surprise recomputes s and updates every y_j for every rating: O(|N(u)|·f) per rating, which is why
/// its fit takes half a minute on MovieLens 100K. Here the same arithmetic is done lazily: during one
/// user's ratings every y_j of N(u) follows the same recurrence y ← d·y + c_t·q_t (d = 1 − γλ), so
/// s follows s ← d·s + γ·e_t·q_t, and the y_j are brought up to date once at the end of the user
/// (y_j ← dⁿ·y_j + w with w the accumulated c_t·q_t terms). The result is Surprise's up to rounding
/// (a transcription test checks it), at O(f) per rating. Factors are kept in double precision, as
/// Surprise's are. The served model folds the implicit term into the user's vector,
/// p_u + |N(u)|^(-1/2) Σ y_j, so serving and similar items need nothing new. The train RMSE of an
/// epoch is the running RMSE of the errors seen during its pass (as LIBMF reports it).
/// </remarks>
internal sealed class SvdPlusPlus(SvdPlusPlusOptions options) : IRecommenderAlgorithm
{
    public SvdPlusPlusOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    public string Name => "svdpp";

    public string DisplayName => $"svdpp-f{Options.Factors}-e{Options.Epochs}";

    public IReadOnlyDictionary<string, string> Parameters => Options.ToParameters(Name);

    /// <summary>The parameters being learnt, row-major with <c>Factors</c> doubles per row.</summary>
    internal sealed record State(double[] UserBias, double[] ItemBias, double[] P, double[] Q, double[] Y);

    /// <summary>Biases zero; P, Q then Y drawn from N(mean, std²) in that order (Surprise's order), seeded.</summary>
    internal State Initialize(Trainset trainset)
    {
        ArgumentNullException.ThrowIfNull(trainset);
        var f = Options.Factors;
        var random = new GaussianFill(Options.Seed);
        double[] Draw(int rows)
        {
            var values = FactorLayout.RandomNormalRows(rows, f, f, Options.InitMean, Options.InitStdDev, ref random);
            return Array.ConvertAll(values, v => (double)v);
        }

        var p = Draw(trainset.UserCount);
        var q = Draw(trainset.ItemCount);
        var y = Draw(trainset.ItemCount);
        return new State(new double[trainset.UserCount], new double[trainset.ItemCount], p, q, y);
    }

    public FactorModel Fit(Trainset trainset, Action<EpochReport>? onEpoch = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainset);
        Options.Validate();
        var state = Initialize(trainset);
        var starts = UserStarts(trainset);
        var grid = SgdBlocks.GridFor(Options, trainset);
        if (grid > 1)
        {
            using var blocks = SgdBlocks.Build(trainset, grid, Options.Seed);
            SvdPlusPlusBlocks.Train(blocks, trainset, starts, state, Options, onEpoch, cancellationToken);
            return ToModel(trainset, starts, state);
        }

        var clock = Stopwatch.StartNew();
        for (var epoch = 1; epoch <= Options.Epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var sse = RunEpoch(trainset, starts, state, Options.Factors, trainset.GlobalMean, Options.LearningRate, Options.Regularization);
            onEpoch?.Invoke(new EpochReport(epoch, Math.Sqrt(sse / Math.Max(1, trainset.Count)), clock.Elapsed));
        }

        return ToModel(trainset, starts, state);
    }

    /// <summary>
    /// One epoch on four ratings with these options, so the JIT has compiled the epoch loop before a timed fit. Without it
    /// the first fit of a process ran its first epochs as unoptimised code while the optimising compile of the loop
    /// competed for the second core: u1's fit varied from run to run by half (docs/benchmarks.md §22).
    /// </summary>
    public void WarmUp()
    {
        RawRating[] tiny = [new("a", "x", 1, 0), new("a", "y", 2, 0), new("b", "x", 3, 0), new("b", "y", 4, 0)];
        new SvdPlusPlus(Options with { Epochs = 1 }).Fit(Trainset.Build(tiny, new RatingScale(1, 5)));
    }

    /// <summary>Where each user's ratings start in the trainset (grouped by user), and the end as the last entry.</summary>
    internal static int[] UserStarts(Trainset trainset) => RowIndex.StartsOf(trainset.UserIndex, trainset.UserCount);

    /// <summary>One pass over the ratings user by user; returns the sum of squared errors seen before each update.</summary>
    /// <remarks>Jitted optimised at once: tiering would run the first epochs unoptimised (the arithmetic is the same either way).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static double RunEpoch(Trainset trainset, int[] starts, State state, int f, double mu, double lr, double reg)
    {
        var (bu, bi, p, q, y) = (state.UserBias, state.ItemBias, state.P, state.Q, state.Y);
        var items = trainset.ItemIndex;
        var values = trainset.Values;
        var decay = 1 - (lr * reg);
        var s = new double[f];
        var w = new double[f];
        double sse = 0;
        for (var u = 0; u < starts.Length - 1; u++)
        {
            var (from, to) = (starts[u], starts[u + 1]);
            if (from == to)
            {
                continue;
            }

            var inv = 1 / Math.Sqrt(to - from);
            Array.Clear(s);
            Array.Clear(w);
            for (var k = from; k < to; k++)
            {
                var yj = y.AsSpan(items[k] * f, f);
                for (var c = 0; c < f; c++)
                {
                    s[c] += yj[c];
                }
            }

            for (var c = 0; c < f; c++)
            {
                s[c] *= inv;
            }

            var scale = 1.0;
            var pu = p.AsSpan(u * f, f);
            for (var k = from; k < to; k++)
            {
                var i = items[k];
                var qi = q.AsSpan(i * f, f);
                double dot = 0;
                for (var c = 0; c < f; c++)
                {
                    dot += qi[c] * (pu[c] + s[c]);
                }

                var err = values[k] - (mu + bu[u] + bi[i] + dot);
                sse += err * err;
                bu[u] += lr * (err - (reg * bu[u]));
                bi[i] += lr * (err - (reg * bi[i]));
                var step = lr * err;
                for (var c = 0; c < f; c++)
                {
                    var (puf, qif) = (pu[c], qi[c]);
                    pu[c] += lr * ((err * qif) - (reg * puf));
                    qi[c] += lr * ((err * (puf + s[c])) - (reg * qif));

                    // Every y_j of N(u): y ← decay·y + γ·e·q_i/√|N(u)|; their scaled sum follows.
                    s[c] = (decay * s[c]) + (step * qif);
                    w[c] = (decay * w[c]) + (step * qif * inv);
                }

                scale *= decay;
            }

            for (var k = from; k < to; k++)
            {
                var yj = y.AsSpan(items[k] * f, f);
                for (var c = 0; c < f; c++)
                {
                    yj[c] = (scale * yj[c]) + w[c];
                }
            }
        }

        return sse;
    }

    /// <summary>The served model: p_u + |N(u)|^(-1/2) Σ y_j as the user's vector, rows padded for the SIMD kernels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private FactorModel ToModel(Trainset trainset, int[] starts, State state)
    {
        var f = Options.Factors;
        var stride = FactorLayout.StrideFor(f);
        var userFactors = new float[trainset.UserCount * stride];
        var itemFactors = new float[trainset.ItemCount * stride];
        var implicitSum = new double[f];
        for (var u = 0; u < trainset.UserCount; u++)
        {
            Array.Clear(implicitSum);
            var count = starts[u + 1] - starts[u];
            for (var k = starts[u]; k < starts[u + 1]; k++)
            {
                var yj = state.Y.AsSpan(trainset.ItemIndex[k] * f, f);
                for (var c = 0; c < f; c++)
                {
                    implicitSum[c] += yj[c];
                }
            }

            var inv = count == 0 ? 0 : 1 / Math.Sqrt(count);
            for (var c = 0; c < f; c++)
            {
                userFactors[(u * stride) + c] = (float)(state.P[(u * f) + c] + (inv * implicitSum[c]));
            }
        }

        var implicitFactors = new float[trainset.ItemCount * stride];
        for (var i = 0; i < trainset.ItemCount; i++)
        {
            for (var c = 0; c < f; c++)
            {
                itemFactors[(i * stride) + c] = (float)state.Q[(i * f) + c];
                implicitFactors[(i * stride) + c] = (float)state.Y[(i * f) + c];
            }
        }

        // The y_j are kept beside the model for fold-in: a new user's implicit term is |H|^(-1/2) Σ_{j∈H} y_j.
        return new FactorModel(Name, trainset.Users, trainset.Items, trainset.Scale, trainset.GlobalMean,
            Array.ConvertAll(state.UserBias, b => (float)b), Array.ConvertAll(state.ItemBias, b => (float)b), f, stride, userFactors, itemFactors)
        {
            ItemImplicitFactors = implicitFactors,
        };
    }
}
