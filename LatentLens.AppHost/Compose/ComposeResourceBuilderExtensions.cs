namespace LatentLens.AppHost.Compose;

/// <summary>The compose <c>build:</c> context of a project resource (the folder holding its Dockerfile).</summary>
internal sealed class ComposeBuildAnnotation(string contextPath) : IResourceAnnotation
{
    public string ContextPath { get; } = contextPath;
}

/// <summary>The compose <c>hostname:</c> of a service.</summary>
internal sealed class ComposeHostnameAnnotation(string hostname) : IResourceAnnotation
{
    public string Hostname { get; } = hostname;
}

/// <summary>
/// One environment variable the service gets in the published compose file. Only these are published:
/// what Aspire itself injects (OTLP, ports, service discovery) is for a run under the app host.
/// </summary>
internal sealed class ComposeEnvironmentAnnotation(string name, object value) : IResourceAnnotation
{
    public string Name { get; } = name;

    /// <summary>A string, a parameter, an endpoint or a reference expression (see <see cref="ComposeValues"/>).</summary>
    public object Value { get; } = value;
}

/// <summary>What the compose publish step reads beyond Aspire's own annotations.</summary>
internal static class ComposeResourceBuilderExtensions
{
    /// <summary>Publishes the project as <c>build: &lt;context&gt;</c> (its Dockerfile at the context's root).</summary>
    public static IResourceBuilder<ProjectResource> WithComposeBuild(this IResourceBuilder<ProjectResource> builder, string contextPath)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(contextPath);
        return builder.WithAnnotation(new ComposeBuildAnnotation(Path.GetFullPath(contextPath)), ResourceAnnotationMutationBehavior.Replace);
    }

    /// <summary>Sets the service's <c>hostname:</c>.</summary>
    public static IResourceBuilder<T> WithComposeHostname<T>(this IResourceBuilder<T> builder, string hostname)
        where T : IResource
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(hostname);
        return builder.WithAnnotation(new ComposeHostnameAnnotation(hostname), ResourceAnnotationMutationBehavior.Replace);
    }

    /// <summary>
    /// Mounts a host folder into the project's container when published (<c>volumes: - src:target</c>).
    /// In run mode the project runs as a process and reads the folder directly.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithPublishedBindMount(this IResourceBuilder<ProjectResource> builder, string source, string target)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithAnnotation(new ContainerMountAnnotation(Path.GetFullPath(source), target, ContainerMountType.BindMount, isReadOnly: false));
    }

    /// <summary>Gives the service the variable <paramref name="name"/> in the published compose file (<c>environment:</c>).</summary>
    public static IResourceBuilder<T> WithPublishedEnvironment<T>(this IResourceBuilder<T> builder, string name, object value)
        where T : IResource
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(value);
        return builder.WithAnnotation(new ComposeEnvironmentAnnotation(name, value));
    }
}
