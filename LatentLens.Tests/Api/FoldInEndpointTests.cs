using System.Globalization;
using System.Net;
using System.Numerics.Tensors;
using LatentLens.Api.Serving;
using Microsoft.Extensions.DependencyInjection;

namespace LatentLens.Tests.Api;

/// <summary>The fold-in routes, filters and explanations over a PureSVD champion, against hand computations on its saved factors.</summary>
public sealed class FoldInEndpointTests(FoldInServedModel served) : IClassFixture<FoldInServedModel>
{
    private readonly HttpClient _client = served.Client;

    /// <summary>PureSVD's fold-in by hand: p = Σ r_h q_h, score_i = offset_i + p·q_i, best first, history left out.</summary>
    private string[] HandTop(int k, bool excludeHistory, params (string Item, double Rating)[] history)
    {
        var model = served.Saved.Model;
        var p = new float[model.Stride];
        var rated = new HashSet<int>();
        foreach (var (item, rating) in history)
        {
            var index = model.Items.TryGetIndex(item, out var i) ? i : throw new ArgumentException(item);
            rated.Add(index);
            for (var f = 0; f < model.Stride; f++)
            {
                p[f] += (float)rating * model.ItemFactors[(index * model.Stride) + f];
            }
        }

        return [.. Enumerable.Range(0, model.Items.Count)
            .Where(i => !excludeHistory || !rated.Contains(i))
            .Select(i => (Item: i, Score: model.RankingOffsets[i] + TensorPrimitives.Dot(p, model.ItemFactors.AsSpan(i * model.Stride, model.Stride))))
            .OrderByDescending(s => s.Score).ThenBy(s => s.Item).Take(k).Select(s => model.Items.ToRaw(s.Item))];
    }

    private static readonly (string, double)[] AHistory = [("3", 5), ("10", 4.5), ("21", 1), ("40", 3)];

    [Fact]
    public async Task ANewUsersListIsPureSvdsFoldInComputedByHand()
    {
        var (status, body, _) = await FoldInHttp.PostAsync(_client, "/recommendations", $$"""{"ratings":[{{FoldInHttp.History(AHistory)}}],"k":7}""");

        Assert.True(status == HttpStatusCode.OK, body.ToString());
        Assert.Equal("history", body.GetProperty("basis").GetString());
        Assert.Equal(0, body.GetProperty("unknownItems").GetArrayLength());
        Assert.False(body.TryGetProperty("userId", out _));
        Assert.Equal(HandTop(7, true, AHistory), FoldInHttp.ItemIds(body));
    }

