using LatentLens.AppHost.Compose;
using LatentLens.AppHost.Mlflow;
using Microsoft.Extensions.Hosting;

namespace LatentLens.AppHost.Api;

/// <summary>The API project as the system diagram declares it: its endpoint, links, commands, store and compose service.</summary>
internal static class ApiResourceBuilderExtensions
{
    public const string HttpEndpointName = "http";
    public const int Port = 8000;

    /// <summary>
    /// Adds the API project <paramref name="name"/> on port 8000 with its readiness check, dashboard links and
    /// "Reload model" command, published as the original compose service (built from the Dockerfile in
    /// <paramref name="repository"/>, hostname <c>latentlens-api</c>).
    /// </summary>
    /// <param name="proxied">Whether 8000 is Aspire's proxy in front of replicas rather than the one process's own port.</param>
    public static IResourceBuilder<ProjectResource> AddApi(this IDistributedApplicationBuilder builder, [ResourceName] string name, string repository, bool proxied)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(repository);
        return builder.AddProject<Projects.LatentLens_Api>(name, launchProfileName: null)
            .WithHttpEndpoint(port: Port, name: HttpEndpointName, isProxied: proxied)
            .WithHttpHealthCheck("/ready")
            .WithUrlForEndpoint(HttpEndpointName, url => url.DisplayText = "API")
            .WithEndpointPageUrl(HttpEndpointName, "/health", "API health")
            .WithEndpointPageUrl(HttpEndpointName, "/scalar", "API reference")
            .WithHttpCommand(LatentLensConventions.ReloadPath, "Reload model", commandName: "reload-model",
                commandOptions: new() { Method = HttpMethod.Post, Description = "Load the champion now", IconName = "ArrowSync", GetCommandResult = ApiCommandResults.FromResponseAsync })
            .WithComposeBuild(repository)
            .WithComposeHostname("latentlens-api");
    }

    /// <summary>
    /// Points the API at the MLflow file store <paramref name="mlruns"/>: mounted at <c>/app/mlruns</c> when
    /// published (as in the original compose file); when run, named by <c>LatentLens__MlrunsPath</c> and by
    /// MLflow's own variable too, so that one exported in the user's shell cannot point the API at another
    /// store than the folder the MLflow UI shows.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithMlrunsStore(this IResourceBuilder<ProjectResource> builder, string mlruns)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(mlruns);
        builder.WithPublishedBindMount(mlruns, $"/app/{LatentLensConventions.MlrunsFolderName}");
        return builder.ApplicationBuilder.ExecutionContext.IsRunMode
            ? builder.WithEnvironment(LatentLensConventions.MlrunsPathVariable, mlruns)
                .WithEnvironment(LatentLensConventions.TrackingUriVariable, mlruns)
            : builder;
    }

    /// <summary>
    /// Points the API at the MLflow tracking server: service discovery (<c>services__mlflow__http__0</c>) and
    /// MLflow's own variable, run and published, both naming the server; the API starts once the server is up.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithTrackingServer(this IResourceBuilder<ProjectResource> builder, IResourceBuilder<ContainerResource> server)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(server);
        var tracking = server.GetEndpoint(MlflowServerResourceBuilderExtensions.HttpEndpointName);
        return builder.WithReference(tracking)
            .WithEnvironment(LatentLensConventions.TrackingUriVariable, tracking)
            .WithPublishedEnvironment(LatentLensConventions.TrackingUriVariable, tracking)
            .WaitFor(server);
    }

    /// <summary>
    /// Opens the admin endpoint behind the dashboard's commands in Development. Run mode only: the published
    /// deployment never has it.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithAdminEndpoints(this IResourceBuilder<ProjectResource> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var environment = builder.ApplicationBuilder.Environment;
        return builder.WithEnvironment("ASPNETCORE_ENVIRONMENT", environment.EnvironmentName)
            .WithEnvironment(LatentLensConventions.EnableAdminEndpointsVariable, environment.IsDevelopment() ? "true" : "false");
    }
}
