using LatentLens.AppHost.Compose;

namespace LatentLens.AppHost.Mlflow;

/// <summary>The server topology's MLflow tracking server and its PostgreSQL backend.</summary>
internal static class MlflowServerResourceBuilderExtensions
{
    public const string HttpEndpointName = "http";
    public const int Port = 5000;
    public const string ArtifactsPath = "/mlartifacts";
    public const string DatabaseName = "mlflow";
    public const string BackendStoreUriVariable = "MLFLOW_BACKEND_STORE_URI";

    /// <summary>
    /// Adds <c>postgres</c> (Aspire's PostgreSQL, data on the named volume <c>latentlens-postgres-data</c>)
    /// with the database <c>mlflow</c>, and <paramref name="name"/>: <c>mlflow server</c> 2.12.1 built
    /// from <paramref name="dockerContext"/> (the official image plus a PostgreSQL driver) with that
    /// database as its backend store, <c>--serve-artifacts</c> into the named volume
    /// <c>latentlens-mlflow-artifacts</c>, its UI and REST API on port 5000.
    /// </summary>
    public static IResourceBuilder<ContainerResource> AddMlflowTrackingServer(this IDistributedApplicationBuilder builder, [ResourceName] string name, string dockerContext)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var postgres = builder.AddPostgres("postgres")
            .WithDataVolume("latentlens-postgres-data");
        var server = postgres.Resource;
        var database = postgres.AddDatabase($"{name}-db", DatabaseName);
        // In compose the user and database are made by the image's own variables (Aspire creates the database itself when it runs).
        postgres.WithPublishedEnvironment("POSTGRES_USER", server.UserNameReference)
            .WithPublishedEnvironment("POSTGRES_PASSWORD", server.PasswordParameter)
            .WithPublishedEnvironment("POSTGRES_DB", DatabaseName);

        var endpoint = server.PrimaryEndpoint;
        var backend = ReferenceExpression.Create(
            $"postgresql://{server.UserNameReference}:{server.PasswordParameter}@{endpoint.Property(EndpointProperty.Host)}:{endpoint.Property(EndpointProperty.TargetPort)}/{DatabaseName}");
        // The backend URI holds the password: given as MLflow's MLFLOW_BACKEND_STORE_URI (what --backend-store-uri
        // reads when absent), not as an argument that ps, docker inspect and the dashboard would show.
        return builder.AddDockerfile(name, dockerContext)
            .WithHttpEndpoint(port: Port, targetPort: Port, name: HttpEndpointName)
            .WithArgs("mlflow", "server", "--host", "0.0.0.0", "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--serve-artifacts", "--artifacts-destination", ArtifactsPath)
            .WithEnvironment(BackendStoreUriVariable, backend)
            .WithPublishedEnvironment(BackendStoreUriVariable, backend)
            .WithVolume("latentlens-mlflow-artifacts", ArtifactsPath)
            .WithHttpHealthCheck(MlflowUiResource.HealthPath, endpointName: HttpEndpointName)
            .WithUrlForEndpoint(HttpEndpointName, url => url.DisplayText = "MLflow UI")
            .WaitFor(database);
    }
}
