using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Evaluation;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Recommender.Numerics;

namespace LatentLens.Tests.Recommender;

public sealed class AlgorithmTests
{
    private static readonly RatingScale WideScale = new(-100, 100);

    /// <summary>A planted rank-3 matrix with noise 0.1, 30 % observed, split 80/20.</summary>
    private static (Trainset Train, List<RawRating> Test) Planted(double noise = 0.1)
    {
        var ratings = new SyntheticRatings { Users = 300, Items = 200, Ratings = 18_000, Rank = 3, Noise = noise, Scale = WideScale, Seed = 7 }.GenerateRaw();
        var split = Splits.KFold(ratings, 5, seed: 3)[0];
        return (Trainset.Build(split.Train, WideScale), split.Test.ToList());
    }

    private static double TestRmse(FactorModel model, List<RawRating> test) => Accuracy.Rmse(Evaluator.Predict(model, test));

    private static double LastTrainRmse(IRecommenderAlgorithm algorithm, Trainset trainset)
    {
        var last = 0.0;
        algorithm.Fit(trainset, e => last = e.TrainRmse);
        return last;
    }

    // FunkSvd's update rule and the planted low-rank recovery are checked on every SIMD path in FunkSvdKernelPathTests.

    [Fact]
    public void FactorInitialisationDrawsStandardNormals()
    {
        var draws = new float[400_000];
        var random = new GaussianFill(3);
        random.Fill(draws, 0, 1);

        var mean = draws.Average(x => (double)x);
        var variance = draws.Average(x => (x - mean) * (x - mean));
        var beyondTwo = draws.Count(x => Math.Abs(x) > 2) / (double)draws.Length;
        var beyondThree = draws.Count(x => Math.Abs(x) > 3) / (double)draws.Length;

        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(variance, 0.99, 1.01);
        Assert.InRange(beyondTwo, 0.0435, 0.0475);     // 0.0455 for N(0, 1)
        Assert.InRange(beyondThree, 0.0022, 0.0032);   // 0.0027
    }

    [Fact]
    public void SameSeedAndDataGiveAnIdenticalModel()
    {
        var (train, _) = Planted();

        var a = new FunkSvd(new FunkSvdOptions { Factors = 20, Epochs = 5, Seed = 11 }).Fit(train);
        var b = new FunkSvd(new FunkSvdOptions { Factors = 20, Epochs = 5, Seed = 11 }).Fit(train);
        var c = new FunkSvd(new FunkSvdOptions { Factors = 20, Epochs = 5, Seed = 12 }).Fit(train);

        Assert.Equal(a.UserFactors, b.UserFactors);
        Assert.Equal(a.ItemFactors, b.ItemFactors);
        Assert.Equal(a.ItemBias, b.ItemBias);
        Assert.NotEqual(a.UserFactors, c.UserFactors);
    }

    [Fact]
    public void MoreEpochsLowerTheTrainingError()
    {
        var (train, _) = Planted();

        var few = LastTrainRmse(new FunkSvd(new FunkSvdOptions { Factors = 10, Epochs = 5 }), train);
        var many = LastTrainRmse(new FunkSvd(new FunkSvdOptions { Factors = 10, Epochs = 40 }), train);

        Assert.True(many < few, $"40 epochs {many} should fit better than 5 epochs {few}");
    }

    [Fact]
    public void MoreFactorsLowerTheTrainingError()
    {
        var (train, _) = Planted();

        var one = LastTrainRmse(new FunkSvd(new FunkSvdOptions { Factors = 1, Epochs = 60, LearningRate = 0.01 }), train);
        var ten = LastTrainRmse(new FunkSvd(new FunkSvdOptions { Factors = 10, Epochs = 60, LearningRate = 0.01 }), train);

        Assert.True(ten < one, $"10 factors {ten} should fit better than 1 factor {one}");
    }

    [Fact]
    public void AHigherLearningRateLearnsFasterInFewEpochs()
    {
        var (train, _) = Planted();

        var slow = LastTrainRmse(new FunkSvd(new FunkSvdOptions { Factors = 10, Epochs = 5, LearningRate = 0.001 }), train);
        var fast = LastTrainRmse(new FunkSvd(new FunkSvdOptions { Factors = 10, Epochs = 5, LearningRate = 0.01 }), train);

        Assert.True(fast < slow, $"lr 0.01 {fast} should be ahead of lr 0.001 {slow} after 5 epochs");
    }

    [Fact]
    public void StrongerRegularizationShrinksTheFactorsAndFitsTheTrainingDataLessTightly()
    {
        var (train, _) = Planted();
        double looseRmse = 0, tightRmse = 0;

        var loose = new FunkSvd(new FunkSvdOptions { Factors = 10, Epochs = 30, Regularization = 0.0 }).Fit(train, e => looseRmse = e.TrainRmse);
        var tight = new FunkSvd(new FunkSvdOptions { Factors = 10, Epochs = 30, Regularization = 0.5 }).Fit(train, e => tightRmse = e.TrainRmse);

        // (The biases may grow: they take up what the shrunk factors no longer explain.)
        static double Norm(float[] x) => Math.Sqrt(x.Sum(v => (double)v * v));
        Assert.True(Norm(tight.ItemFactors) < Norm(loose.ItemFactors), $"factor norms: λ=0.5 {Norm(tight.ItemFactors)}, λ=0 {Norm(loose.ItemFactors)}");
        Assert.True(tightRmse > looseRmse, $"train RMSE: λ=0.5 {tightRmse}, λ=0 {looseRmse}");
    }

