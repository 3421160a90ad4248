using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using LatentLens.AppHost.Mlflow;

namespace LatentLens.Tests.AppHost;

/// <summary>The MLflow UI's builder methods on a bare builder, as Aspire tests its own integrations: the annotations each one adds.</summary>
[Collection(BareBuilderCollection.Name)]
public sealed class MlflowUiResourceBuilderTests
{
    private static IDistributedApplicationBuilder NewBuilder() => DistributedApplication.CreateBuilder();

    [Fact]
    public void AddMlflowUiAddsTheOfficialImageFromGhcr()
    {
        var builder = NewBuilder();

        builder.AddMlflowUi("ui");

        var ui = Assert.Single(builder.Resources.OfType<MlflowUiResource>());
        Assert.Equal("ui", ui.Name);
        var image = Assert.Single(ui.Annotations.OfType<ContainerImageAnnotation>());
        Assert.Equal("ghcr.io", image.Registry);
        Assert.Equal("mlflow/mlflow", image.Image);
        Assert.Equal("v2.12.1", image.Tag);
    }

    [Fact]
    public void AddMlflowUiListensOnHttpWithTheContainersPort5000()
    {
        var builder = NewBuilder();

        var byDefault = builder.AddMlflowUi("ui").Resource;
        var chosen = builder.AddMlflowUi("other", port: 5555).Resource;
        var free = builder.AddMlflowUi("third", port: null).Resource;

        var endpoint = Assert.Single(byDefault.Annotations.OfType<EndpointAnnotation>());
        Assert.Equal(MlflowUiResource.HttpEndpointName, endpoint.Name);
        Assert.Equal("http", endpoint.UriScheme);
        Assert.Equal(5000, endpoint.Port);
        Assert.Equal(5000, endpoint.TargetPort);
        Assert.Equal(5555, Assert.Single(chosen.Annotations.OfType<EndpointAnnotation>()).Port);
        Assert.Null(Assert.Single(free.Annotations.OfType<EndpointAnnotation>()).Port);
        Assert.Equal(5000, Assert.Single(free.Annotations.OfType<EndpointAnnotation>()).TargetPort);
        Assert.Equal(MlflowUiResource.HttpEndpointName, byDefault.HttpEndpoint.EndpointName);
    }

    [Fact]
    public async Task AddMlflowUiRunsTheUiOverSlashMlrunsWithAHealthCheck()
    {
        var builder = NewBuilder();

        var ui = builder.AddMlflowUi("ui").Resource;

        Assert.Equal(["mlflow", "ui", "--host", "0.0.0.0", "--backend-store-uri", "/mlruns"], await ResourceCallbacks.ArgsAsync(ui));
        Assert.Single(ui.Annotations.OfType<HealthCheckAnnotation>());
        Assert.Empty(await ResourceCallbacks.EnvironmentAsync(ui));
        Assert.Empty(ui.Annotations.OfType<ContainerMountAnnotation>());
    }

    [Fact]
    public void WithMlrunsBindMountMountsTheFolderAtSlashMlrunsReadWriteUnlessAsked()
    {
        var builder = NewBuilder();
        var store = Path.Combine(Path.GetTempPath(), "some-mlruns");

        var readWrite = builder.AddMlflowUi("ui").WithMlrunsBindMount(store).Resource;
        var readOnly = builder.AddMlflowUi("other", port: null).WithMlrunsBindMount("relative-mlruns", isReadOnly: true).Resource;

        var mount = Assert.Single(readWrite.Annotations.OfType<ContainerMountAnnotation>());
        Assert.Equal(ContainerMountType.BindMount, mount.Type);
        Assert.Equal(store, mount.Source);
        Assert.Equal(MlflowUiResource.MlrunsContainerPath, mount.Target);
        Assert.False(mount.IsReadOnly);
        var relative = Assert.Single(readOnly.Annotations.OfType<ContainerMountAnnotation>());
        Assert.Equal(Path.Combine(builder.AppHostDirectory, "relative-mlruns"), relative.Source);
        Assert.True(relative.IsReadOnly);
    }

