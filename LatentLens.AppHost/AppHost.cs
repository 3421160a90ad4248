using LatentLens;
using LatentLens.AppHost;
using LatentLens.AppHost.Compose;
using Microsoft.Extensions.Hosting;

// The system diagram. By default (LatentLens:Topology=file) the original system: the API and the
// MLflow UI, both looking at one MLflow file store. With LatentLens:Topology=server: PostgreSQL, an
// MLflow tracking server (its own UI on 5000) and two API replicas that reach it over its REST API.
var builder = DistributedApplication.CreateBuilder(args);
var topology = Topology.FromConfiguration(builder.Configuration);

// The store is defined once: the UI mounts it, the API is told where it is (and mounts it when published).
// LatentLens:Mlruns points a run of the app host at another store (the tests give it a copy).
var repository = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, ".."));
var mlruns = builder.Configuration["LatentLens:Mlruns"] is { Length: > 0 } other
    ? Path.GetFullPath(other)
    : Path.Combine(repository, LatentLensConventions.MlrunsFolderName);

var api = builder.AddProject<Projects.LatentLens_Api>("api", launchProfileName: null)
    // One process: port 8000 itself. Two replicas: 8000 is Aspire's proxy in front of them.
    .WithHttpEndpoint(port: 8000, name: "http", isProxied: topology == Topology.Server)
    .WithHttpHealthCheck("/ready")
    .WithUrlForEndpoint("http", url => url.DisplayText = "API")
    .WithEndpointPageUrl("http", "/health", "API health")
    .WithEndpointPageUrl("http", "/scalar", "API reference")
    .WithHttpCommand(LatentLensConventions.ReloadPath, "Reload model", commandName: "reload-model",
        commandOptions: new() { Method = HttpMethod.Post, Description = "Load the champion now", IconName = "ArrowSync", GetCommandResult = ApiCommandResults.FromResponseAsync })
    // Published as the original compose service: built from the root Dockerfile.
    .WithComposeBuild(repository)
    .WithComposeHostname("latentlens-api");

IResourceBuilder<ContainerResource>? trackingServer = null;
if (topology == Topology.File)
{
    // The store mounted at /app/mlruns when published, as in the original compose file.
    api.WithPublishedBindMount(mlruns, $"/app/{LatentLensConventions.MlrunsFolderName}");

    // The MLflow UI: its container (the original system, and always what is published), or, with
    // LatentLens:MlflowUi=executable, `mlflow ui` on this machine for those without a container engine.
    if (builder.ExecutionContext.IsRunMode && MlflowUiMode.FromConfiguration(builder.Configuration) == MlflowUiMode.Executable)
    {
        builder.AddMlflowUiExecutable("mlflow-ui", mlruns, builder.Configuration["LatentLens:MlflowCommand"])
            .WithExperimentPageUrl(mlruns, LatentLensConventions.ExperimentName);
    }
    else
    {
        builder.AddMlflowUi("mlflow-ui")
            .WithMlrunsBindMount(mlruns)
            .WithExperimentPageUrl(mlruns, LatentLensConventions.ExperimentName);
    }
}
else
{
    var mlflow = builder.AddMlflowTrackingServer("mlflow", Path.Combine(repository, "deploy", "mlflow-server"));
    var tracking = mlflow.GetEndpoint(MlflowServerResourceBuilderExtensions.HttpEndpointName);
    // Service discovery (services__mlflow__http__0) and MLflow's own variable, both naming the server.
    api.WithReplicas(2)
        .WithReference(tracking)
        .WithEnvironment(LatentLensConventions.TrackingUriVariable, tracking)
        .WithPublishedEnvironment(LatentLensConventions.TrackingUriVariable, tracking)
        .WaitFor(mlflow);
    trackingServer = mlflow;
}

if (builder.ExecutionContext.IsRunMode)
{
    // The admin endpoint behind the dashboard's command exists only here, never in the published deployment.
    api.WithEnvironment("ASPNETCORE_ENVIRONMENT", builder.Environment.EnvironmentName)
        .WithEnvironment(LatentLensConventions.EnableAdminEndpointsVariable, builder.Environment.IsDevelopment() ? "true" : "false");

    // Training runs in a process of its own, started from the dashboard (its start button or the
    // API's "Train new model"), never inside the API: it would take the cores that serve requests.
    var trainer = builder.AddTrainer("trainer", mlruns);
    if (trackingServer is not null)
    {
        trainer.WithEnvironment(LatentLensConventions.TrackingUriVariable, trackingServer.GetEndpoint(MlflowServerResourceBuilderExtensions.HttpEndpointName));
    }
    else
    {
        // MLflow's own variable too, so that one exported in the user's shell cannot point the API or the
        // trainer at another store than the folder the MLflow UI shows.
        api.WithEnvironment(LatentLensConventions.MlrunsPathVariable, mlruns)
            .WithEnvironment(LatentLensConventions.TrackingUriVariable, mlruns);
        trainer.WithEnvironment(LatentLensConventions.TrackingUriVariable, mlruns);
    }

    api.WithStartTrainerCommand(trainer);
}

builder.AddComposePublishing();

builder.Build().Run();
