using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using LatentLens.Api.Benchmarks;
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
        command.Subcommands.Add(BuildServe());
        command.Subcommands.Add(SimilarityBenchmarkCommand.Build());
        return command;
    }

    private static Command BuildServe()
    {
        var mlruns = TrackingOptions.Mlruns();
        var trackingUri = TrackingOptions.TrackingUri();
        var requests = ListOption.Int("--requests", "Recommendation calls to time.", defaultValue: 20_000, min: 100);
        var k = ListOption.Int("--k", "Items per recommendation.", defaultValue: 10, min: 1, max: 1000);
        var runId = new Option<string?>("--run-id") { Description = "Time this run's model instead of the champion." };
        var foldIn = new Option<bool>("--fold-in") { Description = "Time fold-in plus ranking of a random history (POST /recommendations in process) instead of a trained user's list." };
        var history = ListOption.Int("--history", "With --fold-in: ratings per history.", defaultValue: 100, min: 1);
        var algorithms = new Option<string[]>("--algorithm")
        {
            Description = "With --fold-in: fit these families on the bundled ml-latest-small in process (comma-separated) instead of timing the store's model.",
            CustomParser = result => [.. result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.TrimEntries))],
        };
        var factors = ListOption.Int("--factors", "With --fold-in --algorithm: factors of the families that take them (bpmf keeps its default rank per sample).", defaultValue: 100, min: 1);
        var command = new Command("serve", "Time top-k recommendations in process with the champion model of the store (or --run-id): median and percentiles per call, bytes allocated per call.")
        {
            mlruns, trackingUri, requests, k, runId, foldIn, history, algorithms, factors,
        };
        command.SetAction(parse => CliErrors.Run(parse, () =>
        {
            var output = parse.InvocationConfiguration.Output;
            WriteMachine(output);
            if (parse.GetValue(foldIn) && parse.GetValue(algorithms) is { Length: > 0 } families)
            {
                FoldInBenchmarkRun.FitAndMeasure(output, families, parse.GetValue(factors), parse.GetValue(requests), parse.GetValue(k), parse.GetValue(history));
                return 0;
            }

            var store = TrackingOptions.Open(parse, mlruns, trackingUri);
            using var disposeStore = store as IDisposable;
            var (origin, saved) = BenchmarkModel.Choose(store, parse.GetValue(runId), parse.InvocationConfiguration.Error.WriteLine);

            var model = saved.Model;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"model: {origin.RunName} (version {origin.Version}), {model.Users.Count} users x {model.Items.Count} items x {model.Factors} factors (stride {model.Stride})"));
            var count = parse.GetValue(requests);
            var top = parse.GetValue(k);
            if (parse.GetValue(foldIn))
            {
                FoldInBenchmarkRun.Report(output, saved, count, top, parse.GetValue(history));
                return 0;
            }

            var times = ServeBenchmark.Measure(saved, count, top);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"top-{top} for random users, {count} calls: median {times.Median:F1} µs, p90 {times.P90:F1} µs, p99 {times.P99:F1} µs, min {times.Min:F1} µs; allocated {times.AllocatedPerCall:F0} bytes per call (the result: {top} x 8 bytes + array header)"));
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
        var threads = Threads();
        var blocks = Blocks();
        var command = new Command("fit", "Fit FunkSvd (Surprise's defaults, seed 0) on each u1..u5 split after untimed warm-up fits (--warmup): fit time (median and best of --repeat) and test RMSE/MAE.")
        {
            data, repeat, warmupFits, threads, blocks,
        };
        command.SetAction(parse => CliErrors.Run(parse, () =>
        {
            var output = parse.InvocationConfiguration.Output;
            WriteMachine(output);
            var splits = Splits.MovieLensFolderSplits(parse.GetValue(data)!);
            // What the block schedule allows on u1 at each count (ratings per sub-epoch's largest block; no barrier, no cache).
            var first = Trainset.Build(RatingReaders.ReadTabSeparated(splits[0].Train, RatingReaders.MovieLens100kScale), RatingReaders.MovieLens100kScale);
            foreach (var t in ThreadCounts(parse, threads).Where(t => t > 1))
            {
                using var blocks = SgdBlocks.Build(first, SgdBlocks.GridFor(new FunkSvdOptions { Threads = t }, first), seed: 0);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"schedule: {t} threads, {blocks.Grid} x {blocks.Grid} blocks on {splits[0].Name}: the largest block of each sub-epoch bounds the speed-up at {blocks.SpeedUpBound():F2} x"));
            }

            // "threads" is the last column: scripts read the others by position.
            output.WriteLine("split  ratings  fit median (s)  fit best (s)  20 epochs median (s)  RMSE    MAE     threads");
            foreach (var t in ThreadCounts(parse, threads))
            {
                var fits = new List<SplitFit>();
                foreach (var fit in FitBenchmark.Run(splits, parse.GetValue(repeat), parse.GetValue(warmupFits), t, parse.GetValue(blocks)))
                {
                    fits.Add(fit);
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{fit.Name,-5}  {fit.Ratings,7}  {fit.MedianSeconds,14:F4}  {fit.BestSeconds,12:F4}  {fit.MedianEpochsSeconds,20:F4}  {fit.Rmse:F4}  {fit.Mae:F4}  {t,7}"));
                }

                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"mean            {fits.Average(f => f.MedianSeconds),14:F4}                                    {fits.Average(f => f.Rmse):F4}  {fits.Average(f => f.Mae):F4}  {t,7}"));
            }

            return 0;
        }));
        return command;
    }

    private static Command BuildScale()
    {
        var sizes = ListOption.Ints("--ratings", "Numbers of synthetic ratings (default 100000,1000000,10000000).", min: 1000);
        var users = ListOption.Int("--users", "Users at the largest size; smaller sizes scale users down, keeping ratings per user.", defaultValue: 70_000, min: 1);
        var items = ListOption.Int("--items", "Items.", defaultValue: 10_000, min: 1);
        var factors = ListOption.Int("--factors", "FunkSvd factors.", defaultValue: 100, min: 1);
        var epochs = ListOption.Int("--epochs", "FunkSvd epochs.", defaultValue: 20, min: 1);
        var threads = Threads();
        var blocks = Blocks();
        var command = new Command("scale", "Fit FunkSvd on synthetic ratings (planted rank-10 structure plus noise) of growing size: fit time and peak memory.")
        {
            sizes, users, items, factors, epochs, threads, blocks,
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
            // Scripts read the columns by position: new ones go last ("epochs only": the epochs' clock, without the fit's setup).
            output.WriteLine("ratings     users   items  generate (s)  fit (s)  per epoch (s)  ns/rating/epoch  best epoch (ns/rating)  train RMSE  peak working set (MiB)  threads  epochs only (ns/rating/epoch)");
            var e = parse.GetValue(epochs);
            foreach (var point in ScaleBenchmark.Run(counts, parse.GetValue(users), parse.GetValue(items), parse.GetValue(factors), e, ThreadCounts(parse, threads), parse.GetValue(blocks)))
            {
                var (count, fit) = (point.Ratings, point.FitSeconds);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{count,10}  {point.Users,6}  {point.Items,6}  {point.GenerateSeconds,12:F2}  {fit,7:F2}  {fit / e,13:F3}  {fit / e / count * 1e9,15:F1}  {point.BestEpoch.TotalSeconds / count * 1e9,22:F1}  {point.TrainRmse,10:F4}  {point.PeakWorkingSetBytes / 1048576.0,21:F0}  {point.Threads,7}  {point.Epochs.TotalSeconds / e / count * 1e9,29:F1}"));
            }

            return 0;
        });
        return command;
    }

    /// <summary><c>--threads</c>: one count, or a comma-separated list to sweep; by default the machine's cores.</summary>
    private static Option<int[]> Threads() =>
        ListOption.Ints("--threads", $"Threads FunkSvd trains on (default: this machine's {Environment.ProcessorCount} cores; 1 is Surprise's order); a comma-separated list sweeps them.", min: 1);

    /// <summary><c>--blocks</c>: the schedule of that many threads (G × G blocks) run on --threads threads, to see its own cost.</summary>
    private static Option<int> Blocks() =>
        ListOption.Int("--blocks", "Blocks per side (default 0: as many as threads); more than --threads runs the schedule of that many threads on fewer, the same model, to measure the schedule's own cost.", defaultValue: 0, min: 0);

    private static int[] ThreadCounts(ParseResult parse, Option<int[]> threads) =>
        parse.GetValue(threads) is { Length: > 0 } given ? given : [Environment.ProcessorCount];

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
