namespace LatentLens.Api.Tracking;

/// <summary>Something in the store that MLflow would hide (with a warning) or choke on, naming the file.</summary>
internal sealed record StoreProblem(string Path, string Message, bool BreaksMlflow, string? MlflowReads = null)
{
    public override string ToString() => $"{Path}: {Message}{(BreaksMlflow ? " (MLflow's UI fails on this)" : MlflowReads is { } reads ? $" ({reads})" : " (MLflow hides it)")}";
}

internal sealed record ExperimentInfo(string Id, string Name, string LifecycleStage, string ArtifactLocation, long? CreationTime, IReadOnlyDictionary<string, string> Tags);

internal readonly record struct MetricPoint(long Timestamp, double Value, long Step);

internal sealed record RunInput(string DatasetId, string? DatasetName, string? DatasetDigest, IReadOnlyDictionary<string, string> Tags);

internal sealed record RunInfo(
    string ExperimentId,
    string RunId,
    string RunName,
    RunStatus Status,
    long StartTime,
    long? EndTime,
    string LifecycleStage,
    string UserId,
    string ArtifactUri,
    string ArtifactsFolder,
    IReadOnlyDictionary<string, string> Params,
    IReadOnlyDictionary<string, string> Tags,
    IReadOnlyDictionary<string, IReadOnlyList<MetricPoint>> MetricHistories,
    IReadOnlyList<RunInput> Inputs)
{
    /// <summary>The latest value of each metric as MLflow shows it: the max by (step, timestamp, value).</summary>
    public IReadOnlyDictionary<string, double> Metrics => MetricHistories.ToDictionary(
        m => m.Key,
        m => m.Value.OrderBy(p => p.Step).ThenBy(p => p.Timestamp).ThenBy(p => p.Value).Last().Value,
        StringComparer.Ordinal);

    public string? ParentRunId => Tags.GetValueOrDefault("mlflow.parentRunId");
}

internal sealed record ModelVersionInfo(string Name, int Version, string RunId, string Source, string Status, long CreationTimestamp, IReadOnlyDictionary<string, string> Tags);

internal sealed record RegisteredModelInfo(
    string Name,
    string? Description,
    long CreationTimestamp,
    long LastUpdatedTimestamp,
    IReadOnlyDictionary<string, int> Aliases,
    IReadOnlyDictionary<string, string> Tags,
    IReadOnlyList<ModelVersionInfo> Versions);
