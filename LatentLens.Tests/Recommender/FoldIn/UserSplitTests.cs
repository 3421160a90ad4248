using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Evaluation;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Tracking;
using LatentLens.Api.Tracking.Artifacts;
using LatentLens.Api.Tracking.FileStore;
using LatentLens.Api.Training;

namespace LatentLens.Tests.Recommender.FoldIn;

public sealed class UserSplitTests : IDisposable
{
    private readonly string _root = TestPaths.NewTempFolder();

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void AUserSplitHoldsOutWholeUsersAndCutsTheirRatingsBySeed()
    {
        var data = TestData.SyntheticWithTitles(seed: 2);
        var split = UserSplit.Make(data.Ratings, 0.1, 0.8, seed: 4);
        var again = UserSplit.Make(data.Ratings, 0.1, 0.8, seed: 4);
        var users = data.Ratings.Select(r => r.User).Distinct().Count();

        Assert.Equal(Math.Round(0.1 * users), split.HeldOut.Count);
        Assert.Equal(split.HeldOut.Select(u => u.User), again.HeldOut.Select(u => u.User));
        Assert.Equal(split.HeldOut[0].History, again.HeldOut[0].History);
        Assert.NotEqual(split.HeldOut.Select(u => u.User), UserSplit.Make(data.Ratings, 0.1, 0.8, seed: 5).HeldOut.Select(u => u.User));
        var held = split.HeldOut.Select(u => u.User).ToHashSet();
        Assert.DoesNotContain(split.Train, r => held.Contains(r.User));
        foreach (var user in split.HeldOut)
        {
            var all = data.Ratings.Count(r => r.User == user.User);
            Assert.Equal((int)Math.Floor(0.8 * all), user.History.Count);
            Assert.Equal(all, user.History.Count + user.Test.Count);
            Assert.Empty(user.History.Select(r => r.Item).Intersect(user.Test.Select(r => r.Item)));
        }

        Assert.Equal(data.Ratings.Count, split.Train.Count + split.HeldOut.Sum(u => u.History.Count + u.Test.Count));
    }

    [Fact]
    public void FoldInMetricsAreNamedSoAUserCanTellThem()
    {
        foreach (var key in new[] { "foldin_ndcg_at_10", "retrained_ndcg_at_10", "popularity_ndcg_at_10", "foldin_ndcg_ratio_at_10" })
        {
            Assert.Contains(MetricCatalog.UserSplit(10), m => m.Key == key);
            Assert.True(MetricCatalog.HigherIsBetter(key));
        }

        Assert.False(MetricCatalog.HigherIsBetter("foldin_time_us"));
    }

    [Fact]
    public void TrainSplitUsersRecordsFoldInRetrainedAndPopularityInTheRun()
    {
        var data = TestData.SyntheticWithTitles(seed: 2);
        var store = new FileTrackingStore(_root);
        var request = new TrainingRequest
        {
            Data = new TrainingData(data, [], "unused"),
            Grid = ParameterGrid.Single(AlgorithmFactory.PureSvd) with { Factors = [5] },
        };
        var split = UserSplit.Make(data.Ratings, 0.2, 0.8, seed: 1);
        var (outcome, results) = UserSplitPipeline.Run(store, request, split);

        var result = Assert.Single(results);
        Assert.True(result.FoldIn.Ndcg > 0 && result.Retrained.Ndcg > 0 && result.Popularity.Ndcg > 0);
        var run = Assert.Single(new FileTrackingStore(_root).ReadRuns(Assert.Single(outcome.Runs).ExperimentId));
        Assert.Equal(split.Description, run.Params["split"]);
        Assert.Equal(result.FoldIn.Ndcg, run.Metrics["foldin_ndcg_at_10"], 10);
        Assert.Equal(result.FoldIn.Ndcg, run.Metrics["ndcg_at_10"], 10);
        Assert.Equal(result.Retrained.Ndcg, run.Metrics["retrained_ndcg_at_10"], 10);
        Assert.Equal(result.Popularity.Ndcg, run.Metrics["popularity_ndcg_at_10"], 10);
    }

    [Fact]
    public void SvdPlusPlusSavesItsImplicitItemFactorsAndOldArtifactsStillLoad()
    {
        var data = TestData.SyntheticWithTitles(seed: 2);
        var trainset = LatentLens.Api.Recommender.Data.Trainset.Build(data.Ratings, data.Scale);
        var algorithm = new SvdPlusPlus(new SvdPlusPlusOptions { Factors = 4, Epochs = 2 });
        var saved = SavedModel.From(algorithm.Fit(trainset), trainset, data.Titles, algorithm.Parameters);
        var folder = Path.Combine(_root, "model");
        Write(folder, saved);
        var loaded = ModelArtifact.Load(folder);
        Assert.Equal(saved.Model.ItemImplicitFactors, loaded.Model.ItemImplicitFactors);

        // An artifact of before item_implicit.npy: the same files without it.
        var old = Path.Combine(_root, "old");
        Write(old, saved with { Model = WithoutImplicit(saved.Model) });
        Assert.Null(ModelArtifact.Load(old).Model.ItemImplicitFactors);
        Assert.True(((LatentLens.Api.Recommender.FoldIn.SgdFoldIn)LatentLens.Api.Recommender.FoldIn.FoldIns.For(ModelArtifact.Load(old))!).MissingImplicitTerm);
    }

    private static FactorModel WithoutImplicit(FactorModel m) => new(m.Algorithm, m.Users, m.Items, m.Scale, m.GlobalMean, m.UserBias, m.ItemBias, m.Factors, m.Stride, m.UserFactors, m.ItemFactors);

    private static void Write(string folder, SavedModel saved)
    {
        Directory.CreateDirectory(folder);
        foreach (var (name, content) in ModelArtifact.Build(saved, "run", "uuid", DateTime.UtcNow))
        {
            var path = Path.Combine(folder, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, content);
        }
    }
}
