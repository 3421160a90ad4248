using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using LatentLens.AppHost;
using LatentLens.AppHost.Mlflow;
using LatentLens.Tests.Tracking;

namespace LatentLens.Tests.AppHost;

/// <summary>The MLflow UI as an executable (LatentLens:MlflowUi=executable), for machines without a container engine.</summary>
[Collection(StartedAppCollection.Name)]
[Trait(TestCategories.Key, TestCategories.Slow)]
public sealed class MlflowUiExecutableTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly string _work = TestPaths.NewTempFolder();

    public void Dispose() => Directory.Delete(_work, recursive: true);

    // The replacement (ExecutionConfigurationBuilder) is experimental in Aspire 13.6; this reads the same arguments.
#pragma warning disable CS0618
    private static async Task<string[]> ArgsAsync(IResourceWithArgs resource) => await resource.GetArgumentValuesAsync();
#pragma warning restore CS0618

    private static async Task<DistributedApplicationModel> ModelAsync(string[] args, CancellationToken cancellationToken)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.LatentLens_AppHost>(args, cancellationToken);
        var app = await builder.BuildAsync(cancellationToken);
        await using (app)
        {
            return app.Services.GetService(typeof(DistributedApplicationModel)) as DistributedApplicationModel ?? throw new InvalidOperationException("no model");
        }
    }

    [Fact]
    public async Task TheSettingRunsMlflowUiOnTheHostWithTheContainersNameEndpointAndHealthCheck()
    {
        using var cts = new CancellationTokenSource(Timeout);
        var mlflow = Path.Combine(_work, "mlflow");
        await File.WriteAllTextAsync(mlflow, "#!/bin/sh\n", cts.Token);
        var model = await ModelAsync(["--LatentLens:MlflowUi=executable", $"--LatentLens:MlflowCommand={mlflow}"], cts.Token);

        var ui = Assert.Single(model.Resources.OfType<MlflowUiExecutableResource>());
        Assert.Equal("mlflow-ui", ui.Name);
        Assert.Empty(model.Resources.OfType<MlflowUiResource>());
        Assert.Equal(mlflow, ui.Command);
        Assert.Equal(TestPaths.RepositoryRoot, ui.WorkingDirectory);
        var args = await ArgsAsync(ui);
        Assert.Equal(["ui", "--host", "127.0.0.1", "--port", "5000", "--backend-store-uri", "mlruns"], args);
        Assert.Equal(5000, Assert.Single(ui.Annotations.OfType<EndpointAnnotation>()).Port);
        Assert.Single(ui.Annotations.OfType<HealthCheckAnnotation>());
    }

    [Fact]
    public async Task WithoutMlflowTheResourceSaysHowToInstallIt()
    {
        using var cts = new CancellationTokenSource(Timeout);
        // A program that is not there stands for an mlflow missing from the PATH (changing this process's PATH would disturb the other tests).
        var model = await ModelAsync(["--LatentLens:MlflowUi=executable", $"--LatentLens:MlflowCommand={Path.Combine(_work, "no-mlflow-here")}"], cts.Token);

        var ui = Assert.Single(model.Resources.OfType<MlflowUiExecutableResource>());
        Assert.Equal("/bin/sh", ui.Command);
        Assert.Contains(await ArgsAsync(ui), a => a.Contains("pip install mlflow==2.12.1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnUnknownModeStopsTheAppHostNamingTheSetting()
    {
        using var cts = new CancellationTokenSource(Timeout);
        var error = await Assert.ThrowsAnyAsync<Exception>(() => ModelAsync(["--LatentLens:MlflowUi=kubernetes"], cts.Token));

        Assert.Contains("LatentLens:MlflowUi", error.ToString(), StringComparison.Ordinal);
    }

    [RequiresMlflowPythonFact]
    public async Task MlflowUiStartsAsAnExecutableAndReadsTheRepositorysExperiment()
    {
        using var cts = new CancellationTokenSource(Timeout);
        // A launcher as `pip install mlflow` would put on the PATH: MLflow 2.12.1's package from ../shared, Debian's Python.
        var package = Path.Combine(_work, "mlflow-package");
        Directory.CreateDirectory(package);
        using (var tar = Process.Start("tar", ["-xzf", Path.Combine(TestPaths.Shared, "mlflow", "server", "mlflow-2.12.1-python.tgz"), "-C", package]))
        {
            await tar.WaitForExitAsync(cts.Token);
            Assert.Equal(0, tar.ExitCode);
        }

        var launcher = Path.Combine(_work, "mlflow");
        await File.WriteAllTextAsync(launcher, $"#!/bin/sh\nexport PYTHONPATH='{package}' GIT_PYTHON_REFRESH=quiet\nexec /usr/bin/python3 -m mlflow \"$@\"\n", cts.Token);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(launcher, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.LatentLens_AppHost>(
            ["--DcpPublisher:ContainerRuntimeInitializationTimeout=00:00:00", "--LatentLens:MlflowUi=executable", $"--LatentLens:MlflowCommand={launcher}"], cts.Token);
        await using var app = await builder.BuildAsync(cts.Token);
        await app.StartAsync(cts.Token);
        await app.ResourceNotifications.WaitForResourceHealthyAsync("mlflow-ui", cts.Token);

        using var client = new HttpClient { BaseAddress = new Uri("http://127.0.0.1:5000") };
        var found = await client.GetFromJsonAsync<JsonElement>($"/api/2.0/mlflow/experiments/get-by-name?experiment_name={LatentLensConventions.ExperimentName}", cts.Token);
        Assert.Equal(LatentLensConventions.ExperimentName, found.GetProperty("experiment").GetProperty("name").GetString());
        var runs = await client.PostAsJsonAsync("/api/2.0/mlflow/runs/search", new { experiment_ids = new[] { found.GetProperty("experiment").GetProperty("experiment_id").GetString() } }, cts.Token);
        Assert.True(runs.IsSuccessStatusCode, await runs.Content.ReadAsStringAsync(cts.Token));
        Assert.True((await runs.Content.ReadFromJsonAsync<JsonElement>(cts.Token)).GetProperty("runs").GetArrayLength() >= 7);
    }
}
