using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using LatentLens.Api.Recommender.Ranking;
using LatentLens.Api.Serving;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using System.Text.Json.Serialization.Metadata;

namespace LatentLens.Api.Apis;

internal static class RecommendationsApi
{
    public const int MaxBatch = 1000;
    private const int MaxBodyBytes = 1 << 20;

    public static RouteGroupBuilder MapRecommendationsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/").WithTags("Recommendations");
        group.MapGetAndHead("/users/{userId}/recommendations", GetRecommendations)
            .WithName("GetRecommendations")
            .WithSummary("The user's top k items (k = 1..1000, default 10), without what the user rated in training unless excludeRated=false; genres (any of), exclude and include (item ids) filter before the top k; explain=true adds the history items behind each.");
        group.MapGetAndHead("/users/{userId}/items/{itemId}/prediction", GetPrediction)
            .WithName("GetPrediction")
            .WithSummary("The predicted rating, clipped to the scale; fellBack says an unknown user or item had its terms dropped. 409 for a model that only ranks.");
        group.MapPost("/predictions", PostPredictions)
            .WithName("PostPredictions")
            .WithSummary("Predicted ratings for a batch of up to 1,000 (userId, itemId) pairs.")
            .Accepts<PredictionBatchRequest>("application/json")
            // Kestrel enforces the limit while the body arrives (IRequestSizeLimitMetadata sets
            // IHttpMaxRequestBodySizeFeature), so a large chunked body is cut off at the limit, not buffered.
            .WithMetadata(new RequestSizeLimitAttribute(MaxBodyBytes))
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        return group;
    }

    public static Results<Utf8JsonOk<RecommendationsResponse>, ValidationProblem, ProblemHttpResult> GetRecommendations(
        string userId, [FromQuery(Name = "k")] string? k, [FromQuery(Name = "excludeRated")] string? excludeRated, ServedModel served,
        [FromServices] IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json,
        [FromQuery(Name = "genres")] string[]? genres = null, [FromQuery(Name = "exclude")] string[]? exclude = null,
        [FromQuery(Name = "include")] string[]? include = null, [FromQuery(Name = "explain")] string? explain = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (!ApiProblems.TryId(userId, out var user))
        {
            return ApiProblems.Invalid("userId", $"'{userId}' is not a user id (a whole number).");
        }

        if (!ApiProblems.TryK(k, 10, out var count))
        {
            return ApiProblems.Invalid("k", $"k must be a whole number from 1 to {ApiProblems.MaxK}; got '{k}'.");
        }

        var withoutRated = true;
        if (excludeRated is not null && !ApiProblems.TryBool(excludeRated, out withoutRated))
        {
            return ApiProblems.Invalid("excludeRated", $"excludeRated must be true or false; got '{excludeRated}'.");
        }

        if (served.Current is not { } loaded)
        {
            return ApiProblems.NoModel();
        }

        if (!loaded.Model.Users.TryGetIndex(user, out var index))
        {
            return ApiProblems.UnknownUser(user);
        }

        if (genres is { Length: > 0 } || exclude is { Length: > 0 } || include is { Length: > 0 } || explain is not null)
        {
            // Filtered or explained: not the cached answer of (user, k, excludeRated), so ranked now and not cached.
            var query = RecommendationQuery.Rent();
            query.K = count;
            query.ExcludeRated = withoutRated;
            if (FoldInApi.ReadQueryFilters(loaded, genres, exclude, include, explain, query) is { } error)
            {
                return error.Status == StatusCodes.Status413PayloadTooLarge ? ApiProblems.TooMany(error.Field, error.Message) : ApiProblems.Invalid(error.Field, error.Message);
            }

            // Empty filters and explain=false ask for the plain answer: the cache has it.
            if (!query.IsPlain)
            {
                return FoldInApi.Filtered(loaded, user, index, query, json.Value.SerializerOptions);
            }
        }

        // The whole answer, serialised once per (user, k, excludeRated) and kept with the model.
        var start = Stopwatch.GetTimestamp();
        var answer = loaded.Recommendations(index, count, withoutRated, SerializeRecommendations, (user, json.Value.SerializerOptions));
        LatentLensTelemetry.RecommendationDuration.Record(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        LatentLensTelemetry.RecommendationsServed.Add(answer.Count);
        return new Utf8JsonOk<RecommendationsResponse>(answer.Utf8Json);
    }

    /// <summary>The answer as <c>TypedResults.Ok</c> would write it: with the HTTP JSON options (their encoder keeps ' and non-ASCII letters as they are).</summary>
    private static byte[] SerializeRecommendations(LoadedModel loaded, int index, int count, bool exclude, ScoredItem[] top, (string User, JsonSerializerOptions Options) state)
    {
        var items = new RecommendedItem[top.Length];
        for (var j = 0; j < top.Length; j++)
        {
            items[j] = new RecommendedItem(loaded.Model.Items.ToRaw(top[j].Item), loaded.TitleOf(top[j].Item), Ranker.PredictedRating(loaded.Model, index, top[j]), top[j].Score);
        }

        var response = new RecommendationsResponse(state.User, count, exclude, items);
        return JsonSerializer.SerializeToUtf8Bytes(response, (JsonTypeInfo<RecommendationsResponse>)state.Options.GetTypeInfo(typeof(RecommendationsResponse)));
    }

    public static Results<Ok<PredictionResponse>, ValidationProblem, ProblemHttpResult> GetPrediction(string userId, string itemId, ServedModel served)
    {
        if (!ApiProblems.TryId(userId, out var user))
        {
            return ApiProblems.Invalid("userId", $"'{userId}' is not a user id (a whole number).");
        }

        if (!ApiProblems.TryId(itemId, out var item))
        {
            return ApiProblems.Invalid("itemId", $"'{itemId}' is not an item id (a whole number).");
        }

        if (served.Current is not { } loaded)
        {
            return ApiProblems.NoModel();
        }

        return loaded.Model.PredictsRatings ? TypedResults.Ok(Predict(loaded, user, item)) : ApiProblems.NoRatingPredictions(loaded.Model.Algorithm);
    }

    public static async Task<Results<Ok<PredictionBatchResponse>, ValidationProblem, ProblemHttpResult>> PostPredictions(HttpRequest request, ServedModel served, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength > MaxBodyBytes)
        {
            return ApiProblems.BodyTooLarge(MaxBodyBytes);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(MaxBodyBytes);
        try
        {
            var length = await ReadBoundedAsync(request.Body, buffer.AsMemory(0, MaxBodyBytes), cancellationToken);
            if (length == MaxBodyBytes && await request.Body.ReadAsync(new byte[1], cancellationToken) > 0)
            {
                return ApiProblems.BodyTooLarge(MaxBodyBytes);
            }

            using var document = JsonDocument.Parse(buffer.AsMemory(0, length));
            return PredictBatch(document.RootElement, served);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return ApiProblems.BodyTooLarge(MaxBodyBytes);
        }
        catch (BadHttpRequestException ex)
        {
            return ApiProblems.Invalid("body", $"The body could not be read: {ex.Message}");
        }
        catch (JsonException ex)
        {
            return ApiProblems.Invalid("body", $"The body is not valid JSON: {ex.Message}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads until the body ends or the buffer is full: never more than the buffer, whatever the client sends.</summary>
    internal static async Task<int> ReadBoundedAsync(Stream body, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await body.ReadAsync(buffer[length..], cancellationToken)) > 0)
        {
            length += read;
        }

        return length;
    }

    private static Results<Ok<PredictionBatchResponse>, ValidationProblem, ProblemHttpResult> PredictBatch(JsonElement root, ServedModel served)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("pairs", out var pairs) || pairs.ValueKind != JsonValueKind.Array)
        {
            return ApiProblems.Invalid("pairs", """The body must be {"pairs": [{"userId": "1", "itemId": "31"}, ...]}.""");
        }

        if (pairs.GetArrayLength() is 0 or > MaxBatch)
        {
            return ApiProblems.Invalid("pairs", $"A batch holds 1 to {MaxBatch} pairs; got {pairs.GetArrayLength()}.");
        }

        var requested = new List<(string User, string Item)>(pairs.GetArrayLength());
        var n = 0;
        foreach (var pair in pairs.EnumerateArray())
        {
            if (!TryIdProperty(pair, "userId", out var user))
            {
                return ApiProblems.Invalid($"pairs[{n}].userId", "Each pair needs a userId: a whole number (as a JSON number or string).");
            }

            if (!TryIdProperty(pair, "itemId", out var item))
            {
                return ApiProblems.Invalid($"pairs[{n}].itemId", "Each pair needs an itemId: a whole number (as a JSON number or string).");
            }

            requested.Add((user, item));
            n++;
        }

        if (served.Current is not { } loaded)
        {
            return ApiProblems.NoModel();
        }

        if (!loaded.Model.PredictsRatings)
        {
            return ApiProblems.NoRatingPredictions(loaded.Model.Algorithm);
        }

        return TypedResults.Ok(new PredictionBatchResponse([.. requested.Select(p => Predict(loaded, p.User, p.Item))]));
    }

    private static bool TryIdProperty(JsonElement pair, string name, out string id)
    {
        id = string.Empty;
        if (pair.ValueKind != JsonValueKind.Object || !pair.TryGetProperty(name, out var value))
        {
            return false;
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => ApiProblems.TryId(GetStringOrNull(value), out id),
            JsonValueKind.Number => value.TryGetInt64(out var number) && number >= 0 && ApiProblems.TryId(number.ToString(System.Globalization.CultureInfo.InvariantCulture), out id),
            _ => false,
        };
    }

    // GetString throws on text that is not valid UTF-16 (a lone surrogate such as "\ud800"): such a value is no id.
    private static string? GetStringOrNull(JsonElement value)
    {
        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static PredictionResponse Predict(LoadedModel loaded, string user, string item)
    {
        var p = loaded.Model.Predict(user, item);
        return new PredictionResponse(user, item, p.Value, p.FellBack, p.UserKnown, p.ItemKnown);
    }
}
