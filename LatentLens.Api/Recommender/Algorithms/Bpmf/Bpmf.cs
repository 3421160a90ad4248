using System.Globalization;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Models;

namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>Hyper-parameters of <see cref="Bpmf"/>.</summary>
internal sealed record BpmfOptions
{
    /// <summary>The rank k of each posterior sample.</summary>
    public int Factors { get; init; } = 10;

    /// <summary>Gibbs sweeps in all, burn-in included.</summary>
    public int Samples { get; init; } = 100;

    /// <summary>Sweeps discarded before the posterior average starts.</summary>
    public int BurnIn { get; init; } = 10;

    /// <summary>Every <c>Thin</c>-th post-burn-in sample (counting back from the last) is kept in the served model.</summary>
    public int Thin { get; init; } = 3;

    /// <summary>SVD++-style implicit user features: the user's vector is p_u + |N(u)|^(-1/2) Σ_{j∈N(u)} y_j.</summary>
    public bool Implicit { get; init; } = true;

    /// <summary>
    /// The symmetric implicit item features (with <see cref="Implicit"/> only): the item's vector is
    /// q_i + |N(i)|^(-1/2) Σ_{v∈N(i)} z_v, N(i) the users who rated it (myFM's second relation block).
    /// </summary>
    public bool ItemImplicit { get; init; } = true;

    /// <summary>Whether the item block is sampled: <see cref="Implicit"/> and <see cref="ItemImplicit"/>.</summary>
    public bool ItemImplicitOn => Implicit && ItemImplicit;

    /// <summary>Sample the observation precision α from its Gamma posterior (else keep <see cref="Precision"/>).</summary>
    public bool SamplePrecision { get; init; } = true;

    /// <summary>The observation precision α (1/σ²): fixed, or the sampler's starting value.</summary>
    public double Precision { get; init; } = 2;

    public double InitStdDev { get; init; } = 0.1;

    public int Seed { get; init; }

    /// <summary>How many samples the served model averages: the last one and every <see cref="Thin"/>-th before it, after the burn-in.</summary>
    public int KeptSamples => Samples > BurnIn && Thin >= 1 ? (Samples - BurnIn + Thin - 1) / Thin : 0;

    /// <summary>The served model's width: <see cref="Factors"/> floats per kept sample.</summary>
    public long SavedWidth => (long)Factors * KeptSamples;

    /// <summary>Whether sample <paramref name="sample"/> (1-based) is one the served model averages.</summary>
    public bool Keeps(int sample) => sample > BurnIn && (Samples - sample) % Thin == 0;

    /// <summary>Throws <see cref="ArgumentException"/> naming the command-line option that is wrong.</summary>
    public void Validate()
    {
        if (Factors < 1)
        {
            throw new ArgumentException(Invariant($"--factors must be at least 1 (got {Factors})."));
        }

        if (Samples < 1)
        {
            throw new ArgumentException(Invariant($"--samples must be at least 1 (got {Samples})."));
        }

        if (BurnIn < 0 || BurnIn >= Samples)
        {
            throw new ArgumentException(Invariant($"--burn-in must be at least 0 and less than --samples (got --burn-in {BurnIn} with --samples {Samples}): at least one sample must follow the burn-in."));
        }

        if (Thin < 1)
        {
            throw new ArgumentException(Invariant($"--thin must be at least 1 (got {Thin})."));
        }

        if (SavedWidth > ModelSizeGuard.MaxFactors)
        {
            throw new ArgumentException(Invariant($"bpmf would save {SavedWidth} floats per row (--factors {Factors} × {KeptSamples} kept samples), more than {ModelSizeGuard.MaxFactors}: raise --thin or lower --samples."));
        }

        if (!(Precision > 0) || !double.IsFinite(Precision))
        {
            throw new ArgumentException(Invariant($"the observation precision must be a positive number (got {Precision})."));
        }

        if (!(InitStdDev >= 0) || !double.IsFinite(InitStdDev))
        {
            throw new ArgumentException(Invariant($"the initial standard deviation must be zero or positive (got {InitStdDev})."));
        }
    }

