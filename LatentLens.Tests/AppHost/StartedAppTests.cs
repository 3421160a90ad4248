using Aspire.Hosting;
using Aspire.Hosting.Testing;

namespace LatentLens.Tests.AppHost;

/// <summary>Starts the app host once for the class. Without a container engine the MLflow UI cannot start; the API must still run.</summary>
public sealed class StartedAppFixture : IAsyncLifetime
{
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public DistributedApplication App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        // Without an engine DCP otherwise waits for one for 30 s and then fails the start.
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.LatentLens_AppHost>(
            ["--DcpPublisher:ContainerRuntimeInitializationTimeout=00:00:00"], cts.Token);
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
    }
}

[CollectionDefinition(Name)]
public sealed class StartedAppCollection : ICollectionFixture<StartedAppFixture>
{
    public const string Name = "started app host";
}

[Collection(StartedAppCollection.Name)]
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
}
