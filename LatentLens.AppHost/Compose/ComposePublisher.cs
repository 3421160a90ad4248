#pragma warning disable ASPIREPIPELINES001 // The pipeline API is experimental in Aspire 13.6.
#pragma warning disable ASPIREPIPELINES004

using System.Globalization;
using Aspire.Hosting.Pipelines;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace LatentLens.AppHost.Compose;

/// <summary>
/// Writes <c>docker-compose.yml</c> from the application model, in the shape of the project's
/// original compose file: a project becomes <c>build: &lt;context&gt;</c>, a container its image;
/// ports, bind mounts, arguments (as <c>command:</c>) and hostname come from the resources'
/// annotations; paths are relative to the folder the file is written to.
/// </summary>
/// <remarks>
/// Ours because Aspire.Hosting.Docker is not served here, and because it maps a project to
/// <c>image: ${API_IMAGE}</c> and adds a dashboard service and network, which is not this file.
/// Kept in this one folder so it can give way to the official package later. Only the environment
/// variables declared with <c>WithPublishedEnvironment</c> are published (as <c>environment:</c>, e.g. the
/// server topology's tracking URI and PostgreSQL settings); those the app host sets for a run are not:
/// the images carry their configuration (see the Dockerfile), as the original file did.
/// </remarks>
internal static class ComposePublisher
{
    public const string StepName = "publish-docker-compose";
    public const string FileName = "docker-compose.yml";

