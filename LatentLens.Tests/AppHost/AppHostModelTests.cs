using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using LatentLens.AppHost.Api;
using LatentLens.AppHost.Mlflow;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace LatentLens.Tests.AppHost;

/// <summary>The app host's application model, built once (run mode, nothing started) for a test class.</summary>
public sealed class AppHostModelFixture : IAsyncLifetime
{
    private DistributedApplication? _app;

    public DistributedApplicationModel Model => _app?.Services.GetRequiredService<DistributedApplicationModel>()
        ?? throw new InvalidOperationException("The model is built in InitializeAsync.");

    public async Task InitializeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.LatentLens_AppHost>(cts.Token);
        _app = await builder.BuildAsync(cts.Token);
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}

/// <summary>The application model as the app host declares it, built once for the class without starting anything.</summary>
public sealed class AppHostModelTests(AppHostModelFixture fixture) : IClassFixture<AppHostModelFixture>
{
    private DistributedApplicationModel Model => fixture.Model;

    private static Task<IExecutionConfigurationResult> ResolvePublishConfigurationAsync(IResource resource) =>
        ExecutionConfigurationBuilder.Create(resource)
            .WithArgumentsConfig()
            .WithEnvironmentVariablesConfig()
            .BuildAsync(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Publish), NullLogger.Instance, CancellationToken.None);

    [Fact]
    public void TheModelHasTheApiTheMlflowUiAndTheTrainer()
    {
        var names = Model.Resources
            .Where(r => r is ProjectResource or ContainerResource)
            .Select(r => r.Name)
            .Order()
            .ToArray();
        Assert.Equal(["api", "mlflow-ui", "trainer"], names);
    }

    [Fact]
    public async Task MlflowUiRunsTheOfficialImageOnPort5000WithTheUiCommand()
    {
        var mlflow = Assert.IsType<MlflowUiResource>(Model.Resources.Single(r => r.Name == "mlflow-ui"));

        Assert.True(mlflow.TryGetContainerImageName(out var image));
        Assert.Equal("ghcr.io/mlflow/mlflow:v2.12.1", image);

        var endpoint = Assert.Single(mlflow.Annotations.OfType<EndpointAnnotation>());
        Assert.Equal(5000, endpoint.Port);
        Assert.Equal(5000, endpoint.TargetPort);
        Assert.Equal("http", endpoint.UriScheme);

        var config = await ResolvePublishConfigurationAsync(mlflow);
        var args = config.Arguments.Select(a => a.Value).ToArray();
        Assert.Equal(["mlflow", "ui", "--host", "0.0.0.0", "--backend-store-uri", "/mlruns"], args);
    }

    [Fact]
    public void MlflowUiMountsTheRepositoryMlrunsReadWriteAtSlashMlruns()
    {
        var mlflow = Model.Resources.Single(r => r.Name == "mlflow-ui");

        Assert.True(mlflow.TryGetContainerMounts(out var mounts));
        var mount = Assert.Single(mounts);
        Assert.Equal(ContainerMountType.BindMount, mount.Type);
        Assert.Equal(Path.Combine(TestPaths.RepositoryRoot, "mlruns"), mount.Source);
        Assert.Equal("/mlruns", mount.Target);
        Assert.False(mount.IsReadOnly);
    }

    [Fact]
    public async Task ApiListensOnPort8000AndIsToldWhereMlrunsIs()
    {
        var api = Assert.IsType<ProjectResource>(Model.Resources.Single(r => r.Name == "api"));

        var endpoint = Assert.Single(api.Annotations.OfType<EndpointAnnotation>());
        Assert.Equal("http", endpoint.Name);
        Assert.Equal(8000, endpoint.Port);

        var config = await ResolvePublishConfigurationAsync(api);
        var env = config.EnvironmentVariables.ToDictionary(e => e.Key, e => e.Value);
        Assert.Equal(Path.Combine(TestPaths.RepositoryRoot, "mlruns"), env["LatentLens__MlrunsPath"]);
    }

    [Fact]
    public void BothResourcesHaveHttpHealthChecks()
    {
        foreach (var name in new[] { "api", "mlflow-ui" })
        {
            var resource = Model.Resources.Single(r => r.Name == name);
            Assert.NotEmpty(resource.Annotations.OfType<HealthCheckAnnotation>());
        }
    }

    [Fact]
    public async Task TheApiHasTheDashboardCommandsAndItsHealthIsReadiness()
    {
        var api = Model.Resources.Single(r => r.Name == "api");

        var commands = api.Annotations.OfType<ResourceCommandAnnotation>().Select(c => (c.Name, c.DisplayName)).ToList();
        Assert.Contains(("reload-model", "Reload model"), commands);
        Assert.Contains(("train-model", "Train new model"), commands);
        var config = await ResolvePublishConfigurationAsync(api);
        Assert.Equal("true", config.EnvironmentVariables.ToDictionary(e => e.Key, e => e.Value)["LatentLens__EnableAdminEndpoints"]);
    }

    [Fact]
    public async Task TheTrainerIsTheApiProgramRunningTrainStartedOnlyByTheUserOverTheSameStore()
    {
        var trainer = Assert.IsType<ProjectResource>(Model.Resources.Single(r => r.Name == "trainer"));

        Assert.Single(trainer.Annotations.OfType<ExplicitStartupAnnotation>());
        Assert.Empty(trainer.Annotations.OfType<EndpointAnnotation>());
        var config = await ExecutionConfigurationBuilder.Create(trainer).WithArgumentsConfig().WithEnvironmentVariablesConfig()
            .BuildAsync(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), NullLogger.Instance, CancellationToken.None);
        Assert.Equal(
            ["train", "--algorithm", "funksvd", "--dataset", "ml-latest-small", "--register", "--promote-by", "rmse"],
            config.Arguments.Select(a => a.Value).ToArray());
        var environment = config.EnvironmentVariables.ToDictionary(e => e.Key, e => e.Value);
        Assert.Equal(Path.Combine(TestPaths.RepositoryRoot, "mlruns"), environment["LatentLens__MlrunsPath"]);
        // MLflow's variable names the same folder: one exported in the user's shell cannot take the trainer elsewhere.
        Assert.Equal(Path.Combine(TestPaths.RepositoryRoot, "mlruns"), environment["MLFLOW_TRACKING_URI"]);
        // Its arguments are app host parameters with defaults, changeable without editing code.
        var parameters = Model.Resources.OfType<ParameterResource>().Select(p => p.Name).ToHashSet();
        Assert.Superset(new HashSet<string> { "trainer-algorithm", "trainer-dataset", "trainer-promote-by" }, parameters);
    }

    [Fact]
    public async Task ThePublishedModelHasNoTrainer()
    {
        var output = TestPaths.NewTempFolder();
        try
        {
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.LatentLens_AppHost>(
                ["--operation", "publish", "--step", "publish", "--output-path", output]);
            var app = await builder.BuildAsync();
            var published = app.Services.GetRequiredService<DistributedApplicationModel>();

            Assert.DoesNotContain(published.Resources, r => r.Name == "trainer" || r is ParameterResource);
            Assert.DoesNotContain(published.Resources.Single(r => r.Name == "api").Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == "train-model");
            await app.DisposeAsync();
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Theory]
    [InlineData(200, """{"success":true,"message":"Serving x (run 1, version 2)."}""", true, "Serving x (run 1, version 2).")]
    [InlineData(503, """{"title":"No model loaded","detail":"No model to serve in /m.","status":503}""", false, "No model to serve in /m.")]
    [InlineData(409, """{"title":"Conflict","status":409}""", false, "Conflict")]
    [InlineData(502, "<html>bad gateway</html>", false, "HTTP 502 BadGateway")]
    public void CommandResultsShowTheApisMessageOrProblem(int status, string body, bool success, string message)
    {
        var result = ApiCommandResults.From((System.Net.HttpStatusCode)status, body);

        Assert.Equal(success, result.Success);
        Assert.Equal(message, result.Message);
    }

    [Fact]
    public void TheMlflowExperimentPageLinkFindsTheCommittedExperiment()
    {
        var id = MlflowUiResourceBuilderExtensions.FindExperimentId(Path.Combine(TestPaths.RepositoryRoot, "mlruns"), "LatentLens-SVD-Evaluation");

        Assert.NotNull(id);
        Assert.True(File.Exists(Path.Combine(TestPaths.RepositoryRoot, "mlruns", id, "meta.yaml")));
    }

    [Fact]
    public void TheExperimentIdIsReadFromTheActiveExperimentsMetaYamlSkippingUnreadableOnes()
    {
        var mlruns = TestPaths.NewTempFolder();
        try
        {
            void Meta(string folder, string text)
            {
                Directory.CreateDirectory(Path.Combine(mlruns, folder));
                File.WriteAllText(Path.Combine(mlruns, folder, "meta.yaml"), text);
            }

            Meta("1", "experiment_id: '1'\nlifecycle_stage: deleted\nname: LatentLens-SVD-Evaluation\n");
            Meta("2", "name: [LatentLens-SVD-Evaluation\n");
            Meta("3", "just a line\n");
            Meta("4", "experiment_id: '4'\nlifecycle_stage: active\nname: 'Other'\n");
            Meta("5", "artifact_location: 'mlruns/5'\nexperiment_id: '5'\nlifecycle_stage: 'active'\nname: LatentLens-SVD-Evaluation\ntags: {}\n");
            Directory.CreateDirectory(Path.Combine(mlruns, "models"));

            Assert.Equal("5", MlflowUiResourceBuilderExtensions.FindExperimentId(mlruns, "LatentLens-SVD-Evaluation"));
            Assert.Null(MlflowUiResourceBuilderExtensions.FindExperimentId(mlruns, "Missing"));
            Assert.Null(MlflowUiResourceBuilderExtensions.FindExperimentId(Path.Combine(mlruns, "absent"), "LatentLens-SVD-Evaluation"));
        }
        finally
        {
            Directory.Delete(mlruns, recursive: true);
        }
    }

    [Fact]
    public void TheRepositoryMlrunsHoldsTrashAndModels()
    {
        var mlruns = Path.Combine(TestPaths.RepositoryRoot, "mlruns");
        Assert.True(Directory.Exists(Path.Combine(mlruns, ".trash")));
        Assert.True(Directory.Exists(Path.Combine(mlruns, "models")));
    }
}
