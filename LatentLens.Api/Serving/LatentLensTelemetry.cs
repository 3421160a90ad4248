using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace LatentLens.Api.Serving;

/// <summary>The one telemetry name of the API: its activity source and meter, and the instruments on it.</summary>
internal static class LatentLensTelemetry
{
    public const string Name = "LatentLens.Api";

    public static readonly ActivitySource ActivitySource = new(Name);

    private static readonly Meter Meter = new(Name);

    public static readonly Counter<long> RecommendationsServed =
        Meter.CreateCounter<long>("latentlens.recommendations.served", unit: "{recommendation}", description: "Recommended items returned");

    public static readonly Histogram<double> RecommendationDuration =
        Meter.CreateHistogram<double>("latentlens.recommendation.duration", unit: "ms", description: "Time to score and rank the items for one request");

    private static int _modelVersion;

    static LatentLensTelemetry()
    {
        Meter.CreateObservableGauge("latentlens.model.version", () => Volatile.Read(ref _modelVersion), unit: "{version}",
            description: "Registered version of the model being served (0: a run without a version)");
    }

    public static void SetModelVersion(int version) => Volatile.Write(ref _modelVersion, version);
}