    private static readonly ISerializer Serializer = new SerializerBuilder()
        .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull)
        .WithIndentedSequences()
        .WithTypeConverter(new ComposeShortSyntaxConverter())
        .DisableAliases()
        .Build();

    /// <summary>Adds the step that writes the compose file to the publish pipeline.</summary>
    public static IDistributedApplicationBuilder AddComposePublishing(this IDistributedApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Pipeline.AddStep(StepName, async context =>
        {
            var output = context.Services.GetRequiredService<IPipelineOutputService>().GetOutputDirectory();
            var path = await WriteAsync(context.Model, output, context.ExecutionContext, context.CancellationToken);
            context.Logger.LogInformation("Wrote {Path}", path);
        }, requiredBy: WellKnownPipelineSteps.Publish);
        return builder;
    }

    /// <summary>Writes <c>docker-compose.yml</c> into <paramref name="outputDirectory"/> and returns its path.</summary>
    public static async Task<string> WriteAsync(DistributedApplicationModel model, string outputDirectory, DistributedApplicationExecutionContext executionContext, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var folder = Path.GetFullPath(outputDirectory);
        // Rendered before the folder is touched, so a model the step cannot express leaves nothing behind.
        var yaml = await RenderAsync(model, folder, executionContext, cancellationToken);
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, FileName);
        await File.WriteAllTextAsync(path, yaml, new System.Text.UTF8Encoding(false), cancellationToken);
        return path;
    }

    /// <summary>The compose file's text for a model published into <paramref name="outputDirectory"/>.</summary>
    public static async Task<string> RenderAsync(DistributedApplicationModel model, string outputDirectory, DistributedApplicationExecutionContext executionContext, CancellationToken cancellationToken) =>
        Serialize(await BuildAsync(model, outputDirectory, executionContext, cancellationToken));

    /// <summary>The compose model of the application model, paths relative to <paramref name="outputDirectory"/>.</summary>
    public static async Task<ComposeFile> BuildAsync(DistributedApplicationModel model, string outputDirectory, DistributedApplicationExecutionContext executionContext, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        var folder = Path.GetFullPath(outputDirectory);
        var services = new OrderedDictionary<string, ComposeService>(StringComparer.Ordinal);
        var volumes = new OrderedDictionary<string, ComposeNamedVolume>(StringComparer.Ordinal);
        // Parameters become variables where they are used; a database lives in its server's service.
        foreach (var resource in model.Resources.Where(r => !r.IsExcludedFromPublish() && r is not ParameterResource && !(r is IResourceWithParent && r is not ContainerResource)))
        {
            var service = resource switch
            {
                ProjectResource project => await ProjectServiceAsync(project, folder, executionContext, cancellationToken),
                ContainerResource container => await ContainerServiceAsync(container, folder, executionContext, cancellationToken),
                _ => throw new InvalidOperationException(
                    $"The compose publish step cannot express the resource '{resource.Name}' ({resource.GetType().Name}): only projects and containers become services."),
            };
            services.Add(resource.Name, service with
            {
                Volumes = Mounts(resource, folder, volumes),
                Environment = Environment(resource),
                DependsOn = DependsOn(resource),
                Deploy = resource.TryGetLastAnnotation<ReplicaAnnotation>(out var replicas) && replicas.Replicas > 1 ? new ComposeDeploy(replicas.Replicas) : null,
            });
        }

        return new ComposeFile { Services = services, Volumes = volumes.Count > 0 ? volumes : null };
    }

    internal static string Serialize(ComposeFile file)
    {
        var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        // Unbounded width: a long command stays on one line, as in the original file.
        var emitter = new Emitter(writer, new EmitterSettings(bestIndent: 2, bestWidth: int.MaxValue, isCanonical: false, maxSimpleKeyLength: 1024, indentSequences: true));
        Serializer.Serialize(emitter, file);
        return writer.ToString();
    }

    private static async Task<ComposeService> ProjectServiceAsync(ProjectResource project, string outputDirectory, DistributedApplicationExecutionContext executionContext, CancellationToken cancellationToken)
    {
        if (!project.TryGetLastAnnotation<ComposeBuildAnnotation>(out var build))
        {
            throw new InvalidOperationException($"The project '{project.Name}' has no build context: call WithComposeBuild(...) so the publish step can write 'build:'.");
        }

        var args = await ArgumentsAsync(project, executionContext, cancellationToken);
        if (args.Count > 0)
        {
            throw new InvalidOperationException($"The project '{project.Name}' has command-line arguments ({string.Join(' ', args)}); the compose step publishes a project's Dockerfile entry point unchanged.");
        }

        return new ComposeService
        {
            Build = RelativePath(outputDirectory, build.ContextPath),
            Ports = Ports(project),
            Hostname = Hostname(project),
        };
    }

    private static async Task<ComposeService> ContainerServiceAsync(ContainerResource container, string outputDirectory, DistributedApplicationExecutionContext executionContext, CancellationToken cancellationToken)
    {
        string? build = null;
        if (container.TryGetLastAnnotation<DockerfileBuildAnnotation>(out var dockerfile))
        {
            // compose's short form: a context whose root holds the Dockerfile.
            if (!string.Equals(Path.GetFullPath(dockerfile.DockerfilePath), Path.Combine(Path.GetFullPath(dockerfile.ContextPath), "Dockerfile"), StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"The container '{container.Name}' is built from {dockerfile.DockerfilePath}; the compose step writes 'build: <context>' for a Dockerfile at the context's root only.");
            }

            build = RelativePath(outputDirectory, dockerfile.ContextPath);
        }

        if (!container.TryGetContainerImageName(out var image) && build is null)
        {
            throw new InvalidOperationException($"The container '{container.Name}' has no image.");
        }

        var args = await ArgumentsAsync(container, executionContext, cancellationToken);
        return new ComposeService
        {
            Build = build,
            Image = build is null ? image : null,
            Ports = Ports(container),
            Hostname = Hostname(container),
            Command = args.Count > 0 ? string.Join(' ', args.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"\"{a}\"" : a)) : null,
        };
    }

    /// <summary>Endpoints with a fixed host port; the others are reached on the compose network by service name.</summary>
    private static List<ComposePort>? Ports(IResource resource)
    {
        if (!resource.TryGetEndpoints(out var endpoints))
        {
            return null;
        }

        var replicas = resource.TryGetLastAnnotation<ReplicaAnnotation>(out var annotation) ? annotation.Replicas : 1;
        var ports = endpoints
            .Where(e => e.Port is not null)
            .Select(e => new ComposePort(e.Port!.Value, e.TargetPort ?? e.Port.Value, replicas))
            .ToList();
        return ports.Count > 0 ? ports : null;
    }

    private static List<ComposeBindMount>? Mounts(IResource resource, string outputDirectory, OrderedDictionary<string, ComposeNamedVolume> volumes)
    {
        if (!resource.TryGetContainerMounts(out var mounts))
        {
            return null;
        }

        var result = new List<ComposeBindMount>();
        foreach (var mount in mounts)
        {
            switch (mount)
            {
                case { Type: ContainerMountType.BindMount, Source: { } source }:
                    result.Add(new ComposeBindMount(RelativePath(outputDirectory, source), mount.Target, mount.IsReadOnly));
                    break;
                case { Type: ContainerMountType.Volume, Source: { Length: > 0 } name }:
                    volumes.TryAdd(name, new ComposeNamedVolume());
                    result.Add(new ComposeBindMount(name, mount.Target, mount.IsReadOnly));
                    break;
                default:
                    throw new InvalidOperationException($"The mount '{mount.Target}' of '{resource.Name}' is an anonymous {mount.Type}; the compose step publishes bind mounts and named volumes.");
            }
        }

        return result.Count > 0 ? result : null;
    }

    private static OrderedDictionary<string, string>? Environment(IResource resource)
    {
        var variables = resource.Annotations.OfType<ComposeEnvironmentAnnotation>().ToList();
        if (variables.Count == 0)
        {
            return null;
        }

        var environment = new OrderedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var variable in variables)
        {
            environment[variable.Name] = ComposeValues.Resolve(variable.Value, resource.Name);
        }

        return environment;
    }

    /// <summary>The services a resource waits for (<c>WaitFor</c>); waiting for a database is waiting for its server.</summary>
    private static List<string>? DependsOn(IResource resource)
    {
        if (!resource.TryGetAnnotationsOfType<WaitAnnotation>(out var waits))
        {
            return null;
        }

        var names = waits
            .Select(w => w.Resource is IResourceWithParent { Parent: { } parent } && w.Resource is not ContainerResource ? parent.Name : w.Resource.Name)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        return names.Count > 0 ? names : null;
    }

    private static string? Hostname(IResource resource) =>
        resource.TryGetLastAnnotation<ComposeHostnameAnnotation>(out var hostname) ? hostname.Hostname : null;

    /// <summary>The resource's arguments as the publish context gives them, each written by <see cref="ComposeValues"/>.</summary>
    private static async Task<List<string>> ArgumentsAsync(IResource resource, DistributedApplicationExecutionContext executionContext, CancellationToken cancellationToken)
    {
        var args = new List<object>();
        if (resource.TryGetAnnotationsOfType<CommandLineArgsCallbackAnnotation>(out var callbacks))
        {
            foreach (var callback in callbacks)
            {
                await callback.Callback(new CommandLineArgsCallbackContext(args, resource, cancellationToken) { ExecutionContext = executionContext });
            }
        }

        return [.. args.Select(a => ComposeValues.Resolve(a, resource.Name))];
    }

    /// <summary>A path as compose wants it: relative to the file's folder, <c>.</c> or <c>./x</c> below it.</summary>
    internal static string RelativePath(string from, string to)
    {
        var relative = Path.GetRelativePath(from, to).Replace(Path.DirectorySeparatorChar, '/');
        return relative == "." ? "." : relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? relative : "./" + relative;
    }
}
