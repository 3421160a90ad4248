using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Evaluation;

namespace LatentLens.Api.Cli;

/// <summary>
/// <c>benchmark fit</c> and <c>benchmark scale</c>: the rerunnable measurements behind docs/benchmarks.md.
/// Run them from a Release build: <c>dotnet run -c Release --project LatentLens.Api -- benchmark ...</c>.
/// </summary>
internal static class BenchmarkCommand
{
    public static Command Build()
    {
        var command = new Command("benchmark", "Measure FunkSvd's accuracy and fit time (ml-100k splits) and its scaling (synthetic data).");
        command.Subcommands.Add(BuildFit());
        command.Subcommands.Add(BuildScale());
        return command;
    }

    private static Command BuildFit()
    {
        var data = new Option<string>("--data")
        {
            Description = "A folder with MovieLens 100K's u1.base/u1.test ... u5.",
            HelpName = "DIR",
            DefaultValueFactory = _ => Path.Combine("..", "shared", "data", "ml-100k"),
        };
        var repeat = ListOption.Int("--repeat", "Fits per split; the median and the best are reported.", defaultValue: 7, min: 1);
        var command = new Command("fit", "Fit FunkSvd (Surprise's defaults, seed 0) on each u1..u5 split: fit time (median and best of --repeat) and test RMSE/MAE.")
        {
            data, repeat,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            try
            {
                WriteMachine(output);
                var splits = Splits.MovieLensFolderSplits(parse.GetValue(data)!);
                var n = parse.GetValue(repeat);
                output.WriteLine("split  ratings  fit median (s)  fit best (s)  20 epochs median (s)  RMSE    MAE");
                var rmses = new List<double>();
                var maes = new List<double>();
                var medians = new List<double>();
                foreach (var (name, trainFile, testFile) in splits)
                {
                    var trainset = Trainset.Build(RatingReaders.ReadTabSeparated(trainFile, RatingReaders.MovieLens100kScale), RatingReaders.MovieLens100kScale);
                    var test = RatingReaders.ReadTabSeparated(testFile, RatingReaders.MovieLens100kScale);
                    var times = new List<double>();
                    var epochTimes = new List<double>();
                    FactorModel? model = null;
                    for (var r = 0; r < n; r++)
                    {
                        var last = default(EpochReport);
                        var clock = Stopwatch.StartNew();
                        model = new FunkSvd(new FunkSvdOptions()).Fit(trainset, e => last = e);
                        times.Add(clock.Elapsed.TotalSeconds);
                        epochTimes.Add(last.Elapsed.TotalSeconds);
                    }

                    times.Sort();
                    epochTimes.Sort();
                    var predictions = Evaluator.Predict(model!, test);
                    var (rmse, mae) = (Accuracy.Rmse(predictions), Accuracy.Mae(predictions));
                    rmses.Add(rmse);
                    maes.Add(mae);
                    medians.Add(times[times.Count / 2]);
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{name,-5}  {trainset.Count,7}  {times[times.Count / 2],14:F4}  {times[0],12:F4}  {epochTimes[epochTimes.Count / 2],20:F4}  {rmse:F4}  {mae:F4}"));
                }

                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"mean            {medians.Average(),14:F4}                                    {rmses.Average():F4}  {maes.Average():F4}"));
                return 0;
            }
            catch (DataFormatException ex)
            {
                parse.InvocationConfiguration.Error.WriteLine($"error: {ex.Message}");
                return 1;
            }
        });
        return command;
    }

    private static Command BuildScale()
    {
        var sizes = ListOption.Ints("--ratings", "Numbers of synthetic ratings (default 100000,1000000,10000000).", min: 1000);
        var users = ListOption.Int("--users", "Users at the largest size; smaller sizes scale users down, keeping ratings per user.", defaultValue: 70_000, min: 1);
        var items = ListOption.Int("--items", "Items.", defaultValue: 10_000, min: 1);
        var factors = ListOption.Int("--factors", "FunkSvd factors.", defaultValue: 100, min: 1);
        var epochs = ListOption.Int("--epochs", "FunkSvd epochs.", defaultValue: 20, min: 1);
        var command = new Command("scale", "Fit FunkSvd on synthetic ratings (planted rank-10 structure plus noise) of growing size: fit time and peak memory.")
        {
            sizes, users, items, factors, epochs,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            WriteMachine(output);
            var counts = parse.GetValue(sizes) is { Length: > 0 } given ? given : [100_000, 1_000_000, 10_000_000];
            var largest = counts.Max();
            output.WriteLine("ratings     users   items  generate (s)  fit (s)  per epoch (s)  ns/rating/epoch  train RMSE  peak working set (MiB)");
            foreach (var count in counts.Order())
            {
                var userCount = (int)Math.Max(1, (long)parse.GetValue(users) * count / largest);
                var clock = Stopwatch.StartNew();
                var trainset = new SyntheticRatings
                {
                    Users = userCount,
                    Items = parse.GetValue(items),
                    Ratings = count,
                    Rank = 10,
                    Noise = 0.25,
                    Seed = 42,
                }.GenerateTrainset();
                var generate = clock.Elapsed.TotalSeconds;
                var last = default(EpochReport);
                clock.Restart();
                new FunkSvd(new FunkSvdOptions { Factors = parse.GetValue(factors), Epochs = parse.GetValue(epochs) }).Fit(trainset, e => last = e);
                var fit = clock.Elapsed.TotalSeconds;
                using var process = Process.GetCurrentProcess();
                process.Refresh();
                var e = parse.GetValue(epochs);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{count,10}  {userCount,6}  {trainset.ItemCount,6}  {generate,12:F2}  {fit,7:F2}  {fit / e,13:F3}  {fit / e / count * 1e9,15:F1}  {last.TrainRmse,10:F4}  {process.PeakWorkingSet64 / 1048576.0,21:F0}"));
            }

            return 0;
        });
        return command;
    }

    private static void WriteMachine(TextWriter output)
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"machine: {cpu ?? RuntimeInformation.ProcessArchitecture.ToString()}, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}"));
        output.WriteLine($"SIMD: Vector512 {(Vector512.IsHardwareAccelerated ? "on" : "off")}, Vector256 {(Vector256.IsHardwareAccelerated ? "on" : "off")}; build: {BuildConfiguration}");
    }

#if DEBUG
    private const string BuildConfiguration = "Debug (measure with -c Release)";
#else
    private const string BuildConfiguration = "Release";
#endif
}
