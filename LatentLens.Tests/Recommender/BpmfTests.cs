using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Evaluation;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Tracking;
using LatentLens.Api.Tracking.Artifacts;

namespace LatentLens.Tests.Recommender;

/// <summary>Bayesian MF by Gibbs sampling: planted-matrix recovery, reproducibility, the served posterior mean, options.</summary>
public sealed class BpmfTests : IDisposable
{
    private static readonly RatingScale WideScale = new(-100, 100);

    private readonly string _dir = TestPaths.NewTempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A planted rank-3 matrix with noise 0.3, 30 % observed, split 80/20.</summary>
    private static (Trainset Train, List<RawRating> Test) Planted()
    {
        var ratings = new SyntheticRatings { Users = 300, Items = 200, Ratings = 18_000, Rank = 3, Noise = 0.3, Scale = WideScale, Seed = 7 }.GenerateRaw();
        var split = Splits.KFold(ratings, 5, seed: 3)[0];
        return (Trainset.Build(split.Train, WideScale), split.Test.ToList());
    }

    private static double TestRmse(FactorModel model, List<RawRating> test) => Accuracy.Rmse(Evaluator.Predict(model, test));

    private static BpmfOptions Quick(bool implicitFeatures = true, int seed = 1, bool itemImplicit = true) =>
        new() { Factors = 5, Samples = 40, BurnIn = 10, Thin = 2, Implicit = implicitFeatures, ItemImplicit = itemImplicit, Seed = seed };

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, false)]
    public void RecoversAPlantedLowRankMatrixNearTheNoiseLevelAndBeatsTheBaseline(bool implicitFeatures, bool itemImplicit)
    {
        var (train, test) = Planted();

        var bpmf = TestRmse(new Bpmf(Quick(implicitFeatures, itemImplicit: itemImplicit)).Fit(train), test);
        var baseline = TestRmse(new Baseline(new BaselineOptions()).Fit(train), test);

        // The noise is 0.3: a perfect model scores 0.3 on held-out ratings; the baseline cannot see the rank-3 structure.
        Assert.InRange(bpmf, 0.3, 0.36);
        Assert.True(bpmf < baseline / 2, $"bpmf {bpmf} vs baseline {baseline}");
    }

    [Fact]
    public void TheSameSeedGivesTheSameModelAndAnotherSeedAnother()
    {
        var (train, _) = Planted();

        var first = new Bpmf(Quick(seed: 4)).Fit(train);
        var again = new Bpmf(Quick(seed: 4)).Fit(train);
        var other = new Bpmf(Quick(seed: 5)).Fit(train);

        Assert.Equal(first.UserFactors, again.UserFactors);
        Assert.Equal(first.ItemFactors, again.ItemFactors);
        Assert.Equal(first.UserBias, again.UserBias);
        Assert.Equal(first.ItemBias, again.ItemBias);
        Assert.NotEqual(first.ItemFactors, other.ItemFactors);
        Assert.NotEqual(first.Predict(0, 0).Value, other.Predict(0, 0).Value);
    }

    [Fact]
    public void TheItemBlockIsOnByDefaultAndChangesTheModel()
    {
        var (train, _) = Planted();

        var both = new Bpmf(Quick(seed: 4)).Fit(train);
        var userOnly = new Bpmf(Quick(seed: 4, itemImplicit: false)).Fit(train);

        Assert.True(new BpmfOptions().ItemImplicitOn);
        Assert.False(new BpmfOptions { Implicit = false }.ItemImplicitOn);
        Assert.Equal("bpmf-f5-s40-noitemimplicit", new Bpmf(Quick(itemImplicit: false)).DisplayName);
        Assert.NotEqual(both.ItemFactors, userOnly.ItemFactors);
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, false)]
    public void TheServedModelPredictsThePosteriorMeanOfTheKeptSamples(bool implicitFeatures, bool itemImplicit)
    {
        var trainset = Trainset.Build(TestData.SyntheticWithTitles(3).Ratings.Take(500).ToList(), new RatingScale(1, 5));
        var options = new BpmfOptions { Factors = 3, Samples = 12, BurnIn = 4, Thin = 3, Implicit = implicitFeatures, ItemImplicit = itemImplicit, Seed = 9 };

        // The same chain run by hand: the mean over the kept samples of each sample's own prediction.
        var sampler = new BpmfSampler(options, trainset, []);
        var sums = new double[trainset.UserCount, trainset.ItemCount];
        var kept = 0;
        for (var s = 1; s <= options.Samples; s++)
        {
            sampler.Sweep(s);
            if (!options.Keeps(s))
            {
                continue;
            }

            kept++;
            for (var u = 0; u < trainset.UserCount; u++)
            {
                for (var i = 0; i < trainset.ItemCount; i++)
                {
                    sums[u, i] += sampler.Predict(u, i);
                }
            }
        }

        var model = new Bpmf(options).Fit(trainset);

        Assert.Equal(3, kept);
        Assert.Equal(options.KeptSamples, kept);
        Assert.Equal(options.Factors * kept, model.Factors);
        for (var u = 0; u < trainset.UserCount; u++)
        {
            for (var i = 0; i < trainset.ItemCount; i++)
            {
                var mean = new RatingScale(1, 5).Clip((float)(sums[u, i] / kept));
                Assert.Equal(mean, model.Predict(u, i).Value, 1e-4);
            }
        }
    }

    [Fact]
    public void TheServedModelSurvivesTheArtifactRoundTrip()
    {
        var data = TestData.SyntheticWithTitles(2);
        var trainset = Trainset.Build(data.Ratings, data.Scale);
        var algorithm = new Bpmf(Quick());
        var model = algorithm.Fit(trainset);
        var saved = SavedModel.From(model, trainset, data.Titles, algorithm.Parameters);
        foreach (var (name, content) in ModelArtifact.Build(saved, "run", "uuid", DateTime.UtcNow))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(_dir, name))!);
            File.WriteAllBytes(Path.Combine(_dir, name), content);
        }

        var loaded = ModelArtifact.Load(_dir);

        Assert.Equal("bpmf", loaded.Model.Algorithm);
        Assert.Equal(model.Factors, loaded.Model.Factors);
        Assert.Equal("true", loaded.Parameters["implicit"]);
        foreach (var r in data.Ratings.Take(200))
        {
            Assert.Equal(model.Predict(r.User, r.Item), loaded.Model.Predict(r.User, r.Item));
        }
    }

    [Fact]
    public void EachSampleReportsItsTrainRmseAndTheRunningMeansTestRmse()
    {
        var (train, test) = Planted();
        var reports = new List<EpochReport>();

        IRecommenderAlgorithm algorithm = new Bpmf(Quick());
        var model = algorithm.Fit(train, test, reports.Add, CancellationToken.None);

        Assert.Equal(Enumerable.Range(1, 40), reports.Select(r => r.Epoch));
        Assert.All(reports, r => Assert.True(double.IsFinite(r.TrainRmse) && double.IsFinite(r.TestRmse)));

        // The running mean over 30 samples is the served mean over 15 of them, up to the samples left out.
        Assert.Equal(TestRmse(model, test), reports[^1].TestRmse, 0.01);
        Assert.True(reports[^1].TestRmse < reports[9].TestRmse, "averaging beats the last burn-in sample");
        Assert.All(new Bpmf(Quick()).Fit(train, [], null, CancellationToken.None).UserFactors, f => Assert.True(float.IsFinite(f)));
    }

    [Theory]
    [InlineData(0, null, null, null, "--factors")]
    [InlineData(null, 10, 10, null, "--burn-in")]
    [InlineData(null, 10, 20, null, "--burn-in")]
    [InlineData(null, null, null, 0, "--thin")]
    [InlineData(2000, 1000, 0, 1, "--thin")]
    public void BadOptionsAreRefusedNamingTheOption(int? factors, int? samples, int? burnIn, int? thin, string option)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() =>
            AlgorithmFactory.Create(new AlgorithmSettings(AlgorithmFactory.Bpmf, Factors: factors, Samples: samples, BurnIn: burnIn, Thin: thin)));

        Assert.Contains(option, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--epochs")]
    [InlineData("--lr")]
    [InlineData("--reg")]
    public void OptionsBpmfDoesNotHaveAreRefused(string option)
    {
        var settings = option switch
        {
            "--epochs" => new AlgorithmSettings(AlgorithmFactory.Bpmf, Epochs: 5),
            "--lr" => new AlgorithmSettings(AlgorithmFactory.Bpmf, LearningRate: 0.1),
            _ => new AlgorithmSettings(AlgorithmFactory.Bpmf, Regularization: 0.1),
        };

        var error = Assert.Throws<ArgumentException>(() => AlgorithmFactory.Create(settings));

        Assert.Contains(option, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SamplerOptionsAreRefusedByOtherAlgorithmsButSweptOnlyIntoBpmf()
    {
        Assert.Throws<ArgumentException>(() => AlgorithmFactory.Create(new AlgorithmSettings(AlgorithmFactory.FunkSvd, Samples: 10)));

        var grid = new ParameterGrid([AlgorithmFactory.SvdPlusPlus, AlgorithmFactory.Bpmf], [8], [], [], [], 0) { Samples = [20, 30], BurnIns = [5], Implicit = false };
        var configurations = grid.Configurations();

        Assert.Equal(3, configurations.Count);
        Assert.Equal(new AlgorithmSettings(AlgorithmFactory.SvdPlusPlus, Factors: 8), configurations[0]);
        Assert.Equal(new AlgorithmSettings(AlgorithmFactory.Bpmf, Factors: 8, Samples: 30, BurnIn: 5, Implicit: false), configurations[2]);
        Assert.Equal("bpmf-f8-s30-noimplicit", AlgorithmFactory.Create(configurations[2]).DisplayName);
    }

    [Fact]
    public void NoItemImplicitIsSweptOnlyIntoBpmfAndRefusedByOthers()
    {
        Assert.Throws<ArgumentException>(() => AlgorithmFactory.Create(new AlgorithmSettings(AlgorithmFactory.SvdPlusPlus, ItemImplicit: false)));

        var grid = new ParameterGrid([AlgorithmFactory.SvdPlusPlus, AlgorithmFactory.Bpmf], [], [], [], [], 0) { ItemImplicit = false };
        var configurations = grid.Configurations();

        Assert.Equal(new AlgorithmSettings(AlgorithmFactory.SvdPlusPlus), configurations[0]);
        Assert.Equal(new AlgorithmSettings(AlgorithmFactory.Bpmf, ItemImplicit: false), configurations[1]);
        var bpmf = Assert.IsType<Bpmf>(AlgorithmFactory.Create(configurations[1]));
        Assert.True(bpmf.Options.Implicit);
        Assert.False(bpmf.Options.ItemImplicitOn);
        Assert.Equal("false", bpmf.Parameters["item_implicit"]);
    }

    [RequiresMovieLens100kFact]
    public void OnU1TheDefaultsBeatSvdPlusPlus()
    {
        var split = Splits.MovieLensFolderSplits(TestPaths.MovieLens100k)[0];
        var scale = RatingReaders.MovieLens100kScale;
        var result = Evaluator.Evaluate(new Bpmf(new BpmfOptions()),
            [new Split(split.Name, RatingReaders.ReadTabSeparated(split.Train, scale), RatingReaders.ReadTabSeparated(split.Test, scale))], scale);

        // Measured here: 0.8878 with both implicit blocks, 0.9007 with the user block only (docs/benchmarks.md §11);
        // Surprise's SVDpp scores 0.9330 on u1.
        Assert.InRange(MetricCatalog.Rmse.Summary(result).Mean, 0.883, 0.893);
    }
}
