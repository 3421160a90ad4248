using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using LatentLens.Api.Tracking.FileStore;
using Microsoft.Extensions.DependencyInjection;

namespace LatentLens.Tests.AppHost;

/// <summary>
/// Starts the app host once for the class, over a copy of the committed store (the trainer writes
/// to it). Without a container engine the MLflow UI cannot start; the API must still run.
/// </summary>
public sealed class StartedAppFixture : IAsyncLifetime
{
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    private readonly string _folder = TestPaths.NewTempFolder();

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>The store the app host's resources use: a copy of the repository's <c>mlruns/</c>.</summary>
    public string Mlruns => Path.Combine(_folder, "mlruns");

    public async Task InitializeAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        TestPaths.CopyFolder(Path.Combine(TestPaths.RepositoryRoot, "mlruns"), Mlruns);
        // Without an engine DCP otherwise waits for one for 30 s and then fails the start.
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.LatentLens_AppHost>(
            ["--DcpPublisher:ContainerRuntimeInitializationTimeout=00:00:00", $"--LatentLens:Mlruns={Mlruns}"], cts.Token);
        App = await builder.BuildAsync(cts.Token);
        await App.StartAsync(cts.Token);
        await App.ResourceNotifications.WaitForResourceHealthyAsync("api", cts.Token);
    }

    public async Task DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        Directory.Delete(_folder, recursive: true);
    }

}

[CollectionDefinition(Name)]
public sealed class StartedAppCollection : ICollectionFixture<StartedAppFixture>
{
    public const string Name = "started app host";
}

[Collection(StartedAppCollection.Name)]
[Trait(TestCategories.Key, TestCategories.Slow)]
public sealed class StartedAppTests(StartedAppFixture fixture)
{
    [Fact]
    public async Task ApiHealthAnswersOkJsonThroughTheAppHost()
    {
        using var cts = new CancellationTokenSource(StartedAppFixture.Timeout);
        using var client = fixture.App.CreateHttpClient("api", "http");

        using var response = await client.GetAsync("/health", cts.Token);

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("""{"status":"ok"}""", await response.Content.ReadAsStringAsync(cts.Token));
    }

    [Fact]
    public async Task ApiAnswersOnFixedPort8000()
    {
        using var cts = new CancellationTokenSource(StartedAppFixture.Timeout);
        using var client = new HttpClient();

        var body = await client.GetStringAsync("http://127.0.0.1:8000/health", cts.Token);

        Assert.Equal("""{"status":"ok"}""", body);
    }

    [Fact]
    public async Task TheTrainerWaitsForTheUserThenTrainsRecordsRegistersAndTheApiServesTheChampion()
    {
        using var cts = new CancellationTokenSource(StartedAppFixture.Timeout);
        var app = fixture.App;
        var registry = new FileTrackingStore(fixture.Mlruns);
        var versionsBefore = registry.FindRegisteredModel(LatentLensConventions.RegisteredModelName)!.Versions.Count;

        // Declared with WithExplicitStart: nothing runs until the user asks.
        await app.ResourceNotifications.WaitForResourceAsync("trainer", KnownResourceStates.NotStarted, cts.Token);
        await using var console = new ConsoleCapture(app, "trainer");
        var started = await app.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync("api", "train-model", cts.Token);
        Assert.True(started.Success, started.Message);
        var ended = await app.ResourceNotifications.WaitForResourceAsync("trainer",
            e => e.Snapshot.ExitCode is not null && KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), cts.Token);

        // Its console (the dashboard's console log) shows every epoch and what was recorded.
        await console.WaitForAsync("champion ", TimeSpan.FromSeconds(10));
        Assert.True(ended.Snapshot.ExitCode == 0, console.Text);
        Assert.Contains("epoch  20  train RMSE", console.Text, StringComparison.Ordinal);
        var model = new FileTrackingStore(fixture.Mlruns).FindRegisteredModel(LatentLensConventions.RegisteredModelName)!;
        Assert.Equal(versionsBefore + 1, model.Versions.Count);
        var newest = model.Versions.MaxBy(v => v.Version)!;
        Assert.True(console.Text.Contains($"Registered funksvd-f100-e20 as LatentLens-SVD version {newest.Version}.", StringComparison.Ordinal), console.Text);

        // The API was never called to train; it finds the champion the trainer left by polling the store.
        var champion = model.Versions.Single(v => v.Version == model.Aliases[LatentLensConventions.ChampionAlias]);
        using var client = app.CreateHttpClient("api", "http");
        var served = await Eventually.ValueAsync(
            async token => await client.GetFromJsonAsync<JsonElement>("/model", token),
            m => m.GetProperty("runId").GetString() == champion.RunId,
            $"the API serves the trainer's champion, run {champion.RunId}");

        Assert.Equal(champion.Version, served.GetProperty("version").GetInt32());
        Assert.Equal("champion", served.GetProperty("chosenBy").GetString());
    }

    /// <summary>Collects what the resource writes to its console from now on (what the dashboard's console shows).</summary>
    private sealed class ConsoleCapture : IAsyncDisposable
    {
        private readonly List<string> _lines = [];
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _watching;

        public ConsoleCapture(DistributedApplication app, string resource) =>
            _watching = WatchAsync(
                app.Services.GetRequiredService<ResourceLoggerService>(),
                app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == resource));

        public string Text
        {
            get
            {
                lock (_lines)
                {
                    return string.Join('\n', _lines);
                }
            }
        }

        /// <summary>Waits until a line contains <paramref name="text"/>; fails the test, showing the console, when the time is up.</summary>
        public Task WaitForAsync(string text, TimeSpan timeout) =>
            Eventually.ValueAsync(_ => Task.FromResult(Text), t => t.Contains(text, StringComparison.Ordinal), $"the console shows '{text}'", timeout);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _watching;
            _stop.Dispose();
        }

        private async Task WatchAsync(ResourceLoggerService logs, IResource resource)
        {
            try
            {
                await foreach (var batch in logs.WatchAsync(resource).WithCancellation(_stop.Token))
                {
                    lock (_lines)
                    {
                        _lines.AddRange(batch.Select(l => l.Content));
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Disposed.
            }
        }
    }
}
