using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Tests.Api;

namespace LatentLens.Tests.Cli;

/// <summary>The benchmark commands run end to end on small inputs and refuse bad ones with a message.</summary>
public sealed class BenchmarkCommandTests
{
    private static Task<(int Exit, string Out, string Err)> RunAsync(params string[] args) => CliRun.RunAsync(args);

    [Fact]
    public async Task ScaleFitsSyntheticRatingsAndReportsTimeAndMemory()
    {
        var (exit, output, error) = await RunAsync("benchmark", "scale", "--ratings", "2000,4000", "--users", "100", "--items", "60", "--factors", "4", "--epochs", "2", "--threads", "2");

        Assert.True(exit == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var header = Array.FindIndex(lines, l => l.StartsWith("ratings", StringComparison.Ordinal));
        Assert.True(header >= 0, output);
        Assert.Contains("peak working set (MiB)", lines[header], StringComparison.Ordinal);

        // One row per size, smallest first: ratings, users, items, generate (s), fit (s), per epoch (s), ns/rating/epoch,
        // best epoch (ns/rating), train RMSE, peak MiB, then (added after scripts read the others by position) threads
        // and the epochs' own ns/rating/epoch.
        var rows = lines.Skip(header + 1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray())
            .ToList();
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal(12, r.Length));
        Assert.All(rows, r => Assert.Equal(2, r[10]));
        Assert.Equal([2000, 50, 60], rows[0][..3]);
        Assert.Equal([4000, 100, 60], rows[1][..3]);
        foreach (var r in rows)
        {
            // fit is printed to 0.01 s and per epoch to 0.001 s: they agree to that rounding.
            Assert.True(r[4] >= 0 && Math.Abs(r[5] - (r[4] / 2)) <= 0.006, $"fit {r[4]} s, per epoch {r[5]} s over 2 epochs");
            Assert.True(r[6] > 0, "ns per rating per epoch");
            Assert.True(r[7] > 0 && r[7] <= r[6] * 1.01, $"the best epoch ({r[7]} ns) is no slower than the mean ({r[6]} ns)");
            Assert.InRange(r[8], 0.01, 2.0);
            Assert.True(r[9] > 0, "peak working set");
            Assert.True(r[11] > 0 && r[11] <= r[6] * 1.01, $"the epochs alone ({r[11]} ns) take no longer than the whole fit ({r[6]} ns)");
        }
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
        var rows = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length > 0 && f[0] is "u1" or "u2" or "u3" or "u4" or "u5")
            .ToList();

        // split, ratings, fit median, fit best, 20 epochs median, RMSE, MAE: FunkSvd with Surprise's defaults is near Surprise's 0.938.
        Assert.Equal(["u1", "u2", "u3", "u4", "u5"], rows.Select(r => r[0]));
        foreach (var r in rows)
        {
            var values = r.Skip(1).Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(80_000, values[0]);
            Assert.True(values[1] > 0 && values[2] > 0 && values[3] > 0, string.Join(' ', r));
            Assert.InRange(values[4], 0.90, 0.98);
            Assert.InRange(values[5], 0.70, 0.78);
            Assert.Equal(Environment.ProcessorCount, values[6]); // threads, the last column: every core by default
        }

        Assert.Contains(output.Split('\n'), l => l.StartsWith("mean", StringComparison.Ordinal));
    }
}
