using LatentLens.Api.Cli;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Tests.Api;

namespace LatentLens.Tests.Cli;

/// <summary>The benchmark commands run end to end on small inputs and refuse bad ones with a message.</summary>
public sealed class BenchmarkCommandTests
{
    private static async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await CliApp.RunAsync(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task ScaleFitsSyntheticRatingsAndReportsTimeAndMemory()
    {
        var (exit, output, error) = await RunAsync("benchmark", "scale", "--ratings", "2000,4000", "--users", "100", "--items", "60", "--factors", "4", "--epochs", "2");

        Assert.True(exit == 0, error);
        Assert.Contains("peak working set", output, StringComparison.Ordinal);
        Assert.Contains("      4000     100", output, StringComparison.Ordinal);
        Assert.Contains("      2000      50", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScaleRefusesMoreRatingsThanPairs()
    {
        var (exit, _, error) = await RunAsync("benchmark", "scale", "--ratings", "5000", "--users", "10", "--items", "10");

        Assert.Equal(1, exit);
        Assert.Contains("5000 ratings do not fit in 10 users x 10 items", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServeTimesTheChampionOfAStore()
    {
        using var store = new ApiStore();
        store.Train(new FunkSvd(new FunkSvdOptions { Factors = 8, Epochs = 2 }));

        var (exit, output, error) = await RunAsync("benchmark", "serve", "--mlruns", store.Root, "--requests", "200");

        Assert.True(exit == 0, error);
        Assert.Contains("model: funksvd-f8-e2 (version 1), 120 users x 80 items x 8 factors", output, StringComparison.Ordinal);
        Assert.Contains("allocated", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServeWithoutAModelSaysSo()
    {
        var empty = TestPaths.NewTempFolder();
        try
        {
            var (exit, _, error) = await RunAsync("benchmark", "serve", "--mlruns", empty);

            Assert.Equal(1, exit);
            Assert.Contains("no servable model", error, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    [Fact]
    public async Task FitWithoutTheSplitsSaysWhichFolder()
    {
        var (exit, _, error) = await RunAsync("benchmark", "fit", "--data", "/no/such/ml-100k");

        Assert.Equal(1, exit);
        Assert.Contains("/no/such/ml-100k", error, StringComparison.Ordinal);
    }

    [RequiresMovieLens100kFact]
    public async Task FitReportsEverySplitOfMovieLens100k()
    {
        var (exit, output, error) = await RunAsync("benchmark", "fit", "--data", TestPaths.MovieLens100k, "--repeat", "1", "--warmup", "0");

        Assert.True(exit == 0, error);
        foreach (var split in new[] { "u1", "u2", "u3", "u4", "u5", "mean" })
        {
            Assert.Contains(split, output, StringComparison.Ordinal);
        }
    }
}
