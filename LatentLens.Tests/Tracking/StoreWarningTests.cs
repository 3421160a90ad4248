using System.Text;
using System.Text.RegularExpressions;
using LatentLens.Api.Tracking;
using LatentLens.Api.Tracking.FileStore;

namespace LatentLens.Tests.Tracking;

/// <summary>What MLflow 2.12.1 rejects or reads differently is reported, not read past in silence.</summary>
public sealed class StoreWarningTests : IDisposable
{
    private static readonly UTF8Encoding NoBom = new(false);
    private readonly string _root = TestPaths.NewTempFolder();
    private readonly string _experimentId;
    private readonly RunWriter _run;

    public StoreWarningTests()
    {
        var store = new FileTrackingStore(_root);
        _experimentId = store.GetOrCreateExperiment("exp");
        _run = store.StartRun(_experimentId, "victim", "u");
        _run.LogParam("lr", "0.01");
        _run.LogMetric("rmse", 0.9, 0, 1000);
        _run.End(RunStatus.Finished);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private (IReadOnlyList<RunInfo> Runs, StoreProblem Problem) ReadWithOneProblem()
    {
        var reader = new FileTrackingStore(_root);
        var problems = new ProblemSink();
        var runs = reader.ReadRuns(_experimentId, problems);
        return (runs, Assert.Single(problems.Problems));
    }

    [Fact]
    public void AParameterFileWithAByteOrderMarkIsReportedAsMisreadByMlflow()
    {
        var path = Path.Combine(_run.Folder, "params", "lr");
        File.WriteAllBytes(path, [.. Encoding.UTF8.Preamble, .. NoBom.GetBytes("0.01")]);

        var (runs, problem) = ReadWithOneProblem();

        Assert.Equal(path, problem.Path);
        Assert.Contains("BOM", problem.Message, StringComparison.Ordinal);
        Assert.False(problem.BreaksMlflow);
        Assert.Contains("part of the value", problem.ToString(), StringComparison.Ordinal);
        Assert.Equal("0.01", Assert.Single(runs).Params["lr"]);
    }

    [Fact]
    public void ALogModelHistoryTagThatIsNotJsonIsReportedAsBreakingMlflow()
    {
        var path = Path.Combine(_run.Folder, "tags", "mlflow.log-model.history");
        File.WriteAllText(path, "[{not json", NoBom);

        var (runs, problem) = ReadWithOneProblem();

        Assert.Equal(path, problem.Path);
        Assert.Contains("not a JSON list", problem.Message, StringComparison.Ordinal);
        Assert.True(problem.BreaksMlflow);
        Assert.Single(runs);
    }

    [Fact]
    public void AMetricLineWithoutAStepIsReportedAndReadAsStepZeroAsMlflowDoes()
    {
        var path = Path.Combine(_run.Folder, "metrics", "rmse");
        File.WriteAllText(path, "1000 0.9\n2000 0.8 1\n", NoBom);

        var (runs, problem) = ReadWithOneProblem();

        Assert.Equal(path, problem.Path);
        Assert.Contains("line 1 has no step", problem.Message, StringComparison.Ordinal);
        Assert.False(problem.BreaksMlflow);
        Assert.Contains("step 0", problem.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, Assert.Single(runs).MetricHistories["rmse"][0].Step);
    }

    [Fact]
    public void ACapitalisedLifecycleStageIsReportedAndTheRunLeftOut()
    {
        var path = Path.Combine(_run.Folder, "meta.yaml");
        File.WriteAllText(path, Regex.Replace(File.ReadAllText(path), "lifecycle_stage: .*", "lifecycle_stage: Active"), NoBom);

        var (runs, problem) = ReadWithOneProblem();

        Assert.Equal(path, problem.Path);
        Assert.Contains("lifecycle_stage 'Active'", problem.Message, StringComparison.Ordinal);
        Assert.True(problem.BreaksMlflow);
        Assert.Empty(runs);
        Assert.Null(new FileTrackingStore(_root).FindRun(_run.RunId));
    }
}
