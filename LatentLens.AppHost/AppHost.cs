using Microsoft.Extensions.Hosting;

// The system diagram: the API and the MLflow UI, both looking at one MLflow file store.
var builder = DistributedApplication.CreateBuilder(args);

// The store is defined once: the UI mounts it, the API is told where it is (and mounts it when published).
var repository = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, ".."));
var mlruns = Path.Combine(repository, "mlruns");

var api = builder.AddProject<Projects.LatentLens_Api>("api", launchProfileName: null)
    .WithHttpEndpoint(port: 8000, name: "http", isProxied: false)
    .WithHttpHealthCheck("/ready")
    .WithUrlForEndpoint("http", url => url.DisplayText = "API")
    .WithEndpointPageUrl("http", "/health", "API health")
    .WithEndpointPageUrl("http", "/scalar", "API reference")
    .WithHttpCommand("/admin/reload", "Reload model", commandName: "reload-model",
        commandOptions: new() { Method = HttpMethod.Post, Description = "Load the champion from mlruns/ now", IconName = "ArrowSync", GetCommandResult = ApiCommandResults.FromResponseAsync })
    .WithHttpCommand("/admin/train", "Train new model", commandName: "train-model",
        commandOptions: new() { Method = HttpMethod.Post, Description = "Train FunkSvd on the bundled data, record the run, promote it when better", IconName = "Play", GetCommandResult = ApiCommandResults.FromResponseAsync })
    // Published as the original compose service: built from the root Dockerfile, the store mounted at /app/mlruns.
    .WithComposeBuild(repository)
    .WithPublishedBindMount(mlruns, "/app/mlruns")
    .WithComposeHostname("latentlens-api");

if (builder.ExecutionContext.IsRunMode)
{
    // The admin endpoints behind the dashboard's commands exist only here, never in the published deployment.
    api.WithEnvironment("ASPNETCORE_ENVIRONMENT", builder.Environment.EnvironmentName)
        .WithEnvironment("LatentLens__MlrunsPath", mlruns)
        .WithEnvironment("LatentLens__EnableAdminEndpoints", builder.Environment.IsDevelopment() ? "true" : "false");
}

builder.AddMlflowUi("mlflow-ui")
    .WithMlrunsBindMount(mlruns)
    .WithExperimentPageUrl(mlruns, "LatentLens-SVD-Evaluation");

builder.AddComposePublishing();

builder.Build().Run();
