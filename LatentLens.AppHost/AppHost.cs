// The system diagram: the API and the MLflow UI, both looking at one MLflow file store.
var builder = DistributedApplication.CreateBuilder(args);

// The store is defined once: the UI mounts it, the API is told where it is (and mounts it when published).
var repository = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, ".."));
var mlruns = Path.Combine(repository, "mlruns");

var api = builder.AddProject<Projects.LatentLens_Api>("api", launchProfileName: null)
    .WithHttpEndpoint(port: 8000, name: "http", isProxied: false)
    .WithHttpHealthCheck("/health")
    .WithUrlForEndpoint("http", url => url.DisplayText = "API")
    .WithUrls(context =>
    {
        var http = context.Urls.FirstOrDefault(u => u.Endpoint?.EndpointName == "http");
        if (http is not null)
        {
            context.Urls.Add(new ResourceUrlAnnotation { Url = http.Url.TrimEnd('/') + "/health", DisplayText = "API health", Endpoint = http.Endpoint });
        }
    })
    // Published as the original compose service: built from the root Dockerfile, the store mounted at /app/mlruns.
    .WithComposeBuild(repository)
    .WithPublishedBindMount(mlruns, "/app/mlruns")
    .WithComposeHostname("latentlens-api");

if (builder.ExecutionContext.IsRunMode)
{
    api.WithEnvironment("ASPNETCORE_ENVIRONMENT", builder.Environment.EnvironmentName)
        .WithEnvironment("LatentLens__MlrunsPath", mlruns);
}

builder.AddMlflowUi("mlflow-ui")
    .WithMlrunsBindMount(mlruns);

builder.AddComposePublishing();

builder.Build().Run();
