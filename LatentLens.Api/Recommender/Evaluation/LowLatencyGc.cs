using System.Runtime;

namespace LatentLens.Api.Recommender.Evaluation;

/// <summary>
/// While a timed fit runs, the garbage collector's <see cref="GCLatencyMode.LowLatency"/> mode: no full blocking
/// collection unless memory runs low (the documented mode for short, time-critical work under the workstation
/// collector, which this service uses). Scopes nest and may overlap across threads: the first one in sets the mode,
/// the last one out restores what was there.
/// </summary>
/// <remarks>
/// Without it, a fit that happens to cross the full collection the data loading made due pays for all of it:
/// on MovieLens 100K, u4's FunkSvd fit took 0.09–0.12 s instead of 0.03 s in every `train` run, a 70 ms collection of
/// the 125 MB the five splits' ratings occupy (docs/benchmarks.md §30). The collection still happens, after the fit.
/// </remarks>
internal static class LowLatencyGc
{
    private static readonly Lock Gate = new();
    private static int _depth;
    private static GCLatencyMode _previous;

    public static Scope Enter()
    {
        lock (Gate)
        {
            if (_depth++ == 0)
            {
                _previous = GCSettings.LatencyMode;
                if (!GCSettings.IsServerGC)
                {
                    GCSettings.LatencyMode = GCLatencyMode.LowLatency;
                }
            }
        }

        return new Scope(true);
    }

    private static void Exit()
    {
        lock (Gate)
        {
            if (--_depth == 0)
            {
                GCSettings.LatencyMode = _previous;
            }
        }
    }

    public readonly struct Scope(bool entered) : IDisposable
    {
        public void Dispose()
        {
            if (entered)
            {
                Exit();
            }
        }
    }
}
