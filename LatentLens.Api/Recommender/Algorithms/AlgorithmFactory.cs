using System.Diagnostics;

namespace LatentLens.Api.Recommender.Algorithms;

internal static class AlgorithmFactory
{
    public const string Baseline = "baseline";
    public const string FunkSvd = "funksvd";
    public const string PureSvd = Algorithms.PureSvd.TopNName;
    public const string PureSvdCentred = Algorithms.PureSvd.CentredName;
    public const string Popular = "popular";
    public const string SvdPlusPlus = "svdpp";
    public const string Als = "als";
    public const string Bpmf = "bpmf";
    public const string Ease = Algorithms.Ease.AlgorithmName;

    public static IReadOnlyList<string> Names { get; } = [Popular, Baseline, FunkSvd, SvdPlusPlus, PureSvd, PureSvdCentred, Als, Bpmf, Ease];

    /// <summary>
    /// The one table of which hyper-parameters each algorithm has, named like their command-line options;
    /// <see cref="Create"/> refuses any other that is given and the grid leaves them out.
    /// </summary>
    private static readonly Dictionary<string, string[]> Takes = new(StringComparer.Ordinal)
    {
        [Popular] = [],
        [Baseline] = ["epochs", "reg"],
        [FunkSvd] = ["factors", "epochs", "lr", "reg"],
        [SvdPlusPlus] = ["factors", "epochs", "lr", "reg"],
        [PureSvd] = ["factors"],
        [PureSvdCentred] = ["factors", "epochs", "reg"],
        [Als] = ["factors", "epochs", "reg", "alpha", "scale-reg"], // --epochs: the ALS iterations, --reg its λ, --alpha the confidence 1 + α·r.
        [Bpmf] = ["factors", "samples", "burn-in", "thin", "implicit", "item-implicit"],
        [Ease] = ["reg", "binary", "neighbours"], // --reg sets λ.
    };

    /// <summary>Every hyper-parameter as the table names it, its option as the error names it, and whether it was given; in the order refusals are checked.</summary>
    private static readonly (string Parameter, string Option, Func<AlgorithmSettings, bool> Given)[] Options =
    [
        ("samples", "--samples", s => s.Samples is not null),
        ("burn-in", "--burn-in", s => s.BurnIn is not null),
        ("thin", "--thin", s => s.Thin is not null),
        ("implicit", "--no-implicit", s => s.Implicit is not null),
        ("item-implicit", "--no-item-implicit", s => s.ItemImplicit is not null),
        ("factors", "--factors", s => s.Factors is not null),
        ("epochs", "--epochs", s => s.Epochs is not null),
        ("lr", "--lr", s => s.LearningRate is not null),
        ("reg", "--reg", s => s.Regularization is not null),
        ("alpha", "--alpha", s => s.Alpha is not null),
        ("scale-reg", "--scale-reg", s => s.ScaleRegularization is not null),
        ("binary", "--binary", s => s.Binary is not null),
        ("neighbours", "--neighbours", s => s.Neighbours is not null),
    ];

    /// <summary>Whether <paramref name="algorithm"/> has the hyper-parameter named like its command-line option (factors, epochs, lr, reg, alpha, scale-reg, samples, burn-in, thin, implicit, item-implicit, binary, neighbours).</summary>
    public static bool Accepts(string algorithm, string parameter) =>
        Takes.TryGetValue(algorithm, out var parameters) && parameters.Contains(parameter, StringComparer.Ordinal);

    /// <summary>Builds the algorithm, refusing hyper-parameters that it does not have.</summary>
    public static IRecommenderAlgorithm Create(AlgorithmSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!Takes.ContainsKey(settings.Algorithm))
        {
            throw new ArgumentException($"Unknown algorithm '{settings.Algorithm}'; known: {string.Join(", ", Names)}.", nameof(settings));
        }

        foreach (var (parameter, option, given) in Options)
        {
            if (given(settings) && !Accepts(settings.Algorithm, parameter))
            {
                throw new ArgumentException($"{option} does not apply to {settings.Algorithm}.");
            }
        }