    [Fact]
    public void WithExperimentPageUrlAddsAUrlCallback()
    {
        var builder = NewBuilder();

        var ui = builder.AddMlflowUi("ui").WithExperimentPageUrl(TestPaths.RepositoryRoot, "An experiment").Resource;

        // One from AddMlflowUi (the endpoint's display text), one for the experiment's page.
        Assert.Equal(2, ui.Annotations.OfType<ResourceUrlsCallbackAnnotation>().Count());
    }

    [Fact]
    public async Task AddMlflowUiExecutableRunsTheGivenMlflowInTheStoresFolderOnThisMachineOnly()
    {
        var builder = NewBuilder();
        var folder = TestPaths.NewTempFolder();
        try
        {
            var mlflow = Path.Combine(folder, "mlflow");
            File.WriteAllText(mlflow, string.Empty);
            var store = Path.Combine(folder, "mlruns");

            var ui = builder.AddMlflowUiExecutable("ui", store, mlflow, port: 5001).Resource;

            Assert.Equal(mlflow, ui.Command);
            Assert.Equal(folder, ui.WorkingDirectory);
            var endpoint = Assert.Single(ui.Annotations.OfType<EndpointAnnotation>());
            Assert.Equal(5001, endpoint.Port);
            Assert.False(endpoint.IsProxied);
            Assert.Single(ui.Annotations.OfType<HealthCheckAnnotation>());
            Assert.Equal(["ui", "--host", "127.0.0.1", "--port", "5001", "--backend-store-uri", "mlruns"], await ResourceCallbacks.ArgsAsync(ui));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task AddMlflowUiExecutableWithoutMlflowRunsAShellThatSaysHowToInstallIt()
    {
        var builder = NewBuilder();

        var ui = builder.AddMlflowUiExecutable("ui", Path.Combine(Path.GetTempPath(), "mlruns"), Path.Combine(Path.GetTempPath(), "no-mlflow-here")).Resource;

        Assert.Equal("/bin/sh", ui.Command);
        var args = await ResourceCallbacks.ArgsAsync(ui);
        Assert.Equal("-c", args[0]);
        Assert.Contains("pip install mlflow==2.12.1", (string)args[1], StringComparison.Ordinal);
        Assert.EndsWith("exit 127", (string)args[1], StringComparison.Ordinal);
    }

    [Fact]
    public void BadArgumentsThrowBeforeAnythingIsAdded()
    {
        var builder = NewBuilder();
        var ui = builder.AddMlflowUi("ui");
        // Variables, not literals: Aspire's analyzer rejects a literal bad name at compile time (ASPIRE006).
        string empty = string.Empty, blank = "  ";

        Assert.Throws<ArgumentNullException>(() => ((IDistributedApplicationBuilder)null!).AddMlflowUi("ui"));
        Assert.Throws<ArgumentNullException>(() => builder.AddMlflowUi(null!));
        Assert.Throws<ArgumentException>(() => builder.AddMlflowUi(empty));
        Assert.Throws<ArgumentException>(() => builder.AddMlflowUi(blank));
        Assert.Throws<ArgumentNullException>(() => ((IResourceBuilder<MlflowUiResource>)null!).WithMlrunsBindMount("/m"));
        Assert.Throws<ArgumentNullException>(() => ui.WithMlrunsBindMount(null!));
        Assert.Throws<ArgumentException>(() => ui.WithMlrunsBindMount(""));
        Assert.Throws<ArgumentNullException>(() => ((IResourceBuilder<MlflowUiResource>)null!).WithExperimentPageUrl("/m", "e"));
        Assert.Throws<ArgumentException>(() => ui.WithExperimentPageUrl(" ", "e"));
        Assert.Throws<ArgumentException>(() => ui.WithExperimentPageUrl("/m", ""));
        Assert.Throws<ArgumentNullException>(() => ((IDistributedApplicationBuilder)null!).AddMlflowUiExecutable("x", "/m"));
        Assert.Throws<ArgumentException>(() => builder.AddMlflowUiExecutable(empty, "/m"));
        Assert.Throws<ArgumentException>(() => builder.AddMlflowUiExecutable("x", ""));
        Assert.Single(builder.Resources);
        Assert.Empty(ui.Resource.Annotations.OfType<ContainerMountAnnotation>());
    }
}
