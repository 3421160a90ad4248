#pragma warning disable ASPIREPIPELINES001 // The pipeline API is experimental in Aspire 13.6.
#pragma warning disable ASPIREPIPELINES004

using System.Globalization;
using Aspire.Hosting.Pipelines;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
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
/// Kept in this one folder so it can give way to the official package later. Environment variables
/// are not published: the images carry their configuration (see the Dockerfile), as the original file did.
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
            var path = await WriteAsync(context.Model, output, context.ExecutionContext, context.Logger, context.CancellationToken);
            context.Logger.LogInformation("Wrote {Path}", path);
        }, requiredBy: WellKnownPipelineSteps.Publish);
        return builder;
    }

    /// <summary>Writes <c>docker-compose.yml</c> into <paramref name="outputDirectory"/> and returns its path.</summary>
    public static async Task<string> WriteAsync(DistributedApplicationModel model, string outputDirectory, DistributedApplicationExecutionContext executionContext, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var folder = Path.GetFullPath(outputDirectory);
        // Rendered before the folder is touched, so a model the step cannot express leaves nothing behind.
        var yaml = await RenderAsync(model, folder, executionContext, logger ?? NullLogger.Instance, cancellationToken);
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, FileName);
        await File.WriteAllTextAsync(path, yaml, new System.Text.UTF8Encoding(false), cancellationToken);
        return path;
    }

    /// <summary>The compose file's text for a model published into <paramref name="outputDirectory"/>.</summary>
    public static async Task<string> RenderAsync(DistributedApplicationModel model, string outputDirectory, DistributedApplicationExecutionContext executionContext, ILogger logger, CancellationToken cancellationToken) =>
        Serialize(await BuildAsync(model, outputDirectory, executionContext, logger, cancellationToken));

    /// <summary>The compose model of the application model, paths relative to <paramref name="outputDirectory"/>.</summary>
    public static async Task<ComposeFile> BuildAsync(DistributedApplicationModel model, string outputDirectory, DistributedApplicationExecutionContext executionContext, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        var folder = Path.GetFullPath(outputDirectory);
        var services = new OrderedDictionary<string, ComposeService>(StringComparer.Ordinal);
        foreach (var resource in model.Resources.Where(r => !r.IsExcludedFromPublish()))
        {
            services.Add(resource.Name, resource switch
            {
                ProjectResource project => await ProjectServiceAsync(project, folder, executionContext, logger, cancellationToken),
                ContainerResource container => await ContainerServiceAsync(container, folder, executionContext, logger, cancellationToken),
                _ => throw new InvalidOperationException(
                    $"The compose publish step cannot express the resource '{resource.Name}' ({resource.GetType().Name}): only projects and containers become services."),
            });
        }

        return new ComposeFile { Services = services };
    }

    internal static string Serialize(ComposeFile file)
    {
        var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        // Unbounded width: a long command stays on one line, as in the original file.
        var emitter = new Emitter(writer, new EmitterSettings(bestIndent: 2, bestWidth: int.MaxValue, isCanonical: false, maxSimpleKeyLength: 1024, indentSequences: true));
        Serializer.Serialize(emitter, file);
        return writer.ToString();
    }

    private static async Task<ComposeService> ProjectServiceAsync(ProjectResource project, string outputDirectory, DistributedApplicationExecutionContext executionContext, ILogger logger, CancellationToken cancellationToken)
    {
        if (!project.TryGetLastAnnotation<ComposeBuildAnnotation>(out var build))
        {
            throw new InvalidOperationException($"The project '{project.Name}' has no build context: call WithComposeBuild(...) so the publish step can write 'build:'.");
        }

        var args = await ArgumentsAsync(project, executionContext, logger, cancellationToken);
        if (args.Count > 0)
        {
            throw new InvalidOperationException($"The project '{project.Name}' has command-line arguments ({string.Join(' ', args)}); the compose step publishes a project's Dockerfile entry point unchanged.");
        }

        return new ComposeService
        {
            Build = RelativePath(outputDirectory, build.ContextPath),
            Ports = Ports(project),
            Volumes = BindMounts(project, outputDirectory),
            Hostname = Hostname(project),
        };
    }

    private static async Task<ComposeService> ContainerServiceAsync(ContainerResource container, string outputDirectory, DistributedApplicationExecutionContext executionContext, ILogger logger, CancellationToken cancellationToken)
    {
        if (container.HasAnnotationOfType<DockerfileBuildAnnotation>())
        {
            throw new InvalidOperationException($"The container '{container.Name}' is built from a Dockerfile; the compose step publishes containers by image only.");
        }

        if (!container.TryGetContainerImageName(out var image))
        {
            throw new InvalidOperationException($"The container '{container.Name}' has no image.");
        }

        var args = await ArgumentsAsync(container, executionContext, logger, cancellationToken);
        return new ComposeService
        {
            Image = image,
            Ports = Ports(container),
            Volumes = BindMounts(container, outputDirectory),
            Hostname = Hostname(container),
            Command = args.Count > 0 ? string.Join(' ', args.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"\"{a}\"" : a)) : null,
        };
    }

    private static List<ComposePort>? Ports(IResource resource)
    {
        if (!resource.TryGetEndpoints(out var endpoints))
        {
            return null;
        }

        var ports = endpoints
            .Select(e => new ComposePort(e.Port, e.TargetPort ?? e.Port
                ?? throw new InvalidOperationException($"The endpoint '{e.Name}' of '{resource.Name}' has no port to publish.")))
            .ToList();
        return ports.Count > 0 ? ports : null;
    }

    private static List<ComposeBindMount>? BindMounts(IResource resource, string outputDirectory)
    {
        if (!resource.TryGetContainerMounts(out var mounts))
        {
            return null;
        }

        var volumes = mounts
            .Select(m => m.Type == ContainerMountType.BindMount && m.Source is not null
                ? new ComposeBindMount(RelativePath(outputDirectory, m.Source), m.Target, m.IsReadOnly)
                : throw new InvalidOperationException($"The mount '{m.Target}' of '{resource.Name}' is a {m.Type}; the compose step publishes bind mounts only."))
            .ToList();
        return volumes.Count > 0 ? volumes : null;
    }

    private static string? Hostname(IResource resource) =>
        resource.TryGetLastAnnotation<ComposeHostnameAnnotation>(out var hostname) ? hostname.Hostname : null;

    private static async Task<List<string>> ArgumentsAsync(IResource resource, DistributedApplicationExecutionContext executionContext, ILogger logger, CancellationToken cancellationToken)
    {
        var result = await ExecutionConfigurationBuilder.Create(resource)
            .WithArgumentsConfig()
            .BuildAsync(executionContext, logger, cancellationToken);
        return [.. result.Arguments.Select(a => a.Value)];
    }

    /// <summary>A path as compose wants it: relative to the file's folder, <c>.</c> or <c>./x</c> below it.</summary>
    internal static string RelativePath(string from, string to)
    {
        var relative = Path.GetRelativePath(from, to).Replace(Path.DirectorySeparatorChar, '/');
        return relative == "." ? "." : relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? relative : "./" + relative;
    }
}
