using System.Diagnostics;
using System.Globalization;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Models;

namespace LatentLens.Api.Benchmarks;

/// <summary><c>benchmark serve --fold-in</c>: per family, the time to fold in a history and rank the catalogue.</summary>
internal static class FoldInBenchmarkRun
{
    /// <summary>Fits each family on the bundled ml-latest-small (seed 0) and times its fold-in.</summary>
    public static void FitAndMeasure(TextWriter output, IReadOnlyList<string> algorithms, int factors, int count, int top, int history)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(algorithms);
        var data = DatasetCatalog.ReadPath(DatasetCatalog.FindBundled());
        var trainset = Trainset.Build(data.Ratings, data.Scale);
        foreach (var name in algorithms)
        {
            var settings = new AlgorithmSettings(name, Factors: AlgorithmFactory.Accepts(name, "factors") && name != AlgorithmFactory.Bpmf ? factors : null);
            var algorithm = AlgorithmFactory.Create(settings);
            var clock = Stopwatch.StartNew();
            var model = algorithm.Fit(trainset);
            var fit = clock.Elapsed.TotalSeconds;
            var saved = SavedModel.From(model, trainset, data.Titles, algorithm.Parameters);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{algorithm.DisplayName}: fitted in {fit:F2} s on {data.Name}"));
            Report(output, saved, count, top, history);
        }
    }

    public static void Report(TextWriter output, SavedModel saved, int count, int top, int history)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(saved);
        var model = saved.Model;
        var clock = Stopwatch.StartNew();
        _ = Recommender.FoldIn.FoldIns.For(saved);
        var prepare = clock.Elapsed.TotalMilliseconds;
        var times = FoldInBenchmark.Measure(saved, count, top, history);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  fold-in {model.Algorithm}: {model.Items.Count} items x {model.Factors} factors (stride {model.Stride}), {history}-rating histories, top-{top}, {count} calls: median {times.Median:F1} µs, p90 {times.P90:F1} µs, p99 {times.P99:F1} µs, min {times.Min:F1} µs; {times.AllocatedPerCall:F0} bytes allocated per call; per-model preparation {prepare:F1} ms"));
    }
}
