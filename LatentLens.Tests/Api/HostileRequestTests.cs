using System.Net;
using System.Text;
using System.Text.Json;
using LatentLens.Api.Recommender.Algorithms;

namespace LatentLens.Tests.Api;

/// <summary>The started API on a real Kestrel server, shared by the tests of a class (none of them changes the store).</summary>
public sealed class KestrelServedModel : IAsyncLifetime
{
    internal ApiStore Store { get; } = new();

    internal KestrelApiFactory Factory { get; private set; } = null!;

    public Uri Address { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Store.Train(new FunkSvd(new FunkSvdOptions { Factors = 8, Epochs = 10 }));
        Factory = new KestrelApiFactory(Store.Root);
        Factory.StartServer();
        Address = Factory.Address;
        Client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };
        await Eventually.TrueAsync(
            async token =>
            {
                using var ready = await Client.GetAsync("/ready", token);
                return ready.IsSuccessStatusCode;
            },
            "/ready answers 200 (a model is loaded)",
            TimeSpan.FromSeconds(30));
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Factory.DisposeAsync();
        Store.Dispose();
    }
}

/// <summary>Requests a hostile or careless client sends: each gets a 4xx ProblemDetails naming what is wrong, never a 500.</summary>
public sealed class HostileRequestTests(KestrelServedModel served) : IClassFixture<KestrelServedModel>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly HttpClient _client = served.Client;

    private static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode expected, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(expected == response.StatusCode, $"{(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static void AssertNamesField(JsonElement problem, string field) =>
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());

    [Theory]
    [InlineData("""{"pairs":[{"userId":"\ud800","itemId":"31"}]}""", "pairs[0].userId")]
    [InlineData("""{"pairs":[{"userId":"1","itemId":"31"},{"userId":"1","itemId":"\udfff"}]}""", "pairs[1].itemId")]
    [InlineData("""{"pairs":[{"userId":"1\u0000","itemId":"31"}]}""", "pairs[0].userId")]
    [InlineData("""{"pairs":[{"userId":"1","itemId":"31\u0000\u0000"}]}""", "pairs[0].itemId")]
    public async Task ALoneSurrogateOrANulInABatchIdIsA400NamingTheField(string json, string field)
    {
        using var cts = new CancellationTokenSource(Timeout);
        using var response = await _client.PostAsync("/predictions", new StringContent(json, Encoding.UTF8, "application/json"), cts.Token);

        AssertNamesField(await AssertProblemAsync(response, HttpStatusCode.BadRequest, cts.Token), field);
    }

    [Theory]
    [InlineData("/users/1/recommendations?k=5%00", "k")]
    [InlineData("/users/1/recommendations?excludeRated=%20true", "excludeRated")]
    [InlineData("/users/1/recommendations?excludeRated=true%00", "excludeRated")]
    [InlineData("/items/1/similar?k=3%00", "k")]
    [InlineData("/items/1/similar?shrinkage=25%00", "shrinkage")]
    [InlineData("/items/1/similar?shrinkage=%2025", "shrinkage")]
    [InlineData("/items?search=movie&limit=5%00", "limit")]
    public async Task TrailingNulsAndPaddingInQueryValuesAre400sNamingTheField(string path, string field)
    {
        using var cts = new CancellationTokenSource(Timeout);
        using var response = await _client.GetAsync(path, cts.Token);

        AssertNamesField(await AssertProblemAsync(response, HttpStatusCode.BadRequest, cts.Token), field);
    }

    [Theory]
    [InlineData("/model")]
    [InlineData("/users/1/recommendations?k=3")]
    [InlineData("/users/1/items/31/prediction")]
    [InlineData("/items/1/similar")]
    [InlineData("/items?search=movie")]
    [InlineData("/users/424242/recommendations")]
    public async Task HeadIsAnsweredLikeGetWithoutABody(string path)
    {
        using var cts = new CancellationTokenSource(Timeout);
        using var get = await _client.GetAsync(path, cts.Token);
        using var head = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path), cts.Token);

        Assert.Equal(get.StatusCode, head.StatusCode);
        Assert.Equal(get.Content.Headers.ContentType?.MediaType, head.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync(cts.Token));
    }

    [Theory]
    [InlineData(40_000_000L)]
    [InlineData(2_000_000L)]
    public async Task AnOversizedChunkedBodyIsA413Problem(long bytes)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var response = await RawHttp.SendAsync(served.Address,
            "POST /predictions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked",
            RawHttp.ChunkedFiller(bytes), cts.Token);

        Assert.True(response.Status == 413, $"{response.Status} {response.Body}");
        Assert.Equal("application/problem+json", response.ContentType?.Split(';')[0]);
        Assert.Equal(413, JsonDocument.Parse(response.Body).RootElement.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task AnOversizedDeclaredLengthIsA413ProblemBeforeTheBodyIsSent()
    {
        using var cts = new CancellationTokenSource(Timeout);
        var response = await RawHttp.SendAsync(served.Address,
            "POST /predictions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 40000000", writeBody: null, cts.Token);

        Assert.True(response.Status == 413, $"{response.Status} {response.Body}");
        Assert.Equal("application/problem+json", response.ContentType?.Split(';')[0]);
    }

    /// <summary>
    /// What Kestrel rejects before the request reaches the pipeline: no handler runs, so there is no
    /// ProblemDetails, only the status with an empty body. The README documents these.
    /// </summary>
    [Theory]
    [InlineData("GET /users/1%00/recommendations HTTP/1.1\r\nHost: 127.0.0.1", 400)]
    [InlineData("GET /items?search=HUGE_QUERY HTTP/1.1\r\nHost: 127.0.0.1", 414)]
    [InlineData("GET /model HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Huge: HUGE_HEADER", 431)]
    public async Task KestrelsOwnRejectionsAnswerTheirStatusWithAnEmptyBody(string head, int status)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var huge = new string('a', 100 * 1024);
        var response = await RawHttp.SendAsync(served.Address, head.Replace("HUGE_QUERY", huge, StringComparison.Ordinal).Replace("HUGE_HEADER", huge, StringComparison.Ordinal), null, cts.Token);

        Assert.Equal(status, response.Status);
        Assert.Equal(string.Empty, response.Body);
    }
}

