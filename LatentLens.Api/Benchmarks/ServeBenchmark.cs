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

/// <summary>
/// <c>benchmark serve --fold-in</c>'s loop: a random history of <c>history</c> distinct items (ratings drawn from the model's
/// training ratings) folded in and ranked, as <c>POST /recommendations</c> does it (<see cref="Recommender.FoldIn.FoldIns"/>),
/// history items excluded. The histories are drawn before the clock starts.
/// </summary>
internal static class FoldInBenchmark
{
    public static ServeTimes Measure(SavedModel saved, int count, int top, int history)
    {
        ArgumentNullException.ThrowIfNull(saved);
        var foldIn = Recommender.FoldIn.FoldIns.For(saved) ?? throw new ArgumentException($"'{saved.Model.Algorithm}' has no fold-in.", nameof(saved));
        var items = saved.Model.Items.Count;
        var values = saved.RatedValues is { Length: > 0 } rated ? rated : [saved.Model.Scale.Max];
        var random = new Random(1);
        var length = Math.Min(history, items);
        Recommender.FoldIn.HistoryEntry[] Draw()
        {
            var chosen = new HashSet<int>();
            while (chosen.Count < length)
            {
                chosen.Add(random.Next(items));
            }

            return [.. chosen.Select(i => new Recommender.FoldIn.HistoryEntry(i, foldIn.NeedsRatings ? values[random.Next(values.Length)] : float.NaN))];
        }

        int[] Excluded(Recommender.FoldIn.HistoryEntry[] h) => [.. h.Select(e => e.Item)];
        var warm = Enumerable.Range(0, 16).Select(_ => Draw()).ToArray();
        for (var w = 0; w < 1_000; w++)
        {
            var h = warm[w % warm.Length];
            Recommender.FoldIn.FoldIns.Recommend(foldIn, foldIn.Fold(h), top, Excluded(h));
        }

        var histories = Enumerable.Range(0, count).Select(_ => Draw()).ToArray();
        var exclusions = histories.Select(Excluded).ToArray();
        var times = new double[count];
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        for (var n = 0; n < count; n++)
        {
            var start = Stopwatch.GetTimestamp();
            Recommender.FoldIn.FoldIns.Recommend(foldIn, foldIn.Fold(histories[n]), top, exclusions[n]);
            times[n] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        var allocated = (GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / (double)count;
        Array.Sort(times);
        double P(double q) => times[(int)Math.Min(times.Length - 1, q * times.Length)];
        return new ServeTimes(P(0.5), P(0.9), P(0.99), times[0], allocated);
    }
}
