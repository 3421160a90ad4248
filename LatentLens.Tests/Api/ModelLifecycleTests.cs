using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Evaluation;
using LatentLens.Api.Tracking;
using LatentLens.Api.Tracking.FileStore;
using LatentLens.Api.Training;

namespace LatentLens.Tests.Api;

/// <summary>Loading, swapping and refusing models while the API serves.</summary>
public sealed class ModelLifecycleTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly ApiStore _store = new();

    public void Dispose() => _store.Dispose();

    private static async Task<string> ServingRunAsync(HttpClient client)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var model = await client.GetFromJsonAsync<JsonElement>("/model", cts.Token);
        return model.GetProperty("runId").GetString()!;
    }

    private static Task WaitForRunAsync(HttpClient client, string runId) =>
        Eventually.ValueAsync(_ => ServingRunAsync(client), served => served == runId, $"the API serves run {runId}", Timeout);

    [Fact]
    public async Task WithoutAnyModelTheApiStartsAnswersHealthAndSays503()
    {
        await using var factory = new ApiFactory(_store.Root);
        using var client = factory.CreateClient();

        using var health = await client.GetAsync("/health");
        using var ready = await client.GetAsync("/ready");
        using var model = await client.GetAsync("/model");
        using var recommendations = await client.GetAsync("/users/1/recommendations");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, model.StatusCode);
        Assert.Equal("application/problem+json", model.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, recommendations.StatusCode);
    }

    [Fact]
    public async Task WithoutARegistryTheBestFinishedRunByRmseIsServed()
    {
        // Two FunkSvd runs that barely move from their start (one epoch at a tiny learning rate): one starts
        // near zero and predicts about the global mean, the other starts from large random factors whose
        // products add noise of about 3 stars to every prediction. Which is better is known in advance.
        var better = _store.Train(new FunkSvd(new FunkSvdOptions { Factors = 4, Epochs = 1, LearningRate = 1e-5, InitStdDev = 0.01 }), champion: false);
        var worse = _store.Train(new FunkSvd(new FunkSvdOptions { Factors = 4, Epochs = 1, LearningRate = 1e-5, InitStdDev = 1.0 }), champion: false);
                Assert.True(MetricCatalog.Rmse.Summary(better.Result).Mean < MetricCatalog.Rmse.Summary(worse.Result).Mean - 0.5, $"{MetricCatalog.Rmse.Summary(better.Result).Mean} vs {MetricCatalog.Rmse.Summary(worse.Result).Mean}");

        await using var factory = new ApiFactory(_store.Root);
        using var client = await factory.ReadyClientAsync();

        Assert.Equal(better.RunId, await ServingRunAsync(client));
    }

    [Fact]
    public async Task ANewChampionIsSwappedInWhileRequestsRunAndNoneFails()
    {
        var first = _store.Train(new FunkSvd(new FunkSvdOptions { Factors = 8, Epochs = 5 }));
        await using var factory = new ApiFactory(_store.Root, reloadSeconds: 0.1);
        using var client = await factory.ReadyClientAsync();
        Assert.Equal(first.RunId, await ServingRunAsync(client));

        using var stop = new CancellationTokenSource();
        var statuses = new System.Collections.Concurrent.ConcurrentBag<HttpStatusCode>();
        var load = Enumerable.Range(0, 4).Select(n => Task.Run(async () =>
        {
            var users = 0;
            while (!stop.IsCancellationRequested)
            {
                using var response = await client.GetAsync($"/users/{users++ % 100}/recommendations?k=5");
                statuses.Add(response.StatusCode);
            }
        })).ToList();

        // Two swaps while the load runs: a new champion, then the first one back.
        var second = _store.Train(new FunkSvd(new FunkSvdOptions { Factors = 6, Epochs = 5, Seed = 9 }), seed: 1);
        await WaitForRunAsync(client, second.RunId);
        new ModelRegistry(_store.Store).SetAlias(LatentLensConventions.RegisteredModelName, LatentLensConventions.ChampionAlias, 1);
        await WaitForRunAsync(client, first.RunId);
        await stop.CancelAsync();
        await Task.WhenAll(load);

        Assert.NotEmpty(statuses);
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
    }

    [Theory]
    [InlineData("NaN user factors")]
    [InlineData("infinite item bias")]
    [InlineData("offsets not ascending")]
    [InlineData("garbage npy shape")]
    public async Task AChampionWithBadValuesIsRejectedUnderLoadWithoutOneFailedRequest(string damage)
    {
        var good = _store.Train(new FunkSvd(new FunkSvdOptions { Factors = 8, Epochs = 5 }));
        await using var factory = new ApiFactory(_store.Root, reloadSeconds: 0.1);
        using var client = await factory.ReadyClientAsync();
        var models = factory.Services.GetRequiredService<LatentLens.Api.Serving.ServedModel>();

        using var stop = new CancellationTokenSource();
        var statuses = new System.Collections.Concurrent.ConcurrentBag<HttpStatusCode>();
        var load = Enumerable.Range(0, 4).Select(n => Task.Run(async () =>
        {
            var request = 0;
            while (!stop.IsCancellationRequested)
            {
                var user = (request++ % 100) + 1;
                using var recommendations = await client.GetAsync($"/users/{user}/recommendations?k=5");
                using var prediction = await client.GetAsync($"/users/{user}/items/{(request % 80) + 1}/prediction");
                statuses.Add(recommendations.StatusCode);
                statuses.Add(prediction.StatusCode);
            }
        })).ToList();

        var broken = _store.Train(new FunkSvd(new FunkSvdOptions { Factors = 5, Epochs = 5 }), champion: false);
        var folder = _store.ModelFolder(broken);
        var experimentId = Path.GetFileName(Path.GetFullPath(Path.Combine(folder, "..", "..", "..")));
        var registry = new ModelRegistry(_store.Store);
        var version = registry.RegisterVersion(LatentLensConventions.RegisteredModelName, experimentId, broken.RunId);
        void Patch(string file, Func<byte[], byte[]> change) => File.WriteAllBytes(Path.Combine(folder, file), change(File.ReadAllBytes(Path.Combine(folder, file))));
        static byte[] SetFloat(byte[] npy, int index, float value)
        {
            var data = 10 + (npy[8] | (npy[9] << 8)); // .npy version 1: magic, version, 2-byte header length, header
            BitConverter.GetBytes(value).CopyTo(npy, data + (index * 4));
            return npy;
        }

        switch (damage)
        {
            case "NaN user factors":
                Patch("user_factors.npy", b => SetFloat(b, 3, float.NaN));
                break;
            case "infinite item bias":
                Patch("item_bias.npy", b => SetFloat(b, 1, float.PositiveInfinity));
                break;
            case "offsets not ascending":
                Patch("rated_offsets.npy", b =>
                {
                    var data = 10 + (b[8] | (b[9] << 8));
                    BitConverter.GetBytes(1_000_000).CopyTo(b, data + 4);
                    return b;
                });
                break;
            case "garbage npy shape":
                Patch("item_factors.npy", b => System.Text.Encoding.Latin1.GetBytes(System.Text.Encoding.Latin1.GetString(b).Replace("'shape': (", "'shape': (0x", StringComparison.Ordinal)));
                break;
        }

        registry.SetAlias(LatentLensConventions.RegisteredModelName, LatentLensConventions.ChampionAlias, version);
        await Eventually.TrueAsync(() => models.Rejection?.Origin?.RunId == broken.RunId, $"the watcher rejects the broken champion {broken.RunId}", Timeout);

        // Requests made after the rejection, not before it, are what this test is about: wait for enough of them.
        var before = statuses.Count;
        await Eventually.TrueAsync(() => statuses.Count >= before + 40, "40 more requests answered after the rejection", Timeout);
        await stop.CancelAsync();
        await Task.WhenAll(load);

        Assert.Equal(good.RunId, await ServingRunAsync(client));
        Assert.True(statuses.Count >= before + 40, $"{statuses.Count} requests, {before} of them before the rejection");
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
    }

    [Theory]
    [InlineData("truncated array")]
    [InlineData("missing MLmodel")]
    [InlineData("bad meta.yaml")]
    public async Task ABrokenNewModelIsRejectedAndTheOldOneKeepsServing(string damage)
    {
        var good = _store.Train(new FunkSvd(new FunkSvdOptions { Factors = 8, Epochs = 5 }));
        await using var factory = new ApiFactory(_store.Root, admin: true, reloadSeconds: 0.1);
        using var client = await factory.ReadyClientAsync();

        var broken = _store.Train(new FunkSvd(new FunkSvdOptions { Factors = 5, Epochs = 5 }), champion: false);
        var folder = _store.ModelFolder(broken);
        var experimentId = Path.GetFileName(Path.GetFullPath(Path.Combine(folder, "..", "..", "..")));
        var registry = new ModelRegistry(_store.Store);
        var version = registry.RegisterVersion(LatentLensConventions.RegisteredModelName, experimentId, broken.RunId);
        switch (damage)
        {
            case "truncated array":
                var array = Path.Combine(folder, "item_factors.npy");
                var bytes = await File.ReadAllBytesAsync(array);
                await File.WriteAllBytesAsync(array, bytes[..(bytes.Length / 2)]);
                break;
            case "missing MLmodel":
                File.Delete(Path.Combine(folder, "MLmodel"));
                break;
            case "bad meta.yaml":
                var meta = Path.Combine(folder, "..", "..", "meta.yaml");
                await File.WriteAllTextAsync(meta, (await File.ReadAllTextAsync(meta)).Replace("status: 3", "status: FINISHED", StringComparison.Ordinal));
                break;
        }

        registry.SetAlias(LatentLensConventions.RegisteredModelName, LatentLensConventions.ChampionAlias, version);

        // The watcher sees the new champion and rejects it on its own; then a forced reload says why it refused.
        var models = factory.Services.GetRequiredService<LatentLens.Api.Serving.ServedModel>();
        await Eventually.TrueAsync(() => models.Rejection?.Origin?.RunId == broken.RunId, $"the watcher rejects the broken champion {broken.RunId}", Timeout);

        Assert.Equal(good.RunId, await ServingRunAsync(client));
        using var reload = await client.PostAsync("/admin/reload", null);
        var message = (await reload.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("message").GetString();

        Assert.Equal(good.RunId, await ServingRunAsync(client));
        Assert.StartsWith("Rejected", message, StringComparison.Ordinal);
        using var recommendations = await client.GetAsync("/users/1/recommendations");
        Assert.Equal(HttpStatusCode.OK, recommendations.StatusCode);
    }

    [Fact]
    public async Task TheAdminReloadEndpointReloadsWhenConfigured()
    {
        var run = _store.Train(new FunkSvd(new FunkSvdOptions { Factors = 4, Epochs = 2 }));
        await using var factory = new ApiFactory(_store.Root, admin: true);
        using var client = await factory.ReadyClientAsync();

        using var response = await client.PostAsync("/admin/reload", null);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(body.GetProperty("success").GetBoolean());
        Assert.Equal(run.RunId, body.GetProperty("runId").GetString());
    }

    [Fact]
    public void AStoreProblemIsLoggedOnceNotOnEveryPoll()
    {
        _store.Train(new FunkSvd(new FunkSvdOptions { Factors = 4, Epochs = 2 }));
        // A version folder without meta.yaml: the registry the watcher reads on every poll has a problem.
        Directory.CreateDirectory(Path.Combine(_store.Root, "models", LatentLensConventions.RegisteredModelName, "version-99"));
        var logger = new CountingLogger();
        var store = new LatentLens.Api.Serving.ServedModel(new FileTrackingStore(_store.Root), logger);

        for (var poll = 0; poll < 5; poll++)
        {
            store.Reload();
        }

        Assert.Equal(1, logger.Count(1003));
        Assert.Equal(1, logger.Count(1000));
    }
}
