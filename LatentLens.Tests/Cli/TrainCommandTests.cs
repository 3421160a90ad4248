using System.Text.Json;

namespace LatentLens.Tests.Cli;

public sealed class TrainCommandTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Task<(int Exit, string Out, string Err)> RunAsync(params string[] args) => CliRun.RunAsync(args);

    private string SmallCsv() => TestData.SmallRatingsCsv(_dir);

    [Fact]
    public async Task HelpDocumentsEveryOption()
    {
        var (exit, output, _) = await RunAsync("train", "--help");

        Assert.Equal(0, exit);
        foreach (var option in new[] { "--dataset", "--data", "--train", "--test", "--folds", "--algorithm", "--factors", "--epochs", "--lr", "--reg", "--seed", "--k", "--json", "--search", "--alpha", "--scale-reg" })
        {
            Assert.Contains(option, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task JsonOutputHasEveryFoldAndTheMean()
    {
        var (exit, output, error) = await RunAsync("train", "--data", SmallCsv(), "--folds", "3", "--algorithm", "funksvd,baseline", "--factors", "4", "--epochs", "5", "--json");

        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        var results = json.RootElement.GetProperty("results");
        Assert.Equal(2, results.GetArrayLength());
        var funk = results[0];
        Assert.Equal("funksvd", funk.GetProperty("algorithm").GetString());
        Assert.Equal(3, funk.GetProperty("folds").GetArrayLength());
        Assert.Equal(5, funk.GetProperty("folds")[0].GetProperty("train_rmse").GetArrayLength());
        var foldRmses = funk.GetProperty("folds").EnumerateArray().Select(f => f.GetProperty("rmse").GetDouble()).ToList();
        Assert.Equal(foldRmses.Average(), funk.GetProperty("mean").GetProperty("rmse").GetDouble(), 12);
        Assert.True(funk.GetProperty("mean").TryGetProperty("ndcg_at_10", out _));
        Assert.Contains("epoch", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SearchReportsEachFamilysChosenSettingAndTrainsPopularOnce()
    {
        var (exit, output, error) = await RunAsync("train", "--data", SmallCsv(), "--folds", "2", "--algorithm", "popular,puresvd", "--search", "3",
            "--promote-by", "ndcg_at_10", "--no-track", "--json");

        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        Assert.Contains("held out again from the training ratings", json.RootElement.GetProperty("validation").GetString(), StringComparison.Ordinal);
        var results = json.RootElement.GetProperty("results");
        Assert.Equal(2, results.GetArrayLength());
        Assert.Equal(JsonValueKind.Null, results[0].GetProperty("search").ValueKind);
        var search = results[1].GetProperty("search");
        Assert.Equal(3, search.GetProperty("all_trials").GetArrayLength());
        Assert.Equal("defaults", search.GetProperty("all_trials")[0].GetProperty("settings").GetString());
        var chosen = search.GetProperty("chosen_trial").GetInt32();
        Assert.Equal(
            search.GetProperty("all_trials")[chosen - 1].GetProperty("parameters").GetProperty("factors").GetString(),
            results[1].GetProperty("parameters").GetProperty("factors").GetString());
        Assert.Equal(2, results[1].GetProperty("folds").GetArrayLength());
        Assert.Contains("puresvd trial 3/3", error, StringComparison.Ordinal);
        Assert.Contains("best so far", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SearchRefusesSettingsItWouldChoose()
    {
        var (exit, _, error) = await RunAsync("train", "--data", SmallCsv(), "--algorithm", "puresvd", "--search", "3", "--factors", "10", "--no-track");

        Assert.Equal(1, exit);
        Assert.Contains("--search chooses the settings itself: drop --factors", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAdditiveRatingMatrixIsPredictedExactlyByTheBaseline()
    {
        // r = 3 + a_u + b_i exactly; the held-out pairs are predicted by the unregularised baseline to
        // within its ALS convergence, so the reported RMSE must be (nearly) zero, not just plausible.
        var folder = TestPaths.NewTempFolder();
        try
        {
            var train = new System.Text.StringBuilder("user,item,rating\n");
            var test = new System.Text.StringBuilder("user,item,rating\n");
            for (var u = 1; u <= 20; u++)
            {
                for (var i = 1; i <= 15; i++)
                {
                    var rating = 3 + ((u % 5) - 2) * 0.25 + ((i % 3) - 1) * 0.5;
                    ((u + i) % 7 == 0 ? test : train).Append(System.Globalization.CultureInfo.InvariantCulture, $"{u},{i},{rating}\n");
                }
            }

            File.WriteAllText(Path.Combine(folder, "train.csv"), train.ToString());
            File.WriteAllText(Path.Combine(folder, "test.csv"), test.ToString());
            var (exit, output, error) = await RunAsync("train", "--train", Path.Combine(folder, "train.csv"), "--test", Path.Combine(folder, "test.csv"),
                "--algorithm", "baseline", "--reg", "0", "--epochs", "60", "--no-track", "--json");

            Assert.True(exit == 0, error);
            using var json = JsonDocument.Parse(output);
            var mean = json.RootElement.GetProperty("results")[0].GetProperty("mean");
            Assert.InRange(mean.GetProperty("rmse").GetDouble(), 0, 1e-3);
            Assert.InRange(mean.GetProperty("mae").GetDouble(), 0, 1e-3);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task TableOutputLooksLikeSurprisesCrossValidate()
    {
        var (exit, output, _) = await RunAsync("train", "--data", SmallCsv(), "--folds", "2", "--algorithm", "baseline");

        Assert.Equal(0, exit);
        Assert.Contains("RMSE (testset)", output, StringComparison.Ordinal);
        Assert.Contains("Fold 1", output, StringComparison.Ordinal);
        Assert.Contains("Mean", output, StringComparison.Ordinal);
        Assert.Contains("Fit time", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SweepRunsEveryCombination()
    {
        var (exit, output, _) = await RunAsync("train", "--data", SmallCsv(), "--folds", "2", "--factors", "2,3", "--reg", "0.02,0.1", "--epochs", "2", "--json");

        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(4, json.RootElement.GetProperty("results").GetArrayLength());
    }

    [Theory]
    [InlineData("--folds 1", "--folds: '1' is not a whole number of at least 2")]
    [InlineData("--folds x", "--folds: 'x' is not a whole number of at least 2")]
    [InlineData("--k 0", "--k: '0' is not a whole number from 1 to 1000")]
    [InlineData("--seed abc", "abc")]
    [InlineData("--algorithm magic", "'magic' is not one of popular, baseline, funksvd, svdpp, puresvd, puresvd-centred, als")]
    [InlineData("--factors ten", "--factors: 'ten' is not a whole number of at least 1")]
    [InlineData("--lr -1", "--lr: '-1' is not a number above 0")]
    [InlineData("--dataset ml-1m", "ml-1m")]
    [InlineData("--no-such-option", "--no-such-option")]
    public async Task BadOptionsGetAMessageAndANonZeroExitCode(string arguments, string expected)
    {
        var (exit, _, error) = await RunAsync(["train", .. arguments.Split(' ')]);

        Assert.NotEqual(0, exit);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadDataGetsTheFileAndLineAndExitCodeOne()
    {
        var path = Path.Combine(_dir, "bad.csv");
        File.WriteAllText(path, "user,item,rating\n1,2,3\n1,3,three\n");

        var (exit, output, error) = await RunAsync("train", "--data", path);

        Assert.Equal(1, exit);
        Assert.Contains($"error: {path}:3: the rating 'three' is not a number", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.Empty(output);
    }

    [Fact]
    public async Task UnpairedTrainAndTestFilesAreRefused()
    {
        var csv = SmallCsv();

        var (exit, _, error) = await RunAsync("train", "--train", csv, "--train", csv, "--test", csv);

        Assert.Equal(1, exit);
        Assert.Contains("--train and --test come in pairs", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HyperParametersAnAlgorithmDoesNotHaveAreRefused()
    {
        var (exit, _, error) = await RunAsync("train", "--data", SmallCsv(), "--algorithm", "baseline", "--lr", "0.01");

        Assert.Equal(1, exit);
        Assert.Contains("--lr does not apply to baseline", error, StringComparison.Ordinal);
    }

    [RequiresMovieLens100kFact]
    public async Task AFolderOfCanonicalSplitsIsEvaluatedSplitBySplit()
    {
        var (exit, output, error) = await RunAsync("train", "--train", TestPaths.MovieLens100k, "--algorithm", "baseline", "--json");

        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        var folds = json.RootElement.GetProperty("results")[0].GetProperty("folds");
        Assert.Equal(["u1", "u2", "u3", "u4", "u5"], folds.EnumerateArray().Select(f => f.GetProperty("name").GetString()));
        Assert.Equal(80_000, folds[0].GetProperty("train_ratings").GetInt32());
    }
}
