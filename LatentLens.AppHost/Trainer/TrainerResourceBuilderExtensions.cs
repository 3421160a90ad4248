using LatentLens.AppHost.Mlflow;
using Microsoft.Extensions.DependencyInjection;

namespace LatentLens.AppHost.Trainer;

/// <summary>The trainer: the API's program run as <c>train ... --register</c>, a job the user starts from the dashboard.</summary>
internal static class TrainerResourceBuilderExtensions
{
    /// <summary>The app host parameters of the trainer and their defaults (set them as <c>Parameters:NAME</c>).</summary>
    public const string AlgorithmParameter = "trainer-algorithm";
    public const string DatasetParameter = "trainer-dataset";
    public const string PromoteByParameter = "trainer-promote-by";

    /// <summary>
    /// Adds <paramref name="name"/>: the API project started as <c>train --algorithm A --dataset D
    /// --register --promote-by M</c> over the store <paramref name="mlruns"/>, only when the user starts
    /// it (<c>WithExplicitStart</c>). Its epochs stream to its console; its spans and epoch metrics go to
    /// the dashboard (the program exports them when the app host gives it an OTLP endpoint). Each run
    /// records, registers and, when better by the promotion metric, moves the champion; the API picks
    /// that up by polling the store. Run mode only: the published deployment has no trainer.
    /// </summary>
    /// <param name="builder">The distributed application builder.</param>
    /// <param name="name">The resource name.</param>
    /// <param name="mlruns">The MLflow file store's folder.</param>
    /// <param name="trackingServer">
    /// The MLflow tracking server MLflow's own variable names, or <see langword="null"/>: the variable names
    /// <paramref name="mlruns"/> too, so that one exported in the user's shell cannot take the trainer elsewhere.
    /// </param>
    public static IResourceBuilder<ProjectResource> AddTrainer(this IDistributedApplicationBuilder builder, [ResourceName] string name, string mlruns,
        IResourceBuilder<ContainerResource>? trackingServer = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(mlruns);
        var algorithm = builder.AddParameter(AlgorithmParameter, "funksvd");
        var dataset = builder.AddParameter(DatasetParameter, "ml-latest-small");
        var promoteBy = builder.AddParameter(PromoteByParameter, "rmse");
        var trainer = builder.AddProject<Projects.LatentLens_Api>(name, launchProfileName: null)
            .WithArgs("train", "--algorithm", algorithm.Resource, "--dataset", dataset.Resource, "--register", "--promote-by", promoteBy.Resource)
            .WithEnvironment(LatentLensConventions.MlrunsPathVariable, mlruns)
            .WithExplicitStart();
        return trackingServer is null
            ? trainer.WithEnvironment(LatentLensConventions.TrackingUriVariable, mlruns)
            : trainer.WithEnvironment(LatentLensConventions.TrackingUriVariable, trackingServer.GetEndpoint(MlflowServerResourceBuilderExtensions.HttpEndpointName));
    }

    /// <summary>Adds the dashboard command <c>train-model</c> ("Train new model") to <paramref name="builder"/>: it starts <paramref name="trainer"/>.</summary>
    public static IResourceBuilder<T> WithStartTrainerCommand<T>(this IResourceBuilder<T> builder, IResourceBuilder<ProjectResource> trainer)
        where T : IResource
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(trainer);
        return builder.WithCommand("train-model", "Train new model",
            context => context.Services.GetRequiredService<ResourceCommandService>()
                .ExecuteCommandAsync(trainer.Resource, KnownResourceCommands.StartCommand, context.CancellationToken),
            new CommandOptions
            {
                Description = $"Start the '{trainer.Resource.Name}' resource: train, record and register a run, promote it when better",
                IconName = "Play",
            });
    }
}
