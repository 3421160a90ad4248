using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Evaluation;
using LatentLens.Api.Serving;
using LatentLens.Api.Tracking.Server;
using LatentLens.Api.Training;
using LatentLens.Tests.Api;
using Microsoft.Extensions.Logging.Abstractions;

namespace LatentLens.Tests.Tracking.Server;

/// <summary>
/// The API's cache of models downloaded from MLflow 2.12.1's real server stays bounded however often the champion
/// moves. A server of its own: the API serves the fixed registered model LatentLens-SVD, which other tests use too.
/// </summary>
[Trait(TestCategories.Key, TestCategories.Slow)]
public sealed class ModelCacheTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [RequiresMlflowServerFact]
    public async Task TwentyPromotionsLeaveAtMostTheServedAndThePreviousModelInTheCache()
    {
        using var server = await MlflowServer.StartAsync();
        var model = LatentLensConventions.RegisteredModelName;
        using var store = new ServerTrackingStore(new MlflowServerSettings(server.Uri), Path.Combine(_dir, "cache"));
        var experimentId = store.GetOrCreateExperiment(LatentLensConventions.ExperimentName);
        var data = ApiStore.Data();
        var recorder = new TrainingRecorder(store, experimentId) { GitCommit = null };
        var versions = new List<(int Version, string RunId)>();
        foreach (var epochs in new[] { 1, 2, 3 })
        {
            var algorithm = new Baseline(new BaselineOptions { Epochs = epochs });
            var run = recorder.Record(algorithm, data, "2-fold", Evaluator.Evaluate(algorithm, Splits.KFold(data.Ratings, 2, 1), data.Scale));
            versions.Add((store.RegisterVersion(model, experimentId, run.RunId), run.RunId));
        }

        var serving = new ServedModel(store, NullLogger<ServedModel>.Instance);
        var seen = new HashSet<string>();
        for (var promotion = 0; promotion < 20; promotion++)
        {
            var (version, runId) = versions[promotion % versions.Count];
            store.SetAlias(model, LatentLensConventions.ChampionAlias, version);

            var result = serving.Reload();

            Assert.True(result.Ready, result.Message);
            Assert.Equal(runId, serving.Current?.Origin.RunId);
            var cached = store.Cache.CachedRuns;
            Assert.InRange(cached.Count, 1, ModelDownloadCache.DefaultKeep);
            Assert.Contains(runId, cached);
            seen.UnionWith(cached);
        }

        // Three models went through a cache that holds two: each was downloaded, and pruned again, more than once.
        Assert.Equal(versions.Select(v => v.RunId).ToHashSet(), seen);
        Assert.Empty(Directory.EnumerateDirectories(store.ModelCache, ".partial-*"));
    }
}
