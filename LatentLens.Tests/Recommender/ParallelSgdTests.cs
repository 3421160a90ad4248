using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Evaluation;
using LatentLens.Api.Recommender.Models;

namespace LatentLens.Tests.Recommender;

/// <summary>
/// FunkSvd and SVD++ on more than one thread (<see cref="SgdBlocks"/>, <see cref="SgdWorkers"/>): the blocks cover
/// every rating once, the model is the same bit for bit for the same seed, data and thread count, and it is as
/// accurate as the single-threaded loop's. Threads = 1 is the Surprise-order loop that FunkSvdKernelPathTests and
/// SvdPlusPlusTests check against Surprise's rule.
/// </summary>
public sealed class ParallelSgdTests
{
    private static readonly RatingScale WideScale = new(-100, 100);

    private static (Trainset Train, List<RawRating> Test) Planted(double noise = 0.1, int users = 300, int items = 200, int ratings = 18_000)
    {
        var raw = new SyntheticRatings { Users = users, Items = items, Ratings = ratings, Rank = 3, Noise = noise, Scale = WideScale, Seed = 7 }.GenerateRaw();
        var split = Splits.KFold(raw, 5, seed: 3)[0];
        return (Trainset.Build(split.Train, WideScale), split.Test.ToList());
    }

    private static double TestRmse(FactorModel model, List<RawRating> test) => Accuracy.Rmse(Evaluator.Predict(model, test));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public void TheBlocksHoldEveryRatingExactlyOnceAndTheScheduleVisitsEachBlockOnceAnEpoch(int grid)
    {
        var (train, _) = Planted();
        using var blocks = SgdBlocks.Build(train, grid, seed: 4);

        // The same ratings: (user, item, value) as a multiset, items mapped back to the trainset's labels.
        var expected = Enumerable.Range(0, train.Count).Select(k => (train.UserIndex[k], train.ItemIndex[k], train.Values[k])).Order().ToList();
        var actual = Enumerable.Range(0, blocks.Count).Select(k => (blocks.Users[k], blocks.ItemOrder[blocks.Items[k]], blocks.Values[k])).Order().ToList();
        Assert.Equal(expected, actual);

        // Every rating of block (a, b) is in user range a and item group b; ranges and groups tile users and items.
        Assert.Equal(0, blocks.UserRanges[0]);
        Assert.Equal(train.UserCount, blocks.UserRanges[grid]);
        Assert.Equal(train.ItemCount, blocks.ItemRanges[grid]);
        for (var a = 0; a < grid; a++)
        {
            Assert.True(blocks.UserRanges[a] < blocks.UserRanges[a + 1] && blocks.ItemRanges[a] < blocks.ItemRanges[a + 1], "every range holds a row");
            for (var b = 0; b < grid; b++)
            {
                var (from, to) = blocks.Range(a, b);
                for (var k = from; k < to; k++)
                {
                    Assert.InRange(blocks.Users[k], blocks.UserRanges[a], blocks.UserRanges[a + 1] - 1);
                    Assert.InRange(blocks.Items[k], blocks.ItemRanges[b], blocks.ItemRanges[b + 1] - 1);
                }
            }
        }

        // Sub-epoch s trains (a, ColumnOf(a, s)): no two rows share a column within a sub-epoch, and over G sub-epochs
        // each block comes exactly once, so each rating is trained exactly once an epoch.
        var visits = new int[grid * grid];
        for (var s = 0; s < grid; s++)
        {
            var columns = Enumerable.Range(0, grid).Select(a => blocks.ColumnOf(a, s)).ToList();
            Assert.Equal(grid, columns.Distinct().Count());
            for (var a = 0; a < grid; a++)
            {
                visits[(a * grid) + columns[a]]++;
            }
        }

        Assert.All(visits, v => Assert.Equal(1, v));
        Assert.Equal(train.Count, Enumerable.Range(0, grid * grid).Sum(b => blocks.Starts[b + 1] - blocks.Starts[b]));
    }

