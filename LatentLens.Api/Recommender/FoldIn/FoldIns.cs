using System.Runtime.CompilerServices;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Recommender.Ranking;

namespace LatentLens.Api.Recommender.FoldIn;

/// <summary>
/// The fold-in of each model family, by the model's algorithm name: the one table a new family adds a line to.
/// The API, <c>train --split users</c> and <c>benchmark serve</c> all go through it, so what is measured is what is served.
/// </summary>
internal static class FoldIns
{
    private static readonly Dictionary<string, Func<SavedModel, IFoldIn>> Families = new(StringComparer.Ordinal)
    {
        [AlgorithmFactory.PureSvd] = saved => new PureSvdFoldIn(saved),
        [AlgorithmFactory.PureSvdCentred] = saved => new CentredPureSvdFoldIn(saved),
        [AlgorithmFactory.Popular] = saved => new PopularFoldIn(saved),
        [AlgorithmFactory.Baseline] = saved => new BaselineFoldIn(saved),
        [AlgorithmFactory.FunkSvd] = saved => new SgdFoldIn(saved),
        [AlgorithmFactory.SvdPlusPlus] = saved => new SgdFoldIn(saved),
        [AlgorithmFactory.Als] = saved => new AlsFoldIn(saved),
        [AlgorithmFactory.Bpmf] = saved => new BpmfFoldIn(saved),
        [AlgorithmFactory.Ease] = saved => new EaseFoldIn(saved),
    };

    // Some fold-ins precompute per model (ALS's YᵀY, BPMF's priors): one instance per loaded model, shared by requests.
    private static readonly ConditionalWeakTable<SavedModel, IFoldIn> Cache = [];

    /// <summary>
    /// The fold-in of <paramref name="saved"/>'s family, or null when the family has none. Built once per model
    /// (kept while the model is), so calling it per request costs a lookup.
    /// </summary>
    public static IFoldIn? For(SavedModel saved)
    {
        ArgumentNullException.ThrowIfNull(saved);
        if (Cache.TryGetValue(saved, out var cached))
        {
            return cached;
        }

        return Families.TryGetValue(saved.Model.Algorithm, out var create) ? Cache.GetValue(saved, s => create(s)) : null;
    }

    /// <summary>The algorithms that have a fold-in.</summary>
    public static IReadOnlyCollection<string> Supported => Families.Keys;

    [ThreadStatic]
    private static float[]? _scores;

    /// <summary>
    /// Whether a trained user of <paramref name="saved"/> must be ranked through its fold-in: a model without user
    /// factors that scores from the history (<see cref="FactorModel.ItemWeights"/>). Every factor model ranks its
    /// stored rows with <see cref="Ranker.Recommend"/>, which gives the same order at no cost of its own.
    /// </summary>
    public static bool RanksTrainedUsersByHistory(SavedModel saved) => saved?.Model.ItemWeights is not null;

    /// <summary>
    /// A trained user's top k as every caller ranks it (the API, the evaluation, <c>benchmark serve</c>): through the fold-in
    /// of the training history for a model that scores from histories (<see cref="RanksTrainedUsersByHistory"/>), else
    /// <see cref="Ranker.Recommend"/>. <paramref name="foldIn"/> is the model's fold-in when the caller keeps one.
    /// </summary>
    public static ScoredItem[] RecommendTrained(SavedModel saved, int user, int k, bool excludeRated, IFoldIn? foldIn = null)
    {
        ArgumentNullException.ThrowIfNull(saved);
        if (!RanksTrainedUsersByHistory(saved))
        {
            return Ranker.Recommend(saved, user, k, excludeRated);
        }

        foldIn ??= For(saved) ?? throw new InvalidOperationException($"The {saved.Model.Algorithm} model scores from histories but has no fold-in.");
        return Recommend(foldIn, foldIn.Trained(user), k, excludeRated ? saved.RatedBy(user) : default);
    }

    /// <summary>
    /// The top k items for a folded (or trained) user, without <paramref name="excluded"/>; every item whose
    /// <paramref name="allowed"/> entry is false is left out before the top k is taken (empty: all allowed).
    /// </summary>
    public static ScoredItem[] Recommend(IFoldIn foldIn, FoldedUser user, int k, ReadOnlySpan<int> excluded, ReadOnlySpan<bool> allowed = default)
    {
        ArgumentNullException.ThrowIfNull(foldIn);
        var n = foldIn.Saved.Model.Items.Count;
        if (foldIn is FactorFoldIn && foldIn.Saved.Model is var model && QuantizedRows.Serves(model) && user.Vector.Length == model.Stride
            && QuantizedRows.For(model).Top(user.Vector, model.RankingOffsets, k, excluded, allowed) is { } top)
        {
            return top;
        }

        var scores = _scores is { } buffer && buffer.Length >= n ? buffer : _scores = new float[n];
        var span = scores.AsSpan(0, n);
        foldIn.Score(user, span);
        Scoring.LeaveOut(span, excluded, allowed);
        return Scoring.SelectTop(span, k);
    }
}
