using System.CommandLine;

namespace LatentLens.Api.Cli;

/// <summary>Options shared by the commands that read or write the MLflow store.</summary>
internal static class TrackingOptions
{
    /// <summary>The environment variable the app host sets for the API; the command line honours it too.</summary>
    public const string MlrunsEnvironmentVariable = LatentLensConventions.MlrunsPathVariable;

    public static Option<string> Mlruns() => new("--mlruns")
    {
        Description = $"The MLflow file store (default: ${MlrunsEnvironmentVariable}, else ./mlruns).",
        HelpName = "DIR",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(MlrunsEnvironmentVariable) is { Length: > 0 } path ? path : "mlruns",
    };

    public static Option<string> Experiment() => new("--experiment")
    {
        Description = "The MLflow experiment the runs belong to.",
        DefaultValueFactory = _ => LatentLensConventions.ExperimentName,
    };

    public static Option<string> Model() => new("--model")
    {
        Description = "The registered model.",
        DefaultValueFactory = _ => LatentLensConventions.RegisteredModelName,
    };
}
