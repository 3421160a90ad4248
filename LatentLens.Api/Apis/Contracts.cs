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

internal sealed record RecommendedItem(string ItemId, string? Title, float? PredictedRating, float Score);

internal sealed record RecommendationsResponse(string UserId, int K, bool ExcludeRated, IReadOnlyList<RecommendedItem> Items);

internal sealed record PredictionResponse(string UserId, string ItemId, float PredictedRating, bool FellBack, bool UserKnown, bool ItemKnown);

internal sealed record PredictionPair(string UserId, string ItemId);

internal sealed record PredictionBatchRequest(IReadOnlyList<PredictionPair> Pairs);

internal sealed record PredictionBatchResponse(IReadOnlyList<PredictionResponse> Predictions);

internal sealed record SimilarItem(string ItemId, string? Title, float Similarity);

internal sealed record SimilarItemsResponse(string ItemId, string? Title, int K, IReadOnlyList<SimilarItem> Items);

internal sealed record ItemSummary(string ItemId, string? Title);

internal sealed record ItemSearchResponse(string Search, IReadOnlyList<ItemSummary> Items);

internal sealed record AdminResponse(bool Success, string Message, string? RunId, int? Version);
