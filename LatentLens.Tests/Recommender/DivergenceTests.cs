using System.Text.Json;
using LatentLens.Api.Cli;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Evaluation;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Recommender.Numerics;
using LatentLens.Api.Tracking;
using LatentLens.Api.Tracking.FileStore;
using LatentLens.Api.Training;

namespace LatentLens.Tests.Recommender;

/// <summary>
/// A learning rate of 1e30 sends SGD to infinity and NaN in one epoch. The trainer must say so, name
/// the option, leave a FAILED run without a model, and never write NaN into an artifact or JSON.
/// </summary>
public sealed class DivergenceTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await CliApp.RunAsync(args, output, error).WaitAsync(TimeSpan.FromSeconds(120));
        return (exit, output.ToString(), error.ToString());
    }

    private string SmallCsv() => TestData.SmallRatingsCsv(_dir, users: 30, items: 20);

    private static string ErrorLine(string error) =>
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error: ", StringComparison.Ordinal));

    [Theory]
    [InlineData(AlgorithmFactory.FunkSvd)]
    [InlineData(AlgorithmFactory.SvdPlusPlus)]
    public async Task AHugeLearningRateFailsNamingTheOption(string algorithm)
    {
        var (exit, _, error) = await RunAsync("train", "--data", SmallCsv(), "--algorithm", algorithm, "--lr", "1e30", "--factors", "4", "--epochs", "3", "--folds", "2", "--no-track");

        Assert.Equal(1, exit);
        var line = ErrorLine(error);
        Assert.Contains("diverged", line, StringComparison.Ordinal);
        Assert.Contains("--lr", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADivergedConfigurationWithJsonPrintsTheErrorAndNoJson()
    {
        var (exit, output, error) = await RunAsync("train", "--data", SmallCsv(), "--lr", "1e30", "--factors", "4", "--epochs", "3", "--folds", "2", "--no-track", "--json");

        Assert.Equal(1, exit);
        Assert.Contains("--lr", ErrorLine(error), StringComparison.Ordinal);
        Assert.DoesNotContain("infinity", error, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(string.Empty, output.Trim());
    }

    [Fact]
    public async Task ADivergedTrackedConfigurationLeavesAFailedRunWithoutAModel()
    {
        var mlruns = Path.Combine(_dir, "mlruns");

        var (exit, _, error) = await RunAsync("train", "--data", SmallCsv(), "--lr", "1e30", "--factors", "4", "--epochs", "3", "--folds", "2", "--mlruns", mlruns);

        Assert.Equal(1, exit);
        Assert.Contains("--lr", ErrorLine(error), StringComparison.Ordinal);
        var store = new FileTrackingStore(mlruns);
        var experiment = store.FindExperiment(LatentLensConventions.ExperimentName);
        Assert.NotNull(experiment);
        var run = Assert.Single(store.ReadRuns(experiment.Id));
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Contains("--lr", run.Tags["mlflow.note.content"], StringComparison.Ordinal);
        Assert.False(store.HasModel(run));
        Assert.False(Directory.Exists(Path.Combine(run.ArtifactsFolder, "model")));
    }

    [Fact]
    public void TheRecorderRefusesToWriteAModelWithNonFiniteValues()
    {
        var ratings = new List<RawRating> { new("u1", "i1", 4, 0), new("u1", "i2", 3, 0), new("u2", "i1", 5, 0) };
        var data = new RatingData("tiny", "tiny.csv", ratings, new RatingScale(1, 5));
        var store = new FileTrackingStore(Path.Combine(_dir, "mlruns"));
        var recorder = new TrainingRecorder(store, store.GetOrCreateExperiment("divergence")) { GitCommit = null };
        var result = Evaluator.Evaluate(new Baseline(new BaselineOptions()), [new Split("s", ratings, ratings)], data.Scale, 10, 4.0);

        var ex = Assert.ThrowsAny<InvalidOperationException>(() => recorder.Record(new NaNAlgorithm(), data, "given", result));

        Assert.Contains("non-finite", ex.Message, StringComparison.Ordinal);
        var run = Assert.Single(store.ReadRuns(recorder.ExperimentId));
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.False(Directory.Exists(Path.Combine(run.ArtifactsFolder, "model")));
    }

    [Fact]
    public void TheGuardStopsAtTheFirstNonFiniteEpoch()
    {
        var inner = new ReportingAlgorithm([1.2, double.PositiveInfinity, double.NaN]);
        var guarded = DivergenceGuard.Wrap(inner);
        var epochs = new List<int>();
        var ratings = new List<RawRating> { new("u1", "i1", 4, 0), new("u2", "i1", 5, 0) };

        var ex = Assert.Throws<ModelDivergedException>(() => guarded.Fit(Trainset.Build(ratings, new RatingScale(1, 5)), e => epochs.Add(e.Epoch)));

        Assert.Equal([1], epochs);
        Assert.Contains("epoch 2", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, inner.EpochsRun);
    }

    [Fact]
    public async Task ASaneLearningRateStillTrains()
    {
        var (exit, output, error) = await RunAsync("train", "--data", SmallCsv(), "--lr", "0.01", "--factors", "4", "--epochs", "3", "--folds", "2", "--no-track", "--json");

        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(1, json.RootElement.GetProperty("results").GetArrayLength());
    }

    /// <summary>A model as SGD leaves it after overflowing: NaN factors.</summary>
    private sealed class NaNAlgorithm : IRecommenderAlgorithm
    {
        public string Name => "funksvd";

        public IReadOnlyDictionary<string, string> Parameters { get; } = new Dictionary<string, string> { ["learning_rate"] = "1E+30" };

        public string DisplayName => "nan-model";

        public FactorModel Fit(Trainset trainset, Action<EpochReport>? onEpoch = null, CancellationToken cancellationToken = default)
        {
            var stride = FactorLayout.StrideFor(2);
            var userFactors = new float[trainset.UserCount * stride];
            userFactors[0] = float.NaN;
            return new FactorModel(Name, trainset.Users, trainset.Items, trainset.Scale, trainset.GlobalMean,
                new float[trainset.UserCount], new float[trainset.ItemCount], 2, stride, userFactors, new float[trainset.ItemCount * stride]);
        }
    }

    private sealed class ReportingAlgorithm(double[] rmses) : IRecommenderAlgorithm
    {
        public int EpochsRun { get; private set; }

        public string Name => "funksvd";

        public IReadOnlyDictionary<string, string> Parameters { get; } = new Dictionary<string, string> { ["learning_rate"] = "1E+30" };

        public string DisplayName => "reporting";

        public FactorModel Fit(Trainset trainset, Action<EpochReport>? onEpoch = null, CancellationToken cancellationToken = default)
        {
            foreach (var rmse in rmses)
            {
                EpochsRun++;
                onEpoch?.Invoke(new EpochReport(EpochsRun, rmse, TimeSpan.Zero));
            }

            throw new InvalidOperationException("unreachable: the guard stops at the first non-finite epoch");
        }
    }
}
