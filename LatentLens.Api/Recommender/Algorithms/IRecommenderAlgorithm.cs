using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Models;

// The family sub-folders (FunkSvd/, Bpmf/, ...) share this namespace: a namespace per family would collide with its class (FunkSvd, Bpmf, ...).
namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>A training algorithm: same seed and data, identical model.</summary>
internal interface IRecommenderAlgorithm
{
    /// <summary>The algorithm's name as the command line spells it (<c>baseline</c>, <c>funksvd</c>, <c>puresvd</c>).</summary>
    string Name { get; }

    /// <summary>Every hyper-parameter, formatted with the invariant culture, for display and tracking.</summary>
    IReadOnlyDictionary<string, string> Parameters { get; }

    /// <summary>A short readable name of the configuration, e.g. <c>funksvd-f100-e20</c>.</summary>
    string DisplayName { get; }

    FactorModel Fit(Trainset trainset, Action<EpochReport>? onEpoch = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Fits with the split's test ratings at hand, for algorithms that report their test error as they go
    /// (<see cref="EpochReport.TestRmse"/>); the model must not depend on them. By default they are ignored.
    /// </summary>
    FactorModel Fit(Trainset trainset, IReadOnlyList<RawRating> probe, Action<EpochReport>? onEpoch, CancellationToken cancellationToken) =>
        Fit(trainset, onEpoch, cancellationToken);

    /// <summary>
    /// Runs the algorithm's hot code once on a tiny problem, so that the JIT compiles it before a timed fit
    /// (Surprise's fit time covers no compilation: its loops are compiled ahead of time). By default nothing.
    /// </summary>
    void WarmUp()
    {
    }
}