/// <summary>Runs alone (no other test class allocates meanwhile), so the process's allocation counter measures the server.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RequestBodyMemoryCollection
{
    public const string Name = "request body memory";
}

/// <summary>The body limit holds while the body is read: a flood of large bodies costs the server next to nothing.</summary>
[Collection(RequestBodyMemoryCollection.Name)]
public sealed class RequestBodyMemoryTests(KestrelServedModel served, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<KestrelServedModel>
{
    [Fact]
    public async Task ParallelOversizedChunkedBodiesAreRejectedWithoutBeingBuffered()
    {
        const int Requests = 12;
        const long BodyBytes = 29_000_000;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var before = GC.GetTotalAllocatedBytes(precise: true);

        var responses = await Task.WhenAll(Enumerable.Range(0, Requests).Select(_ => RawHttp.SendAsync(served.Address,
            "POST /predictions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked",
            RawHttp.ChunkedFiller(BodyBytes), cts.Token)));

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        output.WriteLine($"{allocated:N0} bytes allocated for {Requests} bodies of {BodyBytes:N0} bytes; statuses {string.Join(',', responses.Select(r => r.Status))}");
        Assert.All(responses, r => Assert.True(r.Status == 413, $"{r.Status} {r.Body}"));
        Assert.True(allocated < Requests * BodyBytes / 8, $"{allocated:N0} bytes allocated for {Requests} bodies of {BodyBytes:N0} bytes");
    }
}

/// <summary>Settings that cannot work stop the API at start-up with the key named.</summary>
public sealed class StartUpSettingsTests
{
    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("bad\0path")]
    public void AnEmptyOrUnusableMlrunsPathFailsStartUpNamingTheSetting(string mlruns)
    {
        using var factory = new ApiFactory(mlruns);

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        var messages = string.Join(" | ", Flatten(error).Select(e => $"{e.GetType().Name}: {e.Message}"));
        Assert.Contains("LatentLens:MlrunsPath", messages, StringComparison.Ordinal);
        Assert.IsType<Microsoft.Extensions.Options.OptionsValidationException>(Flatten(error).Last());
    }

    private static IEnumerable<Exception> Flatten(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }
}
