#pragma warning disable ASPIREPIPELINES001 // The pipeline API is experimental in Aspire 13.6.
#pragma warning disable ASPIREPIPELINES004

using System.Globalization;
using Aspire.Hosting.Pipelines;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Aspire.Hosting.ApplicationModel;

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
public static class ComposePublisher
{
    public const string StepName = "publish-docker-compose";
    public const string FileName = "docker-compose.yml";

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
        var yaml = await RenderAsync(model, folder, executionContext, logger ?? NullLogger.Instance, cancellationToken);
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, FileName);
        await File.WriteAllTextAsync(path, yaml, new System.Text.UTF8Encoding(false), cancellationToken);
        return path;
    }

    /// <summary>The compose file's text for a model published into <paramref name="outputDirectory"/>.</summary>
    public static async Task<string> RenderAsync(DistributedApplicationModel model, string outputDirectory, DistributedApplicationExecutionContext executionContext, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        var services = new List<(string Name, List<(string Key, object Value)> Entries)>();
        foreach (var resource in model.Resources.Where(r => !r.IsExcludedFromPublish()))
        {
            switch (resource)
            {
                case ProjectResource project:
                    services.Add((project.Name, await ProjectServiceAsync(project, outputDirectory, executionContext, logger, cancellationToken)));
                    break;
                case ContainerResource container:
                    services.Add((container.Name, await ContainerServiceAsync(container, outputDirectory, executionContext, logger, cancellationToken)));
                    break;
                default:
                    throw new InvalidOperationException(
                        $"The compose publish step cannot express the resource '{resource.Name}' ({resource.GetType().Name}): only projects and containers become services.");
            }
        }

        var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        var emitter = new Emitter(writer, new EmitterSettings(bestIndent: 2, bestWidth: int.MaxValue, isCanonical: false, maxSimpleKeyLength: 1024, indentSequences: true));
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart(null, null, isImplicit: true));
        emitter.Emit(new MappingStart(null, null, true, MappingStyle.Block));
        Plain(emitter, "version");
        emitter.Emit(new Scalar(null, null, "3.8", ScalarStyle.SingleQuoted, false, true));
        Plain(emitter, "services");
        emitter.Emit(new MappingStart(null, null, true, MappingStyle.Block));
        foreach (var (name, entries) in services)
        {
            Plain(emitter, name);
            emitter.Emit(new MappingStart(null, null, true, MappingStyle.Block));
            foreach (var (key, value) in entries)
            {
                Plain(emitter, key);
                if (value is IReadOnlyList<string> list)
                {
                    emitter.Emit(new SequenceStart(null, null, true, SequenceStyle.Block));
                    foreach (var item in list)
                    {
                        // "8000:8000" quoted: a YAML 1.1 reader takes plain 50:50 for a base-60 number.
                        emitter.Emit(new Scalar(null, null, item, key == "ports" ? ScalarStyle.DoubleQuoted : ScalarStyle.Plain, key != "ports", key == "ports"));
                    }

                    emitter.Emit(new SequenceEnd());
                }
                else
                {
                    emitter.Emit(new Scalar(null, null, (string)value, ScalarStyle.Plain, true, false));
                }
            }

            emitter.Emit(new MappingEnd());
        }

        emitter.Emit(new MappingEnd());
        emitter.Emit(new MappingEnd());
        emitter.Emit(new DocumentEnd(true));
        emitter.Emit(new StreamEnd());
        return writer.ToString();
    }

    private static async Task<List<(string, object)>> ProjectServiceAsync(ProjectResource project, string outputDirectory, DistributedApplicationExecutionContext executionContext, ILogger logger, CancellationToken cancellationToken)
    {
        if (!project.TryGetLastAnnotation<ComposeBuildAnnotation>(out var build))
        {
            throw new InvalidOperationException($"The project '{project.Name}' has no build context: call WithComposeBuild(...) so the publish step can write 'build:'.");
        }

        var entries = new List<(string, object)> { ("build", RelativePath(outputDirectory, build.ContextPath)) };
        AddCommon(project, outputDirectory, entries);
        var args = await ArgumentsAsync(project, executionContext, logger, cancellationToken);
        if (args.Count > 0)
        {
            throw new InvalidOperationException($"The project '{project.Name}' has command-line arguments ({string.Join(' ', args)}); the compose step publishes a project's Dockerfile entry point unchanged.");
        }

        return entries;
    }

    private static async Task<List<(string, object)>> ContainerServiceAsync(ContainerResource container, string outputDirectory, DistributedApplicationExecutionContext executionContext, ILogger logger, CancellationToken cancellationToken)
    {
        if (container.HasAnnotationOfType<DockerfileBuildAnnotation>())
        {
            throw new InvalidOperationException($"The container '{container.Name}' is built from a Dockerfile; the compose step publishes containers by image only.");
        }

        if (!container.TryGetContainerImageName(out var image))
        {
            throw new InvalidOperationException($"The container '{container.Name}' has no image.");
        }

        var entries = new List<(string, object)> { ("image", image) };
        AddCommon(container, outputDirectory, entries);
        var args = await ArgumentsAsync(container, executionContext, logger, cancellationToken);
        if (args.Count > 0)
        {
            entries.Add(("command", string.Join(' ', args.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"\"{a}\"" : a))));
        }

        return entries;
    }

    /// <summary>ports, volumes and hostname, in the original file's order.</summary>
    private static void AddCommon(IResource resource, string outputDirectory, List<(string, object)> entries)
    {
        if (resource.TryGetEndpoints(out var endpoints))
        {
            var ports = new List<string>();
            foreach (var endpoint in endpoints)
            {
                var target = endpoint.TargetPort ?? endpoint.Port
                    ?? throw new InvalidOperationException($"The endpoint '{endpoint.Name}' of '{resource.Name}' has no port to publish.");
                ports.Add(endpoint.Port is { } host
                    ? string.Create(CultureInfo.InvariantCulture, $"{host}:{target}")
                    : target.ToString(CultureInfo.InvariantCulture));
            }

            if (ports.Count > 0)
            {
                entries.Add(("ports", ports));
            }
        }

        if (resource.TryGetContainerMounts(out var mounts))
        {
            var volumes = new List<string>();
            foreach (var mount in mounts)
            {
                if (mount.Type != ContainerMountType.BindMount || mount.Source is null)
                {
                    throw new InvalidOperationException($"The mount '{mount.Target}' of '{resource.Name}' is a {mount.Type}; the compose step publishes bind mounts only.");
                }

                volumes.Add($"{RelativePath(outputDirectory, mount.Source)}:{mount.Target}{(mount.IsReadOnly ? ":ro" : string.Empty)}");
            }

            if (volumes.Count > 0)
            {
                entries.Add(("volumes", volumes));
            }
        }

        if (resource.TryGetLastAnnotation<ComposeHostnameAnnotation>(out var hostname))
        {
            entries.Add(("hostname", hostname.Hostname));
        }
    }

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

    private static void Plain(IEmitter emitter, string text) =>
        emitter.Emit(new Scalar(null, null, text, ScalarStyle.Plain, true, false));
}
