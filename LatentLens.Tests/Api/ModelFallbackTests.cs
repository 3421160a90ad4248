using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Tracking;
using LatentLens.Api.Tracking.FileStore;
using LatentLens.Api.Training;

namespace LatentLens.Tests.Api;

/// <summary>Which model the API serves when the champion cannot be served, and how it says so.</summary>
public sealed class ModelFallbackTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly ApiStore _store = new();

    public void Dispose() => _store.Dispose();

    private static FunkSvd Small(int seed) => new(new FunkSvdOptions { Factors = 3, Epochs = 2, Seed = seed });

    private string ModelFolder => Path.Combine(_store.Root, "models", LatentLensConventions.RegisteredModelName);

    /// <summary>Version 1 (run a) and version 2 (run b) of LatentLens-SVD; the champion is version 2.</summary>
    private (RecordedRun A, RecordedRun B) TwoVersions() => (_store.Train(Small(1)), _store.Train(Small(2)));

    private string RunMeta(RecordedRun run) => Path.Combine(_store.ModelFolder(run), "..", "..", "meta.yaml");

    private static async Task<(JsonElement Model, string Ready)> ServingAsync(ApiFactory factory)
    {
        using var client = await factory.ReadyClientAsync();
        using var cts = new CancellationTokenSource(Timeout);
        var model = await client.GetFromJsonAsync<JsonElement>("/model", cts.Token);
        using var ready = await client.GetAsync("/ready", cts.Token);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        return (model, await ready.Content.ReadAsStringAsync(cts.Token));
    }

    [Theory]
    [InlineData("truncated array", "failed to load")]
    [InlineData("missing MLmodel", "has no model artifact")]
    public async Task ABrokenChampionAtStartUpFallsBackToTheNewestValidVersion(string damage, string reason)
    {
        var (a, b) = TwoVersions();
        var broken = _store.Train(Small(3));
        var folder = _store.ModelFolder(broken);
        if (damage == "truncated array")
        {
            var array = Path.Combine(folder, "item_factors.npy");
            var bytes = await File.ReadAllBytesAsync(array);
            await File.WriteAllBytesAsync(array, bytes[..(bytes.Length / 2)]);
        }
        else
        {
            File.Delete(Path.Combine(folder, "MLmodel"));
        }

        await using var factory = new ApiFactory(_store.Root);
        var (model, ready) = await ServingAsync(factory);

        Assert.Equal(b.RunId, model.GetProperty("runId").GetString());
        Assert.Equal(2, model.GetProperty("version").GetInt32());
        Assert.Equal("newest valid version", model.GetProperty("chosenBy").GetString());
        var why = model.GetProperty("fallbackReason").GetString()!;
        Assert.Contains("version 3", why, StringComparison.Ordinal);
        Assert.Contains(reason, why, StringComparison.Ordinal);
        Assert.Contains("as a fallback, chosen by newest valid version", ready, StringComparison.Ordinal);
        Assert.NotEqual(a.RunId, b.RunId);
    }

    [Fact]
    public async Task AHealthyChampionSaysItIsTheChampion()
    {
        var run = _store.Train(Small(1));
        await using var factory = new ApiFactory(_store.Root);
        var (model, ready) = await ServingAsync(factory);

        Assert.Equal(run.RunId, model.GetProperty("runId").GetString());
        Assert.Equal("champion", model.GetProperty("chosenBy").GetString());
        Assert.Equal(JsonValueKind.Null, model.GetProperty("fallbackReason").ValueKind);
        Assert.DoesNotContain("fallback", ready, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("alias to a missing version", "b", "newest valid version", "points at version 7 of LatentLens-SVD, which does not exist")]
    [InlineData("garbage alias", "b", "newest valid version", "the alias champion of LatentLens-SVD is unreadable")]
    [InlineData("garbled version metadata", "a", "newest valid version", "points at version 2 of LatentLens-SVD, whose metadata is unreadable")]
    [InlineData("deleted champion run", "a", "newest valid version", "is deleted")]
    [InlineData("deleted models folder", "either", "best run by rmse", "there is no registered model LatentLens-SVD")]
    public async Task WhenTheChampionRuleDoesNotApplyTheModelSaysWhichRuleChoseItAndWhy(string damage, string expected, string chosenBy, string reason)
    {
        var (a, b) = TwoVersions();
        switch (damage)
        {
            case "alias to a missing version":
                await File.WriteAllTextAsync(Path.Combine(ModelFolder, "aliases", "champion"), "7");
                break;
            case "garbage alias":
                await File.WriteAllTextAsync(Path.Combine(ModelFolder, "aliases", "champion"), "\u0001garbage: [");
                break;
            case "garbled version metadata":
                await File.WriteAllTextAsync(Path.Combine(ModelFolder, "version-2", "meta.yaml"), "version: [oops\n  : :");
                break;
            case "deleted champion run":
                var meta = RunMeta(b);
                await File.WriteAllTextAsync(meta, Regex.Replace(await File.ReadAllTextAsync(meta), "lifecycle_stage: .*", "lifecycle_stage: deleted"));
                break;
            case "deleted models folder":
                Directory.Delete(Path.Combine(_store.Root, "models"), recursive: true);
                break;
        }

        await using var factory = new ApiFactory(_store.Root);
        var (model, ready) = await ServingAsync(factory);

        var runId = model.GetProperty("runId").GetString();
        Assert.Equal(chosenBy, model.GetProperty("chosenBy").GetString());
        Assert.Contains(reason, model.GetProperty("fallbackReason").GetString(), StringComparison.Ordinal);
        Assert.Contains($"chosen by {chosenBy}", ready, StringComparison.Ordinal);
        switch (expected)
        {
            case "a":
                Assert.Equal(a.RunId, runId);
                Assert.Equal(1, model.GetProperty("version").GetInt32());
                break;
            case "b":
                Assert.Equal(b.RunId, runId);
                Assert.Equal(2, model.GetProperty("version").GetInt32());
                break;
            default:
                Assert.Contains(runId, new[] { a.RunId, b.RunId });
                Assert.Equal(JsonValueKind.Null, model.GetProperty("version").ValueKind);
                break;
        }
    }

    [Fact]
    public async Task AChampionWhoseRunIsDeletedWhileServingIsReplaced()
    {
        var (a, b) = TwoVersions();
        await using var factory = new ApiFactory(_store.Root, reloadSeconds: 0.1);
        var (first, _) = await ServingAsync(factory);
        Assert.Equal(b.RunId, first.GetProperty("runId").GetString());

        var meta = RunMeta(b);
        await File.WriteAllTextAsync(meta, Regex.Replace(await File.ReadAllTextAsync(meta), "lifecycle_stage: .*", "lifecycle_stage: deleted"));

        using var client = factory.CreateClient();
        var model = await Eventually.ValueAsync(
            async token => await client.GetFromJsonAsync<JsonElement>("/model", token),
            m => m.GetProperty("runId").GetString() == a.RunId,
            $"the API serves run {a.RunId} (version 1) once the champion's run {b.RunId} is deleted");

        Assert.Equal(1, model.GetProperty("version").GetInt32());
        Assert.Equal("newest valid version", model.GetProperty("chosenBy").GetString());
        Assert.Contains("is deleted", model.GetProperty("fallbackReason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TheFallbackIsLoggedAsAWarningOnceNotOnEveryPoll()
    {
        TwoVersions();
        File.WriteAllText(Path.Combine(ModelFolder, "aliases", "champion"), "7");
        var logger = new CountingLogger();
        var store = new LatentLens.Api.Serving.ServedModel(new FileTrackingStore(_store.Root), logger);

        for (var poll = 0; poll < 4; poll++)
        {
            store.Reload();
        }

        Assert.Equal(ChosenByRule.NewestValidVersion, store.Current?.Origin.ChosenBy);
        Assert.Equal(1, logger.Count(1006));
        Assert.Equal(1, logger.Count(1000));
    }
}
