namespace LatentLens.Api.Apis;

public sealed record ModelInfoResponse(
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
    float[] RatingScale);

public sealed record RecommendedItem(string ItemId, string? Title, float PredictedRating);

public sealed record RecommendationsResponse(string UserId, int K, bool ExcludeRated, IReadOnlyList<RecommendedItem> Items);

public sealed record PredictionResponse(string UserId, string ItemId, float PredictedRating, bool FellBack, bool UserKnown, bool ItemKnown);

public sealed record PredictionPair(string UserId, string ItemId);

public sealed record PredictionBatchRequest(IReadOnlyList<PredictionPair> Pairs);

public sealed record PredictionBatchResponse(IReadOnlyList<PredictionResponse> Predictions);

public sealed record SimilarItem(string ItemId, string? Title, float Similarity);

public sealed record SimilarItemsResponse(string ItemId, string? Title, int K, IReadOnlyList<SimilarItem> Items);

public sealed record ItemSummary(string ItemId, string? Title);

public sealed record ItemSearchResponse(string Search, IReadOnlyList<ItemSummary> Items);

public sealed record AdminResponse(bool Success, string Message, string? RunId, int? Version);
