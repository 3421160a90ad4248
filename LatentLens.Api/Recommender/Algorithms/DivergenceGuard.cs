using System.Globalization;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Models;

namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>A fit that ran off to infinity or NaN: the message names the epoch and the option most likely to blame.</summary>
internal sealed class ModelDivergedException : InvalidOperationException
{
    public ModelDivergedException()
    {
    }

    public ModelDivergedException(string message)
        : base(message)
    {
    }

    public ModelDivergedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Detects divergence from outside the SGD kernels: a non-finite train RMSE in the per-epoch report
/// stops the fit at that epoch, and a fitted model with a non-finite value is refused. Without it
/// <c>--lr 1e30</c> trained to NaN, printed NaN metrics and wrote NaN model files.
/// </summary>
internal static class DivergenceGuard
{
    /// <summary>The algorithm with every fit checked; fits that diverge throw <see cref="ModelDivergedException"/>.</summary>
    public static IRecommenderAlgorithm Wrap(IRecommenderAlgorithm algorithm)
    {
        ArgumentNullException.ThrowIfNull(algorithm);
        return algorithm as GuardedAlgorithm ?? new GuardedAlgorithm(algorithm);
    }

    /// <summary>Throws <see cref="ModelDivergedException"/> when a bias, a factor or the global mean of <paramref name="model"/> is not finite.</summary>
    public static void EnsureFinite(FactorModel model, IRecommenderAlgorithm algorithm)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(algorithm);
        var bad = !double.IsFinite(model.GlobalMean) ? "the global mean"
            : !AllFinite(model.UserBias) ? "the user biases"
            : !AllFinite(model.ItemBias) ? "the item biases"
            : !AllFinite(model.UserFactors) ? "the user factors"
            : !AllFinite(model.ItemFactors) ? "the item factors"
            : model.RankingBias is { } ranking && !AllFinite(ranking) ? "the ranking bias"
            : null;
        if (bad is not null)
        {
            throw new ModelDivergedException($"{algorithm.DisplayName} diverged: {bad} hold non-finite values (NaN or infinity); {Blame(algorithm)}");
        }
    }

    /// <summary>The option most likely to blame, with its value: the learning rate where there is one.</summary>
    internal static string Blame(IRecommenderAlgorithm algorithm)
    {
        var p = algorithm.Parameters;
        if (p.TryGetValue("learning_rate", out var lr))
        {
            return $"the learning rate is likely too large (--lr {lr}): try a smaller --lr (funksvd and svdpp default to 0.005).";
        }

        return p.TryGetValue("regularization", out var reg)
            ? $"check --reg ({reg}) and --factors."
            : "check the options and the ratings.";
    }

    // Jitted optimised at once: it runs once per fit over every factor, inside the fit's time.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static bool AllFinite(float[] values)
    {
        foreach (var v in values)
        {
            if (!float.IsFinite(v))
            {
                return false;
            }
        }

        return true;
    }

    private sealed class GuardedAlgorithm(IRecommenderAlgorithm inner) : IRecommenderAlgorithm
    {
        public string Name => inner.Name;

        public IReadOnlyDictionary<string, string> Parameters => inner.Parameters;

        public string DisplayName => inner.DisplayName;

        public void WarmUp() => inner.WarmUp();

        public FactorModel Fit(Trainset trainset, Action<EpochReport>? onEpoch = null, CancellationToken cancellationToken = default) =>
            Fit(trainset, [], onEpoch, cancellationToken);

        public FactorModel Fit(Trainset trainset, IReadOnlyList<RawRating> probe, Action<EpochReport>? onEpoch, CancellationToken cancellationToken)
        {
            var model = inner.Fit(trainset, probe, e =>
            {
                if (!double.IsFinite(e.TrainRmse))
                {
                    throw new ModelDivergedException(string.Create(CultureInfo.InvariantCulture,
                        $"{inner.DisplayName} diverged: train RMSE is {e.TrainRmse} at epoch {e.Epoch}; {Blame(inner)}"));
                }

                onEpoch?.Invoke(e);
            }, cancellationToken);
            EnsureFinite(model, inner);
            return model;
        }
    }
}
