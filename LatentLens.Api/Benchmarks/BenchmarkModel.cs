using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Tracking;

namespace LatentLens.Api.Benchmarks;

/// <summary>The model a benchmark measures.</summary>
internal static class BenchmarkModel
{
    /// <summary>
    /// The run asked for; else the model the API would serve, chosen by the API's own rule
    /// (<see cref="ChampionResolver.FirstLoadable"/>). Throws <see cref="InvalidOperationException"/> when
    /// there is none, and <see cref="InvalidDataException"/> naming what is wrong with a broken artifact asked for.
    /// </summary>
    public static (ModelOrigin Origin, SavedModel Model) Choose(ITrackingStore store, string? runId)
    {
        ArgumentNullException.ThrowIfNull(store);
        var chosen = runId is null
            ? ChampionResolver.FirstLoadable(store, new ProblemSink())
            : store.FindRun(runId) is { } run ? (ModelOrigin.Of(run), store.LoadModel(run)) : null;
        return chosen ?? throw new InvalidOperationException($"no servable model in {store.Location}");
    }
}
