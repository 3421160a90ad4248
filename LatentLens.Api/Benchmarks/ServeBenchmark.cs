using System.Diagnostics;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Recommender.FoldIn;

namespace LatentLens.Api.Benchmarks;

/// <summary>Per-call times (µs) of top-k recommendations and the bytes each call allocates.</summary>
internal sealed record ServeTimes(double Median, double P90, double P99, double Min, double AllocatedPerCall);

/// <summary><c>benchmark serve</c>'s loop: top-k recommendations for random users, ranked as the API ranks them.</summary>
internal static class ServeBenchmark
{
    public static ServeTimes Measure(SavedModel saved, int count, int top)
    {
        ArgumentNullException.ThrowIfNull(saved);
        var model = saved.Model;
        var random = new Random(1);
        var foldIn = FoldIns.RanksTrainedUsersByHistory(saved) ? FoldIns.For(saved) : null;
        for (var w = 0; w < 2_000; w++)
        {
            FoldIns.RecommendTrained(saved, random.Next(model.Users.Count), top, excludeRated: true, foldIn);
        }

        var times = new double[count];
        var users = Enumerable.Range(0, count).Select(_ => random.Next(model.Users.Count)).ToArray();
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        for (var n = 0; n < count; n++)
        {
            var start = Stopwatch.GetTimestamp();
            FoldIns.RecommendTrained(saved, users[n], top, excludeRated: true, foldIn);
            times[n] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        var allocated = (GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / (double)count;
        Array.Sort(times);
        double P(double q) => times[(int)Math.Min(times.Length - 1, q * times.Length)];
        return new ServeTimes(P(0.5), P(0.9), P(0.99), times[0], allocated);
    }
}
