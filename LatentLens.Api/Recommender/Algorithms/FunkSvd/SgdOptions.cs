using System.Globalization;

namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>
/// What the SGD matrix factorisations share (FunkSvd, SVD++): factors, epochs, learning rate,
/// regularisation, a seeded N(mean, std²) initialisation. Each algorithm's record sets its own defaults
/// (Surprise's) in its constructor.
/// </summary>
internal abstract record SgdOptions
{
    public int Factors { get; init; }

    public int Epochs { get; init; } = 20;

    public double LearningRate { get; init; }

    public double Regularization { get; init; } = 0.02;

    public double InitMean { get; init; }

    public double InitStdDev { get; init; } = 0.1;

    public int Seed { get; init; }

    /// <summary>
    /// Threads the epochs run on. 1 (the default): Surprise's loop, ratings in the trainset's order. More: the
    /// ratings cut into that many blocks per side (<see cref="SgdBlocks"/>), trained in parallel in a fixed schedule,
    /// so the same seed, data and thread count give the same model bit for bit (another count, another model).
    /// </summary>
    public int Threads { get; init; } = 1;

    /// <summary>
    /// Blocks per side of the parallel schedule; 0 (the default): as many as <see cref="Threads"/>. More blocks than threads
    /// run the schedule of that many threads on fewer, to the same model bit for bit (benchmarks measure the schedule's
    /// own cost with it: docs/benchmarks.md §22).
    /// </summary>
    internal int Blocks { get; init; }

    public void Validate()
    {
        if (Factors < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Factors), Factors, "factors must be at least 1");
        }

        if (Epochs < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "epochs must be at least 1");
        }

        if (!(LearningRate > 0) || !double.IsFinite(LearningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "the learning rate must be a positive number");
        }

        if (!(Regularization >= 0) || !double.IsFinite(Regularization))
        {
            throw new ArgumentOutOfRangeException(nameof(Regularization), Regularization, "the regularization must be zero or positive");
        }

        if (Threads < 1 || Blocks < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "threads must be at least 1 (and blocks 0 or more)");
        }

        if (!(InitStdDev >= 0) || !double.IsFinite(InitStdDev))
        {
            throw new ArgumentOutOfRangeException(nameof(InitStdDev), InitStdDev, "the initial standard deviation must be zero or positive");
        }
    }

    /// <summary>The hyper-parameters as a run's params, formatted with the invariant culture.</summary>
    public IReadOnlyDictionary<string, string> ToParameters(string algorithm) => new Dictionary<string, string>
    {
        ["algorithm"] = algorithm,
        ["factors"] = Factors.ToString(CultureInfo.InvariantCulture),
        ["epochs"] = Epochs.ToString(CultureInfo.InvariantCulture),
        ["learning_rate"] = LearningRate.ToString("R", CultureInfo.InvariantCulture),
        ["regularization"] = Regularization.ToString("R", CultureInfo.InvariantCulture),
        ["init_mean"] = InitMean.ToString("R", CultureInfo.InvariantCulture),
        ["init_std_dev"] = InitStdDev.ToString("R", CultureInfo.InvariantCulture),
        ["seed"] = Seed.ToString(CultureInfo.InvariantCulture),
        ["threads"] = Threads.ToString(CultureInfo.InvariantCulture),
    };
}
