using System.Net;

namespace LatentLens.Tests.Api;

/// <summary>
/// Every bad input of the recommendation routes against a real Kestrel server: a ProblemDetails with 400 (naming the
/// field) or 413, never a 500, and the model served answers as before.
/// </summary>
public sealed class FoldInBadInputTests(FoldInServedModel served) : IClassFixture<FoldInServedModel>
{
    private readonly HttpClient _client = served.Client;

    private async Task AssertProblemAsync(string path, string json, HttpStatusCode expected, string field)
    {
        var (status, body, mediaType) = await FoldInHttp.PostAsync(_client, path, json);

        Assert.True(expected == status, $"{(int)status} {body}");
        Assert.Equal("application/problem+json", mediaType);
        if (expected == HttpStatusCode.BadRequest)
        {
            Assert.True(body.GetProperty("errors").TryGetProperty(field, out _), body.ToString());
        }
    }

    [Theory]
    [InlineData("""{"ratings":[{"itemId":"1","rating":9}]}""", "ratings[0].rating")]
    [InlineData("""{"ratings":[{"itemId":"1","rating":4},{"itemId":"2","rating":0.5}]}""", "ratings[1].rating")]
    [InlineData("""{"ratings":[{"itemId":"1","rating":-1}]}""", "ratings[0].rating")]
    public async Task ARatingOutsideTheScaleIsA400NamingIt(string json, string field) =>
        await AssertProblemAsync("/recommendations", json, HttpStatusCode.BadRequest, field);

    [Theory]
    [InlineData("""{"ratings":[{"itemId":"1","rating":1e400}]}""", "ratings[0].rating")]
    [InlineData("""{"ratings":[{"itemId":"1","rating":-1e999}]}""", "ratings[0].rating")]
    [InlineData("""{"ratings":[{"itemId":"1","rating":NaN}]}""", "body")]
    [InlineData("""{"ratings":[{"itemId":"1","rating":Infinity}]}""", "body")]
    public async Task ANonFiniteRatingIsA400(string json, string field) =>
        await AssertProblemAsync("/recommendations", json, HttpStatusCode.BadRequest, field);

    [Theory]
    [InlineData("""{"ratings":[{"itemId":"1","rating":4},{"itemId":"1","rating":5}]}""", "ratings[1].itemId")]
    [InlineData("""{"ratings":[{"itemId":"1","rating":4},{"itemId":1,"rating":5}]}""", "ratings[1].itemId")]
    [InlineData("""{"ratings":[{"itemId":"2","rating":4},{"itemId":"3","rating":4},{"itemId":"002","rating":5}]}""", "ratings[2].itemId")]
    [InlineData("""{"ratings":[{"itemId":"99999","rating":4},{"itemId":"99999","rating":5}]}""", "ratings[1].itemId")]
    public async Task ADuplicateItemIsA400NamingTheSecond(string json, string field) =>
        await AssertProblemAsync("/recommendations", json, HttpStatusCode.BadRequest, field);

    [Theory]
    [InlineData("""{"ratings":[{"rating":4}]}""", "ratings[0].itemId")]
    [InlineData("""{"ratings":[{"itemId":"1"}]}""", "ratings[0].rating")]
    [InlineData("""{"ratings":[{"itemId":"1","rating":null}]}""", "ratings[0].rating")]
    [InlineData("""{"ratings":[{"itemId":"1","rating":"4"}]}""", "ratings[0].rating")]
    [InlineData("""{"ratings":[{"itemId":"1","rating":true}]}""", "ratings[0].rating")]
    [InlineData("""{"ratings":[{"itemId":"abc","rating":4}]}""", "ratings[0].itemId")]
    [InlineData("""{"ratings":[{"itemId":-3,"rating":4}]}""", "ratings[0].itemId")]
    [InlineData("""{"ratings":[{"itemId":1.5,"rating":4}]}""", "ratings[0].itemId")]
    [InlineData("""{"ratings":[{"itemId":{"id":1},"rating":4}]}""", "ratings[0].itemId")]
    [InlineData("""{"ratings":[{"itemId":"\ud800","rating":4}]}""", "ratings[0].itemId")]
    [InlineData("""{"ratings":[{"itemId":"1\u0000","rating":4}]}""", "ratings[0].itemId")]
    [InlineData("""{"ratings":[{"itemId":"1","rating":4,"weight":2}]}""", "ratings[0].weight")]
    [InlineData("""{"ratings":[4.5]}""", "ratings[0]")]
    [InlineData("""{"ratings":{"itemId":"1","rating":4}}""", "ratings")]
    [InlineData("""{"ratings":"1:4"}""", "ratings")]
    [InlineData("""{"rating":[{"itemId":"1","rating":4}]}""", "rating")]
    public async Task AMissingOrIllTypedFieldIsA400NamingIt(string json, string field) =>
        await AssertProblemAsync("/recommendations", json, HttpStatusCode.BadRequest, field);

