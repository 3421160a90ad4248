using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Evaluation;
using LatentLens.Api.Recommender.Models;

namespace LatentLens.Tests.Recommender;

/// <summary>
/// What a fold's fit time covers: the algorithm's fit, as in Surprise; not the JIT compiling the loop on the
/// first fit of a process (the algorithm is warmed up first), nor what the caller does with each epoch's report.
/// </summary>
public sealed class FitTimeTests
{
    private static readonly RatingScale Scale = new(1, 5);

    private static List<Split> TwoSplits()
    {
        var ratings = new SyntheticRatings { Users = 40, Items = 30, Ratings = 600, Rank = 2, Noise = 0.1, Scale = Scale, Seed = 2 }.GenerateRaw();
        return [.. Splits.KFold(ratings, 2, seed: 1)];
    }

    [Fact]
    public void TheAlgorithmIsWarmedUpOnceBeforeTheFirstFoldThroughTheDivergenceGuard()
    {
        var algorithm = new CountingAlgorithm();

        Evaluator.Evaluate(DivergenceGuard.Wrap(algorithm), TwoSplits(), Scale);

        Assert.Equal(1, algorithm.WarmUps);
        Assert.Equal(2, algorithm.Fits);
        Assert.Equal(0, algorithm.FitsBeforeWarmUp);
    }

    [Fact]
    public void TimeSpentReportingEpochsIsNotFitTime()
    {
        var result = Evaluator.Evaluate(new CountingAlgorithm(), TwoSplits(), Scale, progress: new SlowProgress());

        // Three epochs a fold, each report held for 200 ms by the caller: 600 ms a fold that are not the fit's
        // (a baseline fit of 300 ratings takes milliseconds), and the epochs' own clock leaves them out too.
        Assert.All(result.Folds, f => Assert.True(f.FitSeconds < 0.3, $"fit {f.FitSeconds:F3} s counts the caller's 0.6 s"));
        // The algorithm's clock says ≥ 0.4 s at the third epoch (two reports of 0.2 s before it); what is recorded
        // leaves them out, and is not pushed below zero by taking out more than was spent.
        Assert.All(result.Folds, f => Assert.All(f.Epochs, e => Assert.InRange(e.Elapsed.TotalSeconds, 0, 0.3)));
        Assert.All(result.Folds, f => Assert.Equal(3, f.Epochs.Count));
    }

    [Fact]
    public void AFunkSvdFitAfterTheWarmUpIsTheFitWithout()
    {
        var split = TwoSplits()[0];
        var train = Trainset.Build(split.Train, Scale);
        var options = new FunkSvdOptions { Factors = 24, Epochs = 7, Seed = 9 };
        var cold = new FunkSvd(options).Fit(train);

        var funk = new FunkSvd(options);
        ((IRecommenderAlgorithm)funk).WarmUp();
        var warm = funk.Fit(train);

        Assert.Equal(cold.UserFactors, warm.UserFactors);
        Assert.Equal(cold.ItemFactors, warm.ItemFactors);
        Assert.Equal(cold.UserBias, warm.UserBias);
    }

    private sealed class CountingAlgorithm : IRecommenderAlgorithm
    {
        public int WarmUps { get; private set; }

        public int Fits { get; private set; }

        public int FitsBeforeWarmUp { get; private set; }

        public string Name => "baseline";

        public IReadOnlyDictionary<string, string> Parameters { get; } = new Dictionary<string, string>();

        public string DisplayName => "counting";

        public void WarmUp() => WarmUps++;

        public FactorModel Fit(Trainset trainset, Action<EpochReport>? onEpoch = null, CancellationToken cancellationToken = default)
        {
            Fits++;
            FitsBeforeWarmUp += WarmUps == 0 ? 1 : 0;
            // As every algorithm does: each epoch says the time since training began, by its own clock, which
            // runs on while the caller handles the reports before it.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            for (var e = 1; e <= 3; e++)
            {
                onEpoch?.Invoke(new EpochReport(e, 1.0, clock.Elapsed));
            }

            return new Baseline(new BaselineOptions()).Fit(trainset, cancellationToken: cancellationToken);
        }
    }

    private sealed class SlowProgress : IEvaluationProgress
    {
        public void FoldStarted(string fold, int index, int count)
        {
        }

        public void Epoch(string fold, EpochReport report) => Thread.Sleep(200);

        public void FoldFinished(FoldResult result)
        {
        }
    }
}
