using System.Diagnostics;
using System.Globalization;
using LatentLens.Api.Recommender.Data;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>Hyper-parameters of <see cref="PureSvd"/>.</summary>
internal sealed record PureSvdOptions
{
    public int Factors { get; init; } = 50;

    /// <summary>
    /// False (the default): Cremonesi's PureSVD for top-N, the SVD of the zero-filled rating matrix;
    /// it ranks but does not predict ratings. True: the SVD of the ratings centred on the baseline,
    /// which predicts ratings (r̂ = μ + b_u + b_i + p_u·q_i).
    /// </summary>
    public bool Centred { get; init; }

    /// <summary>Options of the baseline the ratings are centred on (when <see cref="Centred"/>).</summary>
    public BaselineOptions Baseline { get; init; } = new();

    public void Validate()
    {
        if (Factors < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Factors), Factors, "factors must be at least 1");
        }

        Baseline.Validate();
    }
}

/// <summary>
/// PureSVD (Cremonesi, Koren, Turrin 2010, "Performance of recommender algorithms on top-N
/// recommendation tasks"): the rank-k truncated SVD R ≈ U_k Σ_k V_kᵀ of the rating matrix with unknown
/// entries zero; a user's scores are r_u V_k V_kᵀ = p_u·q_i with p_u = r_u V_k, q_i the rows of V_k.
/// The scores rank; they are not ratings. <c>puresvd-centred</c> (<see cref="PureSvdOptions.Centred"/>)
/// factors the ratings minus the baseline estimate μ + b_u + b_i instead and predicts
/// r̂ = μ + b_u + b_i + (U_k Σ_k V_kᵀ)_ui.
/// </summary>
/// <remarks>
/// The SVD is computed with MathNet.Numerics from the eigen-decomposition of the smaller Gram
/// matrix (R Rᵀ or Rᵀ R, accumulated from the sparse ratings), so a 610 × 9,724 matrix costs a
/// 610 × 610 symmetric eigenproblem instead of a full SVD with a 9,724 × 9,724 V.
/// Item factors are the right singular vectors V_k (orthonormal columns); user factors are R V_k.
/// </remarks>
internal sealed class PureSvd(PureSvdOptions options) : IRecommenderAlgorithm
{
    public PureSvdOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    public const string TopNName = "puresvd";
    public const string CentredName = "puresvd-centred";

    public string Name => Options.Centred ? CentredName : TopNName;

    public string DisplayName => $"{Name}-f{Options.Factors}";

    public IReadOnlyDictionary<string, string> Parameters => Options.Centred
        ? new Dictionary<string, string>
        {
            ["algorithm"] = Name,
            ["factors"] = Options.Factors.ToString(CultureInfo.InvariantCulture),
            ["baseline_epochs"] = Options.Baseline.Epochs.ToString(CultureInfo.InvariantCulture),
            ["reg_user"] = Options.Baseline.UserRegularization.ToString("R", CultureInfo.InvariantCulture),
            ["reg_item"] = Options.Baseline.ItemRegularization.ToString("R", CultureInfo.InvariantCulture),
        }
        : new Dictionary<string, string>
        {
            ["algorithm"] = Name,
            ["factors"] = Options.Factors.ToString(CultureInfo.InvariantCulture),
        };

    public FactorModel Fit(Trainset trainset, Action<EpochReport>? onEpoch = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainset);
        Options.Validate();
        var clock = Stopwatch.StartNew();

        var (userBias, itemBias) = Options.Centred
            ? Baseline.FitBiases(trainset, Options.Baseline, null, cancellationToken)
            : (new float[trainset.UserCount], new float[trainset.ItemCount]);
        var mean = Options.Centred ? trainset.GlobalMean : 0;
        var n = trainset.Count;
        var residual = new double[n];
        for (var k = 0; k < n; k++)
        {
            residual[k] = trainset.Values[k] - (mean + userBias[trainset.UserIndex[k]] + itemBias[trainset.ItemIndex[k]]);
        }

        var users = trainset.UserCount;
        var items = trainset.ItemCount;
        var factors = Math.Min(Options.Factors, Math.Min(users, items));
        var stride = FactorLayout.StrideFor(factors);

