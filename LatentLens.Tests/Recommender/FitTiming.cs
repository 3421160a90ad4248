using System.Diagnostics;

namespace LatentLens.Tests.Recommender;

/// <summary>Times repeated fits for the tests that report a speed (their figures go into docs/benchmarks.md).</summary>
internal static class FitTiming
{
    /// <summary>Whether LatentLens.Api was compiled with optimisation: timing unoptimised code says nothing.</summary>
    public static bool IsOptimised => !typeof(LatentLens.Api.ApiEntryPoint).Assembly.GetCustomAttributes(typeof(DebuggableAttribute), false)
        .OfType<DebuggableAttribute>().Any(d => d.IsJITOptimizerDisabled);

    /// <summary>
    /// Wall time and the process's CPU time (seconds, sorted ascending) of <paramref name="runs"/> calls of
    /// <paramref name="fit"/>: on a shared machine the CPU time per fit is the steadier figure.
    /// </summary>
    public static (List<double> Wall, List<double> Cpu) Measure(Action fit, int runs = 9)
    {
        ArgumentNullException.ThrowIfNull(fit);
        var times = new List<double>();
        var cpuTimes = new List<double>();
        using var process = Process.GetCurrentProcess();
        for (var run = 0; run < runs; run++)
        {
            process.Refresh();
            var cpuBefore = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            fit();
            times.Add(clock.Elapsed.TotalSeconds);
            process.Refresh();
            cpuTimes.Add((process.TotalProcessorTime - cpuBefore).TotalSeconds);
        }

        times.Sort();
        cpuTimes.Sort();
        return (times, cpuTimes);
    }
}
