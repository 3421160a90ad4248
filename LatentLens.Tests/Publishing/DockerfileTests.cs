using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace LatentLens.Tests.Publishing;

/// <summary>
/// No container engine runs here, so the image is checked as far as it can be: LatentLens.Api is
/// published with the Dockerfile's own publish arguments and started with its entry point and
/// environment, read from the Dockerfile, over a copy of mlruns/ at the container's layout.
/// </summary>
[Trait(TestCategories.Key, TestCategories.Slow)]
public sealed partial class DockerfileTests : IDisposable
{
    // A bound for a hang, not a speed check: the ReadyToRun publish takes minutes on a loaded 2-core machine.
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(8);
    private readonly string _root = TestPaths.NewTempFolder();

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [GeneratedRegex(@"^RUN dotnet publish (?<args>.+)$", RegexOptions.Multiline)]
    private static partial Regex PublishLine();

    [GeneratedRegex(@"^ENV (?<key>\S+)=(?<value>\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex EnvLine();

    [GeneratedRegex(@"^ENTRYPOINT (?<json>\[.+\])\s*$", RegexOptions.Multiline)]
    private static partial Regex EntrypointLine();

    [GeneratedRegex(@"^WORKDIR (?<dir>\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex WorkdirLine();

    [Fact]
    public async Task TheApiPublishedAsTheDockerfileDoesStartsAndAnswersHealth()
    {
        var dockerfile = await File.ReadAllTextAsync(Path.Combine(TestPaths.RepositoryRoot, "Dockerfile"));
        var final = dockerfile[dockerfile.LastIndexOf("FROM ", StringComparison.Ordinal)..];
        var workdir = WorkdirLine().Matches(final)[^1].Groups["dir"].Value;
        Assert.Equal("/app", workdir);
        var app = Path.Combine(_root, "app");

        // dotnet publish with the Dockerfile's arguments; /app/publish becomes our app folder.
        var args = PublishLine().Match(dockerfile).Groups["args"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(a => a != "--no-restore")
            .Select(a => a == "/app/publish" ? app : a)
            .ToList();
        Assert.Contains("LatentLens.Api/LatentLens.Api.csproj", args);
        Assert.DoesNotContain(args, a => a.Contains("LatentLens.AppHost", StringComparison.Ordinal));
        // The container builds in a clean context; here bin/ and obj/ go to the temporary folder, not into the repository.
        await RunAsync("dotnet", ["publish", .. args, "--artifacts-path", Path.Combine(_root, "artifacts")], TestPaths.RepositoryRoot);
        Assert.True(File.Exists(Path.Combine(app, "LatentLens.Api.dll")));
        Assert.False(File.Exists(Path.Combine(app, "Aspire.Hosting.dll")), "the app host's orchestration packages must not be published");

        // The store at the container's path, as the compose file mounts it.
        TestPaths.CopyFolder(Path.Combine(TestPaths.RepositoryRoot, "mlruns"), Path.Combine(app, "mlruns"));

        var environment = EnvLine().Matches(final).ToDictionary(m => m.Groups["key"].Value, m => m.Groups["value"].Value);
        Assert.Equal("8000", environment["ASPNETCORE_HTTP_PORTS"]);
        Assert.Equal("/app/mlruns", environment["LatentLens__MlrunsPath"]);
        var entrypoint = JsonSerializer.Deserialize<string[]>(EntrypointLine().Match(final).Groups["json"].Value)!;
        Assert.Equal(["dotnet", "LatentLens.Api.dll"], entrypoint);

        // Port 8000 may be taken by the started app host on this machine: same variable, a free port.
        var port = TestPorts.Free();
        var start = new ProcessStartInfo(entrypoint[0], entrypoint[1..]) { WorkingDirectory = app, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value.StartsWith("/app", StringComparison.Ordinal) ? app + value[4..] : value;
        }

        start.Environment["ASPNETCORE_HTTP_PORTS"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        using var process = new Process { StartInfo = start };
        var log = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            string? body = null;
            while (body is null)
            {
                Assert.False(cts.IsCancellationRequested, $"no answer on port {port} within 60 s; the API wrote:\n{log}");
                Assert.False(process.HasExited, $"the API exited:\n{log}");
                try
                {
                    body = await client.GetStringAsync($"http://127.0.0.1:{port}/health", cts.Token);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    await Task.Delay(200, CancellationToken.None);
                }
            }

            Assert.Equal("""{"status":"ok"}""", body);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private static async Task RunAsync(string file, IEnumerable<string> args, string directory)
    {
        var (exit, output, error) = await ProcessRunner.RunAsync(file, args, workingDirectory: directory, timeout: Timeout);
        Assert.True(exit == 0, $"{file} {string.Join(' ', args)} failed:\n{output}\n{error}");
    }


}
