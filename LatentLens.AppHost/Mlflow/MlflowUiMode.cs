using Microsoft.Extensions.Configuration;

namespace LatentLens.AppHost.Mlflow;

/// <summary>How the app host runs the MLflow UI: the setting <c>LatentLens:MlflowUi</c>.</summary>
internal enum MlflowUiMode
{
    /// <summary>The official container (the default; needs a container engine).</summary>
    Container,

    /// <summary><c>mlflow ui</c> on this machine.</summary>
    Executable,
}

internal static class MlflowUiModeExtensions
{
    public const string Key = "LatentLens:MlflowUi";
    public const string CommandKey = "LatentLens:MlflowCommand";

    /// <summary>
    /// Adds the MLflow UI <paramref name="name"/> over the store <paramref name="mlruns"/> with a link to the
    /// project's experiment: its container (the original system, and always what is published), or, when run
    /// with <c>LatentLens:MlflowUi=executable</c>, <c>mlflow ui</c> on this machine (the program
    /// <c>LatentLens:MlflowCommand</c>, else the PATH's) for those without a container engine.
    /// </summary>
    public static IResourceBuilder<IResourceWithEndpoints> AddMlflowUiForStore(this IDistributedApplicationBuilder builder, [ResourceName] string name, string mlruns)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.ExecutionContext.IsRunMode && MlflowUiMode.FromConfiguration(builder.Configuration) == MlflowUiMode.Executable)
        {
            return builder.AddMlflowUiExecutable(name, mlruns, builder.Configuration[CommandKey])
                .WithExperimentPageUrl(mlruns, LatentLensConventions.ExperimentName);
        }

        return builder.AddMlflowUi(name)
            .WithMlrunsBindMount(mlruns)
            .WithExperimentPageUrl(mlruns, LatentLensConventions.ExperimentName);
    }

    extension(MlflowUiMode)
    {
        /// <summary>The mode the configuration asks for; an unknown value stops the app host naming the setting.</summary>
        public static MlflowUiMode FromConfiguration(IConfiguration configuration)
        {
            ArgumentNullException.ThrowIfNull(configuration);
            return configuration[Key]?.Trim().ToLowerInvariant() switch
            {
                null or "" or "container" => MlflowUiMode.Container,
                "executable" => MlflowUiMode.Executable,
                var other => throw new InvalidOperationException($"{Key} is '{other}'; use 'container' (the default) or 'executable'."),
            };
        }
    }
}
