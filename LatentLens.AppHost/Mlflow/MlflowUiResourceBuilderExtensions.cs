using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace LatentLens.AppHost.Mlflow;

/// <summary>Adds the MLflow UI to the application model, in the shape of Aspire's own hosting integrations.</summary>
public static class MlflowUiResourceBuilderExtensions
{
    private static readonly IDeserializer MetaReader = new DeserializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance)
        .IgnoreUnmatchedProperties()
        .Build();

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

    /// <summary>
    /// Adds a dashboard link to the UI's page of the experiment named <paramref name="experimentName"/>,
    /// whose id is read from the store's <c>meta.yaml</c> files when the app host starts (no link while
    /// the experiment does not exist yet).
    /// </summary>
    /// <param name="builder">The MLflow UI resource.</param>
    /// <param name="mlrunsPath">The host folder holding the store, as given to <see cref="WithMlrunsBindMount"/>.</param>
    /// <param name="experimentName">The experiment's name (its <c>meta.yaml</c>'s <c>name</c>), also the link's text.</param>
    public static IResourceBuilder<T> WithExperimentPageUrl<T>(this IResourceBuilder<T> builder, string mlrunsPath, string experimentName)
        where T : IResourceWithEndpoints
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(mlrunsPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(experimentName);
        return builder.WithUrls(context =>
        {
            var id = FindExperimentId(mlrunsPath, experimentName);
            var http = context.Urls.FirstOrDefault(u => u.Endpoint?.EndpointName == MlflowUiResource.HttpEndpointName);
            if (id is not null && http is not null)
            {
                context.Urls.Add(new ResourceUrlAnnotation { Url = $"{http.Url.TrimEnd('/')}/#/experiments/{id}", DisplayText = experimentName, Endpoint = http.Endpoint });
            }
        });
    }

    /// <summary>
    /// Adds the MLflow UI as an executable, <c>mlflow ui --host 127.0.0.1 --port PORT --backend-store-uri
    /// STORE</c> run in the folder that holds the store, with MLflow's <c>/health</c> as its health check.
    /// Where <c>mlflow</c> is not on the PATH (or the given program does not exist), the resource runs a shell that prints how to
    /// install it and exits with 127, so the dashboard shows it failed and why; nothing else is affected.
    /// </summary>
    /// <param name="builder">The distributed application builder.</param>
    /// <param name="name">The resource name.</param>
    /// <param name="mlrunsPath">The store's folder.</param>
    /// <param name="command">The <c>mlflow</c> program; null: the first <c>mlflow</c> on the PATH.</param>
    /// <param name="port">The port the UI listens on.</param>
    public static IResourceBuilder<MlflowUiExecutableResource> AddMlflowUiExecutable(
        this IDistributedApplicationBuilder builder,
        [ResourceName] string name,
        string mlrunsPath,
        string? command = null,
        int port = MlflowUiResource.DefaultContainerPort)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(mlrunsPath);
        var store = Path.GetFullPath(mlrunsPath);
        var mlflow = command is null ? FindOnPath("mlflow") : File.Exists(command) ? command : null;
        var resource = new MlflowUiExecutableResource(name, mlflow ?? "/bin/sh", Path.GetDirectoryName(store)!);
        var added = builder.AddResource(resource)
            .WithHttpEndpoint(port: port, name: MlflowUiResource.HttpEndpointName, isProxied: false)
            .WithHttpHealthCheck(MlflowUiResource.HealthPath, endpointName: MlflowUiResource.HttpEndpointName)
            .WithUrlForEndpoint(MlflowUiResource.HttpEndpointName, url => url.DisplayText = "MLflow UI");
        return mlflow is null
            ? added.WithArgs("-c", "echo 'mlflow is not on the PATH: install MLflow 2.12.1 (pip install mlflow==2.12.1), or set LatentLens:MlflowCommand to its path, or use the container (LatentLens:MlflowUi=container).' >&2; exit 127")
            : added.WithArgs("ui", "--host", MlflowUiExecutableResource.Host, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--backend-store-uri", Path.GetFileName(store));
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, program))
            .FirstOrDefault(File.Exists);

    /// <summary>
    /// The id of the active experiment with that name, read from the <c>meta.yaml</c> of each folder of
    /// the store. A file that cannot be read or parsed is skipped: a half-written or foreign folder must
    /// not take the dashboard's link (or the app host) down.
    /// </summary>
    internal static string? FindExperimentId(string mlrunsPath, string experimentName)
    {
        if (!Directory.Exists(mlrunsPath))
        {
            return null;
        }

        foreach (var path in Directory.EnumerateDirectories(mlrunsPath).Select(d => Path.Combine(d, "meta.yaml")).Where(File.Exists))
        {
            var meta = ReadExperimentMeta(path);
            if (meta is { LifecycleStage: "active", ExperimentId: { Length: > 0 } id } && meta.Name == experimentName)
            {
                return id;
            }
        }

        return null;
    }

    private static ExperimentMeta? ReadExperimentMeta(string path)
    {
        try
        {
            return MetaReader.Deserialize<ExperimentMeta?>(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or YamlException)
        {
            return null;
        }
    }

    /// <summary>The fields of an experiment's <c>meta.yaml</c> (MLflow's file store) that identify it.</summary>
    private sealed class ExperimentMeta
    {
        public string? ExperimentId { get; set; }

        public string? Name { get; set; }

        public string? LifecycleStage { get; set; }
    }
}
