using System.Diagnostics;
using System.Globalization;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Recommender.Numerics;

namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>Hyper-parameters of <see cref="PureSvd"/>.</summary>
internal sealed record PureSvdOptions
{
    /// <summary>
    /// 14 for <c>puresvd</c>, chosen by <c>train --search 20</c> on validation data (docs/training.md, "Defaults"):
    /// within 2 % of the best on ml-latest-small's and the best of those on MovieLens 100K u1's.
    /// <see cref="AlgorithmFactory"/> gives <c>puresvd-centred</c>, which was not searched, its former 50.
    /// </summary>
    public int Factors { get; init; } = DefaultFactors;

    public const int DefaultFactors = 14;

    /// <summary><c>puresvd-centred</c>'s default factor count.</summary>
    public const int CentredDefaultFactors = 50;

    /// <summary>
    /// False (the default): Cremonesi's PureSVD for top-N, the SVD of the zero-filled rating matrix;
    /// it ranks but does not predict ratings. True: the SVD of the ratings centred on the baseline,
    /// which predicts ratings (r̂ = μ + b_u + b_i + p_u·q_i).
    /// </summary>
    public bool Centred { get; init; }

    /// <summary>
    /// Extra columns of the randomised range finder beyond <see cref="Factors"/> (Halko et al.'s p). Larger than
    /// their usual 5–10 because a rating matrix's spectrum is flat around the 50th singular value: on MovieLens 100K
    /// u1 at 50 factors, p = 10 and q = 4 leave σ₅₀ 4 % low and move the top-10 metrics by up to 0.013;
    /// p = 60 and q = 5 leave it 0.1 % low and the metrics within 0.0025 of the exact SVD's (docs/benchmarks.md §12).
    /// </summary>
    public int Oversampling { get; init; } = 60;

    /// <summary>Power iterations of the randomised range finder (Halko et al.'s q): each one sharpens the subspace.</summary>
    public int PowerIterations { get; init; } = 5;

    /// <summary>Seed of the range finder's Gaussian test matrix: same seed and data, identical model.</summary>
    public int Seed { get; init; }

    /// <summary>Options of the baseline the ratings are centred on (when <see cref="Centred"/>).</summary>
    public BaselineOptions Baseline { get; init; } = new();

    public void Validate()
    {
        if (Factors < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Factors), Factors, "factors must be at least 1");
        }

        if (Oversampling < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Oversampling), Oversampling, "oversampling must be at least 0");
        }

        if (PowerIterations < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(PowerIterations), PowerIterations, "power iterations must be at least 0");
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
/// The truncated SVD is the randomised one of Halko, Martinsson and Tropp (<see cref="RandomizedSvd"/>):
/// sparse products with the rating matrix and QRs of tall k + p column matrices (MathNet.Numerics), never
/// a decomposition of the whole matrix or of its Gram matrix; seeded, so the same seed and data give the same model.
/// Item factors are the right singular vectors V_k (orthonormal columns); user factors are U_k Σ_k (= R V_k).
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
            ["oversampling"] = Options.Oversampling.ToString(CultureInfo.InvariantCulture),
            ["power_iterations"] = Options.PowerIterations.ToString(CultureInfo.InvariantCulture),
            ["seed"] = Options.Seed.ToString(CultureInfo.InvariantCulture),
        }
        : new Dictionary<string, string>
        {
            ["algorithm"] = Name,
            ["factors"] = Options.Factors.ToString(CultureInfo.InvariantCulture),
            ["oversampling"] = Options.Oversampling.ToString(CultureInfo.InvariantCulture),
            ["power_iterations"] = Options.PowerIterations.ToString(CultureInfo.InvariantCulture),
            ["seed"] = Options.Seed.ToString(CultureInfo.InvariantCulture),
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
        var userFactors = new float[users * stride];
        var itemFactors = new float[items * stride];
        if (factors > 0)
        {
            var matrix = CsrMatrix.FromEntries(users, items, trainset.UserIndex, trainset.ItemIndex, residual);
            var svd = RandomizedSvd.Compute(matrix, factors, Options.Oversampling, Options.PowerIterations, Options.Seed, cancellationToken);
            for (var f = 0; f < factors; f++)
            {
                // A singular value at rounding level (rank-deficient data) leaves its factor zero.
                var sigma = svd.SingularValues[f];
                if (sigma == 0)
                {
                    continue;
                }

                // P = U Σ, Q = V: p_u·q_i is the rank-k matrix, and p_u = r_u V (Cremonesi's r_u V Vᵀ scores).
                for (var u = 0; u < users; u++)
                {
                    userFactors[(u * stride) + f] = (float)(svd.UAt(u, f) * sigma);
                }

                for (var i = 0; i < items; i++)
                {
                    itemFactors[(i * stride) + f] = (float)svd.VAt(i, f);
                }
            }
        }

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