    [Fact]
    public void UnknownUserOrItemDropsItsTermsAndSaysItFellBack()
    {
        var (train, _) = Planted();
        var model = new FunkSvd(new FunkSvdOptions { Factors = 5, Epochs = 2 }).Fit(train);
        var item = train.Items.ToRaw(0);

        var unknownUser = model.Predict("nobody", item);
        var unknownBoth = model.Predict("nobody", "nothing");
        var known = model.Predict(train.Users.ToRaw(0), item);

        Assert.True(unknownUser.FellBack);
        Assert.False(unknownUser.UserKnown);
        Assert.Equal((float)(model.GlobalMean + model.ItemBias[0]), unknownUser.Value, 5);
        Assert.Equal((float)model.GlobalMean, unknownBoth.Value, 5);
        Assert.False(known.FellBack);
    }

    [Fact]
    public void PredictionsAreClippedToTheRatingScale()
    {
        var scale = new RatingScale(1, 5);
        var trainset = Trainset.Build([new("a", "x", 5, 0), new("a", "y", 5, 0), new("b", "x", 5, 0)], scale);
        var model = new FactorModel("test", trainset.Users, trainset.Items, scale, 5, [3f, 0f], [3f, 0f], 0, 0, [], []);

        Assert.Equal(5f, model.Predict("a", "x").Value);
    }

    [Fact]
    public void BaselineBiasesMatchHandComputedAls()
    {
        // mu = 4. Item step: b_i1 = ((5-4) + (4-4)) / 2 = 0.5, b_i2 = (3-4) / 1 = -1.
        // User step: b_u1 = ((5-4-0.5) + (3-4+1)) / 2 = 0.25, b_u2 = (4-4-0.5) / 1 = -0.5. So r̂(u1, i1) = 4 + 0.25 + 0.5.
        var trainset = Trainset.Build([new("u1", "i1", 5, 0), new("u1", "i2", 3, 0), new("u2", "i1", 4, 0)], new RatingScale(1, 5));

        var model = new Baseline(new BaselineOptions { Epochs = 1, UserRegularization = 0, ItemRegularization = 0 }).Fit(trainset);

        Assert.Equal([0.25f, -0.5f], model.UserBias);
        Assert.Equal([0.5f, -1f], model.ItemBias);
        Assert.Equal(4.75f, model.Predict("u1", "i1").Value, 5);
    }

    [Fact]
    public void PureSvdReconstructsACompleteLowRankMatrix()
    {
        // Complete 30 x 20 rank-2 matrix without noise: centring on the biases adds at most rank 3.
        var ratings = new SyntheticRatings { Users = 30, Items = 20, Ratings = 600, Rank = 2, Noise = 0, Scale = WideScale, Seed = 4 }.GenerateRaw();
        var trainset = Trainset.Build(ratings, WideScale);

        var model = new PureSvd(new PureSvdOptions { Factors = 5 }).Fit(trainset);

        Assert.True(Accuracy.Rmse(Evaluator.Predict(model, ratings)) < 1e-3);
    }

    [Fact]
    public void PureSvdWithFewerFactorsThanTheRankFitsWorse()
    {
        var ratings = new SyntheticRatings { Users = 40, Items = 60, Ratings = 2_400, Rank = 6, Noise = 0, Scale = WideScale, Seed = 4 }.GenerateRaw();
        var trainset = Trainset.Build(ratings, WideScale);

        var small = Accuracy.Rmse(Evaluator.Predict(new PureSvd(new PureSvdOptions { Factors = 2 }).Fit(trainset), ratings));
        var full = Accuracy.Rmse(Evaluator.Predict(new PureSvd(new PureSvdOptions { Factors = 9 }).Fit(trainset), ratings));

        Assert.True(full < 1e-3 && small > 0.1, $"rank 9: {full}, rank 2: {small}");
    }

    [Fact]
    public void AlgorithmFactoryRefusesHyperParametersTheAlgorithmDoesNotHave()
    {
        var error = Assert.Throws<ArgumentException>(() => AlgorithmFactory.Create(new AlgorithmSettings("baseline", Factors: 10)));

        Assert.Contains("--factors does not apply to baseline", error.Message, StringComparison.Ordinal);
    }

    [RequiresMovieLens100kFact]
    public void FunkSvdMatchesSurprisesAccuracyOnTheCanonicalSplits()
    {
        double[] surprise = [0.9513, 0.9423, 0.9309, 0.9322, 0.9332];
        var rmses = new List<double>();
        foreach (var (name, trainFile, testFile) in Splits.MovieLensFolderSplits(TestPaths.MovieLens100k))
        {
            var train = Trainset.Build(RatingReaders.ReadTabSeparated(trainFile, RatingReaders.MovieLens100kScale), RatingReaders.MovieLens100kScale);
            var test = RatingReaders.ReadTabSeparated(testFile, RatingReaders.MovieLens100kScale);
            var rmse = Accuracy.Rmse(Evaluator.Predict(new FunkSvd(new FunkSvdOptions()).Fit(train), test));
            Assert.True(Math.Abs(rmse - surprise[rmses.Count]) <= 0.01, $"{name}: RMSE {rmse} vs Surprise {surprise[rmses.Count]}");
            rmses.Add(rmse);
        }

        Assert.InRange(rmses.Average(), 0.9380 - 0.004, 0.9380 + 0.004);
    }
}