    [Theory]
    [InlineData("""{"ratings":[],"k":0}""")]
    [InlineData("""{"ratings":[],"k":1001}""")]
    [InlineData("""{"ratings":[],"k":-5}""")]
    [InlineData("""{"ratings":[],"k":2.5}""")]
    [InlineData("""{"ratings":[],"k":"10"}""")]
    [InlineData("""{"ratings":[],"k":99999999999}""")]
    public async Task KOutOfRangeOrIllTypedIsA400(string json) =>
        await AssertProblemAsync("/recommendations", json, HttpStatusCode.BadRequest, "k");

    [Theory]
    [InlineData("""{"ratings":[],"excludeRated":"no"}""", "excludeRated")]
    [InlineData("""{"ratings":[],"explain":1}""", "explain")]
    [InlineData("""{"ratings":[],"genres":"Comedy"}""", "genres")]
    [InlineData("""{"ratings":[],"genres":["Comedy",7]}""", "genres[1]")]
    [InlineData("""{"ratings":[],"genres":["Western"]}""", "genres[0]")]
    [InlineData("""{"ratings":[],"exclude":["1","x"]}""", "exclude[1]")]
    [InlineData("""{"ratings":[],"include":[true]}""", "include[0]")]
    [InlineData("""{"ratings":[],"include":"1,2"}""", "include")]
    public async Task AnIllTypedOptionOrFilterIsA400NamingIt(string json, string field) =>
        await AssertProblemAsync("/recommendations", json, HttpStatusCode.BadRequest, field);

