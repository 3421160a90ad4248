using System.ComponentModel;
using System.Text.Json.Serialization;

namespace LatentLens.Api.Apis;

internal sealed record ModelInfoResponse(
    string RunId,
    string RunName,
    string ExperimentId,
    string? RegisteredModel,
    int? Version,
    string? Alias,
    string Algorithm,
    int Factors,
    IReadOnlyDictionary<string, string> Params,
    IReadOnlyDictionary<string, double> Metrics,
    string TrainedAt,
    DateTimeOffset LoadedAt,
    int Users,
    int Items,
    float[] RatingScale,
    bool PredictsRatings,
    string ChosenBy,
    string? FallbackReason,
    RejectedModelInfo? Rejected)
{
    /// <summary>The genre names the recommendations' genres filter takes; absent when the model carries none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Genres { get; init; }

    /// <summary>Whether the model's family folds in histories (POST /recommendations, filters and explain).</summary>
    public bool FoldIn { get; init; }
}

/// <summary>The model the rules chose first (normally the champion) that is not serving, and why; null fields when the champion rule chose none.</summary>
internal sealed record RejectedModelInfo(int? Version, string? RunId, string? RunName, string Reason);

internal sealed record RecommendedItem(string ItemId, string? Title, float? PredictedRating, float Score)
{
    /// <summary>With explain=true: the history items contributing most to the score (at most 3); absent otherwise, and where the model cannot say.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<BecauseItem>? Because { get; init; }
}

/// <summary>A history item behind a recommendation: its share of the item's score, part_h / Σ|part| over the history.</summary>
internal sealed record BecauseItem(string ItemId, string? Title, float Share);

/// <summary>
/// The answer of every recommendations route. The GET answer has the first four fields only (plus <c>explained</c> with
/// explain=true); the POST answers add where the list comes from (<c>basis</c>) and the ids the model does not know.
/// </summary>
internal sealed record RecommendationsResponse(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? UserId,
    int K,
    bool ExcludeRated,
    IReadOnlyList<RecommendedItem> Items)
{
    /// <summary>POST: "history" (folded in from the ratings given), "trained" (a known user, no new known rating) or "popularity" (no known item).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Basis { get; init; }

    /// <summary>POST /users/{userId}/recommendations: whether the model was trained on the user (false: served as a new user).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? UserKnown { get; init; }

    /// <summary>POST: item ids of the ratings that the model does not know; they were ignored.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? UnknownItems { get; init; }

    /// <summary>With explain=true: whether the items carry <c>because</c> (false: the model's scores are not a sum over the history, or there is no history).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Explained { get; init; }
}

/// <summary>One rating of a history given at request time; <c>rating</c> may be left out for models that only rank (an interaction).</summary>
internal sealed class RatingInput
{
    [Description("The item's id: a whole number, as a string or a number.")]
    public required string ItemId { get; init; }

    [Description("On the model's rating scale (GET /model: ratingScale); optional for models that rank without rating values.")]
    public float? Rating { get; init; }
}

/// <summary>
/// The body of POST /recommendations and POST /users/{userId}/recommendations; every field optional. Item ids are
/// strings or whole numbers; at most 10,000 ratings (and 10,000 ids in each of exclude and include) and 1 MiB.
/// Only the metadata of the OpenAPI document: the body is read by <see cref="RecommendationBody"/>.
/// </summary>
internal sealed class RecommendationRequest
{
    [Description("The history: at most 10,000 ratings, each item once. Items the model does not know are ignored and listed in unknownItems; none known: the popularity list.")]
    public IReadOnlyList<RatingInput>? Ratings { get; init; }

    [Description("How many items, 1 to 1000 (default 10).")]
    public int? K { get; init; }

    [Description("Leave out the history's items (and a known user's training items); default true.")]
    public bool? ExcludeRated { get; init; }

    [Description("Only items of any of these genres (GET /model's genres; an unknown one is a 400).")]
    public IReadOnlyList<string>? Genres { get; init; }

    [Description("Item ids never to return.")]
    public IReadOnlyList<string>? Exclude { get; init; }

    [Description("Only these item ids may be returned.")]
    public IReadOnlyList<string>? Include { get; init; }

    [Description("Add to each item the history items contributing most to its score (because); default false.")]
    public bool? Explain { get; init; }
}

internal sealed record PredictionResponse(string UserId, string ItemId, float PredictedRating, bool FellBack, bool UserKnown, bool ItemKnown);

internal sealed record PredictionPair(string UserId, string ItemId);

internal sealed record PredictionBatchRequest(IReadOnlyList<PredictionPair> Pairs);

internal sealed record PredictionBatchResponse(IReadOnlyList<PredictionResponse> Predictions);

internal sealed record SimilarItem(string ItemId, string? Title, float Similarity);

internal sealed record SimilarItemsResponse(string ItemId, string? Title, int K, IReadOnlyList<SimilarItem> Items);

internal sealed record ItemSummary(string ItemId, string? Title);

internal sealed record ItemSearchResponse(string Search, IReadOnlyList<ItemSummary> Items);

internal sealed record AdminResponse(bool Success, string Message, string? RunId, int? Version);
