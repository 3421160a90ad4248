using System.Diagnostics;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Evaluation;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Recommender.Numerics;

namespace LatentLens.Api.Benchmarks;

/// <summary>One split's fits: the median and best fit time, the median time of the epochs alone, test RMSE and MAE.</summary>
internal sealed record SplitFit(string Name, int Ratings, double MedianSeconds, double BestSeconds, double MedianEpochsSeconds, double Rmse, double Mae, int Threads);

/// <summary><c>benchmark fit</c>'s loop: FunkSvd with Surprise's defaults (seed 0) on MovieLens 100K's u1..u5 splits, on a given number of threads.</summary>
internal static class FitBenchmark
{
    /// <summary>
    /// Each split's fits, as each split is done: first <paramref name="warmupFits"/> untimed fits on the first
    /// split (the JIT tiers the code up over the first fits), then <paramref name="repeat"/> timed fits per split.
    /// </summary>
    public static IEnumerable<SplitFit> Run(IReadOnlyList<(string Name, string Train, string Test)> splits, int repeat, int warmupFits, int threads = 1, int blocks = 0)
    {
        ArgumentNullException.ThrowIfNull(splits);
        var warmup = Trainset.Build(RatingReaders.ReadTabSeparated(splits[0].Train, RatingReaders.MovieLens100kScale), RatingReaders.MovieLens100kScale);
        for (var w = 0; w < warmupFits; w++)
        {
            var warm = new FunkSvd(new FunkSvdOptions { Threads = threads, Blocks = blocks }).Fit(warmup);
            RecycledArrays.GiveBack(warm.UserFactors, warm.ItemFactors);
        }

        foreach (var (name, trainFile, testFile) in splits)
        {
            var trainset = Trainset.Build(RatingReaders.ReadTabSeparated(trainFile, RatingReaders.MovieLens100kScale), RatingReaders.MovieLens100kScale);
            var test = RatingReaders.ReadTabSeparated(testFile, RatingReaders.MovieLens100kScale);
            var times = new List<double>();
            var epochTimes = new List<double>();
            FactorModel? model = null;
            for (var r = 0; r < repeat; r++)
            {
                // As `train`'s k-fold evaluation: the model before is dead, its rows recycled; no full collection mid-fit.
                if (model is not null)
                {
                    RecycledArrays.GiveBack(model.UserFactors, model.ItemFactors);
                }

                var last = default(EpochReport);
                using (LowLatencyGc.Enter())
                {
                    var clock = Stopwatch.StartNew();
                    model = new FunkSvd(new FunkSvdOptions { Threads = threads, Blocks = blocks }).Fit(trainset, e => last = e);
                    times.Add(clock.Elapsed.TotalSeconds);
                }

                epochTimes.Add(last.Elapsed.TotalSeconds);
            }

            times.Sort();
            epochTimes.Sort();
            var predictions = Evaluator.Predict(model!, test);
            RecycledArrays.GiveBack(model!.UserFactors, model.ItemFactors);
            yield return new SplitFit(name, trainset.Count, times[times.Count / 2], times[0], epochTimes[epochTimes.Count / 2], Accuracy.Rmse(predictions), Accuracy.Mae(predictions), threads);
        }
    }
}
