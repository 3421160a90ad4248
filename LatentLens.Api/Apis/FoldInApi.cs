using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using LatentLens.Api.Recommender.FoldIn;
using LatentLens.Api.Serving;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace LatentLens.Api.Apis;

/// <summary>
/// Recommendations for a history given with the request (a user the model never saw, or a known user with fresh
/// ratings), folded into the model at request time through the family's <see cref="IFoldIn"/>; and the filtered or
/// explained answers of <c>GET /users/{userId}/recommendations</c>, which the result cache does not hold.
/// </summary>
internal static class FoldInApi
{
    /// <summary>The largest body taken (a history of <see cref="RecommendationQuery.MaxRatings"/> ratings is well under it).</summary>
    public const int MaxBodyBytes = 1 << 20;

    public static RouteGroupBuilder MapFoldInApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/").WithTags("Recommendations");
        group.MapPost("/recommendations", PostRecommendations)
            .WithName("PostRecommendations")
            .WithSummary("The top k items for a user the model never saw, folded in from the ratings given (at most 10,000; rating optional for models that only rank); filters and explain as on GET.")
            .Accepts<RecommendationRequest>("application/json")
            .WithMetadata(new RequestSizeLimitAttribute(MaxBodyBytes))
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        group.MapPost("/users/{userId}/recommendations", PostUserRecommendations)
            .WithName("PostUserRecommendations")
            .WithSummary("The top k items for a user with fresh ratings added to the training history (a user the model does not know is served as a new user: userKnown false).")
            .Accepts<RecommendationRequest>("application/json")
            .WithMetadata(new RequestSizeLimitAttribute(MaxBodyBytes))
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return group;
    }

    public static Task<Results<Utf8JsonOk<RecommendationsResponse>, ValidationProblem, ProblemHttpResult>> PostRecommendations(
        HttpRequest request, ServedModel served, [FromServices] IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, CancellationToken cancellationToken) =>
        PostAsync(request, null, served, json, cancellationToken);

    public static Task<Results<Utf8JsonOk<RecommendationsResponse>, ValidationProblem, ProblemHttpResult>> PostUserRecommendations(
        string userId, HttpRequest request, ServedModel served, [FromServices] IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, CancellationToken cancellationToken) =>
        PostAsync(request, userId, served, json, cancellationToken);

    private static async Task<Results<Utf8JsonOk<RecommendationsResponse>, ValidationProblem, ProblemHttpResult>> PostAsync(
        HttpRequest request, string? userId, ServedModel served, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(json);
        var user = string.Empty;
        if (userId is not null && !ApiProblems.TryId(userId, out user))
        {
            return ApiProblems.Invalid("userId", $"'{userId}' is not a user id (a whole number).");
        }

        if (request.ContentLength > MaxBodyBytes)
        {
            return ApiProblems.BodyTooLarge(MaxBodyBytes);
        }

        if (served.Current is not { } loaded)
        {
            return ApiProblems.NoModel();
        }

        var size = (int)Math.Min(request.ContentLength ?? MaxBodyBytes, MaxBodyBytes);
        var buffer = ArrayPool<byte>.Shared.Rent(size + 1);
        try
        {
            int length;
            try
            {
                length = await RecommendationsApi.ReadBoundedAsync(request.Body, buffer.AsMemory(0, Math.Min(buffer.Length, MaxBodyBytes + 1)), cancellationToken);
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return ApiProblems.BodyTooLarge(MaxBodyBytes);
            }
            catch (BadHttpRequestException ex)
            {
                return ApiProblems.Invalid("body", $"The body could not be read: {ex.Message}");
            }

            // The buffer holds one byte more than the limit: filling it means the body is over the limit.
            if (length > MaxBodyBytes)
            {
                return ApiProblems.BodyTooLarge(MaxBodyBytes);
            }

            // From here on synchronous: the query and the ranking buffers are this thread's.
            return Answer(buffer.AsSpan(0, length), userId is null ? null : user, loaded, json.Value.SerializerOptions);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static Results<Utf8JsonOk<RecommendationsResponse>, ValidationProblem, ProblemHttpResult> Answer(ReadOnlySpan<byte> body, string? user, LoadedModel loaded, JsonSerializerOptions options)
    {
        var start = Stopwatch.GetTimestamp();
        var foldIn = loaded.FoldIn;
        var query = RecommendationQuery.Rent();
        RequestError? error;
        try
        {
            error = RecommendationBody.Read(body, loaded, foldIn?.NeedsRatings ?? false, query);
        }
        catch (JsonException ex)
        {
            return ApiProblems.Invalid("body", $"The body is not valid JSON: {ex.Message}");
        }

        if (error is { } e)
        {
            return e.Status == StatusCodes.Status413PayloadTooLarge ? ApiProblems.TooMany(e.Field, e.Message) : ApiProblems.Invalid(e.Field, e.Message);
        }

        var known = user is not null && loaded.Model.Users.TryGetIndex(user, out var index) ? index : -1;
        RankedList list;
        if (known >= 0)
        {
            if (foldIn is null)
            {
                return ApiProblems.NoFoldIn(loaded.Model.Algorithm);
            }

            if (query.History.Count > 0 && !PersonalRanking.HasTrainingHistory(foldIn))
            {
                return ApiProblems.NoTrainingRatings(loaded.Model.Algorithm);
            }

            list = PersonalRanking.ForUser(loaded, foldIn, known, query);
        }
        else
        {
            if (foldIn is null && query.History.Count > 0)
            {
                return ApiProblems.NoFoldIn(loaded.Model.Algorithm);
            }

            list = PersonalRanking.ForHistory(loaded, foldIn, query);
        }

        var response = Response(loaded, foldIn, list, query, user) with
        {
            Basis = list.Basis switch
            {
                RecommendationBasis.Trained => "trained",
                RecommendationBasis.Popularity => "popularity",
                _ => "history",
            },
            UserKnown = user is null ? null : known >= 0,
            UnknownItems = query.UnknownItems.Count == 0 ? [] : [.. query.UnknownItems],
        };
        var utf8 = JsonSerializer.SerializeToUtf8Bytes(response, (JsonTypeInfo<RecommendationsResponse>)options.GetTypeInfo(typeof(RecommendationsResponse)));
        LatentLensTelemetry.RecommendationDuration.Record(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        LatentLensTelemetry.RecommendationsServed.Add(list.Top.Length);
        return new Utf8JsonOk<RecommendationsResponse>(utf8);
    }

    /// <summary>
    /// Reads the filters and explain of GET's query (<c>genres=Comedy,Drama</c> or repeated, <c>exclude=1,2</c>,
    /// <c>include=...</c>, <c>explain=true</c>) into <paramref name="query"/>; null when they are good.
    /// </summary>
    public static RequestError? ReadQueryFilters(LoadedModel loaded, StringValues genres, StringValues exclude, StringValues include, string? explain, RecommendationQuery query)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        ArgumentNullException.ThrowIfNull(query);
        if (explain is not null)
        {
            if (!ApiProblems.TryBool(explain, out var value))
            {
                return new RequestError(StatusCodes.Status400BadRequest, "explain", $"explain must be true or false; got '{explain}'.");
            }

            query.Explain = value;
        }

        foreach (var value in genres)
        {
            foreach (var range in (value ?? string.Empty).AsSpan().Split(','))
            {
                var name = (value ?? string.Empty).AsSpan()[range].Trim().ToString();
                if (name.Length == 0)
                {
                    continue;
                }

                if (RecommendationBody.GenreProblem(loaded, name, out var bit) is { } problem)
                {
                    return new RequestError(StatusCodes.Status400BadRequest, "genres", problem);
                }

                query.GenreMask |= bit;
            }
        }

        return Ids(loaded, exclude, "exclude", query.Exclude, out _) ?? IncludeIds(loaded, include, query);
    }

    private static RequestError? IncludeIds(LoadedModel loaded, StringValues include, RecommendationQuery query)
    {
        var error = Ids(loaded, include, "include", query.Include, out var given);
        query.HasInclude = given > 0;
        return error;
    }

    private static RequestError? Ids(LoadedModel loaded, StringValues values, string field, List<int> into, out int given)
    {
        given = 0;
        foreach (var value in values)
        {
            foreach (var range in (value ?? string.Empty).AsSpan().Split(','))
            {
                var raw = (value ?? string.Empty)[range].Trim();
                if (raw.Length == 0)
                {
                    continue;
                }

                if (!ApiProblems.TryId(raw, out var id))
                {
                    return new RequestError(StatusCodes.Status400BadRequest, field, $"'{raw}' is not an item id (a whole number); give {field} as ids separated by commas.");
                }

                if (++given > RecommendationQuery.MaxRatings)
                {
                    return new RequestError(StatusCodes.Status413PayloadTooLarge, field, $"{field} lists at most {RecommendationQuery.MaxRatings:N0} ids.");
                }

                if (loaded.Model.Items.TryGetIndex(id, out var item))
                {
                    into.Add(item);
                }
            }
        }

        return null;
    }

    /// <summary>The GET answer for a trained user with filters or explain: ranked now, through the fold-in, never cached.</summary>
    public static Results<Utf8JsonOk<RecommendationsResponse>, ValidationProblem, ProblemHttpResult> Filtered(
        LoadedModel loaded, string user, int index, RecommendationQuery query, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        if (loaded.FoldIn is not { } foldIn)
        {
            return ApiProblems.NoFoldIn(loaded.Model.Algorithm);
        }

        var list = PersonalRanking.ForUser(loaded, foldIn, index, query);
        var response = Response(loaded, foldIn, list, query, user);
        return new Utf8JsonOk<RecommendationsResponse>(JsonSerializer.SerializeToUtf8Bytes(response, (JsonTypeInfo<RecommendationsResponse>)options.GetTypeInfo(typeof(RecommendationsResponse))));
    }

    private static RecommendationsResponse Response(LoadedModel loaded, IFoldIn? foldIn, RankedList list, RecommendationQuery query, string? user)
    {
        var model = loaded.Model;
        var items = new RecommendedItem[list.Top.Length];
        var explained = query.Explain && foldIn is not null && list.Explainer is not null;
        Span<(int Item, float Share)> because = stackalloc (int, float)[PersonalRanking.MaxBecause];
        for (var j = 0; j < items.Length; j++)
        {
            var top = list.Top[j];
            var item = new RecommendedItem(model.Items.ToRaw(top.Item), loaded.TitleOf(top.Item), PersonalRanking.PredictedRating(model, list.User, top), top.Score);
            if (explained)
            {
                var count = PersonalRanking.Explain(foldIn!, list.Explainer!, top.Item, because);
                if (count < 0)
                {
                    explained = false;
                }
                else
                {
                    var reasons = new BecauseItem[count];
                    for (var r = 0; r < count; r++)
                    {
                        reasons[r] = new BecauseItem(model.Items.ToRaw(because[r].Item), loaded.TitleOf(because[r].Item), because[r].Share);
                    }

                    item = item with { Because = reasons };
                }
            }

            items[j] = item;
        }

        if (query.Explain && !explained)
        {
            // All or nothing: a family that cannot split one score splits none.
            for (var j = 0; j < items.Length; j++)
            {
                items[j] = items[j] with { Because = null };
            }
        }

        return new RecommendationsResponse(user, query.K, query.ExcludeRated, items) { Explained = query.Explain ? explained : null };
    }
}