        // Rows of R on the smaller side: the Gram matrix is side × side.
        var byUsers = users <= items;
        var side = byUsers ? users : items;
        var rowOf = byUsers ? trainset.UserIndex : trainset.ItemIndex;
        var colOf = byUsers ? trainset.ItemIndex : trainset.UserIndex;
        var columns = byUsers ? items : users;

        // Entries of R grouped by column, to accumulate G = R Rᵀ column by column.
        var start = new int[columns + 1];
        foreach (var c in colOf)
        {
            start[c + 1]++;
        }

        for (var c = 0; c < columns; c++)
        {
            start[c + 1] += start[c];
        }

        var next = (int[])start.Clone();
        var entryRow = new int[n];
        var entryValue = new double[n];
        for (var k = 0; k < n; k++)
        {
            var slot = next[colOf[k]]++;
            entryRow[slot] = rowOf[k];
            entryValue[slot] = residual[k];
        }

        var gram = Matrix<double>.Build.Dense(side, side);
        for (var c = 0; c < columns; c++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            for (var a = start[c]; a < start[c + 1]; a++)
            {
                for (var b = start[c]; b < start[c + 1]; b++)
                {
                    gram.At(entryRow[a], entryRow[b], gram.At(entryRow[a], entryRow[b]) + (entryValue[a] * entryValue[b]));
                }
            }
        }

        var evd = gram.Evd(Symmetricity.Symmetric);
        var order = Enumerable.Range(0, side).OrderByDescending(j => evd.EigenValues[j].Real).Take(factors).ToArray();

        // Left vectors W (side × k) of R; the other side's vectors are Rᵀ W Σ⁻¹.
        var sideFactors = new float[side * stride];
        var otherFactors = new float[columns * stride];
        for (var f = 0; f < factors; f++)
        {
            var lambda = evd.EigenValues[order[f]].Real;
            var sigma = lambda > 1e-9 ? Math.Sqrt(lambda) : 0;
            var w = evd.EigenVectors.Column(order[f]);
            if (sigma == 0)
            {
                continue;
            }

            // Right singular vector v = Rᵀ w / σ.
            var v = new double[columns];
            for (var c = 0; c < columns; c++)
            {
                double s = 0;
                for (var a = start[c]; a < start[c + 1]; a++)
                {
                    s += entryValue[a] * w[entryRow[a]];
                }

                v[c] = s / sigma;
            }

            if (byUsers)
            {
                // Users are the rows: P = U Σ, Q = V.
                for (var r = 0; r < side; r++)
                {
                    sideFactors[(r * stride) + f] = (float)(w[r] * sigma);
                }

                for (var c = 0; c < columns; c++)
                {
                    otherFactors[(c * stride) + f] = (float)v[c];
                }
            }
            else
            {
                // Items are the rows of Rᵀ: Q = W (orthonormal), P = R W = V Σ.
                for (var r = 0; r < side; r++)
                {
                    sideFactors[(r * stride) + f] = (float)w[r];
                }

                for (var c = 0; c < columns; c++)
                {
                    otherFactors[(c * stride) + f] = (float)(v[c] * sigma);
                }
            }
        }

        var userFactors = byUsers ? sideFactors : otherFactors;
        var itemFactors = byUsers ? otherFactors : sideFactors;
        var model = new FactorModel(Name, trainset.Users, trainset.Items, trainset.Scale, mean,
            userBias, itemBias, factors, stride, userFactors, itemFactors)
        {
            PredictsRatings = Options.Centred,
        };

        if (onEpoch is not null)
        {
            // How well the rank-k matrix reproduces the observed entries (unclipped: the top-N scores are no ratings).
            double sse = 0;
            for (var k = 0; k < n; k++)
            {
                var (u, i) = (trainset.UserIndex[k], trainset.ItemIndex[k]);
                var e = residual[k] - System.Numerics.Tensors.TensorPrimitives.Dot(userFactors.AsSpan(u * stride, stride), itemFactors.AsSpan(i * stride, stride));
                sse += e * e;
            }

            onEpoch(new EpochReport(1, Math.Sqrt(sse / Math.Max(1, n)), clock.Elapsed));
        }

        return model;
    }
}
