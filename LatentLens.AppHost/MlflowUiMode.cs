using Microsoft.Extensions.Configuration;

namespace LatentLens.AppHost;

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