    [Fact]
    public void InsideABlockTheRatingsKeepTheTrainsetsOrder()
    {
        var (train, _) = Planted();
        using var blocks = SgdBlocks.Build(train, 3, seed: 1);
        var label = new int[train.ItemCount];
        for (var k = 0; k < label.Length; k++)
        {
            label[blocks.ItemOrder[k]] = k;
        }

        for (var b = 0; b < 9; b++)
        {
            var expected = Enumerable.Range(0, train.Count)
                .Where(k => blocks.Starts[b] < blocks.Starts[b + 1]
                    && train.UserIndex[k] >= blocks.UserRanges[b / 3] && train.UserIndex[k] < blocks.UserRanges[(b / 3) + 1]
                    && label[train.ItemIndex[k]] >= blocks.ItemRanges[b % 3] && label[train.ItemIndex[k]] < blocks.ItemRanges[(b % 3) + 1])
                .Select(k => (train.UserIndex[k], label[train.ItemIndex[k]]));
            var actual = Enumerable.Range(blocks.Starts[b], blocks.Starts[b + 1] - blocks.Starts[b]).Select(k => (blocks.Users[k], blocks.Items[k]));
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void TheCutBalancesTheRatingsOfUserRangesAndItemGroups()
    {
        var (train, _) = Planted();
        using var blocks = SgdBlocks.Build(train, 2, seed: 0);

        // With two ranges of n/2 each way, the diagonal blocks hold the same number of ratings (a + b = n/2 = a + c).
        var n = train.Count;
        var row0 = blocks.Starts[2] - blocks.Starts[0];
        var column0 = (blocks.Starts[1] - blocks.Starts[0]) + (blocks.Starts[3] - blocks.Starts[2]);
        Assert.InRange(row0, n * 0.45, n * 0.55);
        Assert.InRange(column0, n * 0.45, n * 0.55);
    }

    [Fact]
    public void NoMoreBlocksThanUsersOrItems()
    {
        var tiny = Trainset.Build([new("a", "x", 1, 0), new("a", "y", 2, 0), new("b", "x", 3, 0)], new RatingScale(1, 5));

        Assert.Equal(2, SgdBlocks.GridFor(new FunkSvdOptions { Threads = 8 }, tiny));
        Assert.Equal(1, SgdBlocks.GridFor(new FunkSvdOptions(), tiny));
        var model = new FunkSvd(new FunkSvdOptions { Factors = 4, Epochs = 2, Threads = 8 }).Fit(tiny);
        Assert.All(model.UserFactors, x => Assert.True(float.IsFinite(x)));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void FunkSvdGivesTheSameModelBitForBitForTheSameSeedDataAndThreads(int threads)
    {
        var (train, _) = Planted();
        var options = new FunkSvdOptions { Factors = 20, Epochs = 5, Seed = 3, Threads = threads };

        var first = new List<double>();
        var a = new FunkSvd(options).Fit(train, e => first.Add(e.TrainRmse));
        var second = new List<double>();
        var b = new FunkSvd(options).Fit(train, e => second.Add(e.TrainRmse));

        Assert.Equal(a.UserFactors, b.UserFactors);
        Assert.Equal(a.ItemFactors, b.ItemFactors);
        Assert.Equal(a.UserBias, b.UserBias);
        Assert.Equal(a.ItemBias, b.ItemBias);
        Assert.Equal(first, second);

        // The blocked schedule ran: another order than Surprise's loop, so other bits.
        var sequential = new FunkSvd(options with { Threads = 1 }).Fit(train);
        Assert.NotEqual(sequential.UserFactors, a.UserFactors);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void SvdPlusPlusGivesTheSameModelBitForBitForTheSameSeedDataAndThreads(int threads)
    {
        var (train, _) = Planted();
        var options = new SvdPlusPlusOptions { Factors = 8, Epochs = 4, Seed = 3, Threads = threads };

        var first = new List<double>();
        var a = new SvdPlusPlus(options).Fit(train, e => first.Add(e.TrainRmse));
        var second = new List<double>();
        var b = new SvdPlusPlus(options).Fit(train, e => second.Add(e.TrainRmse));

        Assert.Equal(a.UserFactors, b.UserFactors);
        Assert.Equal(a.ItemFactors, b.ItemFactors);
        Assert.Equal(a.UserBias, b.UserBias);
        Assert.Equal(a.ItemBias, b.ItemBias);
        Assert.Equal(first, second);
        Assert.NotEqual(new SvdPlusPlus(options with { Threads = 1 }).Fit(train).UserFactors, a.UserFactors);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void TheModelDependsOnTheBlocksNotOnWhichThreadTrainsWhichBlock(int threads)
    {
        // Three blocks per side trained by fewer threads than rows (each takes rows t, t + threads, ...) give the bits of
        // three threads: what a block reads was finished before its sub-epoch, whoever trains it.
        var (train, _) = Planted();
        var funk = new FunkSvdOptions { Factors = 16, Epochs = 3, Seed = 3, Threads = 3 };
        var svdpp = new SvdPlusPlusOptions { Factors = 8, Epochs = 3, Seed = 3, Threads = 3 };

        Assert.Equal(new FunkSvd(funk).Fit(train).ItemFactors, new FunkSvd(funk with { Threads = threads, Blocks = 3 }).Fit(train).ItemFactors);
        Assert.Equal(new SvdPlusPlus(svdpp).Fit(train).UserFactors, new SvdPlusPlus(svdpp with { Threads = threads, Blocks = 3 }).Fit(train).UserFactors);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void FunkSvdOnThreadsRecoversAPlantedLowRankMatrixAsWellAsOnOne(int threads)
    {
        var (train, test) = Planted(noise: 0.1);
        var options = new FunkSvdOptions { Factors = 3, Epochs = 300, LearningRate = 0.01, Regularization = 0.01, Seed = 1 };

        var one = TestRmse(new FunkSvd(options).Fit(train), test);
        var many = TestRmse(new FunkSvd(options with { Threads = threads }).Fit(train), test);

        Assert.InRange(many, 0.08, 0.16);
        Assert.True(Math.Abs(many - one) < 0.01, $"{threads} threads: RMSE {many} against {one} on one");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void SvdPlusPlusOnThreadsIsAsAccurateAsOnOne(int threads)
    {
        // u1-sized: 943 users, 1,682 items, 100,000 ratings of a planted rank-3 matrix on MovieLens's 1..5 scale.
        var raw = new SyntheticRatings { Users = 943, Items = 1682, Ratings = 100_000, Rank = 3, Noise = 0.5, Seed = 5 }.GenerateRaw();
        var split = Splits.KFold(raw, 5, seed: 1)[0];
        var train = Trainset.Build(split.Train, new RatingScale(1, 5));
        var test = split.Test.ToList();
        var options = new SvdPlusPlusOptions { Epochs = 10, Seed = 0 };

        var one = TestRmse(new SvdPlusPlus(options).Fit(train), test);
        var many = TestRmse(new SvdPlusPlus(options with { Threads = threads }).Fit(train), test);

        Assert.True(Math.Abs(many - one) < 0.004, $"{threads} threads: RMSE {many} against {one} on one");
    }

    [Fact]
    public void TheTrainRmseIsTheRunningRmseOfTheBlocksPass()
    {
        // One epoch from the same start: every rating's error is seen once, before its update, whatever the order;
        // on planted data at epoch 1 the running RMSE of both orders is about the same.
        var (train, _) = Planted();
        var options = new FunkSvdOptions { Factors = 8, Epochs = 1, Seed = 2 };
        double one = 0, two = 0;
        new FunkSvd(options).Fit(train, e => one = e.TrainRmse);
        new FunkSvd(options with { Threads = 2 }).Fit(train, e => two = e.TrainRmse);

        Assert.True(one > 0 && Math.Abs(one - two) / one < 0.02, $"one thread {one}, two {two}");
    }

    [Fact]
    public void CancellingBetweenEpochsStopsEveryThread()
    {
        var (train, _) = Planted();
        using var cancel = new CancellationTokenSource();
        var epochs = 0;

        Assert.ThrowsAny<OperationCanceledException>(() => new FunkSvd(new FunkSvdOptions { Factors = 8, Epochs = 50, Threads = 2 })
            .Fit(train, _ => { epochs++; cancel.Cancel(); }, cancel.Token));
        Assert.Equal(1, epochs);
    }

    [Fact]
    public void AnExceptionOnAnyThreadReachesTheCallerAndStopsTheOthers()
    {
        var error = Assert.Throws<InvalidOperationException>(() => SgdWorkers.Run(3, epochs: 5, phases: 2,
            (thread, epoch, phase) =>
            {
                if (thread == 2 && epoch == 2)
                {
                    throw new InvalidOperationException("block failed");
                }
            },
            _ => { }));
        Assert.Equal("block failed", error.Message);

        var fromReport = Assert.Throws<ArithmeticException>(() => SgdWorkers.Run(2, epochs: 5, phases: 2, (_, _, _) => { }, _ => throw new ArithmeticException("diverged")));
        Assert.Equal("diverged", fromReport.Message);
    }

    [Fact]
    public void EveryPhaseEndsOnEveryThreadBeforeTheNextStarts()
    {
        const int threads = 4, epochs = 30, phases = 3;
        var done = new int[epochs * phases];
        var late = 0;
        SgdWorkers.Run(threads, epochs, phases,
            (_, epoch, phase) =>
            {
                var index = ((epoch - 1) * phases) + phase;
                if (index > 0 && Volatile.Read(ref done[index - 1]) != threads)
                {
                    Interlocked.Increment(ref late);
                }

                Thread.SpinWait(50);
                Interlocked.Increment(ref done[index]);
            },
            epoch => Assert.Equal(threads, Volatile.Read(ref done[(epoch * phases) - 1])));

        Assert.Equal(0, late);
        Assert.All(done, d => Assert.Equal(threads, d));
    }

    [Fact]
    public void TheCommandLineDefaultIsEveryCoreAndThreadsAreRefusedWhereTheyDoNotApply()
    {
        var funk = Assert.IsType<FunkSvd>(AlgorithmFactory.Create(new AlgorithmSettings(AlgorithmFactory.FunkSvd)));
        Assert.Equal(Environment.ProcessorCount, funk.Options.Threads);
        Assert.Equal("3", AlgorithmFactory.Create(new AlgorithmSettings(AlgorithmFactory.SvdPlusPlus, Threads: 3)).Parameters["threads"]);
        Assert.Equal(1, new FunkSvdOptions().Threads); // the library's default: Surprise's loop

        var error = Assert.Throws<ArgumentException>(() => AlgorithmFactory.Create(new AlgorithmSettings(AlgorithmFactory.Als, Threads: 2)));
        Assert.Contains("--threads", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FunkSvd(new FunkSvdOptions { Threads = 0 }).Fit(Planted().Train));
    }

    [RequiresMovieLens100kTheory]
    [InlineData(2)]
    [InlineData(3)]
    public void OnThreadsFunkSvdAndSvdPlusPlusMatchSurprisesMeanRmseOnU1ToU5(int threads)
    {
        // Surprise 1.1.4, defaults, random_state 0: SVD mean 0.9380, SVDpp mean 0.9218 (docs/benchmarks.md §1, §8).
        var splits = Splits.MovieLensFolderSplits(TestPaths.MovieLens100k).Select(p => new Split(p.Name,
            RatingReaders.ReadTabSeparated(p.Train, RatingReaders.MovieLens100kScale), RatingReaders.ReadTabSeparated(p.Test, RatingReaders.MovieLens100kScale))).ToList();

        var funk = Evaluator.Evaluate(new FunkSvd(new FunkSvdOptions { Threads = threads }), splits, RatingReaders.MovieLens100kScale);
        var svdpp = Evaluator.Evaluate(new SvdPlusPlus(new SvdPlusPlusOptions { Threads = threads }), splits, RatingReaders.MovieLens100kScale);

        Assert.Equal(0.9380, MetricCatalog.Rmse.Summary(funk).Mean, 0.004);
        Assert.Equal(0.9218, MetricCatalog.Rmse.Summary(svdpp).Mean, 0.004);
    }
}