    [Fact]
    public async Task UnknownItemsAreIgnoredAndListed()
    {
        (string, double)[] withUnknown = [.. AHistory, ("5000", 4), ("0012345", 2)];

        var (_, body, _) = await FoldInHttp.PostAsync(_client, "/recommendations", $$"""{"ratings":[{{FoldInHttp.History(withUnknown)}}],"k":5}""");

        Assert.Equal(["5000", "12345"], body.GetProperty("unknownItems").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(HandTop(5, true, AHistory), FoldInHttp.ItemIds(body));
    }

    [Fact]
    public async Task ExcludeRatedFalseMayRecommendTheHistoryBack()
    {
        var (_, body, _) = await FoldInHttp.PostAsync(_client, "/recommendations", $$"""{"ratings":[{{FoldInHttp.History(AHistory)}}],"k":80,"excludeRated":false}""");

        Assert.Equal(HandTop(80, false, AHistory), FoldInHttp.ItemIds(body));
        Assert.Contains("3", FoldInHttp.ItemIds(body));
    }

    [Theory]
    [InlineData("""{"ratings":[]}""")]
    [InlineData("""{}""")]
    [InlineData("""{"ratings":[{"itemId":"90210","rating":4}]}""")]
    public async Task AHistoryWithNoKnownItemGetsTheMostPopularItems(string json)
    {
        var (_, body, _) = await FoldInHttp.PostAsync(_client, "/recommendations", json);

        var support = served.Saved.RatedItems.GroupBy(i => i).ToDictionary(g => g.Key, g => g.Count());
        var expected = support.OrderByDescending(s => s.Value).ThenBy(s => s.Key).Take(10).Select(s => served.Saved.Model.Items.ToRaw(s.Key));
        Assert.Equal("popularity", body.GetProperty("basis").GetString());
        Assert.Equal(expected, FoldInHttp.ItemIds(body));
    }

    [Fact]
    public async Task AKnownUserWithNoFreshRatingsGetsTheTrainedList()
    {
        var (_, get, _) = await FoldInHttp.GetAsync(_client, "/users/1/recommendations?k=6");
        var (_, post, _) = await FoldInHttp.PostAsync(_client, "/users/1/recommendations", """{"ratings":[{"itemId":"777777","rating":3}],"k":6}""");

        Assert.Equal("trained", post.GetProperty("basis").GetString());
        Assert.True(post.GetProperty("userKnown").GetBoolean());
        Assert.Equal(FoldInHttp.ItemIds(get), FoldInHttp.ItemIds(post));
    }

    [Fact]
    public async Task FreshRatingsAreAddedToAKnownUsersTrainingHistory()
    {
        var saved = served.Saved;
        var user = saved.Model.Users.TryGetIndex("1", out var u) ? u : throw new InvalidOperationException();
        var training = saved.RatedBy(user).ToArray().Select((item, h) => (saved.Model.Items.ToRaw(item), (double)saved.RatingsBy(user)[h])).ToList();
        var fresh = Enumerable.Range(0, 80).Select(i => i.ToString(CultureInfo.InvariantCulture)).First(id => training.All(t => t.Item1 != id));
        var replaced = training[0].Item1;

        var (_, body, _) = await FoldInHttp.PostAsync(_client, "/users/1/recommendations", $$"""{"ratings":[{{FoldInHttp.History((fresh, 5), (replaced, 1))}}],"k":5}""");

        var merged = training.Select(t => t.Item1 == replaced ? (replaced, 1.0) : t).Append((fresh, 5.0)).ToArray();
        Assert.Equal("history", body.GetProperty("basis").GetString());
        Assert.Equal("1", body.GetProperty("userId").GetString());
        Assert.Equal(HandTop(5, true, merged), FoldInHttp.ItemIds(body));
        Assert.DoesNotContain(fresh, FoldInHttp.ItemIds(body));
    }

    [Fact]
    public async Task AUserTheModelDoesNotKnowIsServedAsANewUser()
    {
        var (status, body, _) = await FoldInHttp.PostAsync(_client, "/users/424242/recommendations", $$"""{"ratings":[{{FoldInHttp.History(AHistory)}}],"k":4}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(body.GetProperty("userKnown").GetBoolean());
        Assert.Equal("history", body.GetProperty("basis").GetString());
        Assert.Equal(HandTop(4, true, AHistory), FoldInHttp.ItemIds(body));
    }

    [Fact]
    public async Task GenresKeepOnlyItemsOfAnyGivenGenreAndKItemsStillComeBack()
    {
        var (_, post, _) = await FoldInHttp.PostAsync(_client, "/recommendations", $$"""{"ratings":[{{FoldInHttp.History(AHistory)}}],"k":12,"genres":["comedy","Drama"]}""");
        var (_, get, _) = await FoldInHttp.GetAsync(_client, "/users/2/recommendations?k=12&genres=Comedy&genres=drama");
        var (_, getComma, _) = await FoldInHttp.GetAsync(_client, "/users/2/recommendations?k=12&genres=Comedy,Drama");

        foreach (var answer in new[] { post, get })
        {
            var ids = FoldInHttp.ItemIds(answer);
            Assert.Equal(12, ids.Length);
            Assert.All(ids, id => Assert.True(FoldInServedModel.HasGenre(id, "Comedy") || FoldInServedModel.HasGenre(id, "Drama"), id));
        }

        Assert.Equal(FoldInHttp.ItemIds(get), FoldInHttp.ItemIds(getComma));
        var unfiltered = HandTop(80, true, AHistory).Where(id => !FoldInServedModel.HasGenre(id, "Horror")).Take(12);
        Assert.Equal(unfiltered, FoldInHttp.ItemIds(post));
    }

    [Fact]
    public async Task ExcludeNeverReturnsAndIncludeOnlyReturnsTheGivenItems()
    {
        var top = HandTop(3, true, AHistory);
        var (_, excluded, _) = await FoldInHttp.PostAsync(_client, "/recommendations", $$"""{"ratings":[{{FoldInHttp.History(AHistory)}}],"k":3,"exclude":["{{top[0]}}",{{top[1]}},"999999"]}""");
        var (_, included, _) = await FoldInHttp.PostAsync(_client, "/recommendations", $$"""{"ratings":[{{FoldInHttp.History(AHistory)}}],"k":10,"include":["{{top[2]}}","{{top[0]}}","3","999999"]}""");

        Assert.Equal(HandTop(5, true, AHistory).Skip(2).Take(3), FoldInHttp.ItemIds(excluded));
        Assert.Equal([top[0], top[2]], FoldInHttp.ItemIds(included));
    }

    [Fact]
    public async Task FiltersOnGetApplyToTheTrainedListBeforeTheTopK()
    {
        var (_, plain, _) = await FoldInHttp.GetAsync(_client, "/users/3/recommendations?k=20");
        var ids = FoldInHttp.ItemIds(plain);

        var (_, excluded, _) = await FoldInHttp.GetAsync(_client, $"/users/3/recommendations?k=5&exclude={ids[0]},{ids[2]}");
        var (_, included, _) = await FoldInHttp.GetAsync(_client, $"/users/3/recommendations?k=5&include={ids[7]}&include={ids[4]}");

        Assert.Equal(new[] { ids[1], ids[3], ids[4], ids[5], ids[6] }, FoldInHttp.ItemIds(excluded));
        Assert.Equal(new[] { ids[4], ids[7] }, FoldInHttp.ItemIds(included));
    }

    [Fact]
    public async Task AFilteredOrExplainedGetIsNeverServedFromOrIntoThePlainCache()
    {
        var (_, plain, _) = await FoldInHttp.GetAsync(_client, "/users/4/recommendations?k=4");
        var first = FoldInHttp.ItemIds(plain)[0];
        var cache = served.Factory.Services.GetRequiredService<ServedModel>().Current!.Cache;
        var rankings = cache.Rankings;

        var (_, filtered, _) = await FoldInHttp.GetAsync(_client, $"/users/4/recommendations?k=4&exclude={first}");
        var (_, explained, _) = await FoldInHttp.GetAsync(_client, "/users/4/recommendations?k=4&explain=true");
        var (_, again, _) = await FoldInHttp.GetAsync(_client, "/users/4/recommendations?k=4");

        Assert.DoesNotContain(first, FoldInHttp.ItemIds(filtered));
        Assert.True(explained.GetProperty("explained").GetBoolean());
        Assert.Equal(plain.ToString(), again.ToString());
        Assert.Equal(rankings, cache.Rankings);
    }

    [Fact]
    public async Task ExplainNamesTheHistoryItemsWhosePartsOfTheScoreAreLargest()
    {
        var (_, body, _) = await FoldInHttp.PostAsync(_client, "/recommendations", $$"""{"ratings":[{{FoldInHttp.History(AHistory)}}],"k":3,"explain":true}""");

        Assert.True(body.GetProperty("explained").GetBoolean());
        var model = served.Saved.Model;
        foreach (var item in body.GetProperty("items").EnumerateArray())
        {
            var i = model.Items.TryGetIndex(item.GetProperty("itemId").GetString()!, out var index) ? index : -1;
            var parts = AHistory.Select(h => (h.Item1, Part: (float)h.Item2 * TensorPrimitives.Dot(
                model.ItemFactors.AsSpan((model.Items.TryGetIndex(h.Item1, out var hi) ? hi : -1) * model.Stride, model.Stride),
                model.ItemFactors.AsSpan(i * model.Stride, model.Stride)))).ToList();
            var total = parts.Sum(p => Math.Abs(p.Part));
            var expected = parts.Where(p => p.Part > 0).OrderByDescending(p => p.Part).Take(3).ToList();

            var because = item.GetProperty("because").EnumerateArray().ToList();
            Assert.Equal(expected.Select(e => e.Item1), because.Select(b => b.GetProperty("itemId").GetString()));
            for (var r = 0; r < because.Count; r++)
            {
                Assert.Equal(expected[r].Part / total, because[r].GetProperty("share").GetSingle(), 3);
                Assert.NotNull(because[r].GetProperty("title").GetString());
            }
        }
    }

    [Fact]
    public async Task WithoutExplainTheAnswerHasNoBecause()
    {
        var (_, body, _) = await FoldInHttp.PostAsync(_client, "/recommendations", $$"""{"ratings":[{{FoldInHttp.History(AHistory)}}],"k":3}""");

        Assert.False(body.TryGetProperty("explained", out _));
        Assert.All(body.GetProperty("items").EnumerateArray(), item => Assert.False(item.TryGetProperty("because", out _)));
    }

    [Fact]
    public async Task ExplainOnGetUsesTheFoldInOfTheTrainingHistory()
    {
        var (_, body, _) = await FoldInHttp.GetAsync(_client, "/users/5/recommendations?k=3&explain=true");

        var saved = served.Saved;
        var user = saved.Model.Users.TryGetIndex("5", out var u) ? u : -1;
        var trained = saved.RatedBy(user).ToArray().Select(i => saved.Model.Items.ToRaw(i)).ToHashSet();
        Assert.True(body.GetProperty("explained").GetBoolean());
        Assert.All(body.GetProperty("items").EnumerateArray(), item =>
            Assert.All(item.GetProperty("because").EnumerateArray(), b => Assert.Contains(b.GetProperty("itemId").GetString()!, trained)));
    }

    [Fact]
    public async Task TheModelSaysItsGenresAndThatItFoldsIn()
    {
        var (_, model, _) = await FoldInHttp.GetAsync(_client, "/model");

        Assert.Equal(FoldInServedModel.GenreNames, model.GetProperty("genres").EnumerateArray().Select(g => g.GetString()));
        Assert.True(model.GetProperty("foldIn").GetBoolean());
    }

    [Fact]
    public async Task TheOpenApiDocumentDescribesTheNewBodies()
    {
        var (_, document, _) = await FoldInHttp.GetAsync(_client, "/openapi/v1.json");

        var post = document.GetProperty("paths").GetProperty("/recommendations").GetProperty("post");
        Assert.True(post.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
        Assert.True(document.GetProperty("paths").GetProperty("/users/{userId}/recommendations").TryGetProperty("post", out _));
        var schemas = document.GetProperty("components").GetProperty("schemas");
        Assert.True(schemas.TryGetProperty("RecommendationRequest", out var request), schemas.ToString());
        Assert.True(request.GetProperty("properties").TryGetProperty("ratings", out _));
        Assert.False(request.TryGetProperty("required", out _), request.ToString());
        Assert.True(schemas.GetProperty("RecommendedItem").GetProperty("properties").TryGetProperty("because", out _));
    }
}
