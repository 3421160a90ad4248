using System.Globalization;
using LatentLens.Api.Recommender.Algorithms;

namespace LatentLens.Api.Recommender.Evaluation;

/// <summary>
/// A sweep: every combination of the given hyper-parameter values, as Surprise's
/// <c>model_selection</c> keeps its grid outside any command line. An empty list means the
/// algorithm's default. When several algorithms are swept, each takes only the hyper-parameters
/// it has; a single algorithm given one it lacks is an error (<see cref="AlgorithmFactory.Create"/>).
/// </summary>
internal sealed record ParameterGrid(
    IReadOnlyList<string> Algorithms,
    IReadOnlyList<int> Factors,
    IReadOnlyList<int> Epochs,
    IReadOnlyList<double> LearningRates,
    IReadOnlyList<double> Regularizations,
    int Seed)
{
    /// <summary>als's α, the confidence 1 + α·r of a rated pair (<c>--alpha</c>); empty: its default.</summary>
    public IReadOnlyList<double> Alphas { get; init; } = [];

    /// <summary>als's λ scaled per row by its total confidence (<c>--scale-reg</c> gives true); null: its default.</summary>
    public bool? ScaleRegularization { get; init; }

    /// <summary>bpmf's Gibbs sweeps (<c>--samples</c>); empty: its default.</summary>
    public IReadOnlyList<int> Samples { get; init; } = [];

    /// <summary>bpmf's burn-in sweeps (<c>--burn-in</c>); empty: its default.</summary>
    public IReadOnlyList<int> BurnIns { get; init; } = [];

    /// <summary>bpmf's thinning of the kept samples (<c>--thin</c>); null: its default.</summary>
    public int? Thin { get; init; }

    /// <summary>bpmf's implicit user features (<c>--no-implicit</c> gives false); null: its default.</summary>
    public bool? Implicit { get; init; }

    /// <summary>bpmf's implicit item features (<c>--no-item-implicit</c> gives false); null: its default.</summary>
    public bool? ItemImplicit { get; init; }

    /// <summary>ease's 0/1 input instead of the rating values (<c>--binary</c> gives true); null: its default.</summary>
    public bool? Binary { get; init; }

    /// <summary>ease's weights kept per item (<c>--neighbours</c>); null: its default.</summary>
    public int? Neighbours { get; init; }

    /// <summary>One configuration of one algorithm with its defaults.</summary>
    public static ParameterGrid Single(string algorithm, int seed = 0) => new([algorithm], [], [], [], [], seed);

    /// <summary>The distinct configurations, algorithm by algorithm, in the order the values were given.</summary>
    public IReadOnlyList<AlgorithmSettings> Configurations()
    {
        var algorithms = Algorithms.Distinct().ToList();
        IEnumerable<T?> Values<T>(IReadOnlyList<T> values, string algorithm, string parameter)
            where T : struct =>
            values.Count > 0 && (algorithms.Count == 1 || AlgorithmFactory.Accepts(algorithm, parameter))
                ? values.Select(v => (T?)v)
                : [null];

        T? Single<T>(T? value, string algorithm, string parameter)
            where T : struct =>
            algorithms.Count == 1 || AlgorithmFactory.Accepts(algorithm, parameter) ? value : null;

        var seen = new HashSet<AlgorithmSettings>();
        var configurations = new List<AlgorithmSettings>();
        foreach (var algorithm in algorithms)
        {
            foreach (var factors in Values(Factors, algorithm, "factors"))
            {
                foreach (var epochs in Values(Epochs, algorithm, "epochs"))
                {
                    foreach (var lr in Values(LearningRates, algorithm, "lr"))
                    {
                        foreach (var reg in Values(Regularizations, algorithm, "reg"))
                        {
                            foreach (var samples in Values(Samples, algorithm, "samples"))
                            {
                                foreach (var burnIn in Values(BurnIns, algorithm, "burn-in"))
                                {
                                    foreach (var alpha in Values(Alphas, algorithm, "alpha"))
                                    {
                                        var settings = new AlgorithmSettings(algorithm, factors, epochs, lr, reg, Seed, samples, burnIn,
                                            Single(Thin, algorithm, "thin"), Single(Implicit, algorithm, "implicit"), Single(ItemImplicit, algorithm, "item-implicit"), alpha,
                                            Single(ScaleRegularization, algorithm, "scale-reg"), Single(Binary, algorithm, "binary"), Single(Neighbours, algorithm, "neighbours"));
                                        if (seen.Add(settings))
                                        {
                                            configurations.Add(settings);
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        return configurations;
    }

    /// <summary>The grid as params of a sweep's parent run.</summary>
    public IReadOnlyDictionary<string, string> AsParams()
    {
        static string List<T>(IReadOnlyList<T> values) =>
            values.Count > 0 ? string.Join(",", values.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture))) : "default";
        var sweep = new Dictionary<string, string>
        {
            ["sweep.algorithm"] = string.Join(",", Algorithms.Distinct()),
            ["sweep.factors"] = List(Factors),
            ["sweep.epochs"] = List(Epochs),
            ["sweep.lr"] = List(LearningRates),
            ["sweep.reg"] = List(Regularizations),
            ["seed"] = Seed.ToString(CultureInfo.InvariantCulture),
        };

        // The sampler's lists only when given, so sweeps without bpmf record what they always did.
        if (Samples.Count > 0)
        {
            sweep["sweep.samples"] = List(Samples);
        }

        if (BurnIns.Count > 0)
        {
            sweep["sweep.burn_in"] = List(BurnIns);
        }

        if (Alphas.Count > 0)
        {
            sweep["sweep.alpha"] = List(Alphas);
        }

        return sweep;
    }

    /// <summary>The run name of a sweep's parent, e.g. <c>sweep-baseline-funksvd-3</c>.</summary>
    public string SweepName(int configurations) => $"sweep-{string.Join('-', Algorithms.Distinct())}-{configurations}";
}
