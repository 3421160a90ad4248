using System.Diagnostics;
using System.Globalization;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Recommender.Numerics;

namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>
/// Implicit-feedback matrix factorisation (Hu, Koren, Volinsky 2008): every rated pair has
/// preference 1 and confidence c = 1 + α·r, every other pair preference 0 and confidence 1;
/// minimises Σ_all c_ui (p_ui − x_u·y_i)² + λ(Σ|x_u|² + Σ|y_i|²) by alternating least squares,
/// each row solved approximately by a few conjugate-gradient steps from its current value
/// (Takács, Pilászy, Tikk 2011), as the Python <c>implicit</c> library does.
/// The model ranks by x_u·y_i; it has no biases and predicts no ratings.
/// </summary>
/// <remarks>
/// The unrated pairs never appear one by one: A = YᵀC_uY + λI = (YᵀY + λI) + Σ_{i∈N(u)} (c_ui − 1) y_i y_iᵀ,
/// with YᵀY + λI computed once per half-iteration, so a row costs one f × f product per CG step
/// plus two passes over its rated rows. Rows are solved in parallel; each reads only the other
/// side, fixed during the half-iteration, so the result does not depend on the scheduling.
/// The loss reported per iteration is <c>implicit</c>'s <c>calculate_loss</c>: the full objective
/// divided by the total confidence (Σ_obs c + the number of unrated pairs).
/// </remarks>
internal sealed class ImplicitAls(ImplicitAlsOptions options) : IRecommenderAlgorithm
{
    public ImplicitAlsOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    public string Name => "als";

    public string DisplayName => $"als-f{Options.Factors}-i{Options.Iterations}";

    public IReadOnlyDictionary<string, string> Parameters => new Dictionary<string, string>
    {
        ["algorithm"] = Name,
        ["factors"] = Options.Factors.ToString(CultureInfo.InvariantCulture),
        ["iterations"] = Options.Iterations.ToString(CultureInfo.InvariantCulture),
        ["regularization"] = Options.Regularization.ToString("R", CultureInfo.InvariantCulture),
        ["alpha"] = Options.Alpha.ToString("R", CultureInfo.InvariantCulture),
        ["regularization_scaling"] = Options.ScaleRegularization ? "frequency" : "none",
        ["cg_steps"] = Options.CgSteps.ToString(CultureInfo.InvariantCulture),
        ["seed"] = Options.Seed.ToString(CultureInfo.InvariantCulture),
    };

    public FactorModel Fit(Trainset trainset, Action<EpochReport>? onEpoch = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainset);
        Options.Validate();
        var clock = Stopwatch.StartNew();

        var factors = Options.Factors;
        var stride = FactorLayout.StrideFor(factors);
        var users = trainset.UserCount;
        var items = trainset.ItemCount;
        var reg = (float)Options.Regularization;
        var steps = Options.CgSteps;

        var random = new Random(Options.Seed);
        var x = UniformRows(users, factors, stride, random);
        var y = UniformRows(items, factors, stride, random);

        var byUser = ImplicitAlsAdjacency.ByUser(trainset, (float)Options.Alpha);
        var byItem = ImplicitAlsAdjacency.ByItem(trainset, (float)Options.Alpha);

        // Scaled, each row carries its own λ on its diagonal and the Gram matrices none.
        var userPenalty = Options.ScaleRegularization ? byUser.ScaledPenalty(Options.Regularization, items) : null;
        var itemPenalty = Options.ScaleRegularization ? byItem.ScaledPenalty(Options.Regularization, users) : null;
        var gramReg = Options.ScaleRegularization ? 0f : reg;
        var gramY = ImplicitAlsSolver.Gram(y, items, factors, stride, gramReg);
        for (var iteration = 1; iteration <= Options.Iterations; iteration++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ImplicitAlsSolver.SolveAll(x, users, gramY, y, byUser, factors, stride, steps, userPenalty);
            var gramX = ImplicitAlsSolver.Gram(x, users, factors, stride, gramReg);
            ImplicitAlsSolver.SolveAll(y, items, gramX, x, byItem, factors, stride, steps, itemPenalty);
            gramY = ImplicitAlsSolver.Gram(y, items, factors, stride, gramReg);
            if (onEpoch is not null)
            {
                var loss = ImplicitAlsLoss.Of(x, y, gramY, byUser, users, items, factors, stride, gramReg, userPenalty, itemPenalty);
                onEpoch(new EpochReport(iteration, loss, clock.Elapsed));
            }
        }

        return new FactorModel(Name, trainset.Users, trainset.Items, trainset.Scale, globalMean: 0,
            new float[users], new float[items], factors, stride, x, y)
        {
            PredictsRatings = false,
        };
    }

    private static float[] UniformRows(int count, int factors, int stride, Random random)
    {
        var rows = new float[count * stride];
        for (var r = 0; r < count; r++)
        {
            for (var f = 0; f < factors; f++)
            {
                rows[(r * stride) + f] = random.NextSingle() * 0.01f;
            }
        }

        return rows;
    }

}