    [Fact]
    public async Task AnUnknownGenreIsA400ListingTheKnownOnes()
    {
        var (status, body, _) = await FoldInHttp.PostAsync(_client, "/recommendations", """{"ratings":[],"genres":["Western"]}""");
        var (getStatus, getBody, _) = await FoldInHttp.GetAsync(_client, "/users/1/recommendations?genres=Comedy,Western");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(HttpStatusCode.BadRequest, getStatus);
        foreach (var message in new[] { body.GetProperty("errors").GetProperty("genres[0]")[0].GetString()!, getBody.GetProperty("errors").GetProperty("genres")[0].GetString()! })
        {
            Assert.All(FoldInServedModel.GenreNames, name => Assert.Contains(name, message, StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("\"ratings\"")]
    [InlineData("""{"ratings":[{"itemId":"1","rating":4}""")]
    [InlineData("""{"ratings":[]} trailing""")]
    [InlineData("""{"ratings":[]}{"ratings":[]}""")]
    public async Task ABodyThatIsNotOneJsonObjectIsA400(string json) =>
        await AssertProblemAsync("/recommendations", json, HttpStatusCode.BadRequest, "body");

    [Theory]
    [InlineData("/users/abc/recommendations", "userId")]
    [InlineData("/users/1.5/recommendations", "userId")]
    public async Task ABadUserIdIsA400(string path, string field) =>
        await AssertProblemAsync(path, """{"ratings":[]}""", HttpStatusCode.BadRequest, field);

    [Theory]
    [InlineData("/users/1/recommendations?genres=Nope", "genres")]
    [InlineData("/users/1/recommendations?exclude=1,x", "exclude")]
    [InlineData("/users/1/recommendations?include=-2", "include")]
    [InlineData("/users/1/recommendations?explain=yes", "explain")]
    public async Task ABadFilterOnGetIsA400NamingIt(string path, string field)
    {
        var (status, body, mediaType) = await FoldInHttp.GetAsync(_client, path);

        Assert.True(status == HttpStatusCode.BadRequest, $"{(int)status} {body}");
        Assert.Equal("application/problem+json", mediaType);
        Assert.True(body.GetProperty("errors").TryGetProperty(field, out _), body.ToString());
    }

    [Theory]
    [InlineData("/recommendations")]
    [InlineData("/users/1/recommendations")]
    public async Task MoreThan10000RatingsIsA413(string path)
    {
        var history = string.Join(',', Enumerable.Range(0, 10_001).Select(i => $$"""{"itemId":"{{i + 100}}","rating":3}"""));

        await AssertProblemAsync(path, $$"""{"ratings":[{{history}}]}""", HttpStatusCode.RequestEntityTooLarge, "ratings");
    }

    [Fact]
    public async Task MoreThan10000ExcludedIdsIsA413()
    {
        var ids = string.Join(',', Enumerable.Range(0, 10_001));

        await AssertProblemAsync("/recommendations", $$"""{"ratings":[],"exclude":[{{ids}}]}""", HttpStatusCode.RequestEntityTooLarge, "exclude");
    }

    [Fact]
    public async Task ABodyOverTheLimitIsA413()
    {
        // Declared over the 1 MiB limit and never sent: the server must answer from the length alone. (Sending the
        // bytes through HttpClient raced the server's early answer and close: a broken pipe on the client, not a 413.)
        using var cts = new CancellationTokenSource(FoldInHttp.Timeout);
        var head = $"POST /recommendations HTTP/1.1\r\nHost: {served.Factory.Address.Authority}\r\nContent-Type: application/json\r\nContent-Length: {(1 << 20) + 10}";

        var response = await RawHttp.SendAsync(served.Factory.Address, head, writeBody: null, cts.Token);

        Assert.True(response.Status == 413, $"{response.Status} {response.Body}");
        Assert.Equal("application/problem+json", response.ContentType?.Split(';')[0]);
    }

    [Fact]
    public async Task AChunkedBodyOverTheLimitIsA413WithoutBeingRead()
    {
        using var cts = new CancellationTokenSource(FoldInHttp.Timeout);
        var head = $"POST /recommendations HTTP/1.1\r\nHost: {served.Factory.Address.Authority}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close";

        var response = await RawHttp.SendAsync(served.Factory.Address, head, RawHttp.ChunkedFiller(8L << 20), cts.Token);

        Assert.Equal(413, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
    }

    [Fact]
    public async Task BadInputsLeaveTheServedModelAndItsAnswersAsTheyWere()
    {
        const string good = """{"ratings":[{"itemId":"3","rating":5},{"itemId":"10","rating":4}],"k":5}""";
        var (_, before, _) = await FoldInHttp.PostAsync(_client, "/recommendations", good);
        var (_, modelBefore, _) = await FoldInHttp.GetAsync(_client, "/model");

        foreach (var bad in new[] { """{"ratings":[{"itemId":"3","rating":50}]}""", """{"ratings":[{"itemId":"3","rating":5},{"itemId":"3","rating":1}]}""", "{", """{"k":0}""" })
        {
            var (status, _, _) = await FoldInHttp.PostAsync(_client, "/recommendations", bad);
            Assert.Equal(HttpStatusCode.BadRequest, status);
        }

        var (_, after, _) = await FoldInHttp.PostAsync(_client, "/recommendations", good);
        var (_, modelAfter, _) = await FoldInHttp.GetAsync(_client, "/model");
        Assert.Equal(before.ToString(), after.ToString());
        Assert.Equal(modelBefore.GetProperty("runId").GetString(), modelAfter.GetProperty("runId").GetString());
        Assert.Equal(served.RunId, modelAfter.GetProperty("runId").GetString());
    }
}

/// <summary>A model saved without genres (every artifact before genres were carried): the genre filter is a 400 saying so.</summary>
public sealed class NoGenresTests(KestrelServedModel served) : IClassFixture<KestrelServedModel>
{
    [Theory]
    [InlineData("GET", "/users/1/recommendations?genres=Comedy", "genres")]
    [InlineData("POST", "/recommendations", "genres[0]")]
    public async Task TheGenreFilterOfAModelWithoutGenresIsA400SayingSo(string method, string path, string field)
    {
        var (status, body, _) = method == "GET"
            ? await FoldInHttp.GetAsync(served.Client, path)
            : await FoldInHttp.PostAsync(served.Client, path, """{"ratings":[],"genres":["Comedy"]}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("carries no genres", body.GetProperty("errors").GetProperty(field)[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AHistoryWithNoKnownItemGetsThePopularityListWhateverTheFamily()
    {
        var (status, body, _) = await FoldInHttp.PostAsync(served.Client, "/recommendations", """{"ratings":[{"itemId":"77777","rating":4}],"k":3}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("popularity", body.GetProperty("basis").GetString());
        Assert.Equal(["77777"], body.GetProperty("unknownItems").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(3, body.GetProperty("items").GetArrayLength());
    }
}
