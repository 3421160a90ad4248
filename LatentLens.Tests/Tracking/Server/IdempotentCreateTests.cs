using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Evaluation;
using LatentLens.Api.Tracking.Server;
using LatentLens.Api.Training;
using LatentLens.Tests.Api;

namespace LatentLens.Tests.Tracking.Server;

/// <summary>
/// A create whose reply is lost must not create twice: against MLflow 2.12.1's real server, through a proxy in the
/// client's handler chain that lets the server act on the first <c>runs/create</c> (or <c>model-versions/create</c>)
/// and then drops its reply, as a cut connection or a gateway time-out would.
/// </summary>
[Trait(TestCategories.Key, TestCategories.Slow)]
[Collection(MlflowServerCollection.Name)]
public sealed class IdempotentCreateTests(MlflowServerFixture fixture) : IDisposable
{
    private readonly string _dir = TestPaths.NewTempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private ServerTrackingStore Store(DropFirstReply proxy) =>
        new(new MlflowServerSettings(fixture.Server.Uri) { MaxRetries = 3, FirstRetryDelay = TimeSpan.FromMilliseconds(20) }, Path.Combine(_dir, "cache"), proxy);

    [RequiresMlflowServerFact]
    public async Task ARunWhoseCreateReplyIsLostIsCreatedOnce()
    {
        using var proxy = new DropFirstReply("runs/create");
        using var store = Store(proxy);
        var experimentId = store.GetOrCreateExperiment($"idempotent-run-{Guid.NewGuid():N}");

        var writer = store.StartRun(experimentId, "lost-reply", "tester");

        Assert.Equal(1, proxy.Dropped);
        using var rest = new MlflowRest(fixture.Server.Uri);
        var run = Assert.Single(await rest.RunsAsync(experimentId));
        Assert.Equal(writer.RunId, run.GetProperty("info").GetProperty("run_id").GetString());
        Assert.Equal("lost-reply", run.GetProperty("info").GetProperty("run_name").GetString());
    }

    [RequiresMlflowServerFact]
    public async Task AVersionWhoseCreateReplyIsLostIsRegisteredOnce()
    {
        using var proxy = new DropFirstReply("model-versions/create");
        using var store = Store(proxy);
        var model = $"idempotent-model-{Guid.NewGuid():N}";
        var experimentId = store.GetOrCreateExperiment($"idempotent-version-{Guid.NewGuid():N}");
        var data = ApiStore.Data();
        var algorithm = new Baseline(new BaselineOptions());
        var run = new TrainingRecorder(store, experimentId) { GitCommit = null }
            .Record(algorithm, data, "2-fold", Evaluator.Evaluate(algorithm, Splits.KFold(data.Ratings, 2, 1), data.Scale));

        var version = store.RegisterVersion(model, experimentId, run.RunId);

        Assert.Equal(1, proxy.Dropped);
        Assert.Equal(1, version);
        using var rest = new MlflowRest(fixture.Server.Uri);
        var versions = await rest.GetAsync($"model-versions/search?filter={Uri.EscapeDataString($"name='{model}'")}");
        var only = Assert.Single(versions.GetProperty("model_versions").EnumerateArray());
        Assert.Equal(run.RunId, only.GetProperty("run_id").GetString());
    }

    /// <summary>Forwards every call to the server; the first call to <paramref name="endpoint"/> reaches it, and its reply is thrown away.</summary>
    private sealed class DropFirstReply(string endpoint) : DelegatingHandler(new SocketsHttpHandler())
    {
        private int _dropped;

        public int Dropped => _dropped;

        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = base.Send(request, cancellationToken);
            return Drop(request, response);
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Drop(request, await base.SendAsync(request, cancellationToken));

        private HttpResponseMessage Drop(HttpRequestMessage request, HttpResponseMessage response)
        {
            if (request.RequestUri!.AbsolutePath.EndsWith("/" + endpoint, StringComparison.Ordinal) && Interlocked.CompareExchange(ref _dropped, 1, 0) == 0)
            {
                Assert.True(response.IsSuccessStatusCode, $"the server refused the first {endpoint}: {(int)response.StatusCode}");
                response.Dispose();
                throw new HttpRequestException($"the proxy dropped the reply to {endpoint}");
            }

            return response;
        }
    }
}
