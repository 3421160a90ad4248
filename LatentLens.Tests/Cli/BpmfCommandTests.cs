using System.Globalization;
using System.Text.Json;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Tracking.Artifacts;
using LatentLens.Api.Tracking.FileStore;

namespace LatentLens.Tests.Cli;

/// <summary><c>train --algorithm bpmf</c>: its options, its progress, its recorded run.</summary>
public sealed class BpmfCommandTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Task<(int Exit, string Out, string Err)> RunAsync(params string[] args) => CliRun.RunAsync(args);

    private string PlantedCsv()
    {
        var path = Path.Combine(_dir, "ratings.csv");
        var ratings = new SyntheticRatings { Users = 60, Items = 40, Ratings = 1_200, Rank = 2, Noise = 0.3, Seed = 5 }.GenerateRaw();
        File.WriteAllLines(path, ["user,item,rating", .. ratings.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.User},{r.Item},{r.Value}"))]);
        return path;
    }

    [Theory]
    [InlineData("--samples", "20", "--burn-in", "20")]
    [InlineData("--samples", "20", "--burn-in", "30")]
    [InlineData("--factors", "100", "--samples", "1000", "--burn-in", "0", "--thin", "1")]
    public async Task BadSamplerOptionsExitWithOneLineNamingTheOption(params string[] options)
    {
        var (exit, _, error) = await RunAsync(["train", "--data", PlantedCsv(), "--algorithm", "bpmf", "--no-track", .. options]);

        Assert.Equal(1, exit);
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.Contains(options[^2], error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SamplerOptionsAreRefusedForAnotherAlgorithm()
    {
        var (exit, _, error) = await RunAsync("train", "--data", PlantedCsv(), "--algorithm", "funksvd", "--samples", "20", "--no-track");

        Assert.Equal(1, exit);
        Assert.Contains("--samples does not apply to funksvd", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HelpDocumentsTheSamplerOptions()
    {
        var (exit, output, _) = await RunAsync("train", "--help");

        Assert.Equal(0, exit);
        foreach (var option in new[] { "--samples", "--burn-in", "--thin", "--no-implicit", "--no-item-implicit", "bpmf" })
        {
            Assert.Contains(option, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ARecordedRunHasTheSamplerParamsTheHistoriesAndAServableModel()
    {
        var mlruns = Path.Combine(_dir, "mlruns");
        var (exit, output, error) = await RunAsync("train", "--data", PlantedCsv(), "--folds", "2", "--algorithm", "bpmf",
            "--factors", "3", "--samples", "12", "--burn-in", "4", "--thin", "2", "--mlruns", mlruns, "--register", "--json");

        Assert.True(exit == 0, error);
        Assert.Contains("test RMSE", error, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(output);
        var result = json.RootElement.GetProperty("results")[0];
        Assert.Equal("bpmf", result.GetProperty("algorithm").GetString());
        Assert.Equal(12, result.GetProperty("folds")[0].GetProperty("test_rmse").GetArrayLength());

        var reader = new FileTrackingStore(mlruns);
        var experiment = reader.ReadExperiments().Single(e => e.Name == "LatentLens-SVD-Evaluation");
        var run = Assert.Single(reader.ReadRuns(experiment.Id));
        Assert.Equal("bpmf-f3-s12", run.RunName);
        Assert.Equal("12", run.Params["samples"]);
        Assert.Equal("4", run.Params["burn_in"]);
        Assert.Equal("4", run.Params["kept_samples"]);
        Assert.Equal("true", run.Params["implicit"]);
        Assert.Equal("true", run.Params["item_implicit"]);
        Assert.Equal(Enumerable.Range(1, 12).Select(s => (long)s), run.MetricHistories["train_rmse"].Select(p => p.Step));
        Assert.Equal(Enumerable.Range(1, 12).Select(s => (long)s), run.MetricHistories["test_rmse"].Select(p => p.Step));
        Assert.True(run.Metrics["rmse"] < 1.0, $"rmse {run.Metrics["rmse"]}");

        var saved = LatentLens.Api.Tracking.Artifacts.ModelArtifact.Load(Path.Combine(run.ArtifactsFolder, "model"));
        Assert.Equal(3 * 4, saved.Model.Factors);
        Assert.True(saved.Model.PredictsRatings);
    }
}
