using LatentLens.Api.Tracking;
using LatentLens.Api.Tracking.FileStore;
using LatentLens.Api.Training;

namespace LatentLens.Tests.Tracking;

/// <summary>The store written by MLflow itself (../shared/mlflow/golden-mlruns), read back with the values it holds.</summary>
public sealed class GoldenStoreTests
{
    private static readonly string Golden = TestPaths.GoldenStore;
    private const string ExperimentId = "114201382972641959";

    [Fact]
    public void ReadsTheExperimentsIncludingTheDeletedOne()
    {
        var reader = new FileTrackingStore(Golden);
        var problems = new ProblemSink();

        var active = reader.ReadExperiments(problems);
        var all = reader.ReadExperiments(problems, includeDeleted: true);

        Assert.Equal(["0", ExperimentId], active.Select(e => e.Id).Order());
        var experiment = active.Single(e => e.Id == ExperimentId);
        Assert.Equal("LatentLens-SVD-Evaluation", experiment.Name);
        Assert.Equal(1795708158329, experiment.CreationTime);
        Assert.Equal("LatentLens", experiment.Tags["project"]);
        Assert.Equal("Default", active.Single(e => e.Id == "0").Name);
        Assert.Contains(all, e => e.Name == "scratch" && e.LifecycleStage == "deleted");
        Assert.Empty(problems.Problems);
    }

    [Fact]
    public void ReadsRunsWithParamsMetricHistoriesAndTags()
    {
        var reader = new FileTrackingStore(Golden);
        var problems = new ProblemSink();

        var runs = reader.ReadRuns(ExperimentId, problems);
        var withDeleted = reader.ReadRunsIncludingDeleted(ExperimentId, problems);

        Assert.Equal(2, runs.Count);
        Assert.Equal(3, withDeleted.Count);
        var k64 = runs.Single(r => r.RunId == "2a1c88c827b446a9b17502dbbf00deab");
        Assert.Equal("svd-k64", k64.RunName);
        Assert.Equal(RunStatus.Finished, k64.Status);
        Assert.Equal(1713340860000, k64.StartTime);
        Assert.Equal(1713340864000, k64.EndTime);
        Assert.Equal("latentlens", k64.UserId);
        Assert.Equal("64", k64.Params["factors"]);
        Assert.Equal([1.02, 0.9, 0.85], k64.MetricHistories["train_rmse"].Select(p => p.Value));
        Assert.Equal([0L, 1, 2], k64.MetricHistories["train_rmse"].Select(p => p.Step));
        Assert.Equal(0.85, k64.Metrics["train_rmse"]);
        Assert.Equal(0.96, k64.Metrics["test_rmse"]);
        Assert.Equal("svd-k64", k64.Tags["mlflow.runName"]);
        Assert.Equal("ml-100k", Assert.Single(k64.Inputs).DatasetName);
        Assert.True(File.Exists(Path.Combine(k64.ArtifactsFolder, "model", "MLmodel")));

        var failed = withDeleted.Single(r => r.RunId == "106c1e0859fe4d3daa0c1cb701998efa");
        Assert.Equal(RunStatus.Failed, failed.Status);
        Assert.Equal("deleted", failed.LifecycleStage);
        Assert.Empty(problems.Problems);
    }

    [Fact]
    public void ReadsTheRegisteredModelAndItsChampion()
    {
        var reader = new FileTrackingStore(Golden);
        var problems = new ProblemSink();

        var model = Assert.Single(reader.ReadRegisteredModels(problems));

        Assert.Equal("LatentLens-SVD", model.Name);
        Assert.Equal("SVD recommender", model.Description);
        Assert.Equal(1, model.Aliases["champion"]);
        var champion = model.Versions.Single(v => v.Version == model.Aliases["champion"]);
        Assert.Equal("2a1c88c827b446a9b17502dbbf00deab", champion.RunId);
        Assert.Equal("READY", champion.Status);
        Assert.Equal("val_rmse", Assert.Single(champion.Tags).Key);
        Assert.Empty(problems.Problems);
    }
}
