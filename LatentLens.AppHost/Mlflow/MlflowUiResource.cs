namespace LatentLens.AppHost.Mlflow;

/// <summary>
/// The MLflow tracking UI (<c>mlflow ui</c>) in its official container, reading an MLflow file
/// store that is bind-mounted at <see cref="MlrunsContainerPath"/>.
/// </summary>
/// <param name="name">The resource name, which is also the compose service name.</param>
public sealed class MlflowUiResource(string name) : ContainerResource(name)
{
    /// <summary>Name of the UI's HTTP endpoint.</summary>
    public const string HttpEndpointName = "http";

    /// <summary>The port <c>mlflow ui</c> listens on inside the container.</summary>
    public const int DefaultContainerPort = 5000;

    /// <summary>Where the file store is mounted inside the container (the <c>--backend-store-uri</c>).</summary>
    public const string MlrunsContainerPath = "/" + LatentLensConventions.MlrunsFolderName;

    /// <summary>MLflow's own liveness path.</summary>
    public const string HealthPath = "/health";

    private EndpointReference? _httpEndpoint;

    /// <summary>The UI's HTTP endpoint.</summary>
    public EndpointReference HttpEndpoint => _httpEndpoint ??= new(this, HttpEndpointName);
}

/// <summary>
/// The MLflow tracking UI run as <c>mlflow ui</c> on this machine (<c>pip install mlflow==2.12.1</c>) instead
/// of its container, for machines without a container engine: the same command, name, endpoint, health
/// check and links as <see cref="MlflowUiResource"/>, reading the store folder directly.
/// </summary>
/// <param name="name">The resource name (the same as the container's: only one of the two is added).</param>
/// <param name="command">The <c>mlflow</c> program, or a shell that says how to install it.</param>
/// <param name="workingDirectory">The folder holding the store, so its relative artifact URIs resolve.</param>
public sealed class MlflowUiExecutableResource(string name, string command, string workingDirectory)
    : ExecutableResource(name, command, workingDirectory)
{
    /// <summary>Where the UI listens when run on the host: this machine only.</summary>
    public const string Host = "127.0.0.1";
}

/// <summary>The one place that names the MLflow UI image.</summary>
internal static class MlflowUiContainerImageTags
{
    public const string Registry = "ghcr.io";
    public const string Image = "mlflow/mlflow";
    public const string Tag = "v2.12.1";
}
