using System.Globalization;
using LatentLens.Api.Recommender.Algorithms;

namespace LatentLens.Api.Recommender.Evaluation.Search;

/// <summary>How a range draws its values.</summary>
internal enum RangeKind
{
    /// <summary>Uniform on a log scale: each factor of ten is as likely (regularisations, learning rates).</summary>
    Log,

    /// <summary>A whole number, uniform on a log scale (factor counts: 5..10 as likely as 100..200).</summary>
    LogInt,

    /// <summary>A whole number, uniform in [min, max].</summary>
    Int,

    /// <summary>One of a list of values, each as likely.</summary>
    Choice,
}

/// <summary>
/// The range of one hyper-parameter, named like its command-line option (<c>factors</c>, <c>reg</c>,
/// <c>alpha</c>, ...: <see cref="AlgorithmFactory.Accepts"/>). Values are doubles; whole-number and
/// yes/no parameters are read back by <see cref="SearchSpace.Apply"/>.
/// </summary>
internal sealed record SearchRange(string Parameter, RangeKind Kind, double Min, double Max, IReadOnlyList<double> Choices)
{
    public static SearchRange Log(string parameter, double min, double max) => new(parameter, RangeKind.Log, min, max, []);

    public static SearchRange LogInt(string parameter, int min, int max) => new(parameter, RangeKind.LogInt, min, max, []);

    public static SearchRange Int(string parameter, int min, int max) => new(parameter, RangeKind.Int, min, max, []);

    public static SearchRange Choice(string parameter, params double[] choices) => new(parameter, RangeKind.Choice, choices.Min(), choices.Max(), choices);

    public double Sample(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return Kind switch
        {
            RangeKind.Log => Math.Exp(Math.Log(Min) + (random.NextDouble() * (Math.Log(Max) - Math.Log(Min)))),
            // Drawn on [min − ½, max + ½) in log space and rounded, so both ends are as likely as their neighbours.
            RangeKind.LogInt => Math.Clamp(Math.Round(Math.Exp(Math.Log(Min - 0.5) + (random.NextDouble() * (Math.Log(Max + 0.5) - Math.Log(Min - 0.5))))), Min, Max),
            RangeKind.Int => Min + random.Next((int)(Max - Min) + 1),
            _ => Choices[random.Next(Choices.Count)],
        };
    }

    /// <summary>As the docs and the parent run show it: <c>factors: log-int 5..200</c>.</summary>
    public override string ToString() => Kind switch
    {
        RangeKind.Choice => $"{Parameter}: one of {string.Join("/", Choices.Select(Format))}",
        RangeKind.Log => $"{Parameter}: log {Format(Min)}..{Format(Max)}",
        RangeKind.LogInt => $"{Parameter}: log-int {Format(Min)}..{Format(Max)}",
        _ => $"{Parameter}: int {Format(Min)}..{Format(Max)}",
    };

    private static string Format(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
}

/// <summary>
/// The one table of what <c>train --search</c> tries for each algorithm (docs/training.md lists it).
/// Adding an algorithm to the search is one entry here; a hyper-parameter the settings do not have yet
/// is one case of <see cref="Apply"/> as well. An algorithm with no entry, or an empty one, has nothing
/// to search: it is trained once with its defaults.
/// </summary>
internal static class SearchSpace
{
    private static readonly Dictionary<string, SearchRange[]> Ranges = new(StringComparer.Ordinal)
    {
        [AlgorithmFactory.Popular] = [],
        // --reg sets both of Surprise's BaselineOnly regularisations (defaults 15 and 10).
        [AlgorithmFactory.Baseline] = [SearchRange.Log("reg", 1, 100), SearchRange.Int("epochs", 5, 20)],
        // Around Surprise's SVD defaults (100 factors, 20 epochs, γ 0.005, λ 0.02), a decade or more either side.
        [AlgorithmFactory.FunkSvd] = [SearchRange.LogInt("factors", 5, 200), SearchRange.Int("epochs", 10, 40), SearchRange.Log("lr", 0.002, 0.02), SearchRange.Log("reg", 0.005, 0.2)],
        [AlgorithmFactory.SvdPlusPlus] = [SearchRange.LogInt("factors", 5, 100), SearchRange.Int("epochs", 10, 30), SearchRange.Log("lr", 0.002, 0.02), SearchRange.Log("reg", 0.005, 0.2)],
        // Cremonesi et al. 2010 report PureSVD's best lists at 50 to 150 factors on MovieLens; smaller data wants fewer.
        [AlgorithmFactory.PureSvd] = [SearchRange.LogInt("factors", 5, 200)],
        [AlgorithmFactory.PureSvdCentred] = [SearchRange.LogInt("factors", 5, 200), SearchRange.Log("reg", 1, 100)],
        // Rendle et al. 2021's iALS: λ scaled per row by its total confidence (--scale-reg; unscaled, the useful λ moves
        // with the factor count and the data, 10..100 at 128 factors on u1), Rendle's λ = 0.001 up to 0.1; Hu et al.'s
        // confidence 1 + α·r from the rating value from 0.3 to 30 (implicit's α = 1, Rendle's 10); the factor counts
        // of implicit (20, 100) and of Rendle et al. (128) and up to 256.
        [AlgorithmFactory.Als] = [SearchRange.LogInt("factors", 16, 256), SearchRange.Log("reg", 0.001, 0.1), SearchRange.Log("alpha", 0.3, 30), SearchRange.Choice("scale-reg", 1)],
        // The sampler needs no regularisation: only the rank and whether the implicit item block helps.
        [AlgorithmFactory.Bpmf] = [SearchRange.LogInt("factors", 5, 40), SearchRange.Choice("item-implicit", 0, 1)],
        // EASE on the rating values (both u1 and ml-latest-small preferred them to 0/1 by 0.03–0.04 NDCG@10, docs/benchmarks.md
        // §25): λ around the best of either (5000 on u1, 4000 on ml-latest-small), a decade and more below. The weights kept
        // per item are not searched (the default 620): more only gain accuracy, at a cost in memory that is not the search's to choose.
        [AlgorithmFactory.Ease] = [SearchRange.Log("reg", 300, 20000)],
    };

