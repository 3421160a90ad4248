using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Evaluation;
using LatentLens.Api.Recommender.Evaluation.Search;
using LatentLens.Api.Tracking;
using LatentLens.Api.Tracking.FileStore;
using LatentLens.Api.Training;

namespace LatentLens.Tests.Training;

/// <summary><c>train --search</c>: the validation data, the ranges, the choice, and the runs it records.</summary>
public sealed class HyperparameterSearchTests : IDisposable
{
    private readonly string _root = TestPaths.NewTempFolder();

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static TrainingData Data(int folds = 1)
    {
        var data = TestData.SyntheticWithTitles(seed: 4);
        if (folds > 1)
        {
            return new TrainingData(data, Splits.KFold(data.Ratings, folds, seed: 2), $"{folds}-fold cross-validation (seed 2)");
        }

        // One given split, as u1.base/u1.test: a seeded 80/20 cut of the ratings.
        var split = Splits.KFold(data.Ratings, 5, seed: 2)[0];
        return new TrainingData(data, [new Split("u1", split.Train, split.Test)], "given splits u1");
    }

    /// <summary>A split shaped as u1: half the users hold 40 % of their ratings in the test part, the others none.</summary>
    private static TrainingData UsersSplit()
    {
        var data = TestData.SyntheticWithTitles(seed: 5);
        var random = new Random(3);
        var users = data.Ratings.Select(r => r.User).Distinct().Where((_, n) => n % 2 == 0).ToHashSet();
        var (train, test) = (new List<RawRating>(), new List<RawRating>());
        foreach (var r in data.Ratings)
        {
            (users.Contains(r.User) && random.NextDouble() < 0.4 ? test : train).Add(r);
        }

        return new TrainingData(data, [new Split("u1", train, test)], "given splits u1");
    }

    private static TrainingRequest Request(TrainingData data, int seed, params string[] algorithms) => new()
    {
        Data = data,
        Grid = new ParameterGrid(algorithms, [], [], [], [], seed),
        PromoteBy = "ndcg_at_10",
        Track = false,
    };

    [Fact]
    public void TheValidationSplitNeverHoldsATestRating()
    {
        foreach (var data in new[] { Data(), Data(folds: 5), UsersSplit() })
        {
            var validation = ValidationSplit.Carve(data.Splits, seed: 3);

            Assert.Equal(data.Splits.Count, validation.Count);
            for (var s = 0; s < data.Splits.Count; s++)
            {
                var (split, carved) = (data.Splits[s], validation[s]);
                var test = split.Test.Select(r => (r.User, r.Item)).ToHashSet();
                Assert.DoesNotContain(carved.Test, r => test.Contains((r.User, r.Item)));
                Assert.DoesNotContain(carved.Test, r => split.Test.Contains(r));
                Assert.DoesNotContain(carved.Train, r => test.Contains((r.User, r.Item)));

                // Train and validation are exactly the split's training ratings, cut in two.
                Assert.Equal(split.Train.Count, carved.Train.Count + carved.Test.Count);
                Assert.Equal(split.Train.OrderBy(Key), carved.Train.Concat(carved.Test).OrderBy(Key));

                // Every user gives up the test part's share of all ratings, rounded, one kept at least (u1's shape too: users with no test rating give theirs).
                var share = (double)split.Test.Count / (split.Train.Count + split.Test.Count);
                foreach (var user in split.Train.GroupBy(r => r.User))
                {
                    var held = carved.Test.Count(r => r.User == user.Key);
                    Assert.Equal(Math.Min((int)Math.Round(share * user.Count(), MidpointRounding.AwayFromZero), user.Count() - 1), held);
                }
            }
        }

        static string Key(RawRating r) => $"{r.User}\t{r.Item}";
    }

    [Fact]
    public void TheSameSeedChoosesTheSameSettingAndAnotherSeedDrawsOthers()
    {
        var first = HyperparameterSearch.Run(null, Request(Data(), 5, AlgorithmFactory.PureSvd, AlgorithmFactory.Als), trials: 4);
        var again = HyperparameterSearch.Run(null, Request(Data(), 5, AlgorithmFactory.PureSvd, AlgorithmFactory.Als), trials: 4);
        var other = HyperparameterSearch.Run(null, Request(Data(), 6, AlgorithmFactory.PureSvd, AlgorithmFactory.Als), trials: 4);

        for (var n = 0; n < 2; n++)
        {
            Assert.Equal(first.Searches[n]!.Best.Settings, again.Searches[n]!.Best.Settings);
            Assert.Equal(first.Searches[n]!.Trials.Select(t => t.Score), again.Searches[n]!.Trials.Select(t => t.Score));
            Assert.Equal(first.Training.Results[n].Parameters, again.Training.Results[n].Parameters);
            Assert.Equal(MetricCatalog.NdcgAt(10).Summary(first.Training.Results[n]).Mean, MetricCatalog.NdcgAt(10).Summary(again.Training.Results[n]).Mean);
            Assert.NotEqual(first.Searches[n]!.Trials.Skip(1).Select(t => t.Settings with { Seed = 0 }), other.Searches[n]!.Trials.Skip(1).Select(t => t.Settings with { Seed = 0 }));
        }
    }

