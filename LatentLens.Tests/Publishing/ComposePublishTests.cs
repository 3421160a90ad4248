using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using YamlDotNet.RepresentationModel;

namespace LatentLens.Tests.Publishing;

/// <summary>The app host's publish step: the compose file comes from the model and matches the original.</summary>
public sealed class ComposePublishTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);
    private readonly string _output = TestPaths.NewTempFolder();

    public void Dispose() => Directory.Delete(_output, recursive: true);

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
        // Published elsewhere, paths lead back to the repository; resolved, they are the checked-in file's.
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
        var published = await PublishAsync(_output);
        // The original resolves its paths against its own folder: put it beside the checked-in one.
        var original = Path.Combine(TestPaths.RepositoryRoot, $".original-compose-{Guid.NewGuid():N}.yml");
        await File.WriteAllTextAsync(original, Original);
        try
        {
            var expected = await ConfigAsync(original);
            Assert.Equal(expected, await ConfigAsync(published));
            Assert.Equal(expected, await ConfigAsync(Path.Combine(TestPaths.RepositoryRoot, "docker-compose.yml")));
        }
        finally
        {
            File.Delete(original);
        }
    }

    private static async Task<string> ConfigAsync(string file)
    {
        using var process = Process.Start(new ProcessStartInfo("docker-compose", ["-f", file, "config"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        using var cts = new CancellationTokenSource(Timeout);
        var output = await process.StandardOutput.ReadToEndAsync(cts.Token);
        var error = await process.StandardError.ReadToEndAsync(cts.Token);
        await process.WaitForExitAsync(cts.Token);
        Assert.True(process.ExitCode == 0, $"docker-compose config {file} failed: {error}");
        return output;
    }

    /// <summary>The app host's model as publishing sees it (run-mode-only resources absent), not yet run.</summary>
    private Task<IDistributedApplicationTestingBuilder> PublishModeBuilderAsync(CancellationToken cancellationToken) =>
        DistributedApplicationTestingBuilder.CreateAsync<Projects.LatentLens_AppHost>(
            ["--operation", "publish", "--step", "publish", "--output-path", _output], cancellationToken);

    [Fact]
    public async Task AChangedPortInTheModelChangesThePublishedFile()
    {
        using var cts = new CancellationTokenSource(Timeout);
        var builder = await PublishModeBuilderAsync(cts.Token);
        var endpoint = builder.Resources.OfType<MlflowUiResource>().Single().Annotations.OfType<EndpointAnnotation>().Single();
        endpoint.Port = 5555;
        await using var app = await builder.BuildAsync(cts.Token);
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();

        var yaml = await ComposePublisher.RenderAsync(model, TestPaths.RepositoryRoot, new DistributedApplicationExecutionContext(DistributedApplicationOperation.Publish), NullLogger.Instance, cts.Token);

        Assert.Contains("\"5555:5000\"", yaml, StringComparison.Ordinal);
        Assert.DoesNotContain("\"5000:5000\"", yaml, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AResourceTheStepCannotExpressFailsThePublishNamingIt()
    {
        using var cts = new CancellationTokenSource(Timeout);
        var builder = await PublishModeBuilderAsync(cts.Token);
        builder.AddExecutable("worker", "python3", ".");
        await using var app = await builder.BuildAsync(cts.Token);
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            ComposePublisher.RenderAsync(model, _output, new DistributedApplicationExecutionContext(DistributedApplicationOperation.Publish), NullLogger.Instance, cts.Token));

        Assert.Contains("'worker'", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_output, "docker-compose.yml")));
    }

    [Fact]
    public async Task AVolumeMountTheStepCannotExpressFailsThePublish()
    {
        using var cts = new CancellationTokenSource(Timeout);
        var builder = await PublishModeBuilderAsync(cts.Token);
        builder.Resources.OfType<MlflowUiResource>().Single().Annotations.Add(new ContainerMountAnnotation("data", "/data", ContainerMountType.Volume, false));
        await using var app = await builder.BuildAsync(cts.Token);
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            ComposePublisher.RenderAsync(model, _output, new DistributedApplicationExecutionContext(DistributedApplicationOperation.Publish), NullLogger.Instance, cts.Token));

        Assert.Contains("mlflow-ui", error.Message, StringComparison.Ordinal);
        Assert.Contains("Volume", error.Message, StringComparison.Ordinal);
    }
}
