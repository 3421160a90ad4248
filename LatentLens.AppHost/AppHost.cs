using LatentLens;
using LatentLens.AppHost;
using LatentLens.AppHost.Compose;
using Microsoft.Extensions.Hosting;

// The system diagram: the API and the MLflow UI, both looking at one MLflow file store.
var builder = DistributedApplication.CreateBuilder(args);

// The store is defined once: the UI mounts it, the API is told where it is (and mounts it when published).
// LatentLens:Mlruns points a run of the app host at another store (the tests give it a copy).
var repository = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, ".."));
var mlruns = builder.Configuration["LatentLens:Mlruns"] is { Length: > 0 } other
    ? Path.GetFullPath(other)
    : Path.Combine(repository, LatentLensConventions.MlrunsFolderName);

var api = builder.AddProject<Projects.LatentLens_Api>("api", launchProfileName: null)
    .WithHttpEndpoint(port: 8000, name: "http", isProxied: false)
    .WithHttpHealthCheck("/ready")
    .WithUrlForEndpoint("http", url => url.DisplayText = "API")
    .WithEndpointPageUrl("http", "/health", "API health")
    .WithEndpointPageUrl("http", "/scalar", "API reference")
    .WithHttpCommand(LatentLensConventions.ReloadPath, "Reload model", commandName: "reload-model",
        commandOptions: new() { Method = HttpMethod.Post, Description = "Load the champion from mlruns/ now", IconName = "ArrowSync", GetCommandResult = ApiCommandResults.FromResponseAsync })
    // Published as the original compose service: built from the root Dockerfile, the store mounted at /app/mlruns.
    .WithComposeBuild(repository)
    .WithPublishedBindMount(mlruns, $"/app/{LatentLensConventions.MlrunsFolderName}")
    .WithComposeHostname("latentlens-api");

if (builder.ExecutionContext.IsRunMode)
{
    // The admin endpoints behind the dashboard's commands exist only here, never in the published deployment.
    api.WithEnvironment("ASPNETCORE_ENVIRONMENT", builder.Environment.EnvironmentName)
        .WithEnvironment(LatentLensConventions.MlrunsPathVariable, mlruns)
        .WithEnvironment(LatentLensConventions.EnableAdminEndpointsVariable, builder.Environment.IsDevelopment() ? "true" : "false");

    // Training runs in a process of its own, started from the dashboard (its start button or the
    // API's "Train new model"), never inside the API: it would take the cores that serve requests.
    var trainer = builder.AddTrainer("trainer", mlruns);
    api.WithStartTrainerCommand(trainer);
}

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

builder.AddComposePublishing();

builder.Build().Run();
