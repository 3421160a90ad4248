using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Evaluation;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Recommender.Ranking;
using LatentLens.Api.Tracking;

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
        command.Subcommands.Add(BuildServe());
        command.Subcommands.Add(SimilarityBenchmark.Build());
        return command;
    }

    private static Command BuildServe()
    {
        var mlruns = TrackingOptions.Mlruns();
        var trackingUri = TrackingOptions.TrackingUri();
        var requests = ListOption.Int("--requests", "Recommendation calls to time.", defaultValue: 20_000, min: 100);
        var k = ListOption.Int("--k", "Items per recommendation.", defaultValue: 10, min: 1, max: 1000);
        var runId = new Option<string?>("--run-id") { Description = "Time this run's model instead of the champion." };
        var command = new Command("serve", "Time top-k recommendations in process with the champion model of the store (or --run-id): median and percentiles per call, bytes allocated per call.")
        {
            mlruns, trackingUri, requests, k, runId,
        };
        command.SetAction(parse => TrackingOptions.Guard(parse, () =>
        {
            var output = parse.InvocationConfiguration.Output;
            WriteMachine(output);
            var store = TrackingOptions.Open(parse, mlruns, trackingUri);
            using var disposeStore = store as IDisposable;
            var origin = parse.GetValue(runId) is { } id
                ? store.FindRun(id) is { } run ? ModelOrigin.Of(run) : null
                : ChampionResolver.Resolve(store, new ProblemSink());
            if (origin?.Run is null || origin.Defect is not null)
            {
                parse.InvocationConfiguration.Error.WriteLine($"error: no servable model in {store.Location}");
                return 1;
            }

            var saved = store.LoadModel(origin.Run);
            var model = saved.Model;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"model: {origin.RunName} (version {origin.Version}), {model.Users.Count} users x {model.Items.Count} items x {model.Factors} factors (stride {model.Stride})"));
            var count = parse.GetValue(requests);
            var top = parse.GetValue(k);
            var random = new Random(1);
            for (var w = 0; w < 2_000; w++)
            {
                Ranker.Recommend(saved, random.Next(model.Users.Count), top, excludeRated: true);
            }

            var times = new double[count];
            var users = Enumerable.Range(0, count).Select(_ => random.Next(model.Users.Count)).ToArray();
            var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            for (var n = 0; n < count; n++)
            {
                var start = Stopwatch.GetTimestamp();
                Ranker.Recommend(saved, users[n], top, excludeRated: true);
                times[n] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }

            var allocated = (GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / (double)count;
            Array.Sort(times);
            double P(double q) => times[(int)Math.Min(times.Length - 1, q * times.Length)];
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"top-{top} for random users, {count} calls: median {P(0.5):F1} µs, p90 {P(0.9):F1} µs, p99 {P(0.99):F1} µs, min {times[0]:F1} µs; allocated {allocated:F0} bytes per call (the result: {top} x 8 bytes + array header)"));
            return 0;
        }));
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
        var warmupFits = ListOption.Int("--warmup", "Untimed fits before timing (the JIT tiers code up over the first fits).", defaultValue: 40, min: 0);
        var command = new Command("fit", "Fit FunkSvd (Surprise's defaults, seed 0) on each u1..u5 split after untimed warm-up fits (--warmup): fit time (median and best of --repeat) and test RMSE/MAE.")
        {
            data, repeat, warmupFits,
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

                // Warm-up, untimed: the first fits run while the JIT is still tiering the code up.
                var warmup = Trainset.Build(RatingReaders.ReadTabSeparated(splits[0].Train, RatingReaders.MovieLens100kScale), RatingReaders.MovieLens100kScale);
                for (var w = 0; w < parse.GetValue(warmupFits); w++)
                {
                    new FunkSvd(new FunkSvdOptions()).Fit(warmup);
                }

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
            if ((long)largest > (long)parse.GetValue(users) * parse.GetValue(items))
            {
                parse.InvocationConfiguration.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"error: {largest} ratings do not fit in {parse.GetValue(users)} users x {parse.GetValue(items)} items (each pair is rated at most once)."));
                return 1;
            }

            // "best epoch": the fastest of the epochs, per rating; on a shared machine it moves far less than the mean.
            output.WriteLine("ratings     users   items  generate (s)  fit (s)  per epoch (s)  ns/rating/epoch  best epoch (ns/rating)  train RMSE  peak working set (MiB)");
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
                var best = TimeSpan.MaxValue;
                clock.Restart();
                new FunkSvd(new FunkSvdOptions { Factors = parse.GetValue(factors), Epochs = parse.GetValue(epochs) }).Fit(trainset, e =>
                {
                    best = TimeSpan.FromTicks(Math.Min(best.Ticks, (e.Elapsed - last.Elapsed).Ticks));
                    last = e;
                });
                var fit = clock.Elapsed.TotalSeconds;
                using var process = Process.GetCurrentProcess();
                process.Refresh();
                var e = parse.GetValue(epochs);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{count,10}  {userCount,6}  {trainset.ItemCount,6}  {generate,12:F2}  {fit,7:F2}  {fit / e,13:F3}  {fit / e / count * 1e9,15:F1}  {best.TotalSeconds / count * 1e9,22:F1}  {last.TrainRmse,10:F4}  {process.PeakWorkingSet64 / 1048576.0,21:F0}"));
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
        output.WriteLine($"SIMD: Vector512 {(Vector512.IsHardwareAccelerated ? "on" : "off")}, Vector256 {(Vector256.IsHardwareAccelerated ? "on" : "off")}; FunkSvd loop: {SgdPaths.Resolve(SgdPath.Auto)}; build: {BuildConfiguration}");
    }

#if DEBUG
    private const string BuildConfiguration = "Debug (measure with -c Release)";
#else
    private const string BuildConfiguration = "Release";
#endif
}
