using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Serving;
using Microsoft.Extensions.DependencyInjection;

namespace LatentLens.Tests.Api;

/// <summary>Every endpoint and every error case, against one API (per class) serving a FunkSvd champion.</summary>
public sealed class EndpointTests(EndpointTests.ServedApp served) : IClassFixture<EndpointTests.ServedApp>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly HttpClient _client = served.Client;
    private readonly string _runId = served.RunId;

    /// <summary>The store, the trained champion and the started API, shared by the tests of the class (none of them changes the store).</summary>
    public sealed class ServedApp : IAsyncLifetime
    {
        internal ApiStore Store { get; } = new();

        internal ApiFactory Factory { get; private set; } = null!;

        public HttpClient Client { get; private set; } = null!;

        public string RunId { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            RunId = Store.Train(new FunkSvd(new FunkSvdOptions { Factors = 8, Epochs = 10 })).RunId;
            Factory = new ApiFactory(Store.Root);
            Client = await Factory.ReadyClientAsync();
        }

        public async Task DisposeAsync()
        {
            Client.Dispose();
            await Factory.DisposeAsync();
            Store.Dispose();
        }
    }

    private async Task<JsonElement> GetJsonAsync(string path, HttpStatusCode expected = HttpStatusCode.OK, string mediaType = "application/json")
    {
        using var cts = new CancellationTokenSource(Timeout);
        using var response = await _client.GetAsync(path, cts.Token);
        var body = await response.Content.ReadAsStringAsync(cts.Token);
        Assert.True(expected == response.StatusCode, $"{path}: {(int)response.StatusCode} {body}");
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string path, string json)
    {
        using var cts = new CancellationTokenSource(Timeout);
        using var response = await _client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"), cts.Token);
        var body = await response.Content.ReadAsStringAsync(cts.Token);
        return (response.StatusCode, JsonDocument.Parse(body).RootElement.Clone());
    }

    [Fact]
    public async Task HealthStaysExactlyStatusOkAndReadyReportsTheModel()
    {
        using var response = await _client.GetAsync("/health");
        Assert.Equal("""{"status":"ok"}""", await response.Content.ReadAsStringAsync());

        var ready = await GetJsonAsync("/ready");
        Assert.Equal("ready", ready.GetProperty("status").GetString());
    }

    [Fact]
    public async Task ModelDescribesTheChampion()
    {
        var model = await GetJsonAsync("/model");

        Assert.Equal(_runId, model.GetProperty("runId").GetString());
        Assert.Equal("funksvd-f8-e10", model.GetProperty("runName").GetString());
        Assert.Equal(1, model.GetProperty("version").GetInt32());
        Assert.Equal("champion", model.GetProperty("alias").GetString());
        Assert.Equal("LatentLens-SVD", model.GetProperty("registeredModel").GetString());
        Assert.Equal("funksvd", model.GetProperty("algorithm").GetString());
        Assert.Equal("8", model.GetProperty("params").GetProperty("factors").GetString());
        Assert.True(model.GetProperty("metrics").GetProperty("rmse").GetDouble() > 0);
        Assert.Equal(120, model.GetProperty("users").GetInt32());
        Assert.Equal(80, model.GetProperty("items").GetInt32());
        Assert.False(string.IsNullOrEmpty(model.GetProperty("trainedAt").GetString()));
    }

    [Fact]
    public async Task RecommendationsAreTheTopKUnratedItemsWithTitlesBestFirst()
    {
        var data = ApiStore.Data();
        var rated = data.Ratings.Where(r => r.User == "7").Select(r => r.Item).ToHashSet();

        var result = await GetJsonAsync("/users/7/recommendations?k=5");
        var items = result.GetProperty("items").EnumerateArray().ToList();

        Assert.Equal(5, items.Count);
        Assert.All(items, i => Assert.False(rated.Contains(i.GetProperty("itemId").GetString()!), "a rated item was recommended"));
        Assert.All(items, i => Assert.Matches("^(Star Wars|Movie) [0-9]+ \\([0-9]{4}\\)$", i.GetProperty("title").GetString()));
        var ratings = items.Select(i => i.GetProperty("predictedRating").GetSingle()).ToList();
        Assert.Equal(ratings.OrderDescending(), ratings);
        Assert.All(ratings, r => Assert.InRange(r, 1f, 5f));

        var withRated = await GetJsonAsync($"/users/7/recommendations?k={80}&excludeRated=false");
        Assert.Equal(80, withRated.GetProperty("items").GetArrayLength());
        var defaultK = await GetJsonAsync("/users/7/recommendations");
        Assert.Equal(10, defaultK.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task ARepeatedRequestIsAnsweredFromTheCacheWithoutRankingAgain()
    {
        var cache = served.Factory.Services.GetRequiredService<ServedModel>().Current!.Cache;
        var before = cache.Rankings;
        var first = await GetJsonAsync("/users/11/recommendations?k=7");
        var afterFirst = cache.Rankings;
        var second = await GetJsonAsync("/users/11/recommendations?k=7");
        var third = await GetJsonAsync("/users/11/recommendations?k=8");

        Assert.Equal(before + 1, afterFirst);
        Assert.Equal(before + 2, cache.Rankings); // the repeat was not ranked again; another k was
        Assert.Equal(first.ToString(), second.ToString());
        Assert.Equal(8, third.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task PredictionsAreClippedAndSayWhenTheyFellBack()
    {
        var known = await GetJsonAsync("/users/1/items/2/prediction");
        var unknown = await GetJsonAsync("/users/99999/items/2/prediction");

        Assert.False(known.GetProperty("fellBack").GetBoolean());
        Assert.InRange(known.GetProperty("predictedRating").GetSingle(), 1f, 5f);
        Assert.True(unknown.GetProperty("fellBack").GetBoolean());
        Assert.False(unknown.GetProperty("userKnown").GetBoolean());
        Assert.True(unknown.GetProperty("itemKnown").GetBoolean());
    }

    [Fact]
    public async Task BatchPredictionsAnswerEveryPairInOrder()
    {
        var (status, body) = await PostAsync("/predictions", """{"pairs":[{"userId":1,"itemId":"2"},{"userId":"3","itemId":4},{"userId":"55555","itemId":"4"}]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        var predictions = body.GetProperty("predictions").EnumerateArray().ToList();
        Assert.Equal(["1", "3", "55555"], predictions.Select(p => p.GetProperty("userId").GetString()));
        Assert.True(predictions[2].GetProperty("fellBack").GetBoolean());
    }

    [Fact]
    public async Task SimilarItemsAreRankedByCosineAndLeaveTheItemOut()
    {
        var result = await GetJsonAsync("/items/10/similar?k=4");
        var items = result.GetProperty("items").EnumerateArray().ToList();

        Assert.Equal("Star Wars 10 (1977)", result.GetProperty("title").GetString());
        Assert.Equal(4, items.Count);
        Assert.DoesNotContain(items, i => i.GetProperty("itemId").GetString() == "10");
        var similarities = items.Select(i => i.GetProperty("similarity").GetSingle()).ToList();
        Assert.Equal(similarities.OrderDescending(), similarities);
        Assert.All(similarities, s => Assert.InRange(s, -1.0001f, 1.0001f));
    }

    [Fact]
    public async Task SearchFindsItemsByTitleWords()
    {
        var result = await GetJsonAsync("/items?search=STAR%20wars&limit=3");

        var items = result.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(3, items.Count);
        Assert.All(items, i => Assert.Contains("Star Wars", i.GetProperty("title").GetString(), StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/users/abc/recommendations", "userId")]
    [InlineData("/users/-1/recommendations", "userId")]
    [InlineData("/users/1/recommendations?k=0", "k")]
    [InlineData("/users/1/recommendations?k=1001", "k")]
    [InlineData("/users/1/recommendations?k=ten", "k")]
    [InlineData("/users/1/recommendations?excludeRated=maybe", "excludeRated")]
    [InlineData("/users/x/items/1/prediction", "userId")]
    [InlineData("/users/1/items/1.5/prediction", "itemId")]
    [InlineData("/items/abc/similar", "itemId")]
    [InlineData("/items/1/similar?k=-3", "k")]
    [InlineData("/items?search=", "search")]
    [InlineData("/items?search=a&limit=0", "limit")]
    public async Task BadInputIsA400ProblemNamingTheField(string path, string field)
    {
        var problem = await GetJsonAsync(path, HttpStatusCode.BadRequest, "application/problem+json");

        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Theory]
    [InlineData("/users/424242/recommendations", "userId", "424242")]
    [InlineData("/items/424242/similar", "itemId", "424242")]
    public async Task UnknownUserOrItemIsA404ProblemNamingIt(string path, string key, string id)
    {
        var problem = await GetJsonAsync(path, HttpStatusCode.NotFound, "application/problem+json");

        Assert.Equal(id, problem.GetProperty(key).GetString());
        Assert.Contains(id, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json", "body")]
    [InlineData("[]", "pairs")]
    [InlineData("""{"pairs":[]}""", "pairs")]
    [InlineData("""{"pairs":[{"userId":"1"}]}""", "pairs[0].itemId")]
    [InlineData("""{"pairs":[{"userId":"1","itemId":"2"},{"userId":true,"itemId":"2"}]}""", "pairs[1].userId")]
    [InlineData("""{"pairs":[{"userId":"1.5","itemId":"2"}]}""", "pairs[0].userId")]
    public async Task MalformedBatchesAre400ProblemsNamingTheField(string json, string field)
    {
        var (status, problem) = await PostAsync("/predictions", json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task ABatchOfMoreThan1000PairsIsRefused()
    {
        var pairs = string.Join(',', Enumerable.Range(0, 1001).Select(_ => """{"userId":"1","itemId":"2"}"""));

        var (status, problem) = await PostAsync("/predictions", $$"""{"pairs":[{{pairs}}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("1001", problem.GetProperty("errors").GetProperty("pairs")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheOpenApiDocumentAndTheReferencePageAreServed()
    {
        var document = await GetJsonAsync("/openapi/v1.json");
        var paths = document.GetProperty("paths");
        foreach (var path in new[] { "/model", "/users/{userId}/recommendations", "/users/{userId}/items/{itemId}/prediction", "/predictions", "/items/{itemId}/similar", "/items" })
        {
            Assert.True(paths.TryGetProperty(path, out _), path);
        }

        using var page = await _client.GetAsync("/scalar/v1");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task AdminEndpointsAreOffUnlessConfigured()
    {
        using var response = await _client.PostAsync("/admin/reload", null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
