using System.Diagnostics;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;

namespace LatentLens.Api.Benchmarks;

/// <summary>
/// One size: generation and fit time, the fastest epoch (on a shared machine it moves far less than the
/// mean), the last epoch's train RMSE and the process's peak working set so far.
/// </summary>
/// <summary>One fit's figures; <see cref="Epochs"/> is the epochs' own time (the fit's clock at the last epoch report: setup such as the blocks of a parallel fit not included).</summary>
internal sealed record ScalePoint(int Ratings, int Users, int Items, double GenerateSeconds, double FitSeconds, TimeSpan BestEpoch, double TrainRmse, long PeakWorkingSetBytes, int Threads, TimeSpan Epochs);

/// <summary><c>benchmark scale</c>'s loop: FunkSvd on synthetic ratings (planted rank-10 structure plus noise) of growing size.</summary>
internal static class ScaleBenchmark
{
    /// <summary>Each size in increasing order, as it is done; users scale down with the size, keeping ratings per user.</summary>
    public static IEnumerable<ScalePoint> Run(IReadOnlyCollection<int> counts, int users, int items, int factors, int epochs, IReadOnlyList<int>? threads = null, int blocks = 0)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var largest = counts.Max();
        foreach (var count in counts.Order())
        {
            var userCount = (int)Math.Max(1, (long)users * count / largest);
            var clock = Stopwatch.StartNew();
            var trainset = new SyntheticRatings
            {
                Users = userCount,
                Items = items,
                Ratings = count,
                Rank = 10,
                Noise = 0.25,
                Seed = 42,
            }.GenerateTrainset();
            var generate = clock.Elapsed.TotalSeconds;

            // Each thread count on the same data: a sweep shows the scaling without generating again.
            foreach (var t in threads ?? [1])
            {
                var last = default(EpochReport);
                var best = TimeSpan.MaxValue;
                clock.Restart();
                new FunkSvd(new FunkSvdOptions { Factors = factors, Epochs = epochs, Threads = t, Blocks = blocks }).Fit(trainset, e =>
                {
                    best = TimeSpan.FromTicks(Math.Min(best.Ticks, (e.Elapsed - last.Elapsed).Ticks));
                    last = e;
                });
                var fit = clock.Elapsed.TotalSeconds;
                using var process = Process.GetCurrentProcess();
                process.Refresh();
                yield return new ScalePoint(count, userCount, trainset.ItemCount, generate, fit, best, last.TrainRmse, process.PeakWorkingSet64, t, last.Elapsed);
            }
        }
    }
}
