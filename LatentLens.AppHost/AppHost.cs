// The system diagram: the API and the MLflow UI, both looking at one MLflow file store.
var builder = DistributedApplication.CreateBuilder(args);

// The store is defined once: the UI mounts it, the API is told where it is.
var mlruns = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "mlruns"));

builder.AddMlflowUi("mlflow-ui")
    .WithMlrunsBindMount(mlruns);

builder.AddProject<Projects.LatentLens_Api>("api", launchProfileName: null)
    .WithHttpEndpoint(port: 8000, name: "http", isProxied: false)
    .WithEnvironment("ASPNETCORE_ENVIRONMENT", builder.Environment.EnvironmentName)
    .WithEnvironment("LatentLens__MlrunsPath", mlruns)
    .WithHttpHealthCheck("/health")
    .WithUrlForEndpoint("http", url => url.DisplayText = "API")
    .WithUrls(context =>
    {
        var http = context.Urls.FirstOrDefault(u => u.Endpoint?.EndpointName == "http");
        if (http is not null)
        {
            context.Urls.Add(new ResourceUrlAnnotation { Url = http.Url.TrimEnd('/') + "/health", DisplayText = "API health", Endpoint = http.Endpoint });
        }
    });

builder.Build().Run();
