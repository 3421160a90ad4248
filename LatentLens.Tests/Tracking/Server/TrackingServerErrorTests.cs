using LatentLens.Api.Tracking;
using LatentLens.Api.Tracking.FileStore;
using LatentLens.Api.Tracking.Server;
using LatentLens.Api.Tracking.Stores;

namespace LatentLens.Tests.Tracking.Server;

/// <summary>
/// What a tracking server that is down or misbehaving looks like from the command line and the store:
/// one clear line naming the server and the call, a non-zero exit, bounded retries. A refused connection
/// is real; 404 pages, 5xx, throttling and malformed JSON come from a local stub (MLflow's server does not
/// produce them on demand). No MLflow needed: these run everywhere.
/// </summary>
public sealed class TrackingServerErrorTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void AssertOneCleanLine(string error)
    {
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    private ServerTrackingStore Store(string url, int retries = 2) =>
        new(new MlflowServerSettings(new Uri(url)) { MaxRetries = retries, FirstRetryDelay = TimeSpan.FromMilliseconds(10) }, Path.Combine(_dir, "cache"));

    [Fact]
    public async Task AServerThatRefusesConnectionsIsNamedWithTheCallAndTheCommandExitsNonZero()
    {
        var url = $"http://127.0.0.1:{TestPorts.Free()}";

        var (exit, _, error) = await ServerTestSupport.RunCliAsync("promote", "--tracking-uri", url);

        Assert.Equal(1, exit);
        AssertOneCleanLine(error);
        Assert.Contains($"MLflow server {url} is unreachable", error, StringComparison.Ordinal);
        Assert.Contains("GET /api/2.0/mlflow/experiments/get-by-name", error, StringComparison.Ordinal);
        Assert.Contains("after 4 attempt(s)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TrainAgainstADownServerFailsBeforeTrainingWithOneLine()
    {
        var url = $"http://127.0.0.1:{TestPorts.Free()}";

        var (exit, _, error) = await ServerTestSupport.RunCliAsync("train", "--tracking-uri", url, "--data", ServerTestSupport.SmallRatings(_dir), "--folds", "2", "--algorithm", "baseline");

        Assert.Equal(1, exit);
        Assert.Contains($"error: MLflow server {url} is unreachable", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABare404PageIsAnErrorThatAsksWhetherItIsAnMlflowServer()
    {
        using var stub = new FailingHttpStub((_, _) => (404, "<html><body>Not Found</body></html>"));

        var (exit, _, error) = await ServerTestSupport.RunCliAsync("promote", "--tracking-uri", stub.Url);

        Assert.Equal(1, exit);
        AssertOneCleanLine(error);
        Assert.Contains($"MLflow server {stub.Url}: GET /api/2.0/mlflow/experiments/get-by-name failed: HTTP 404", error, StringComparison.Ordinal);
        Assert.Contains("is " + stub.Url + " an MLflow tracking server?", error, StringComparison.Ordinal);
        Assert.Equal(1, stub.Requests);
    }

    [Fact]
    public async Task MalformedJsonIsAnErrorNamingTheCall()
    {
        using var stub = new FailingHttpStub((_, _) => (200, "{\"experiment\": [1, 2,"));

        var (exit, _, error) = await ServerTestSupport.RunCliAsync("register", "--run-id", "0123456789abcdef0123456789abcdef", "--tracking-uri", stub.Url);

        Assert.Equal(1, exit);
        AssertOneCleanLine(error);
        Assert.Contains($"MLflow server {stub.Url}: GET /api/2.0/mlflow/runs/get answered malformed JSON", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A500IsRetriedABoundedNumberOfTimesThenReportedWithMlflowsMessage()
    {
        using var stub = new FailingHttpStub((_, _) => (500, "{\"error_code\": \"INTERNAL_ERROR\", \"message\": \"database is locked\"}"));

        var (exit, _, error) = await ServerTestSupport.RunCliAsync("promote", "--tracking-uri", stub.Url);

        Assert.Equal(1, exit);
        AssertOneCleanLine(error);
        Assert.Contains($"MLflow server {stub.Url}: GET /api/2.0/mlflow/experiments/get-by-name failed after 4 attempts: HTTP 500", error, StringComparison.Ordinal);
        Assert.Contains("INTERNAL_ERROR: database is locked", error, StringComparison.Ordinal);
        Assert.Equal(4, stub.Requests);
    }

    [Fact]
    public void ThrottlingAndUnavailabilityAreRetriedAndTheCallSucceeds()
    {
        using var stub = new FailingHttpStub((_, n) => n switch
        {
            1 => (429, "{\"error_code\": \"REQUEST_LIMIT_EXCEEDED\", \"message\": \"slow down\"}"),
            2 => (503, "unavailable"),
            _ => (404, "{\"error_code\": \"RESOURCE_DOES_NOT_EXIST\", \"message\": \"Run '0123456789abcdef0123456789abcdef' not found\"}"),
        });
        using var store = Store(stub.Url);

        Assert.Null(store.FindRun("0123456789abcdef0123456789abcdef"));
        Assert.Equal(3, stub.Requests);
    }

    [Fact]
    public void RetriesStopAtTheConfiguredCount()
    {
        using var stub = new FailingHttpStub((_, _) => (502, "bad gateway"));
        using var store = Store(stub.Url, retries: 2);

        var ex = Assert.Throws<TrackingServerException>(() => store.FindExperiment("x"));

        Assert.Equal(3, stub.Requests);
        Assert.Contains("failed after 3 attempts: HTTP 502", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MlflowsClientVariablesGiveBearerOrBasicAuthenticationAndRetrySettings()
    {
        using var stub = new FailingHttpStub((_, _) => (404, "{\"error_code\": \"RESOURCE_DOES_NOT_EXIST\", \"message\": \"no\"}"));
        var bearer = new Dictionary<string, string> { ["MLFLOW_TRACKING_TOKEN"] = "t0k3n", ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "1", ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = "7" };
        var basic = new Dictionary<string, string> { ["MLFLOW_TRACKING_USERNAME"] = "ada", ["MLFLOW_TRACKING_PASSWORD"] = "pw", ["MLFLOW_TRACKING_INSECURE_TLS"] = "true" };

        var bearerSettings = MlflowServerSettings.FromEnvironment(new Uri(stub.Url), bearer.GetValueOrDefault);
        var basicSettings = MlflowServerSettings.FromEnvironment(new Uri(stub.Url), basic.GetValueOrDefault);
        using (var store = (ServerTrackingStore)TrackingStoreFactory.Open(stub.Url, Path.Combine(_dir, "cache"), bearer.GetValueOrDefault))
        {
            Assert.Null(store.FindExperiment("x"));
        }

        using (var store = (ServerTrackingStore)TrackingStoreFactory.Open(stub.Url, Path.Combine(_dir, "cache"), basic.GetValueOrDefault))
        {
            Assert.Null(store.FindExperiment("x"));
        }

        Assert.Equal(["Bearer t0k3n", "Basic " + Convert.ToBase64String("ada:pw"u8.ToArray())], stub.Authorizations);
        Assert.Equal(1, bearerSettings.MaxRetries);
        Assert.Equal(TimeSpan.FromSeconds(7), bearerSettings.AttemptTimeout);
        Assert.True(basicSettings.InsecureTls);
        Assert.False(bearerSettings.InsecureTls);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5000", true)]
    [InlineData("HTTPS://mlflow.example.org/prefix", true)]
    [InlineData("mlruns", false)]
    [InlineData("file:mlruns", false)]
    [InlineData("file:///tmp/somewhere/mlruns", false)]
    public void ATrackingUriOpensAServerOrAFileStore(string uri, bool server)
    {
        var store = TrackingStoreFactory.Open(uri, Path.Combine(_dir, "cache"));
        (store as IDisposable)?.Dispose();

        Assert.Equal(server, store is ServerTrackingStore);
        if (store is FileTrackingStore file)
        {
            Assert.Equal("mlruns", Path.GetFileName(file.Root));
            Assert.Equal(uri.StartsWith("file:///", StringComparison.Ordinal) ? "/tmp/somewhere/mlruns" : Path.GetFullPath("mlruns"), file.Root);
        }
    }

    [Fact]
    public async Task ADatabaseUriIsRefusedWithWhatToDoInstead()
    {
        var (exit, _, error) = await ServerTestSupport.RunCliAsync("promote", "--tracking-uri", "sqlite:///tmp/mlflow.db");

        Assert.Equal(1, exit);
        AssertOneCleanLine(error);
        Assert.Contains("'sqlite'", error, StringComparison.Ordinal);
        Assert.Contains("point LatentLens at that server", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TrackingUriAndMlrunsTogetherAreRefused()
    {
        var (exit, _, error) = await ServerTestSupport.RunCliAsync("promote", "--tracking-uri", "http://127.0.0.1:5000", "--mlruns", Path.Combine(_dir, "mlruns"));

        Assert.Equal(1, exit);
        AssertOneCleanLine(error);
        Assert.Contains("Give --tracking-uri or --mlruns, not both.", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("postgresql://db/mlflow")]
    [InlineData("http://")]
    public void AnUnusableTrackingUriInTheApisSettingsFailsStartUpNamingTheSetting(string uri)
    {
        using var factory = new ServerApiFactory(uri, Path.Combine(_dir, "mlruns"), Path.Combine(_dir, "cache"), 1, setting: "LatentLens:TrackingUri");

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        var messages = string.Join(" | ", Flatten(error).Select(e => e.Message));
        Assert.Contains("LatentLens:TrackingUri", messages, StringComparison.Ordinal);
        Assert.IsType<Microsoft.Extensions.Options.OptionsValidationException>(Flatten(error).Last());
    }

    private static IEnumerable<Exception> Flatten(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }

    [Fact]
    public async Task MigrateNeedsAServer()
    {
        var (exit, _, error) = await ServerTestSupport.RunCliAsync("migrate", "--mlruns", Path.Combine(TestPaths.RepositoryRoot, "mlruns"), "--tracking-uri", Path.Combine(_dir, "other"));

        Assert.Equal(1, exit);
        AssertOneCleanLine(error);
        Assert.Contains("migrate copies into a tracking server", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mlflow-artifacts:/1/abc/artifacts", "1/abc/artifacts")]
    [InlineData("mlflow-artifacts://mlflow.example.org:5000/1/abc/artifacts", "1/abc/artifacts")]
    [InlineData("http://host:5000/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts", "1/abc/artifacts")]
    [InlineData("s3://bucket/1/abc/artifacts", null)]
    [InlineData("/var/mlruns/1/abc/artifacts", null)]
    public void ProxiedArtifactUrisMapToTheProxysPaths(string artifactUri, string? proxyPath) =>
        Assert.Equal(proxyPath, ServerTrackingStore.ProxyPath(artifactUri));

    [Fact]
    public void TheFileStoreReadsAWholeMetricHistoryThroughTheInterface()
    {
        ITrackingStore store = new FileTrackingStore(Path.Combine(_dir, "mlruns"));
        var experiment = store.GetOrCreateExperiment("e");
        var run = store.StartRun(experiment, "r", "u");
        run.LogMetric("m", 1, 0, 1000);
        run.LogMetric("m", 2, 1, 2000);
        run.End(RunStatus.Finished);

        Assert.Equal([new MetricPoint(1000, 1, 0), new MetricPoint(2000, 2, 1)], store.ReadMetricHistory(run.RunId, "m"));
        Assert.Empty(store.ReadMetricHistory(run.RunId, "none"));
    }
}
