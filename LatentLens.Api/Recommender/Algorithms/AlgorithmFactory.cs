namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>Hyper-parameters as the command line gives them; null means the algorithm's default.</summary>
internal sealed record AlgorithmSettings(
    string Algorithm, int? Factors = null, int? Epochs = null, double? LearningRate = null, double? Regularization = null, int Seed = 0,
    int? Samples = null, int? BurnIn = null, int? Thin = null, bool? Implicit = null, bool? ItemImplicit = null);

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

    public static IReadOnlyList<string> Names { get; } = [Popular, Baseline, FunkSvd, SvdPlusPlus, PureSvd, PureSvdCentred, Als, Bpmf];

    /// <summary>Whether <paramref name="algorithm"/> has the hyper-parameter named like its command-line option (factors, epochs, lr, reg, samples, burn-in, thin, implicit, item-implicit).</summary>
    public static bool Accepts(string algorithm, string parameter) => (algorithm, parameter) switch
    {
        (Bpmf, "factors" or "samples" or "burn-in" or "thin" or "implicit" or "item-implicit") => true,
        (_, "samples" or "burn-in" or "thin" or "implicit" or "item-implicit") => false,
        (FunkSvd or SvdPlusPlus, _) => true,
        (Baseline, "epochs" or "reg") => true,
        (PureSvd, "factors") => true,
        (Als, "factors" or "epochs" or "reg") => true,
        (PureSvdCentred, "factors" or "epochs" or "reg") => true,
        _ => false,
    };

    /// <summary>Builds the algorithm, refusing hyper-parameters that it does not have.</summary>
    public static IRecommenderAlgorithm Create(AlgorithmSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Algorithm != Bpmf)
        {
            Refuse(settings.Samples, "--samples", settings.Algorithm);
            Refuse(settings.BurnIn, "--burn-in", settings.Algorithm);
            Refuse(settings.Thin, "--thin", settings.Algorithm);
            Refuse(settings.Implicit, "--no-implicit", settings.Algorithm);
            Refuse(settings.ItemImplicit, "--no-item-implicit", settings.Algorithm);
        }

        switch (settings.Algorithm)
        {
            case Bpmf:
                Refuse(settings.Epochs, "--epochs", Bpmf);
                Refuse(settings.LearningRate, "--lr", Bpmf);
                Refuse(settings.Regularization, "--reg", Bpmf);
                return new Algorithms.Bpmf(BpmfWith(settings));
            case FunkSvd:
                return new Algorithms.FunkSvd(WithSgdSettings(new FunkSvdOptions(), settings));
            case SvdPlusPlus:
                return new Algorithms.SvdPlusPlus(WithSgdSettings(new SvdPlusPlusOptions(), settings));
            case Baseline:
                Refuse(settings.Factors, "--factors", Baseline);
                Refuse(settings.LearningRate, "--lr", Baseline);
                return new Algorithms.Baseline(BaselineWith(settings));
            case PureSvd:
                Refuse(settings.LearningRate, "--lr", PureSvd);
                Refuse(settings.Epochs, "--epochs", PureSvd);
                Refuse(settings.Regularization, "--reg", PureSvd);
                var pure = new PureSvdOptions();
                return new Algorithms.PureSvd(pure with { Factors = settings.Factors ?? pure.Factors, Seed = settings.Seed });
            case PureSvdCentred:
                Refuse(settings.LearningRate, "--lr", PureSvdCentred);
                var centred = new PureSvdOptions { Centred = true };
                return new Algorithms.PureSvd(centred with { Factors = settings.Factors ?? centred.Factors, Baseline = BaselineWith(settings), Seed = settings.Seed });
            case Als:
                // --epochs sets the ALS iterations, --reg its regularisation; α keeps implicit's default.
                Refuse(settings.LearningRate, "--lr", Als);
                var als = new ImplicitAlsOptions();
                return new ImplicitAls(als with
                {
                    Factors = settings.Factors ?? als.Factors,
                    Iterations = settings.Epochs ?? als.Iterations,
                    Regularization = settings.Regularization ?? als.Regularization,
                    Seed = settings.Seed,
                });
            case Popular:
                Refuse(settings.Factors, "--factors", Popular);
                Refuse(settings.Epochs, "--epochs", Popular);
                Refuse(settings.LearningRate, "--lr", Popular);
                Refuse(settings.Regularization, "--reg", Popular);
                return new Algorithms.Popular(new PopularOptions());
            default:
                throw new ArgumentException($"Unknown algorithm '{settings.Algorithm}'; known: {string.Join(", ", Names)}.", nameof(settings));
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

    private static void Refuse<T>(T? value, string option, string algorithm)
        where T : struct
    {
        if (value is not null)
        {
            throw new ArgumentException($"{option} does not apply to {algorithm}.");
        }
    }
}
