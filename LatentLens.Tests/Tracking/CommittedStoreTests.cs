using LatentLens.Api.Tracking;
using LatentLens.Api.Tracking.Artifacts;
using LatentLens.Api.Tracking.FileStore;
using LatentLens.Api.Training;

namespace LatentLens.Tests.Tracking;

/// <summary>The repository's mlruns/ reads back completely: what the MLflow UI and the API see on a fresh clone.</summary>
public sealed class CommittedStoreTests
{
    private static readonly string Mlruns = Path.Combine(TestPaths.RepositoryRoot, "mlruns");

    [Fact]
    public void EveryFinishedRunWithAModelLoadsAndTheChampionExists()
    {
        var reader = new FileTrackingStore(Mlruns);
        var problems = new ProblemSink();
        var experiment = reader.FindExperiment(LatentLensConventions.ExperimentName, problems);

        Assert.NotNull(experiment);
        var runs = reader.ReadRuns(experiment.Id, problems);
        Assert.Empty(problems.Problems);
        // The search's chosen runs and popular carry a model; the search's parents and trials do not.
        var trained = runs.Where(r => Directory.Exists(Path.Combine(r.ArtifactsFolder, "model"))).ToList();
        Assert.All(trained.Where(r => r.Params["algorithm"] != "popular"), r => Assert.NotNull(r.ParentRunId));
        Assert.Equal(6, runs.Count(r => r.RunName.StartsWith("search-", StringComparison.Ordinal)));
        Assert.Equal(["als", "baseline", "funksvd", "popular", "puresvd", "puresvd-centred", "svdpp"], trained.Select(r => r.Params["algorithm"]).Order(StringComparer.Ordinal));
        Assert.All(trained, r => Assert.True(r.Metrics.ContainsKey("ndcg_at_10") && r.Metrics.ContainsKey("map_at_10"), r.RunName));
        Assert.All(trained.Where(r => r.Params["algorithm"] is "als" or "puresvd"), r => Assert.False(r.Metrics.ContainsKey("rmse"), r.RunName));
        Assert.All(trained, r => Assert.Equal(RunStatus.Finished, r.Status));
        foreach (var run in trained)
        {
            var saved = ModelArtifact.Load(Path.Combine(run.ArtifactsFolder, "model"));
            Assert.Equal(610, saved.Model.Users.Count);
            Assert.True(run.MetricHistories["train_rmse"].Count >= 1);
        }

        var model = reader.FindRegisteredModel(LatentLensConventions.RegisteredModelName, problems);
        Assert.NotNull(model);
        var champion = model.Versions.Single(v => v.Version == model.Aliases[LatentLensConventions.ChampionAlias]);
        Assert.NotNull(champion);
        // Chosen by ndcg_at_10 (README): the best run by that metric holds the alias.
        Assert.Equal(trained.MaxBy(r => r.Metrics["ndcg_at_10"])!.RunId, champion.RunId);
        Assert.Empty(problems.Problems);
    }

    [Fact]
    public void TheStoreHoldsNoTemporaryFilesAndNoAbsolutePaths()
    {
        Assert.Empty(Directory.EnumerateFileSystemEntries(Mlruns, AtomicFile.TempPrefix + "*"));
        foreach (var meta in Directory.EnumerateFiles(Mlruns, "meta.yaml", SearchOption.AllDirectories))
        {
            Assert.DoesNotContain(TestPaths.RepositoryRoot, File.ReadAllText(meta), StringComparison.Ordinal);
            Assert.DoesNotContain("file://", File.ReadAllText(meta), StringComparison.Ordinal);
        }
    }
}
