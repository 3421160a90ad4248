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
    /// Each candidate passed over is reported through <paramref name="skipped"/>, so a benchmark never measures a
    /// fallback without saying so.
    /// </summary>
    public static (ModelOrigin Origin, SavedModel Model) Choose(ITrackingStore store, string? runId, Action<string>? skipped = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        var failures = new List<string>();
        var chosen = runId is null
            ? ChampionResolver.FirstLoadable(store, new ProblemSink(), failures)
            : store.FindRun(runId) is { } run ? (ModelOrigin.Of(run), store.LoadModel(run)) : null;
        failures.ForEach(f => skipped?.Invoke($"skipped: {f}"));
        return chosen ?? throw new InvalidOperationException($"no servable model in {store.Location}{(failures.Count == 0 ? string.Empty : $": {string.Join("; ", failures)}")}");
    }
}
