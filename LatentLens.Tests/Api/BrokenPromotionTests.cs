using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using LatentLens.Api.Serving;
using LatentLens.Api.Tracking.FileStore;
using Microsoft.Extensions.DependencyInjection;

namespace LatentLens.Tests.Api;

/// <summary>
/// A champion that cannot be served, on the committed store's real versions: version 5 (puresvd-f51) is made the
/// champion (the store's own is version 7, the newest); a copy of its run is registered as version 8 with one defect and made champion. While a model
/// serves, version 8 is rejected and version 5 keeps serving; on a start with nothing loaded, the rules serve
/// the newest valid version, 7 (als-f128-i15).
/// </summary>
public sealed class BrokenPromotionTests : IDisposable
{
    private const string ExperimentId = "782417740297552058";
    private const string ChampionRun = "243327094a82470fa5746044d62d9ff4";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly string _root = CopyWithChampion5();

    private static string CopyWithChampion5()
    {
        var root = TestPaths.CopyOfCommittedStore();
        File.WriteAllText(Path.Combine(root, "models", LatentLensConventions.RegisteredModelName, "aliases", "champion"), "5");
        return root;
    }

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_root)!, recursive: true);

    public static TheoryData<string, string> Defects => new()
    {
        { "NaN user factors", "every value must be finite" },
        { "rated offsets not ascending", "is not ascending" },
        { "garbage shape header", "shape" },
    };

    [Theory]
    [MemberData(nameof(Defects))]
    public async Task ABrokenChampionWhileServingLeavesTheServedModelInPlaceAndSaysWhy(string defect, string reason)
    {
        await using var factory = new ApiFactory(_root, admin: true);
        using var client = await factory.ReadyClientAsync();
        using var cts = new CancellationTokenSource(Timeout);
        var before = await client.GetFromJsonAsync<JsonElement>("/model", cts.Token);
        Assert.Equal(5, before.GetProperty("version").GetInt32());
        Assert.Equal(JsonValueKind.Null, before.GetProperty("rejected").ValueKind);

        PromoteBrokenCopy(defect);

        using var reload = await client.PostAsync("/admin/reload", null, cts.Token);
        Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
        Assert.Contains("keeps serving", await reload.Content.ReadAsStringAsync(cts.Token), StringComparison.Ordinal);

        // What the watcher does on every poll, a few times over: the rejected champion is never passed over for another version.
        var models = factory.Services.GetRequiredService<ServedModel>();
        for (var poll = 0; poll < 3; poll++)
        {
            models.Reload();
        }

        var model = await client.GetFromJsonAsync<JsonElement>("/model", cts.Token);
        Assert.Equal(5, model.GetProperty("version").GetInt32());
        Assert.Equal(ChampionRun, model.GetProperty("runId").GetString());
        Assert.Equal("champion", model.GetProperty("chosenBy").GetString());
        var rejected = model.GetProperty("rejected");
        Assert.Equal(8, rejected.GetProperty("version").GetInt32());
        Assert.Contains(reason, rejected.GetProperty("reason").GetString(), StringComparison.Ordinal);

        using var ready = await client.GetAsync("/ready", cts.Token);
        var readyText = await ready.Content.ReadAsStringAsync(cts.Token);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Contains("Serving puresvd-f51 (version 5); the champion puresvd-f51 (version 8) was rejected", readyText, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Defects))]
    public async Task AStartOnABrokenChampionServesTheNewestValidVersion(string defect, string reason)
    {
        PromoteBrokenCopy(defect);

        await using var factory = new ApiFactory(_root);
        using var client = await factory.ReadyClientAsync();
        using var cts = new CancellationTokenSource(Timeout);
        var model = await client.GetFromJsonAsync<JsonElement>("/model", cts.Token);

        Assert.Equal(7, model.GetProperty("version").GetInt32());
        Assert.Equal("als-f128-i15", model.GetProperty("runName").GetString());
        Assert.Equal("newest valid version", model.GetProperty("chosenBy").GetString());
        Assert.Contains("version 8", model.GetProperty("fallbackReason").GetString(), StringComparison.Ordinal);
        Assert.Equal(8, model.GetProperty("rejected").GetProperty("version").GetInt32());
        Assert.Contains(reason, model.GetProperty("rejected").GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AChampionAliasMovedToAMissingVersionLeavesTheServedModelInPlace()
    {
        await using var factory = new ApiFactory(_root, admin: true);
        using var client = await factory.ReadyClientAsync();
        using var cts = new CancellationTokenSource(Timeout);
        await File.WriteAllTextAsync(Path.Combine(_root, "models", LatentLensConventions.RegisteredModelName, "aliases", "champion"), "9", cts.Token);

        using var reload = await client.PostAsync("/admin/reload", null, cts.Token);
        var model = await client.GetFromJsonAsync<JsonElement>("/model", cts.Token);

        Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
        Assert.Equal(5, model.GetProperty("version").GetInt32());
        Assert.Contains("version 9", model.GetProperty("rejected").GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("champion", model.GetProperty("chosenBy").GetString());
    }

    [Fact]
    public async Task AServingChampionStaysTheChampionWhenTheAliasBreaksAndANewerVersionAppears()
    {
        // Version 7, the newest, is the champion; the fallback rule would pick the very same files.
        var aliasFile = Path.Combine(_root, "models", LatentLensConventions.RegisteredModelName, "aliases", "champion");
        await File.WriteAllTextAsync(aliasFile, "7");
        await using var factory = new ApiFactory(_root, admin: true);
        using var client = await factory.ReadyClientAsync();
        using var cts = new CancellationTokenSource(Timeout);

        await File.WriteAllTextAsync(aliasFile, "9", cts.Token);
        using (var reload = await client.PostAsync("/admin/reload", null, cts.Token))
        {
            Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
        }

        var model = await client.GetFromJsonAsync<JsonElement>("/model", cts.Token);
        Assert.Equal(7, model.GetProperty("version").GetInt32());
        Assert.Equal("champion", model.GetProperty("chosenBy").GetString());
        Assert.Contains("version 9", model.GetProperty("rejected").GetProperty("reason").GetString(), StringComparison.Ordinal);

        // A valid version 8 registered but promoted by nobody does not take over either.
        RegisterCopy("none", promote: false);
        using (var reload = await client.PostAsync("/admin/reload", null, cts.Token))
        {
            Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
        }

        model = await client.GetFromJsonAsync<JsonElement>("/model", cts.Token);
        Assert.Equal(7, model.GetProperty("version").GetInt32());
        Assert.Equal("champion", model.GetProperty("chosenBy").GetString());
    }

    private void PromoteBrokenCopy(string defect) => RegisterCopy(defect, promote: true);

    /// <summary>Copies version 5's run to a new run, damages its model (unless "none") and registers it as version 8.</summary>
    private void RegisterCopy(string defect, bool promote)
    {
        var runId = Guid.NewGuid().ToString("N");
        var source = Path.Combine(_root, ExperimentId, ChampionRun);
        var target = Path.Combine(_root, ExperimentId, runId);
        TestPaths.CopyFolder(source, target);
        var meta = Path.Combine(target, "meta.yaml");
        File.WriteAllText(meta, File.ReadAllText(meta).Replace(ChampionRun, runId, StringComparison.Ordinal));

        var model = Path.Combine(target, "artifacts", "model");
        switch (defect)
        {
            case "NaN user factors":
                Patch(Path.Combine(model, "user_factors.npy"), (bytes, data) => BitConverter.TryWriteBytes(bytes.AsSpan(data + 4), float.NaN));
                break;
            case "rated offsets not ascending":
                // Offset 2 set below offset 1 (int32, little-endian).
                Patch(Path.Combine(model, "rated_offsets.npy"), (bytes, data) =>
                    BitConverter.TryWriteBytes(bytes.AsSpan(data + 8), BitConverter.ToInt32(bytes, data + 4) - 1));
                break;
            case "garbage shape header":
                Patch(Path.Combine(model, "item_factors.npy"), (bytes, data) =>
                {
                    var header = Encoding.ASCII.GetString(bytes, 10, data - 10);
                    var garbled = Regex.Replace(header, @"'shape': \([^)]*\)", "'shape': (x!y, ?)").PadRight(header.Length - 1)[..(header.Length - 1)] + "\n";
                    Encoding.ASCII.GetBytes(garbled).CopyTo(bytes, 10);
                    return true;
                });
                break;
            case "none":
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(defect), defect, null);
        }

        var registry = new ModelRegistry(new FileTrackingStore(_root));
        var version = registry.RegisterVersion(LatentLensConventions.RegisteredModelName, ExperimentId, runId);
        Assert.Equal(8, version);
        if (promote)
        {
            registry.SetAlias(LatentLensConventions.RegisteredModelName, LatentLensConventions.ChampionAlias, version);
        }
    }

    /// <summary>Rewrites a version-1 .npy file in place; the callback gets the bytes and where the data starts.</summary>
    private static void Patch(string path, Func<byte[], int, bool> change)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(1, bytes[6]);
        var data = 10 + BitConverter.ToUInt16(bytes, 8);
        Assert.True(change(bytes, data));
        File.WriteAllBytes(path, bytes);
    }
}
