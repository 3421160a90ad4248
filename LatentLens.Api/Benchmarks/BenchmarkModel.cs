using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Tracking;

namespace LatentLens.Api.Benchmarks;

/// <summary>The model a benchmark measures.</summary>
internal static class BenchmarkModel
{
    /// <summary>
    /// The run asked for; else the model the API would serve, chosen by the API's own rule
    /// (<see cref="ChampionResolver.FirstLoadable"/>). Null when there is none; a run asked for whose
    /// artifact is broken throws, naming what is wrong.
    /// </summary>
    public static (ModelOrigin Origin, SavedModel Model)? Choose(ITrackingStore store, string? runId)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (runId is null)
        {
            return ChampionResolver.FirstLoadable(store, new ProblemSink());
        }

        return store.FindRun(runId) is { } run ? (ModelOrigin.Of(run), store.LoadModel(run)) : null;
    }
}