        switch (settings.Algorithm)
        {
            case Bpmf:
                return new Algorithms.Bpmf(BpmfWith(settings));
            case FunkSvd:
                return new Algorithms.FunkSvd(WithSgdSettings(new FunkSvdOptions(), settings));
            case SvdPlusPlus:
                return new Algorithms.SvdPlusPlus(WithSgdSettings(new SvdPlusPlusOptions(), settings));
            case Baseline:
                return new Algorithms.Baseline(BaselineWith(settings));
            case PureSvd:
                var pure = new PureSvdOptions();
                return new Algorithms.PureSvd(pure with { Factors = settings.Factors ?? pure.Factors, Seed = settings.Seed });
            case PureSvdCentred:
                var centred = new PureSvdOptions { Centred = true, Factors = PureSvdOptions.CentredDefaultFactors };
                return new Algorithms.PureSvd(centred with { Factors = settings.Factors ?? centred.Factors, Baseline = BaselineWith(settings), Seed = settings.Seed });
            case Als:
                var als = new ImplicitAlsOptions();
                return new ImplicitAls(als with
                {
                    Factors = settings.Factors ?? als.Factors,
                    Iterations = settings.Epochs ?? als.Iterations,
                    Regularization = settings.Regularization ?? als.Regularization,
                    Alpha = settings.Alpha ?? als.Alpha,
                    ScaleRegularization = settings.ScaleRegularization ?? als.ScaleRegularization,
                    Seed = settings.Seed,
                });
            case Popular:
                return new Algorithms.Popular(new PopularOptions());
            case Ease:
                var ease = new EaseOptions();
                var easeOptions = ease with
                {
                    Lambda = settings.Regularization ?? ease.Lambda,
                    Binary = settings.Binary ?? ease.Binary,
                    Neighbours = settings.Neighbours ?? ease.Neighbours,
                };
                easeOptions.Validate();
                return new Algorithms.Ease(easeOptions);
            default:
                throw new UnreachableException($"'{settings.Algorithm}' is in the table of hyper-parameters but has no constructor here.");
        }
    }

    /// <summary>The given hyper-parameters over an SGD algorithm's defaults.</summary>
    private static T WithSgdSettings<T>(T defaults, AlgorithmSettings settings)
        where T : SgdOptions =>
        (T)(defaults with
        {
            Factors = settings.Factors ?? defaults.Factors,
            Epochs = settings.Epochs ?? defaults.Epochs,
            LearningRate = settings.LearningRate ?? defaults.LearningRate,
            Regularization = settings.Regularization ?? defaults.Regularization,
            Seed = settings.Seed,
        });

    /// <summary>The given sampler settings over bpmf's defaults, checked: a bad combination fails before any data is read.</summary>
    private static BpmfOptions BpmfWith(AlgorithmSettings settings)
    {
        var defaults = new BpmfOptions();
        var options = defaults with
        {
            Factors = settings.Factors ?? defaults.Factors,
            Samples = settings.Samples ?? defaults.Samples,
            BurnIn = settings.BurnIn ?? defaults.BurnIn,
            Thin = settings.Thin ?? defaults.Thin,
            Implicit = settings.Implicit ?? defaults.Implicit,
            ItemImplicit = settings.ItemImplicit ?? defaults.ItemImplicit,
            Seed = settings.Seed,
        };
        options.Validate();
        return options;
    }

    /// <summary>The baseline's ALS: <c>--reg</c> sets both its user and its item regularization.</summary>
    private static BaselineOptions BaselineWith(AlgorithmSettings settings)
    {
        var baseline = new BaselineOptions();
        return baseline with
        {
            Epochs = settings.Epochs ?? baseline.Epochs,
            UserRegularization = settings.Regularization ?? baseline.UserRegularization,
            ItemRegularization = settings.Regularization ?? baseline.ItemRegularization,
        };
    }
}
