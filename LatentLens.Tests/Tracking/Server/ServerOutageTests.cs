using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Evaluation;
using LatentLens.Api.Tracking.Server;
using LatentLens.Api.Training;
using LatentLens.Tests.Api;

namespace LatentLens.Tests.Tracking.Server;

/// <summary>
/// The API over MLflow 2.12.1's real server, reached through a proxy that can stop answering: a reload asked for
/// while the server hangs answers 503 within the configured bound, and the model loaded before keeps serving.
/// </summary>
[Trait(TestCategories.Key, TestCategories.Slow)]
public sealed class ServerOutageTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [RequiresMlflowServerFact]
    public async Task AReloadAgainstAHangingServerAnswers503InTimeAndTheModelKeepsServing()
    {
        using var server = await MlflowServer.StartAsync();
        string runId;
        using (var store = new ServerTrackingStore(new MlflowServerSettings(server.Uri), Path.Combine(_dir, "trainer-cache")))
        {
            var experimentId = store.GetOrCreateExperiment(LatentLensConventions.ExperimentName);
            var data = ApiStore.Data();
            var algorithm = new Baseline(new BaselineOptions());
            runId = new TrainingRecorder(store, experimentId) { GitCommit = null }
                .Record(algorithm, data, "2-fold", Evaluator.Evaluate(algorithm, Splits.KFold(data.Ratings, 2, 1), data.Scale)).RunId;
            store.SetAlias(LatentLensConventions.RegisteredModelName, LatentLensConventions.ChampionAlias, store.RegisterVersion(LatentLensConventions.RegisteredModelName, experimentId, runId));
        }

        using var proxy = new BlackHoleProxy(server.Uri);
        await using var factory = new ApiFactory(_dir, admin: true, trackingUri: proxy.Uri.AbsoluteUri, reloadTimeoutSeconds: 2);
        using var client = await factory.ReadyClientAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Assert.Equal(runId, (await client.GetFromJsonAsync<JsonElement>("/model", cts.Token)).GetProperty("runId").GetString());

        proxy.GoDark();
        var clock = Stopwatch.StartNew();
        using var reload = await client.PostAsync("/admin/reload", null, cts.Token);
        var waited = clock.Elapsed;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, reload.StatusCode);
        Assert.Equal("application/problem+json", reload.Content.Headers.ContentType?.MediaType);
        var problem = await reload.Content.ReadFromJsonAsync<JsonElement>(cts.Token);
        Assert.Equal("Model store unavailable", problem.GetProperty("title").GetString());
        Assert.Contains("did not answer within 2 s", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(runId, problem.GetProperty("servingRunId").GetString());
        // Bounded by the setting, not by the client's per-attempt time-out (30 s) or its retries (2 minutes).
        Assert.InRange(waited, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(25));

        using var model = await client.GetAsync("/model", cts.Token);
        Assert.Equal(HttpStatusCode.OK, model.StatusCode);
        Assert.Equal(runId, (await model.Content.ReadFromJsonAsync<JsonElement>(cts.Token)).GetProperty("runId").GetString());
        using var recommendations = await client.GetAsync("/users/1/recommendations?k=3", cts.Token);
        Assert.Equal(HttpStatusCode.OK, recommendations.StatusCode);
    }
}
