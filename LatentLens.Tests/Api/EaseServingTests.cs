using System.Text.Json;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.FoldIn;
using LatentLens.Api.Tracking.Artifacts;

namespace LatentLens.Tests.Api;

/// <summary>An ease champion (no user factors) serves a trained user the fold-in of their training history.</summary>
public sealed class EaseServingTests
{
    [Fact]
    public async Task AnEaseChampionRanksATrainedUserByTheirHistory()
    {
        using var store = new ApiStore();
        var run = store.Train(new Ease(new EaseOptions { Lambda = 100, Neighbours = 20 }));
        var saved = ModelArtifact.Load(store.ModelFolder(run));
        await using var factory = new ApiFactory(store.Root);
        using var client = await factory.ReadyClientAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        using var top = JsonDocument.Parse(await client.GetStringAsync("/users/1/recommendations?k=5", cts.Token));
        var prediction = await client.GetAsync("/users/1/items/2/prediction", cts.Token);

        var foldIn = FoldIns.For(saved)!;
        var user = saved.Model.Users.TryGetIndex("1", out var u) ? u : throw new InvalidOperationException("user 1");
        var expected = FoldIns.Recommend(foldIn, foldIn.Trained(user), 5, saved.RatedBy(user));
        var items = top.RootElement.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(expected.Select(e => saved.Model.Items.ToRaw(e.Item)), items.Select(i => i.GetProperty("itemId").GetString()));
        Assert.Equal(expected.Select(e => e.Score), items.Select(i => i.GetProperty("score").GetSingle()));
        Assert.All(items, i => Assert.Equal(JsonValueKind.Null, i.GetProperty("predictedRating").ValueKind));
        Assert.Equal(System.Net.HttpStatusCode.Conflict, prediction.StatusCode);
    }

    [Fact]
    public async Task AnEaseChampionListsAsSimilarTheItemsARatingRaisesMost()
    {
        using var store = new ApiStore();
        var run = store.Train(new Ease(new EaseOptions { Lambda = 100, Neighbours = 20 }));
        var saved = ModelArtifact.Load(store.ModelFolder(run));
        await using var factory = new ApiFactory(store.Root);
        using var client = await factory.ReadyClientAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var weights = saved.Model.ItemWeights!;
        var item = Enumerable.Range(0, saved.Model.Items.Count).First(i => weights.Offsets[i + 1] - weights.Offsets[i] >= 5);

        using var similar = JsonDocument.Parse(await client.GetStringAsync($"/items/{saved.Model.Items.ToRaw(item)}/similar?k=3", cts.Token));

        // Worked out from the row itself: its three largest positive weights, largest first.
        var expected = Enumerable.Range(weights.Offsets[item], weights.Offsets[item + 1] - weights.Offsets[item])
            .Where(e => weights.Values[e] > 0 && weights.Columns[e] != item)
            .OrderByDescending(e => weights.Values[e]).ThenBy(e => weights.Columns[e]).Take(3).ToList();
        var listed = similar.RootElement.GetProperty("items").EnumerateArray().ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Select(e => saved.Model.Items.ToRaw(weights.Columns[e])), listed.Select(i => i.GetProperty("itemId").GetString()));
        Assert.Equal(expected.Select(e => weights.Values[e]), listed.Select(i => i.GetProperty("similarity").GetSingle()));
    }
}
