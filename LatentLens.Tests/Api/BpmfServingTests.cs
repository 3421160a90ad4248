using System.Text.Json;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Tracking;
using LatentLens.Api.Tracking.Artifacts;

namespace LatentLens.Tests.Api;

/// <summary>A bpmf champion is served like any other rating model: its predictions are the saved posterior mean's.</summary>
public sealed class BpmfServingTests
{
    [Fact]
    public async Task ABpmfChampionIsServedWithThePosteriorMeanItSaved()
    {
        using var store = new ApiStore();
        var run = store.Train(new Bpmf(new BpmfOptions { Factors = 4, Samples = 16, BurnIn = 4, Thin = 3, Seed = 2 }));
        var saved = ModelArtifact.Load(store.ModelFolder(run));
        await using var factory = new ApiFactory(store.Root);
        using var client = await factory.ReadyClientAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        using var model = JsonDocument.Parse(await client.GetStringAsync("/model", cts.Token));
        using var prediction = JsonDocument.Parse(await client.GetStringAsync("/users/1/items/2/prediction", cts.Token));
        using var top = JsonDocument.Parse(await client.GetStringAsync("/users/1/recommendations?k=5", cts.Token));

        Assert.Equal("bpmf", model.RootElement.GetProperty("algorithm").GetString());
        Assert.Equal(4 * 4, saved.Model.Factors);
        Assert.Equal(saved.Model.Predict("1", "2").Value, prediction.RootElement.GetProperty("predictedRating").GetSingle(), 1e-6);
        Assert.Equal(5, top.RootElement.GetProperty("items").GetArrayLength());
    }
}