    [Fact]
    public void TheChosenTrialIsTheBestOnValidationAndTheResultIsItsTestEvaluation()
    {
        var outcome = HyperparameterSearch.Run(null, Request(Data(), 1, AlgorithmFactory.Popular, AlgorithmFactory.PureSvd), trials: 5);

        Assert.Null(outcome.Searches[0]);
        Assert.Equal("popular", outcome.Training.Results[0].Algorithm);
        var search = outcome.Searches[1]!;
        Assert.Equal(5, search.Trials.Count);
        Assert.Equal(new AlgorithmSettings(AlgorithmFactory.PureSvd, Seed: 1), search.Trials[0].Settings);
        Assert.Equal(search.Trials.Max(t => t.Score), search.Best.Score);
        Assert.Equal(search.Best.Algorithm.Parameters, outcome.Training.Results[1].Parameters);
        Assert.Equal("u1", Assert.Single(outcome.Training.Results[1].Folds).Name);
        Assert.Equal("u1 validation", Assert.Single(search.Best.Validation!.Folds).Name);
    }

    [Fact]
    public void EveryAlgorithmHasAnEntryWhoseRangesItTakes()
    {
        foreach (var algorithm in AlgorithmFactory.Names)
        {
            foreach (var range in SearchSpace.For(algorithm))
            {
                Assert.True(AlgorithmFactory.Accepts(algorithm, range.Parameter), $"{algorithm} has no {range.Parameter}");
            }

            var trials = SearchSpace.Trials(algorithm, 30, seed: 0);
            Assert.Equal(SearchSpace.For(algorithm).Count == 0 ? 1 : 30, trials.Count);
            Assert.Equal(trials.Count, trials.Distinct().Count());
            foreach (var settings in trials)
            {
                _ = AlgorithmFactory.Create(settings);
            }
        }

        var als = SearchSpace.For(AlgorithmFactory.Als);
        bool Covers(string parameter, double value) => als.Any(r => r.Parameter == parameter && r.Min <= value && value <= r.Max);
        Assert.True(Covers("alpha", 10) && Covers("alpha", 1) && Covers("reg", 0.001) && Covers("factors", 128) && Covers("factors", 20) && Covers("factors", 100));
    }

    [Fact]
    public void DrawsStayInTheirRanges()
    {
        var random = new Random(1);
        var ranges = new[] { SearchRange.Log("reg", 0.001, 10), SearchRange.LogInt("factors", 5, 200), SearchRange.Int("epochs", 10, 40), SearchRange.Choice("alpha", 1, 10) };
        foreach (var range in ranges)
        {
            var values = Enumerable.Range(0, 2000).Select(_ => range.Sample(random)).ToList();
            Assert.All(values, v => Assert.InRange(v, range.Min, range.Max));
            if (range.Kind is RangeKind.LogInt or RangeKind.Int)
            {
                Assert.All(values, v => Assert.Equal(Math.Round(v), v));
                Assert.Contains(range.Min, values);
                Assert.Contains(range.Max, values);
            }
        }
    }

    [Fact]
    public void ValuesGivenForTheSearchedSettingsAreRefused()
    {
        var grid = new ParameterGrid([AlgorithmFactory.PureSvd], [10], [], [], [], 0);

        var error = Assert.Throws<ArgumentException>(() => HyperparameterSearch.Validate(grid, track: false, register: false, "ndcg_at_10", trials: 3));

        Assert.Contains("--factors", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TrackedEachSearchIsAParentOfItsTrialsAndOfTheChosenRunWhichAloneHasAModel()
    {
        var store = new FileTrackingStore(_root);
        var request = Request(Data(), 2, AlgorithmFactory.Popular, AlgorithmFactory.PureSvd, AlgorithmFactory.Als) with { Track = true, Register = true };

        var outcome = HyperparameterSearch.Run(store, request, trials: 3);

        var reader = new FileTrackingStore(_root);
        var experiment = Assert.Single(reader.ReadExperiments());
        var runs = reader.ReadRuns(experiment.Id);
        Assert.Equal(1 + (2 * (1 + 3 + 1)), runs.Count); // popular; per search: the parent, 3 trials, the chosen run
        var popular = Assert.Single(runs, r => r.RunName == "popular");
        Assert.Null(popular.ParentRunId);
        foreach (var algorithm in new[] { AlgorithmFactory.PureSvd, AlgorithmFactory.Als })
        {
            var parent = Assert.Single(runs, r => r.RunName == $"search-{algorithm}-3");
            Assert.Null(parent.ParentRunId);
            Assert.Equal(RunStatus.Finished, parent.Status);
            var children = runs.Where(r => r.ParentRunId == parent.RunId).ToList();
            Assert.Equal(4, children.Count);
            var trials = children.Where(r => r.Tags.ContainsKey("latentlens.search.trial")).ToList();
            Assert.Equal(3, trials.Count);
            Assert.All(trials, t =>
            {
                Assert.False(reader.HasModel(t));
                Assert.True(t.Metrics.ContainsKey("validation_ndcg_at_10"));
                Assert.False(t.Metrics.ContainsKey("ndcg_at_10"));
                Assert.Equal(algorithm, t.Params["algorithm"]);
            });
            var chosen = Assert.Single(children, c => !c.Tags.ContainsKey("latentlens.search.trial"));
            Assert.True(reader.HasModel(chosen));
            Assert.Equal(chosen.RunId, parent.Tags["best_run_id"]);
            Assert.Equal(chosen.Metrics["ndcg_at_10"], parent.Metrics["ndcg_at_10"]);
        }

        var champion = outcome.Training.Promotion!;
        Assert.Contains(champion.RunId, outcome.Training.Runs.Select(r => r.RunId));
        Assert.Equal(3, outcome.Training.Registered.Count);
    }
}
