using System.CommandLine;
using LatentLens.Api.Tracking;
using LatentLens.Api.Tracking.Stores;

namespace LatentLens.Api.Cli;

/// <summary>Options shared by the commands that read or write the MLflow store.</summary>
internal static class TrackingOptions
{
    public static Option<string> Mlruns() => new("--mlruns")
    {
        Description = $"The MLflow file store (default: ${LatentLensConventions.MlrunsPathVariable}, else ./mlruns), when neither --tracking-uri nor ${LatentLensConventions.TrackingUriVariable} names a store.",
        HelpName = "DIR",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(LatentLensConventions.MlrunsPathVariable) is { Length: > 0 } path ? path : "mlruns",
    };

    public static Option<string?> TrackingUri() => new("--tracking-uri")
    {
        Description = $"Where runs are tracked, as MLflow's clients take it: http(s)://HOST:PORT for a tracking server, a folder or file: URI for a file store (default: ${LatentLensConventions.TrackingUriVariable}, else --mlruns).",
        HelpName = "URI",
    };

    /// <summary>
    /// The store the options name, by <see cref="TrackingStoreFactory.ChooseUri"/>: given on the command line
    /// (<c>--tracking-uri</c> or <c>--mlruns</c>, not both); else <c>$MLFLOW_TRACKING_URI</c>; else the file
    /// store <c>--mlruns</c> defaults to.
    /// </summary>
    public static string Resolve(ParseResult parse, Option<string> mlruns, Option<string?> trackingUri)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var uri = parse.GetValue(trackingUri);
        var mlrunsGiven = parse.GetResult(mlruns) is { Implicit: false };
        if (uri is not null && mlrunsGiven)
        {
            throw new ArgumentException("Give --tracking-uri or --mlruns, not both.");
        }

        if (uri is not null && string.IsNullOrWhiteSpace(uri))
        {
            throw new ArgumentException("--tracking-uri is empty.");
        }

        var folder = parse.GetValue(mlruns)!;
        if (mlrunsGiven && string.IsNullOrWhiteSpace(folder))
        {
            // Given but empty (an unset shell variable): never fall through to $MLFLOW_TRACKING_URI silently.
            throw new ArgumentException("--mlruns is empty.");
        }

        return TrackingStoreFactory.ChooseUri(uri ?? (mlrunsGiven ? folder : null), Environment.GetEnvironmentVariable, folder)!;
    }

    public static ITrackingStore Open(ParseResult parse, Option<string> mlruns, Option<string?> trackingUri) =>
        TrackingStoreFactory.Open(Resolve(parse, mlruns, trackingUri));

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
