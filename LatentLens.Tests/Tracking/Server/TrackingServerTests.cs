using System.Diagnostics;
using System.Net;
using System.Text.Json;
using LatentLens.Api;
using LatentLens.Api.Tracking;
using LatentLens.Api.Tracking.FileStore;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LatentLens.Tests.Tracking.Server;

/// <summary>
/// Training, serving, promotion and migration against MLflow 2.12.1's real tracking server (one per test
/// run, shared by this collection; the migration gets an empty one of its own). Skipped, saying why,
/// where ../shared or MLflow's Python dependencies are missing.
/// </summary>
[Collection(MlflowServerCollection.Name)]
[Trait(TestCategories.Key, TestCategories.Slow)]
public sealed class TrackingServerTests(MlflowServerFixture fixture) : IDisposable
{
    private const string Model = LatentLensConventions.RegisteredModelName;
    private readonly string _dir = TestPaths.NewTempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string[] Train(string experiment, params string[] more) =>
        ["train", "--tracking-uri", fixture.Server.Url, "--experiment", experiment, "--data", ServerTestSupport.SmallRatings(_dir), "--folds", "2", .. more];

    [RequiresMlflowServerFact]
    public async Task TrainRegisterRecordsAFinishedRunWithHistoriesArtifactsAVersionAndTheChampion()
    {
        var experiment = $"server-train-{Guid.NewGuid():N}";
        var (exit, _, error) = await ServerTestSupport.RunCliAsync(Train(experiment, "--algorithm", "funksvd", "--factors", "4", "--epochs", "5", "--register"));
        Assert.True(exit == 0, error);

        using var rest = new MlflowRest(fixture.Server.Uri);
        var runs = await rest.RunsAsync(await rest.ExperimentIdAsync(experiment));
        var run = Assert.Single(runs);
        var info = run.GetProperty("info");
        var runId = info.GetProperty("run_id").GetString()!;
        Assert.Equal("FINISHED", info.GetProperty("status").GetString());
        Assert.Equal("funksvd-f4-e5", info.GetProperty("run_name").GetString());
        Assert.StartsWith("mlflow-artifacts:/", info.GetProperty("artifact_uri").GetString(), StringComparison.Ordinal);
        Assert.True(info.GetProperty("end_time").GetInt64() >= info.GetProperty("start_time").GetInt64());
        var metrics = MlflowRest.Metrics(run);
        Assert.InRange(metrics["rmse"], 0.1, 3);
        Assert.Contains("ndcg_at_10", metrics.Keys);
        Assert.Equal("4", MlflowRest.Pairs(run, "params")["factors"]);
        var tags = MlflowRest.Pairs(run, "tags");
        Assert.Equal("funksvd-f4-e5", tags["mlflow.runName"]);
        Assert.Contains("mlflow.log-model.history", tags.Keys);
        Assert.Contains("mlflow.note.content", tags.Keys);
        var input = Assert.Single(run.GetProperty("inputs").GetProperty("dataset_inputs").EnumerateArray());
        Assert.Equal(8, input.GetProperty("dataset").GetProperty("digest").GetString()!.Length);

        var history = await rest.HistoryAsync(runId, "train_rmse");
        Assert.Equal([1L, 2, 3, 4, 5], history.Select(p => p.Step).Order());

        var artifacts = await rest.ArtifactsAsync(runId);
        foreach (var file in new[] { "model/MLmodel", "model/model.json", "model/item_factors.npy", "model/code/latentlens_pyfunc.py", "evaluation.json" })
        {
            Assert.True(artifacts.TryGetValue(file, out var size) && size > 0, $"{file} is not listed: {string.Join(", ", artifacts.Keys)}");
        }

        var mlmodel = System.Text.Encoding.UTF8.GetString(await rest.DownloadAsync($"{info.GetProperty("experiment_id").GetString()}/{runId}/artifacts/model/MLmodel"));
        Assert.Contains("latentlens", mlmodel, StringComparison.Ordinal);

        var version = Assert.Single(await rest.VersionsAsync(Model), v => v.GetProperty("run_id").GetString() == runId);
        Assert.EndsWith($"{runId}/artifacts/model", version.GetProperty("source").GetString(), StringComparison.Ordinal);
        Assert.Equal((version.GetProperty("version").GetString()!, runId), await rest.AliasAsync(Model, LatentLensConventions.ChampionAlias));
    }

