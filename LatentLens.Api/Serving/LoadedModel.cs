using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Tracking;

namespace LatentLens.Api.Serving;

/// <summary>
/// Where a served model came from: the run, and the registry version and alias when it was resolved
/// through them. <see cref="Defect"/> says why it cannot be served (e.g. the champion's run is unreadable).
/// </summary>
public sealed record ModelOrigin(
    string ExperimentId,
    string RunId,
    string RunName,
    string? RegisteredModel,
    int? Version,
    string? Alias,
    IReadOnlyDictionary<string, string> Params,
    IReadOnlyDictionary<string, double> Metrics,
    string? Defect = null)
{
    /// <summary>Identifies what the origin points at; a change means there is a new model to load.</summary>
    public string Pointer => $"{RegisteredModel}/{Version}/{RunId}";
}

/// <summary>
/// A model ready to serve: the saved model, where it came from, and what the endpoints need
/// precomputed (item norms for cosine similarity, lower-cased titles for search). Immutable:
/// it is swapped whole, so requests in flight finish on the model they started with.
/// </summary>
public sealed class LoadedModel
{
    public LoadedModel(SavedModel saved, ModelOrigin origin, DateTimeOffset loadedAt)
    {
        ArgumentNullException.ThrowIfNull(saved);
        Saved = saved;
        Origin = origin;
        LoadedAt = loadedAt;
        var model = saved.Model;
        ItemNorms = new float[model.Items.Count];
        for (var i = 0; i < ItemNorms.Length; i++)
        {
            var row = model.ItemFactors.AsSpan(i * model.Stride, model.Stride);
            ItemNorms[i] = model.Factors == 0 ? 0 : MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.Dot(row, row));
        }

        SearchTitles = [.. model.Items.RawIds.Select(id => saved.Titles.TryGetValue(id, out var t) ? t.ToLowerInvariant() : string.Empty)];
    }

    public SavedModel Saved { get; }

    public FactorModel Model => Saved.Model;

    public ModelOrigin Origin { get; }

    public DateTimeOffset LoadedAt { get; }

    public float[] ItemNorms { get; }

    public string[] SearchTitles { get; }

    /// <summary>
    /// Ranked items already computed for this model, by (user, k, excludeRated). A model never
    /// changes, so neither do its answers; the cache lives and dies with the model, and stops
    /// growing at <see cref="MaxCachedResults"/> entries.
    /// </summary>
    public System.Collections.Concurrent.ConcurrentDictionary<(int User, int K, bool ExcludeRated), ScoredItem[]> RecommendationCache { get; } = new();

    public const int MaxCachedResults = 100_000;

    public string? TitleOf(int item) => Saved.Titles.TryGetValue(Model.Items.ToRaw(item), out var title) ? title : null;
}
