using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using LatentLens.AppHost;
using LatentLens.AppHost.Compose;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LatentLens.Tests.AppHost;

/// <summary>
/// The app host with LatentLens:Topology=server: PostgreSQL, an MLflow tracking server built on the
/// official image, two API replicas told the server's URL. Declared and published here; the containers
/// cannot run on a machine without a container engine.
/// </summary>
[Trait(TestCategories.Key, TestCategories.Slow)]
public sealed class ServerTopologyTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);
    private readonly string _output = TestPaths.NewTempFolder();
    private readonly List<DistributedApplication> _apps = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }

        Directory.Delete(_output, recursive: true);
    }

    private async Task<DistributedApplicationModel> ModelAsync(params string[] args)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.LatentLens_AppHost>(["--LatentLens:Topology=server", .. args], cts.Token);
        var app = await builder.BuildAsync(cts.Token);
        _apps.Add(app);
        return app.Services.GetRequiredService<DistributedApplicationModel>();
    }

    private Task<DistributedApplicationModel> PublishModelAsync() =>
        ModelAsync("--operation", "publish", "--step", "publish", "--output-path", Path.Combine(_output, "model")); // Aspire may write there on its own

    [Fact]
    public async Task TheServerTopologyIsPostgresAnMlflowServerAndTwoApiReplicasWithoutTheFileStoreUi()
    {
        var model = await ModelAsync();

        Assert.Equal(["api", "mlflow", "mlflow-db", "postgres", "trainer"],
            model.Resources.Where(r => r is ProjectResource or ContainerResource or PostgresDatabaseResource).Select(r => r.Name).Order());
        var api = model.Resources.Single(r => r.Name == "api");
        Assert.Equal(2, api.Annotations.OfType<ReplicaAnnotation>().Single().Replicas);
        var endpoint = api.Annotations.OfType<EndpointAnnotation>().Single();
        Assert.Equal(8000, endpoint.Port);
        Assert.True(endpoint.IsProxied, "two replicas share port 8000 through Aspire's proxy");
        Assert.Contains(api.Annotations.OfType<WaitAnnotation>(), w => w.Resource.Name == "mlflow");
        Assert.Empty(api.Annotations.OfType<ContainerMountAnnotation>());
    }

    [Fact]
    public async Task TheMlflowServerIsBuiltOnTheOfficialImageWithPostgresAsBackendAndServesArtifactsFromAVolume()
    {
        var model = await ModelAsync();
        var mlflow = Assert.IsType<ContainerResource>(model.Resources.Single(r => r.Name == "mlflow"), exactMatch: false);

        var build = mlflow.Annotations.OfType<DockerfileBuildAnnotation>().Single();
        Assert.Equal(Path.Combine(TestPaths.RepositoryRoot, "deploy", "mlflow-server"), build.ContextPath);
        var dockerfile = File.ReadAllLines(Path.Combine(build.ContextPath, "Dockerfile"));
        Assert.Contains("FROM ghcr.io/mlflow/mlflow:v2.12.1", dockerfile);
        Assert.Contains(dockerfile, line => line.StartsWith("RUN pip install", StringComparison.Ordinal) && line.Contains("psycopg2", StringComparison.Ordinal));
        Assert.Equal(5000, mlflow.Annotations.OfType<EndpointAnnotation>().Single().Port);
        Assert.NotEmpty(mlflow.Annotations.OfType<HealthCheckAnnotation>());
        var volume = Assert.Single(mlflow.Annotations.OfType<ContainerMountAnnotation>());
        Assert.Equal((ContainerMountType.Volume, "latentlens-mlflow-artifacts", "/mlartifacts"), (volume.Type, volume.Source, volume.Target));
        var postgres = model.Resources.Single(r => r.Name == "postgres");
        Assert.Contains(postgres.Annotations.OfType<ContainerMountAnnotation>(), m => m.Type == ContainerMountType.Volume && m.Source == "latentlens-postgres-data");
        Assert.Contains(mlflow.Annotations.OfType<WaitAnnotation>(), w => w.Resource.Name == "mlflow-db");
        // The backend URI (it holds the password) is MLflow's variable, not an argument anyone can read in a process list.
        var args = new List<object>();
        foreach (var callback in mlflow.Annotations.OfType<CommandLineArgsCallbackAnnotation>())
        {
            await callback.Callback(new CommandLineArgsCallbackContext(args, mlflow, CancellationToken.None));
        }

        Assert.Equal(["mlflow", "server", "--host", "0.0.0.0", "--port", "5000", "--serve-artifacts", "--artifacts-destination", "/mlartifacts"], args.Cast<string>());
        var environment = new Dictionary<string, object>();
        foreach (var callback in mlflow.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), mlflow, environment));
        }

        var backend = Assert.IsType<ReferenceExpression>(environment["MLFLOW_BACKEND_STORE_URI"]);
        Assert.StartsWith("postgresql://", backend.Format, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheApiAndTheTrainerAreToldTheServersUrl()
    {
        var model = await ModelAsync();
        foreach (var name in new[] { "api", "trainer" })
        {
            var resource = model.Resources.Single(r => r.Name == name);
            var environment = new Dictionary<string, object>();
            foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
            {
                await callback.Callback(new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), resource, environment));
            }

            var tracking = Assert.IsType<EndpointReference>(environment["MLFLOW_TRACKING_URI"]);
            Assert.Equal(("mlflow", "http"), (tracking.Resource.Name, tracking.EndpointName));
        }
    }

    [Fact]
    public async Task PublishingTheServerTopologyWritesItsOwnComposeFileWithNoSecretInIt()
    {
        var model = await PublishModelAsync();

        var yaml = await ComposePublisher.RenderAsync(model, TestPaths.RepositoryRoot, new DistributedApplicationExecutionContext(DistributedApplicationOperation.Publish), CancellationToken.None);

        var postgresImage = model.Resources.Single(r => r.Name == "postgres").TryGetContainerImageName(out var image) ? image : null;
        Assert.Equal($$"""
            version: '3.8'
            services:
              api:
                build: .
                ports:
                  - "8000-8001:8000"
                hostname: latentlens-api
                environment:
                  MLFLOW_TRACKING_URI: http://mlflow:5000
                depends_on:
                  - mlflow
                deploy:
                  replicas: 2
              postgres:
                image: {{postgresImage}}
                volumes:
                  - latentlens-postgres-data:/var/lib/postgresql
                environment:
                  POSTGRES_USER: postgres
                  POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?}
                  POSTGRES_DB: mlflow
              mlflow:
                build: ./deploy/mlflow-server
                ports:
                  - "5000:5000"
                volumes:
                  - latentlens-mlflow-artifacts:/mlartifacts
                command: mlflow server --host 0.0.0.0 --port 5000 --serve-artifacts --artifacts-destination /mlartifacts
                environment:
                  MLFLOW_BACKEND_STORE_URI: postgresql://postgres:${POSTGRES_PASSWORD:?}@postgres:5432/mlflow
                depends_on:
                  - postgres
            volumes:
              latentlens-postgres-data: {}
              latentlens-mlflow-artifacts: {}

            """, yaml);
        Assert.DoesNotContain(model.Resources, r => r.Name is "trainer" or "mlflow-ui");
    }

    [RequiresDockerComposeFact]
    public async Task DockerComposeAcceptsThePublishedServerTopologyAndRefusesItWithoutThePassword()
    {
        var model = await PublishModelAsync();
        var file = await ComposePublisher.WriteAsync(model, _output, new DistributedApplicationExecutionContext(DistributedApplicationOperation.Publish));

        var (exit, output, error) = await DockerCompose.ConfigAsync(file, environment: new Dictionary<string, string?> { ["POSTGRES_PASSWORD"] = "example" });
        Assert.True(exit == 0, error);
        Assert.Contains("replicas: 2", output, StringComparison.Ordinal);
        Assert.Contains("postgresql://postgres:example@postgres:5432/mlflow", output, StringComparison.Ordinal);

        var (missingExit, _, missing) = await DockerCompose.ConfigAsync(file, environment: new Dictionary<string, string?> { ["POSTGRES_PASSWORD"] = null });
        Assert.NotEqual(0, missingExit);
        Assert.Contains("POSTGRES_PASSWORD", missing, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "File")]
    [InlineData("file", "File")]
    [InlineData(" Server ", "Server")]
    public void TheTopologySettingIsReadCaseInsensitively(string? value, string expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("LatentLens:Topology", value)]).Build();

        Assert.Equal(expected, Topology.FromConfiguration(configuration).ToString());
    }

    [Fact]
    public void AnUnknownTopologyStopsTheAppHostNamingTheSetting()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("LatentLens:Topology", "cluster")]).Build();

        var error = Assert.Throws<InvalidOperationException>(() => Topology.FromConfiguration(configuration));
        Assert.Contains("LatentLens:Topology is 'cluster'", error.Message, StringComparison.Ordinal);
    }
}