    [RequiresMlflowServerFact]
    public async Task TheApiServesTheServersChampionAndSwapsInAPromotedRunWithinTwoPollingIntervals()
    {
        const double interval = 2.0;
        var first = $"server-api-a-{Guid.NewGuid():N}";
        var second = $"server-api-b-{Guid.NewGuid():N}";
        var (exit, _, error) = await ServerTestSupport.RunCliAsync(Train(first, "--algorithm", "baseline", "--register"));
        Assert.True(exit == 0, error);
        using var rest = new MlflowRest(fixture.Server.Uri);
        var (_, championRun) = await rest.AliasAsync(Model, LatentLensConventions.ChampionAlias);

        await using var api = new ServerApiFactory(fixture.Server.Url, Path.Combine(_dir, "empty-mlruns"), Path.Combine(_dir, "model-cache"), interval);
        api.StartServer();
        using var client = new HttpClient { BaseAddress = api.Address, Timeout = TimeSpan.FromSeconds(30) };
        await Eventually.TrueAsync(async token => (await client.GetAsync("/ready", token)).StatusCode == HttpStatusCode.OK, "/ready answers 200", TimeSpan.FromSeconds(30));
        Assert.Equal(championRun, (await ModelAsync(client)).GetProperty("runId").GetString());
        Assert.True(Directory.Exists(Path.Combine(_dir, "model-cache", championRun, "model")), "the champion was not downloaded into the cache folder");
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(_dir, "model-cache"), ".partial-*"));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/users/1/recommendations?k=5")).StatusCode);

        (exit, _, error) = await ServerTestSupport.RunCliAsync(Train(second, "--algorithm", "funksvd", "--factors", "4", "--epochs", "5"));
        Assert.True(exit == 0, error);
        (exit, var output, error) = await ServerTestSupport.RunCliAsync("promote", "--tracking-uri", fixture.Server.Url, "--experiment", second, "--best-by", "rmse");
        Assert.True(exit == 0, error);
        var promoted = (await rest.AliasAsync(Model, LatentLensConventions.ChampionAlias)).RunId;
        Assert.NotEqual(championRun, promoted);
        Assert.Contains(promoted, output, StringComparison.Ordinal);

        var clock = Stopwatch.StartNew();
        await Eventually.TrueAsync(async _ => (await ModelAsync(client)).GetProperty("runId").GetString() == promoted, $"the API serves the promoted run {promoted}", TimeSpan.FromSeconds(30));
        Assert.True(clock.Elapsed.TotalSeconds <= 2 * interval, $"the promoted run was served after {clock.Elapsed.TotalSeconds:F2} s, more than two polling intervals ({interval} s)");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ready")).StatusCode);
    }

    [RequiresMlflowServerFact]
    public async Task MigrateCopiesTheCommittedStoreIntoAnEmptyServerAndCopiesNothingTheSecondTime()
    {
        using var server = await MlflowServer.StartAsync();
        var mlruns = Path.Combine(TestPaths.RepositoryRoot, "mlruns");
        var (exit, output, error) = await ServerTestSupport.RunCliAsync("migrate", "--mlruns", mlruns, "--tracking-uri", server.Url);
        Assert.True(exit == 0, error + output);
        Assert.Contains("73 run(s) copied, 0 already there", output, StringComparison.Ordinal);

        var source = new FileTrackingStore(mlruns);
        var experiment = Assert.Single(source.ReadExperiments(), e => e.Name == LatentLensConventions.ExperimentName);
        var sourceRuns = source.ReadRuns(experiment.Id);
        // popular, and six searches of 10 trials: a parent, 10 trial runs and the chosen run each.
        Assert.Equal(73, sourceRuns.Count);
        using var rest = new MlflowRest(server.Uri);
        var copied = await rest.RunsAsync(await rest.ExperimentIdAsync(LatentLensConventions.ExperimentName));
        Assert.Equal(sourceRuns.Count, copied.Count);
        var bySource = copied.ToDictionary(r => MlflowRest.Pairs(r, "tags")["latentlens.source_run_id"], StringComparer.Ordinal);
        var ids = bySource.ToDictionary(p => p.Key, p => p.Value.GetProperty("info").GetProperty("run_id").GetString()!, StringComparer.Ordinal);
        foreach (var run in sourceRuns)
        {
            var target = bySource[run.RunId];
            var info = target.GetProperty("info");
            var targetId = ids[run.RunId];
            Assert.Equal(run.RunName, info.GetProperty("run_name").GetString());
            Assert.Equal(run.Status.ToString().ToUpperInvariant(), info.GetProperty("status").GetString());
            Assert.Equal(run.StartTime, info.GetProperty("start_time").GetInt64());
            Assert.Equal(run.EndTime, info.GetProperty("end_time").GetInt64());
            Assert.Equal(run.Params, MlflowRest.Pairs(target, "params"));
            var tags = MlflowRest.Pairs(target, "tags");
            foreach (var (key, value) in run.Tags)
            {
                Assert.Equal(ids.Aggregate(value, (v, id) => v.Replace(id.Key, id.Value, StringComparison.Ordinal)), tags[key]);
            }

            if (run.ParentRunId is { } parent)
            {
                Assert.Equal(ids[parent], tags["mlflow.parentRunId"]);
            }

            foreach (var (key, points) in run.MetricHistories)
            {
                var history = await rest.HistoryAsync(targetId, key);
                Assert.Equal(
                    points.Select(p => (p.Timestamp, p.Value, p.Step)).Order(),
                    history.Order());
            }

            Assert.Equal(run.Inputs.Select(i => (i.DatasetName, i.DatasetDigest)),
                target.GetProperty("inputs").TryGetProperty("dataset_inputs", out var inputs)
                    ? inputs.EnumerateArray().Select(i => ((string?)i.GetProperty("dataset").GetProperty("name").GetString(), (string?)i.GetProperty("dataset").GetProperty("digest").GetString()))
                    : []);

            var localFiles = Directory.Exists(run.ArtifactsFolder)
                ? Directory.EnumerateFiles(run.ArtifactsFolder, "*", SearchOption.AllDirectories)
                    .ToDictionary(f => Path.GetRelativePath(run.ArtifactsFolder, f).Replace(Path.DirectorySeparatorChar, '/'), f => new FileInfo(f).Length, StringComparer.Ordinal)
                : [];
            Assert.Equal(localFiles.OrderBy(f => f.Key, StringComparer.Ordinal), (await rest.ArtifactsAsync(targetId)).OrderBy(f => f.Key, StringComparer.Ordinal));
        }

        var registry = source.FindRegisteredModel(Model)!;
        Assert.Equal(registry.Description, (await rest.GetAsync($"registered-models/get?name={Model}")).GetProperty("registered_model").GetProperty("description").GetString());
        var versions = await rest.VersionsAsync(Model);
        Assert.Equal(registry.Versions.Count, versions.Count);
        Assert.Equal(registry.Versions.Select(v => ids[v.RunId]).Order(), versions.Select(v => v.GetProperty("run_id").GetString()!).Order());
        Assert.Equal(ids[registry.Versions.Single(v => v.Version == registry.Aliases[LatentLensConventions.ChampionAlias]).RunId], (await rest.AliasAsync(Model, LatentLensConventions.ChampionAlias)).RunId);

        (exit, output, error) = await ServerTestSupport.RunCliAsync("migrate", "--mlruns", mlruns, "--tracking-uri", server.Url);
        Assert.True(exit == 0, error + output);
        Assert.Contains("0 run(s) copied, 73 already there", output, StringComparison.Ordinal);
        Assert.Contains($"0 model version(s) registered, {registry.Versions.Count} already there", output, StringComparison.Ordinal);
        Assert.Equal(copied.Count, (await rest.RunsAsync(await rest.ExperimentIdAsync(LatentLensConventions.ExperimentName))).Count);
        Assert.Equal(versions.Count, (await rest.VersionsAsync(Model)).Count);
    }

    [RequiresMlflowServerFact]
    public async Task WhenTheServerGoesDownTheApiKeepsServingItsModelAndLogsTheFailedCall()
    {
        using var server = await MlflowServer.StartAsync();
        var (exit, _, error) = await ServerTestSupport.RunCliAsync(
            "train", "--tracking-uri", server.Url, "--data", ServerTestSupport.SmallRatings(_dir), "--folds", "2", "--algorithm", "baseline", "--register");
        Assert.True(exit == 0, error);
        var logs = new RecordingLoggerProvider();
        await using var api = new ServerApiFactory(server.Url, Path.Combine(_dir, "empty-mlruns"), Path.Combine(_dir, "model-cache"), 0.5, logs);
        api.StartServer();
        using var client = new HttpClient { BaseAddress = api.Address, Timeout = TimeSpan.FromSeconds(30) };
        await Eventually.TrueAsync(async token => (await client.GetAsync("/ready", token)).StatusCode == HttpStatusCode.OK, "/ready answers 200", TimeSpan.FromSeconds(30));
        var served = (await ModelAsync(client)).GetProperty("runId").GetString();

        server.Dispose();

        await Eventually.TrueAsync(() => logs.Messages.Any(m => m.Contains("Checking " + server.Url, StringComparison.Ordinal) && m.Contains("is unreachable", StringComparison.Ordinal)), $"the API logs that {server.Url} is unreachable", TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ready")).StatusCode);
        Assert.Equal(served, (await ModelAsync(client)).GetProperty("runId").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/users/1/recommendations?k=5")).StatusCode);
    }

    private static async Task<JsonElement> ModelAsync(HttpClient client) =>
        JsonDocument.Parse(await client.GetStringAsync("/model")).RootElement.Clone();

}

/// <summary>The API on real Kestrel at 127.0.0.1, pointed at a tracking server through MLFLOW_TRACKING_URI.</summary>
internal sealed class ServerApiFactory : WebApplicationFactory<ApiEntryPoint>
{
    private readonly string _trackingUri;
    private readonly string _mlruns;
    private readonly string _cache;
    private readonly double _interval;
    private readonly ILoggerProvider? _logs;
    private readonly string _setting;

    /// <param name="setting">Where the URI is given: MLflow's environment variable, or <c>LatentLens:TrackingUri</c>.</param>
    public ServerApiFactory(string trackingUri, string mlruns, string cache, double interval, ILoggerProvider? logs = null, string setting = "MLFLOW_TRACKING_URI")
    {
        _logs = logs;
        _setting = setting;
        _trackingUri = trackingUri;
        _mlruns = mlruns;
        _cache = cache;
        _interval = interval;
        UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
    }

    public Uri Address => new(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting(_setting, _trackingUri);
        builder.UseSetting("LatentLens:MlrunsPath", _mlruns);
        builder.UseSetting("LatentLens:ModelCachePath", _cache);
        builder.UseSetting("LatentLens:ReloadIntervalSeconds", _interval.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (_logs is not null)
        {
            builder.ConfigureLogging(logging => logging.AddProvider(_logs));
        }
    }
}

/// <summary>Every log line of the API (message and exception message), for asserting on what it said.</summary>
internal sealed class RecordingLoggerProvider : ILoggerProvider
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _messages = new();

    public IReadOnlyList<string> Messages => [.. _messages];

    public ILogger CreateLogger(string categoryName) => new Recorder(_messages);

    public void Dispose()
    {
    }

    private sealed class Recorder(System.Collections.Concurrent.ConcurrentQueue<string> messages) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            messages.Enqueue($"{formatter(state, exception)}: {exception?.Message}");
    }
}
