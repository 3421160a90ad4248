namespace Aspire.Hosting.ApplicationModel;

/// <summary>Adds the MLflow UI to the application model, in the shape of Aspire's own hosting integrations.</summary>
public static class MlflowUiResourceBuilderExtensions
{
    /// <summary>
    /// Adds the MLflow UI container (<c>ghcr.io/mlflow/mlflow:v2.12.1</c>) running
    /// <c>mlflow ui --host 0.0.0.0 --backend-store-uri /mlruns</c>, with a health check on MLflow's
    /// <c>/health</c>. Mount a store with <see cref="WithMlrunsBindMount"/>.
    /// </summary>
    /// <param name="builder">The distributed application builder.</param>
    /// <param name="name">The resource name.</param>
    /// <param name="port">The host port of the UI; <see langword="null"/> picks a free one.</param>
    public static IResourceBuilder<MlflowUiResource> AddMlflowUi(
        this IDistributedApplicationBuilder builder,
        [ResourceName] string name,
        int? port = MlflowUiResource.DefaultContainerPort)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);

        var resource = new MlflowUiResource(name);
        return builder.AddResource(resource)
            .WithImage(MlflowUiContainerImageTags.Image, MlflowUiContainerImageTags.Tag)
            .WithImageRegistry(MlflowUiContainerImageTags.Registry)
            .WithHttpEndpoint(port: port, targetPort: MlflowUiResource.DefaultContainerPort, name: MlflowUiResource.HttpEndpointName)
            .WithArgs("mlflow", "ui", "--host", "0.0.0.0", "--backend-store-uri", MlflowUiResource.MlrunsContainerPath)
            .WithHttpHealthCheck(MlflowUiResource.HealthPath, endpointName: MlflowUiResource.HttpEndpointName)
            .WithUrlForEndpoint(MlflowUiResource.HttpEndpointName, url => url.DisplayText = "MLflow UI");
    }

    /// <summary>
    /// Bind-mounts an MLflow file store at <c>/mlruns</c>. The mount is read-write by default: the
    /// UI creates <c>.trash/</c> and <c>models/</c> at start-up when they are missing.
    /// </summary>
    /// <param name="builder">The MLflow UI resource.</param>
    /// <param name="source">The host folder holding the store; a relative path resolves against the app host's folder.</param>
    /// <param name="isReadOnly">Mount read-only (the store must then already hold <c>.trash/</c> and <c>models/</c>).</param>
    public static IResourceBuilder<MlflowUiResource> WithMlrunsBindMount(
        this IResourceBuilder<MlflowUiResource> builder,
        string source,
        bool isReadOnly = false)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(source);

        return builder.WithBindMount(source, MlflowUiResource.MlrunsContainerPath, isReadOnly);
    }
}
