using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using LatentLens.AppHost;
using LatentLens.AppHost.Mlflow;
using LatentLens.AppHost.Compose;
using Microsoft.Extensions.DependencyInjection;
using YamlDotNet.RepresentationModel;

namespace LatentLens.Tests.Publishing;

/// <summary>
/// The app host's publish step: the compose file comes from the model and matches the original.
/// Everything is published into temporary folders; the repository is only read.
/// </summary>
[Trait(TestCategories.Key, TestCategories.Slow)]
public sealed class ComposePublishTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);
    private readonly string _output = TestPaths.NewTempFolder();
    private readonly List<DistributedApplication> _apps = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }

        Directory.Delete(_output, recursive: true);
    }

    private const string Original = """
        version: '3.8'
        services:
          api:
            build: .
            ports:
              - "8000:8000"
            volumes:
              - ./mlruns:/app/mlruns
            hostname: latentlens-api
          mlflow-ui:
            image: ghcr.io/mlflow/mlflow:v2.12.1
            ports:
              - "5000:5000"
            volumes:
              - ./mlruns:/mlruns
            command: mlflow ui --host 0.0.0.0 --backend-store-uri /mlruns

        """;

    private async Task<string> PublishAsync(string folder)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.LatentLens_AppHost>(
            ["--operation", "publish", "--step", "publish", "--output-path", folder], cts.Token);
        await using var app = await builder.BuildAsync(cts.Token);
        await app.RunAsync(cts.Token);
        return Path.Combine(folder, "docker-compose.yml");
    }

    /// <summary>The file's content with every path resolved against the file's own folder, as compose reads it.</summary>
    private static string Resolved(string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(path)));
        var services = (YamlMappingNode)((YamlMappingNode)stream.Documents[0].RootNode)["services"];
        var lines = new List<string> { "version=" + ((YamlScalarNode)((YamlMappingNode)stream.Documents[0].RootNode)["version"]).Value };
        foreach (var (name, node) in services.Children.OrderBy(c => ((YamlScalarNode)c.Key).Value, StringComparer.Ordinal))
        {
            foreach (var (key, value) in ((YamlMappingNode)node).Children.OrderBy(c => ((YamlScalarNode)c.Key).Value, StringComparer.Ordinal))
            {
                var k = ((YamlScalarNode)key).Value!;
                IEnumerable<string> values = value is YamlSequenceNode seq ? seq.Children.Select(c => ((YamlScalarNode)c).Value!) : [((YamlScalarNode)value).Value!];
                foreach (var v in values)
                {
                    var resolved = k switch
                    {
                        "build" => Path.GetFullPath(Path.Combine(folder, v)),
                        "volumes" => Path.GetFullPath(Path.Combine(folder, v[..v.IndexOf(':', StringComparison.Ordinal)])) + v[v.IndexOf(':', StringComparison.Ordinal)..],
                        _ => v,
                    };
                    lines.Add($"{((YamlScalarNode)name).Value}.{k}={resolved}");
                }
            }
        }

        return string.Join('\n', lines);
    }

    [Fact]
    public async Task PublishingIntoTheRepositoryRootWritesExactlyTheCheckedInFile()
    {
        // The step writes what it renders for its output folder; rendered for the repository root,
        // that is the checked-in file byte for byte. Together they prove the publish without writing there.
        var published = await File.ReadAllTextAsync(await PublishAsync(_output));
        using var cts = new CancellationTokenSource(Timeout);
        var model = await PublishModeModelAsync(builder => { }, cts.Token);

        Assert.Equal(await RenderAsync(model, _output, cts.Token), published);
        Assert.Equal(
            await File.ReadAllBytesAsync(Path.Combine(TestPaths.RepositoryRoot, "docker-compose.yml"), cts.Token),
            new System.Text.UTF8Encoding(false).GetBytes(await RenderAsync(model, TestPaths.RepositoryRoot, cts.Token)));
    }

    [Fact]
    public async Task PublishedElsewhereThePathsLeadBackToTheRepository()
    {
        var published = await PublishAsync(_output);

        Assert.Equal(Resolved(Path.Combine(TestPaths.RepositoryRoot, "docker-compose.yml")), Resolved(published));
        Assert.Contains($"build: {Path.GetRelativePath(_output, TestPaths.RepositoryRoot)}", File.ReadAllText(published), StringComparison.Ordinal);
    }

    [Fact]
    public void TheCheckedInFileIsTheOriginalComposeFile()
    {
        Assert.Equal(Original, File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "docker-compose.yml")));
    }

    [RequiresDockerComposeFact]
    public async Task DockerComposeConfigPrintsTheSameNormalFormAsForTheOriginal()
    {
        var published = await PublishAsync(Path.Combine(_output, "published"));
        // The original's paths are relative to the repository root: kept in the temporary folder, it is
        // resolved from the root through --project-directory instead of being written beside the checked-in file.
        var original = Path.Combine(_output, "original", "docker-compose.yml");
        Directory.CreateDirectory(Path.GetDirectoryName(original)!);
        await File.WriteAllTextAsync(original, Original);

        var expected = await ConfigAsync(original, TestPaths.RepositoryRoot);
        Assert.Equal(expected, await ConfigAsync(published));
        Assert.Equal(expected, await ConfigAsync(Path.Combine(TestPaths.RepositoryRoot, "docker-compose.yml")));
    }

    private static async Task<string> ConfigAsync(string file, string? projectDirectory = null)
    {
        var (exit, output, error) = await DockerCompose.ConfigAsync(file, projectDirectory);
        Assert.True(exit == 0, $"docker-compose config {file} failed: {error}");
        return output;
    }

    /// <summary>The app host's model as publishing sees it (run-mode-only resources absent), changed by <paramref name="change"/>, not run.</summary>
    private async Task<DistributedApplicationModel> PublishModeModelAsync(Action<IDistributedApplicationTestingBuilder> change, CancellationToken cancellationToken)
    {
        // Its output folder is one nothing reads: a model built for publishing may write docker-compose.yml there
        // on its own, some time after it is built, and once emptied a file another test was reading.
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.LatentLens_AppHost>(
            ["--operation", "publish", "--step", "publish", "--output-path", Path.Combine(_output, "model")], cancellationToken);
        change(builder);
        var app = await builder.BuildAsync(cancellationToken);
        _apps.Add(app);
        return app.Services.GetRequiredService<DistributedApplicationModel>();
    }

    private static Task<string> RenderAsync(DistributedApplicationModel model, string folder, CancellationToken cancellationToken) =>
        ComposePublisher.RenderAsync(model, folder, new DistributedApplicationExecutionContext(DistributedApplicationOperation.Publish), cancellationToken);

    private static Task<string> WriteAsync(DistributedApplicationModel model, string folder, CancellationToken cancellationToken) =>
        ComposePublisher.WriteAsync(model, folder, new DistributedApplicationExecutionContext(DistributedApplicationOperation.Publish), cancellationToken);

    [Fact]
    public async Task AChangedPortInTheModelChangesThePublishedFile()
    {
        using var cts = new CancellationTokenSource(Timeout);
        var model = await PublishModeModelAsync(
            builder => builder.Resources.OfType<MlflowUiResource>().Single().Annotations.OfType<EndpointAnnotation>().Single().Port = 5555,
            cts.Token);

        // Rendered, not written and read back: the port is a property of the model's text, and this
        // test once read an empty file back on a loaded CI machine.
        var yaml = await RenderAsync(model, _output, cts.Token);

        Assert.Contains("\"5555:5000\"", yaml, StringComparison.Ordinal);
        Assert.DoesNotContain("\"5000:5000\"", yaml, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AResourceTheStepCannotExpressFailsThePublishNamingIt()
    {
        using var cts = new CancellationTokenSource(Timeout);
        var model = await PublishModeModelAsync(builder => builder.AddExecutable("worker", "python3", "."), cts.Token);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => WriteAsync(model, _output, cts.Token));

        Assert.Contains("'worker'", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_output, "docker-compose.yml")));
    }

    [Fact]
    public async Task AnAnonymousVolumeFailsThePublishNamingItANamedOneIsDeclared()
    {
        using var cts = new CancellationTokenSource(Timeout);
        var anonymous = await PublishModeModelAsync(
            builder => builder.Resources.OfType<MlflowUiResource>().Single().Annotations.Add(new ContainerMountAnnotation(null, "/data", ContainerMountType.Volume, false)),
            cts.Token);
        var named = await PublishModeModelAsync(
            builder => builder.Resources.OfType<MlflowUiResource>().Single().Annotations.Add(new ContainerMountAnnotation("data", "/data", ContainerMountType.Volume, false)),
            cts.Token);

        // A folder of its own, as the models' (Aspire may write into theirs).
        var folder = Path.Combine(_output, "step");
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => WriteAsync(anonymous, folder, cts.Token));
        Assert.False(File.Exists(Path.Combine(folder, "docker-compose.yml")));
        var yaml = await RenderAsync(named, _output, cts.Token);

        Assert.Contains("'mlflow-ui'", error.Message, StringComparison.Ordinal);
        Assert.Contains("anonymous Volume", error.Message, StringComparison.Ordinal);
        Assert.Contains("      - data:/data\n", yaml, StringComparison.Ordinal);
        Assert.EndsWith("volumes:\n  data: {}\n", yaml, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AContainerBuiltFromADockerfileIsPublishedAsItsBuildContextOnlyWhenTheDockerfileIsAtItsRoot()
    {
        using var cts = new CancellationTokenSource(Timeout);
        var context = Path.Combine(_output, "web");
        Directory.CreateDirectory(context);
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), "FROM scratch\n", cts.Token);
        await File.WriteAllTextAsync(Path.Combine(context, "Other.Dockerfile"), "FROM scratch\n", cts.Token);
        var atRoot = await PublishModeModelAsync(builder => builder.AddDockerfile("web", context), cts.Token);
        var elsewhere = await PublishModeModelAsync(builder => builder.AddDockerfile("web", context, "Other.Dockerfile"), cts.Token);

        var yaml = await RenderAsync(atRoot, _output, cts.Token);
        var folder = Path.Combine(_output, "step");
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => WriteAsync(elsewhere, folder, cts.Token));

        Assert.Contains("  web:\n    build: ./web\n", yaml, StringComparison.Ordinal);
        Assert.Contains("'web'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Other.Dockerfile", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(folder, "docker-compose.yml")));
    }

    [Fact]
    public void TheComposeModelIsWrittenInComposeShortSyntaxOmittingWhatIsUnset()
    {
        var file = new ComposeFile
        {
            Services = new(StringComparer.Ordinal)
            {
                ["worker"] = new ComposeService
                {
                    Image = "example/worker:1",
                    Ports = [new ComposePort(9000, 9000, Replicas: 3), new ComposePort(9001, 9002)],
                    Volumes = [new ComposeBindMount("./data", "/data", IsReadOnly: true), new ComposeBindMount("cache", "/cache", IsReadOnly: false)],
                    Command = "run --once",
                    Environment = new(StringComparer.Ordinal) { ["MODE"] = "batch" },
                    DependsOn = ["db"],
                    Deploy = new ComposeDeploy(3),
                },
            },
            Volumes = new(StringComparer.Ordinal) { ["cache"] = new ComposeNamedVolume() },
        };

        Assert.Equal(
            """
            version: '3.8'
            services:
              worker:
                image: example/worker:1
                ports:
                  - "9000-9002:9000"
                  - "9001:9002"
                volumes:
                  - ./data:/data:ro
                  - cache:/cache
                command: run --once
                environment:
                  MODE: batch
                depends_on:
                  - db
                deploy:
                  replicas: 3
            volumes:
              cache: {}

            """,
            ComposePublisher.Serialize(file));
    }
}
