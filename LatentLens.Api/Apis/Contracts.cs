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
    RejectedModelInfo? Rejected);

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
internal sealed record RatingInput(string ItemId, float? Rating);

/// <summary>
/// The body of POST /recommendations and POST /users/{userId}/recommendations. Item ids are strings or whole numbers;
/// at most 10,000 ratings (and 10,000 ids in each of exclude and include) and 1 MiB.
/// </summary>
internal sealed record RecommendationRequest(
    IReadOnlyList<RatingInput>? Ratings,
    int? K,
    bool? ExcludeRated,
    IReadOnlyList<string>? Genres,
    IReadOnlyList<string>? Exclude,
    IReadOnlyList<string>? Include,
    bool? Explain);

internal sealed record PredictionResponse(string UserId, string ItemId, float PredictedRating, bool FellBack, bool UserKnown, bool ItemKnown);

internal sealed record PredictionPair(string UserId, string ItemId);

internal sealed record PredictionBatchRequest(IReadOnlyList<PredictionPair> Pairs);

internal sealed record PredictionBatchResponse(IReadOnlyList<PredictionResponse> Predictions);

internal sealed record SimilarItem(string ItemId, string? Title, float Similarity);

internal sealed record SimilarItemsResponse(string ItemId, string? Title, int K, IReadOnlyList<SimilarItem> Items);

internal sealed record ItemSummary(string ItemId, string? Title);

internal sealed record ItemSearchResponse(string Search, IReadOnlyList<ItemSummary> Items);

internal sealed record AdminResponse(bool Success, string Message, string? RunId, int? Version);
