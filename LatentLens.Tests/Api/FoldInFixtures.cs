using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Tracking.Artifacts;

namespace LatentLens.Tests.Api;

/// <summary>
/// A PureSVD champion trained on the synthetic ratings with genres (Comedy: items ≡ 0 mod 3, Drama: ≡ 1, Horror: ≡ 2,
/// Action besides: even items), served by a real Kestrel server; the saved model is loaded too, for hand computations.
/// </summary>
public sealed class FoldInServedModel : IAsyncLifetime
{
    public static readonly string[] GenreNames = ["Action", "Comedy", "Drama", "Horror"];

    internal ApiStore Store { get; } = new();

    internal KestrelApiFactory Factory { get; private set; } = null!;

    internal SavedModel Saved { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public string RunId { get; private set; } = null!;

    /// <summary>The synthetic ratings with genres.</summary>
    internal static RatingData DataWithGenres()
    {
        var data = ApiStore.Data();
        var byItem = new Dictionary<string, string[]>(StringComparer.Ordinal);
        for (var i = 0; i < 80; i++)
        {
            var own = (i % 3) switch { 0 => "Comedy", 1 => "Drama", _ => "Horror" };
            byItem[i.ToString(CultureInfo.InvariantCulture)] = i % 2 == 0 ? ["Action", own] : [own];
        }

        return new RatingData(data.Name, data.Source, data.Ratings, data.Scale, data.Titles) { Genres = new RawGenres(GenreNames, byItem) };
    }

    internal static bool HasGenre(string itemId, string genre) =>
        DataWithGenres().Genres!.ByItem[itemId].Contains(genre, StringComparer.Ordinal);

    public async Task InitializeAsync()
    {
        var run = Store.Train(new PureSvd(new PureSvdOptions { Factors = 8, Seed = 1 }), data: DataWithGenres());
        RunId = run.RunId;
        Saved = ModelArtifact.Load(Store.ModelFolder(run));
        Factory = new KestrelApiFactory(Store.Root);
        Factory.StartServer();
        Client = new HttpClient { BaseAddress = Factory.Address, Timeout = TimeSpan.FromSeconds(30) };
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

/// <summary>What the fold-in tests share: posting a body and reading the answer or the problem.</summary>
internal static class FoldInHttp
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static async Task<(HttpStatusCode Status, JsonElement Body, string? MediaType)> PostAsync(HttpClient client, string path, string json)
    {
        using var cts = new CancellationTokenSource(Timeout);
        using var response = await client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"), cts.Token);
        var body = await response.Content.ReadAsStringAsync(cts.Token);
        return (response.StatusCode, JsonDocument.Parse(body).RootElement.Clone(), response.Content.Headers.ContentType?.MediaType);
    }

    public static async Task<(HttpStatusCode Status, JsonElement Body, string? MediaType)> GetAsync(HttpClient client, string path)
    {
        using var cts = new CancellationTokenSource(Timeout);
        using var response = await client.GetAsync(path, cts.Token);
        var body = await response.Content.ReadAsStringAsync(cts.Token);
        return (response.StatusCode, JsonDocument.Parse(body).RootElement.Clone(), response.Content.Headers.ContentType?.MediaType);
    }

    public static string[] ItemIds(JsonElement answer) => [.. answer.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("itemId").GetString()!)];

    public static string History(params (string Item, double Rating)[] ratings) =>
        string.Join(',', ratings.Select(r => string.Create(CultureInfo.InvariantCulture, $$"""{"itemId":"{{r.Item}}","rating":{{r.Rating}}}""")));
}
