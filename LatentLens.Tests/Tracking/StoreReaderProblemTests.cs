using LatentLens.Api.Tracking;
using LatentLens.Api.Tracking.FileStore;
using LatentLens.Api.Training;

namespace LatentLens.Tests.Tracking;

/// <summary>What MLflow hides or chokes on is reported, naming the file; the reader itself never throws.</summary>
public sealed class StoreReaderProblemTests : IDisposable
{
    private readonly string _root = TestPaths.NewTempFolder();
    private readonly string _experimentId;
    private readonly RunWriter _good;

    public StoreReaderProblemTests()
    {
        var store = new FileTrackingStore(_root);
        _experimentId = store.GetOrCreateExperiment("exp");
        _good = store.StartRun(_experimentId, "good", "u");
        _good.LogMetric("rmse", 0.9, 0, 1000);
        _good.End(RunStatus.Finished);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private RunWriter NewRun()
    {
        var run = new FileTrackingStore(_root).StartRun(_experimentId, "victim", "u");
        run.End(RunStatus.Finished);
        return run;
    }

    private (IReadOnlyList<RunInfo> Runs, StoreProblem Problem) ReadWithOneProblem()
    {
        var reader = new FileTrackingStore(_root);
        var problems = new ProblemSink();
        var runs = reader.ReadRuns(_experimentId, problems);
        return (runs, Assert.Single(problems.Problems));
    }

    [Theory]
    [InlineData("", "the metric file is empty")]
    [InlineData("1000.5 0.9 0\n", "the timestamp '1000.5' is not an integer")]
    [InlineData("1000 0,9 0\n", "the value '0,9' is not a number Python reads")]
    [InlineData("1000 0.9 0 7\n", "line 1 has 4 fields")]
    [InlineData("\uFEFF1000 0.9 0\n", "BOM")]
    public void BrokenMetricFilesAreReportedNamingTheFile(string content, string expected)
    {
        var run = NewRun();
        var path = Path.Combine(run.Folder, "metrics", "rmse");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content, new System.Text.UTF8Encoding(false));

        var (runs, problem) = ReadWithOneProblem();

        Assert.Equal(path, problem.Path);
        Assert.Contains(expected, problem.Message, StringComparison.Ordinal);
        Assert.True(problem.BreaksMlflow);
        Assert.Equal(["good"], runs.Select(r => r.RunName));
    }

    [Fact]
    public void ATwoFieldMetricLineIsStepZeroAsInMlflow()
    {
        var run = NewRun();
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(run.Folder, "metrics")).FullName, "m"), "1000 0.5\n");

        var reader = new FileTrackingStore(_root);
        var problems = new ProblemSink();
        var read = reader.ReadRuns(_experimentId, problems).Single(r => r.RunId == run.RunId);

        // Read as MLflow reads it, and reported (not breaking): MLflow itself says nothing (StoreWarningTests).
        Assert.False(Assert.Single(problems.Problems).BreaksMlflow);
        Assert.Equal(new MetricPoint(1000, 0.5, 0), Assert.Single(read.MetricHistories["m"]));
    }

    [Theory]
    [InlineData("status: 3", "status: FINISHED", "status 'FINISHED' is not one of the integers 1–5", true)]
    [InlineData("status: 3", "status: 9", "status '9' is not one of the integers 1–5", true)]
    [InlineData("end_time: ", "finish_time: ", "the required key end_time is missing", true)]
    [InlineData("user_id: ", "owner: ", "the required key user_id is missing", true)]
    [InlineData("run_uuid: ", "uuid: ", "the required key run_uuid is missing", true)]
    public void BrokenRunMetaIsReportedAndTheRunLeftOut(string find, string replace, string expected, bool breaks)
    {
        var run = NewRun();
        var path = Path.Combine(run.Folder, "meta.yaml");
        File.WriteAllText(path, File.ReadAllText(path).Replace(find, replace, StringComparison.Ordinal));

        var (runs, problem) = ReadWithOneProblem();

        Assert.Equal(path, problem.Path);
        Assert.Contains(expected, problem.Message, StringComparison.Ordinal);
        Assert.Equal(breaks, problem.BreaksMlflow);
        Assert.DoesNotContain(runs, r => r.RunId == run.RunId);
    }

    [Theory]
    [InlineData("")]
    [InlineData("artifact_uri: 'x'\nstatus: [unclosed\n")]
    public void EmptyOrHalfWrittenMetaIsReported(string content)
    {
        var run = NewRun();
        File.WriteAllText(Path.Combine(run.Folder, "meta.yaml"), content);

        var (_, problem) = ReadWithOneProblem();

        Assert.True(problem.BreaksMlflow);
        Assert.EndsWith("meta.yaml", problem.Path, StringComparison.Ordinal);
    }

    [Fact]
    public void AStrayFolderIsHiddenWithAWarning()
    {
        Directory.CreateDirectory(Path.Combine(_root, _experimentId, "not-a-run"));

        var (runs, problem) = ReadWithOneProblem();

        Assert.False(problem.BreaksMlflow);
        Assert.Single(runs);
    }

    [Fact]
    public void AnUnquotedNumericExperimentIdHidesTheExperiment()
    {
        var folder = Path.Combine(_root, "0123");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "meta.yaml"), "artifact_location: 'x'\nexperiment_id: 0123\nlifecycle_stage: 'active'\nname: 'octal'\n");

        var reader = new FileTrackingStore(_root);
        var problems = new ProblemSink();
        var experiments = reader.ReadExperiments(problems);

        Assert.DoesNotContain(experiments, e => e.Name == "octal");
        Assert.Contains("is not quoted", Assert.Single(problems.Problems).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnInvalidKeyFileIsReported()
    {
        var run = NewRun();
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(run.Folder, "params")).FullName, "bad!key"), "v");

        var (_, problem) = ReadWithOneProblem();

        Assert.Contains("not a valid key", problem.Message, StringComparison.Ordinal);
    }
}
