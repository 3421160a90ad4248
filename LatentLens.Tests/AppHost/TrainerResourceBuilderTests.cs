using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using LatentLens.AppHost.Trainer;

namespace LatentLens.Tests.AppHost;

/// <summary>The trainer's builder methods on a bare builder: the resource, its arguments, store and command.</summary>
[Collection(BareBuilderCollection.Name)]
public sealed class TrainerResourceBuilderTests
{
    private static readonly string Store = Path.Combine(Path.GetTempPath(), "trainer-mlruns");

    [Fact]
    public async Task AddTrainerRunsTheApiProgramAsTrainOverAppHostParameters()
    {
        var builder = DistributedApplication.CreateBuilder();

        var trainer = builder.AddTrainer("trainer", Store).Resource;

        Assert.Equal("trainer", trainer.Name);
        Assert.Single(trainer.Annotations.OfType<ExplicitStartupAnnotation>());
        Assert.Empty(trainer.Annotations.OfType<EndpointAnnotation>());
        var args = await ResourceCallbacks.ArgsAsync(trainer);
        Assert.Equal(["train", "--algorithm", "trainer-algorithm", "--dataset", "trainer-dataset", "--register", "--promote-by", "trainer-promote-by"],
            args.Select(a => a is ParameterResource p ? p.Name : a));
        var parameters = builder.Resources.OfType<ParameterResource>().ToDictionary(p => p.Name);
        Assert.Equal("funksvd", await parameters[TrainerResourceBuilderExtensions.AlgorithmParameter].GetValueAsync(CancellationToken.None));
        Assert.Equal("ml-latest-small", await parameters[TrainerResourceBuilderExtensions.DatasetParameter].GetValueAsync(CancellationToken.None));
        Assert.Equal("rmse", await parameters[TrainerResourceBuilderExtensions.PromoteByParameter].GetValueAsync(CancellationToken.None));
    }

    [Fact]
    public async Task WithoutATrackingServerBothVariablesNameTheStore()
    {
        var builder = DistributedApplication.CreateBuilder();

        var trainer = builder.AddTrainer("trainer", Store).Resource;

        var environment = await ResourceCallbacks.EnvironmentAsync(trainer);
        Assert.Equal(Store, environment[LatentLensConventions.MlrunsPathVariable]);
        Assert.Equal(Store, environment[LatentLensConventions.TrackingUriVariable]);
    }

    [Fact]
    public async Task WithATrackingServerMlflowsVariableNamesTheServersHttpEndpoint()
    {
        var builder = DistributedApplication.CreateBuilder();
        var server = builder.AddContainer("mlflow", "mlflow/mlflow").WithHttpEndpoint(name: "http");

        var trainer = builder.AddTrainer("trainer", Store, server).Resource;

        var environment = await ResourceCallbacks.EnvironmentAsync(trainer);
        Assert.Equal(Store, environment[LatentLensConventions.MlrunsPathVariable]);
        var endpoint = Assert.IsType<EndpointReference>(environment[LatentLensConventions.TrackingUriVariable]);
        Assert.Same(server.Resource, endpoint.Resource);
        Assert.Equal("http", endpoint.EndpointName);
    }

    [Fact]
    public void WithStartTrainerCommandAddsTrainNewModel()
    {
        var builder = DistributedApplication.CreateBuilder();
        var trainer = builder.AddTrainer("trainer", Store);
        var api = builder.AddContainer("api", "api");

        api.WithStartTrainerCommand(trainer);

        var command = Assert.Single(api.Resource.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == "train-model");
        Assert.Equal("Train new model", command.DisplayName);
        Assert.Equal("Play", command.IconName);
        Assert.Contains("'trainer'", command.DisplayDescription, StringComparison.Ordinal);
    }

    [Fact]
    public void BadArgumentsThrow()
    {
        var builder = DistributedApplication.CreateBuilder();
        var api = builder.AddContainer("api", "api");
        var blank = " "; // a variable: Aspire's analyzer rejects a literal bad name at compile time (ASPIRE006)

        Assert.Throws<ArgumentNullException>(() => ((IDistributedApplicationBuilder)null!).AddTrainer("trainer", Store));
        Assert.Throws<ArgumentNullException>(() => builder.AddTrainer(null!, Store));
        Assert.Throws<ArgumentException>(() => builder.AddTrainer(blank, Store));
        Assert.Throws<ArgumentNullException>(() => builder.AddTrainer("trainer", null!));
        Assert.Throws<ArgumentException>(() => builder.AddTrainer("trainer", ""));
        Assert.Throws<ArgumentNullException>(() => api.WithStartTrainerCommand(null!));
        Assert.Throws<ArgumentNullException>(() => ((IResourceBuilder<ContainerResource>)null!).WithStartTrainerCommand(builder.AddTrainer("trainer", Store)));
    }
}