    public IReadOnlyDictionary<string, string> ToParameters(string algorithm) => new Dictionary<string, string>
    {
        ["algorithm"] = algorithm,
        ["factors"] = Invariant($"{Factors}"),
        ["samples"] = Invariant($"{Samples}"),
        ["burn_in"] = Invariant($"{BurnIn}"),
        ["thin"] = Invariant($"{Thin}"),
        ["kept_samples"] = Invariant($"{KeptSamples}"),
        ["implicit"] = Implicit ? "true" : "false",
        ["item_implicit"] = ItemImplicitOn ? "true" : "false",
        ["sample_precision"] = SamplePrecision ? "true" : "false",
        ["precision"] = Precision.ToString("R", CultureInfo.InvariantCulture),
        ["init_std_dev"] = InitStdDev.ToString("R", CultureInfo.InvariantCulture),
        ["seed"] = Invariant($"{Seed}"),
    };

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// Bayesian probabilistic matrix factorisation by Gibbs sampling (Salakhutdinov and Mnih 2008) with
/// Bayesian biases and, by default, implicit features on both sides (SVD++'s user block as in Rendle's
/// Bayesian SVD++, and its mirror image on the items: myFM's two relation blocks):
/// r = μ + b_u + b_i + (q_i + |N(i)|^(-1/2) Σ_{v∈N(i)} z_v)·(p_u + |N(u)|^(-1/2) Σ_{j∈N(u)} y_j) + ε, ε ~ N(0, 1/α),
/// N(u) the items u rated, N(i) the users who rated i.
/// [p_u, b_u], [q_i, b_i], y_j and z_v each have a Gaussian prior whose mean and precision have a
/// Normal–Wishart hyper-prior (μ₀ = 0, β₀ = 2, ν₀ = dimension, W₀ = I, as in the paper); α has a Gamma(1, 1) prior.
/// </summary>
/// <remarks>
/// One sweep: hyper-parameters of the users, every [p_u, b_u] (block Gibbs: conditionally independent
/// given the items, so in parallel), the same for the items, then the y_j one at a time (they share
/// users, so in turn; each draw updates its raters' implicit sums and residual gradients, so it is exact
/// Gibbs at O(|raters|·k²)), then the z_v the same way with users and items swapped, then α. Each row draws from its own stream, seeded by (seed, sample, block,
/// row): same seed, same model, whatever the thread schedule. Rows are k + 1 ≤ ~30 wide, so the
/// Cholesky factorisations are a hand loop on a scratch buffer (MathNet's <c>Matrix.Cholesky()</c>
/// allocates several objects per call, per row, per sweep); MathNet samples the Wishart and Gamma
/// hyper-parameters, once per sweep.
/// The served model is the posterior mean of the kept samples: a sample's user row is its
/// p_u + |N(u)|^(-1/2) Σ y_j and its item row q_i + |N(i)|^(-1/2) Σ z_v, and the average over K samples of those rows' dot products is
/// the dot product of the concatenated rows each scaled by 1/√K; the biases are averaged. So the model
/// is an ordinary <see cref="FactorModel"/> k·K wide, and serving and the artifact are unchanged.
/// </remarks>
internal sealed class Bpmf(BpmfOptions options) : IRecommenderAlgorithm
{
    public BpmfOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    public string Name => "bpmf";

    public string DisplayName => string.Create(CultureInfo.InvariantCulture,
        $"bpmf-f{Options.Factors}-s{Options.Samples}{(Options.Implicit ? (Options.ItemImplicit ? string.Empty : "-noitemimplicit") : "-noimplicit")}");

    public IReadOnlyDictionary<string, string> Parameters => Options.ToParameters(Name);

    public FactorModel Fit(Trainset trainset, Action<EpochReport>? onEpoch = null, CancellationToken cancellationToken = default) =>
        Fit(trainset, [], onEpoch, cancellationToken);

    /// <summary>Samples; reports each sample's train RMSE and, on <paramref name="probe"/>, the test RMSE of the running posterior mean.</summary>
    public FactorModel Fit(Trainset trainset, IReadOnlyList<RawRating> probe, Action<EpochReport>? onEpoch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(trainset);
        ArgumentNullException.ThrowIfNull(probe);
        Options.Validate();
        return new BpmfSampler(Options, trainset, probe).Run(Name, onEpoch, cancellationToken);
    }
}
