using LatentLens.Api.Recommender.Ranking;
using LatentLens.Api.Serving;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace LatentLens.Api.Apis;

internal static class ItemsApi
{
    public static RouteGroupBuilder MapItemsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/items").WithTags("Items");
        group.MapGetAndHead("/", SearchItems).WithName("SearchItems").WithSummary("Items whose title holds every word of search (case-insensitive), at most limit (default 20).");
        group.MapGetAndHead("/{itemId}/similar", GetSimilarItems).WithName("GetSimilarItems")
            .WithSummary("The k items nearest in latent space: cosine similarity of the item factors, shrunk by n/(n + shrinkage) for an item with n training ratings (default shrinkage 10; 0 for the plain cosine).");
        return group;
    }

    public static Results<Ok<ItemSearchResponse>, ValidationProblem, ProblemHttpResult> SearchItems(
        [FromQuery(Name = "search")] string? search, [FromQuery(Name = "limit")] string? limit, ServedModel served)
    {
        var words = (search ?? string.Empty).ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 0)
        {
            return ApiProblems.Invalid("search", "Give one or more words of a title, e.g. ?search=star wars.");
        }

        if (!ApiProblems.TryK(limit, 20, out var max))
        {
            return ApiProblems.Invalid("limit", $"limit must be a whole number from 1 to {ApiProblems.MaxK}; got '{limit}'.");
        }

        if (served.Current is not { } loaded)
        {
            return ApiProblems.NoModel();
        }

        var found = new List<ItemSummary>();
        for (var i = 0; i < loaded.SearchTitles.Length && found.Count < max; i++)
        {
            var title = loaded.SearchTitles[i];
            if (words.All(w => title.Contains(w, StringComparison.Ordinal)))
            {
                found.Add(new ItemSummary(loaded.Model.Items.ToRaw(i), loaded.TitleOf(i)));
            }
        }

        return TypedResults.Ok(new ItemSearchResponse(search!, found));
    }

    public static Results<Ok<SimilarItemsResponse>, ValidationProblem, ProblemHttpResult> GetSimilarItems(
        string itemId, [FromQuery(Name = "k")] string? k, [FromQuery(Name = "shrinkage")] string? shrinkage, ServedModel served)
    {
        if (!ApiProblems.TryId(itemId, out var item))
        {
            return ApiProblems.Invalid("itemId", $"'{itemId}' is not an item id (a whole number).");
        }

        if (!ApiProblems.TryK(k, 10, out var count))
        {
            return ApiProblems.Invalid("k", $"k must be a whole number from 1 to {ApiProblems.MaxK}; got '{k}'.");
        }

        var lambda = LoadedModel.DefaultSimilarityShrinkage;
        if (shrinkage is not null && !(ApiProblems.TryNumber(shrinkage, out lambda) && lambda is >= 0 and <= 1_000_000))
        {
            return ApiProblems.Invalid("shrinkage", $"shrinkage must be a number from 0 to 1000000; got '{shrinkage}'.");
        }

        if (served.Current is not { } loaded)
        {
            return ApiProblems.NoModel();
        }

        if (!loaded.Model.Items.TryGetIndex(item, out var index))
        {
            return ApiProblems.UnknownItem(item);
        }

        if (loaded.Model.Factors == 0 && loaded.Model.ItemWeights is null)
        {
            return TypedResults.Problem(title: "The model has no latent space",
                detail: $"Similar items need item factors; the model being served ({loaded.Model.Algorithm}) has none.", statusCode: StatusCodes.Status409Conflict);
        }

        var top = loaded.Similar(index, count, lambda);
        return TypedResults.Ok(new SimilarItemsResponse(item, loaded.TitleOf(index), count,
            [.. top.Select(t => new SimilarItem(loaded.Model.Items.ToRaw(t.Item), loaded.TitleOf(t.Item), t.Score))]));
    }
}