    /// <summary>The ranges of <paramref name="algorithm"/>; empty when there is nothing to search.</summary>
    public static IReadOnlyList<SearchRange> For(string algorithm) =>
        Ranges.TryGetValue(algorithm, out var ranges) ? ranges : [];

    /// <summary>The ranges of <paramref name="algorithm"/> as one line (a parent run's param, the docs).</summary>
    public static string Describe(string algorithm) =>
        For(algorithm) is { Count: > 0 } ranges ? string.Join("; ", ranges) : "nothing to search (defaults)";

    /// <summary>
    /// Trial settings: the first is the algorithm's defaults (so the search never chooses worse than them
    /// on the validation data), then draws from the ranges with a generator seeded by <paramref name="seed"/>
    /// and the algorithm's name, so a setting does not depend on which other algorithms are searched.
    /// Draws that repeat an earlier trial are drawn again (up to a limit: a small space may have fewer settings).
    /// </summary>
    public static IReadOnlyList<AlgorithmSettings> Trials(string algorithm, int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var ranges = For(algorithm);
        var trials = new List<AlgorithmSettings> { new(algorithm, Seed: seed) };
        var random = new Random(StableSeed(algorithm, seed));
        for (var attempt = 0; trials.Count < count && attempt < count * 20 && ranges.Count > 0; attempt++)
        {
            var settings = new AlgorithmSettings(algorithm, Seed: seed);
            foreach (var range in ranges)
            {
                settings = Apply(settings, range.Parameter, range.Sample(random));
            }

            if (!trials.Contains(settings))
            {
                trials.Add(settings);
            }
        }

        return trials;
    }

    /// <summary>The settings with one hyper-parameter (named like its option) set to <paramref name="value"/>.</summary>
    public static AlgorithmSettings Apply(AlgorithmSettings settings, string parameter, double value)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var whole = (int)Math.Round(value);
        return parameter switch
        {
            "factors" => settings with { Factors = whole },
            "epochs" => settings with { Epochs = whole },
            "lr" => settings with { LearningRate = Round(value) },
            "reg" => settings with { Regularization = Round(value) },
            "alpha" => settings with { Alpha = Round(value) },
            "samples" => settings with { Samples = whole },
            "burn-in" => settings with { BurnIn = whole },
            "implicit" => settings with { Implicit = value != 0 },
            "item-implicit" => settings with { ItemImplicit = value != 0 },
            "scale-reg" => settings with { ScaleRegularization = value != 0 },
            "binary" => settings with { Binary = value != 0 },
            "neighbours" => settings with { Neighbours = whole },
            _ => throw new ArgumentException($"The search cannot set '{parameter}'.", nameof(parameter)),
        };
    }

    /// <summary>The settings a search gave, as the progress line shows them: <c>factors=64 reg=0.0123</c>, or <c>defaults</c>.</summary>
    public static string Describe(AlgorithmSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var parts = new List<string>();
        void Add(string name, object? value)
        {
            if (value is not null)
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"{name}={value}"));
            }
        }

        Add("factors", settings.Factors);
        Add("epochs", settings.Epochs);
        Add("lr", settings.LearningRate);
        Add("reg", settings.Regularization);
        Add("alpha", settings.Alpha);
        Add("samples", settings.Samples);
        Add("burn-in", settings.BurnIn);
        Add("implicit", settings.Implicit);
        Add("item-implicit", settings.ItemImplicit);
        Add("scale-reg", settings.ScaleRegularization);
        Add("binary", settings.Binary);
        Add("neighbours", settings.Neighbours);
        return parts.Count == 0 ? "defaults" : string.Join(' ', parts);
    }

    // Three significant digits: the runs' params read as a person would type them (0.00123, not 0.0012318734).
    private static double Round(double value) => double.Parse(value.ToString("G3", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    // string.GetHashCode is randomised per process; FNV-1a is the same everywhere.
    private static int StableSeed(string algorithm, int seed)
    {
        var hash = 2166136261u;
        foreach (var c in algorithm)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash ^ (uint)seed);
    }
}
