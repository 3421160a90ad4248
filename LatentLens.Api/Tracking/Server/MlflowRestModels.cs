using System.Text.Json.Serialization;

namespace LatentLens.Api.Tracking.Server;

// The JSON of MLflow's REST API 2.0 (mlflow/protos/service.proto, model_registry.proto): snake_case
// field names, int64 as numbers, doubles that may be the strings "NaN" and "Infinity", fields left out
// when unset. Only the fields LatentLens reads or writes.

internal sealed record MlflowKeyValue(string Key, string? Value);

internal sealed record MlflowMetric(string Key, double Value, long Timestamp, long Step);

internal sealed record MlflowExperiment(string ExperimentId, string Name, string? ArtifactLocation, string? LifecycleStage, long? CreationTime, List<MlflowKeyValue>? Tags);

internal sealed record MlflowRunInfo(string RunId, string? RunName, string ExperimentId, string? UserId, string? Status, long? StartTime, long? EndTime, string? ArtifactUri, string? LifecycleStage);

internal sealed record MlflowRunData(List<MlflowMetric>? Metrics, List<MlflowKeyValue>? Params, List<MlflowKeyValue>? Tags);

internal sealed record MlflowDataset(string Name, string Digest, string SourceType, string Source, string? Schema, string? Profile);

internal sealed record MlflowDatasetInput(List<MlflowKeyValue>? Tags, MlflowDataset Dataset);

internal sealed record MlflowRunInputs(List<MlflowDatasetInput>? DatasetInputs);

internal sealed record MlflowRun(MlflowRunInfo Info, MlflowRunData? Data, MlflowRunInputs? Inputs);

internal sealed record MlflowFileInfo(string Path, bool IsDir, long? FileSize);

internal sealed record MlflowAlias(string Alias, string Version);

internal sealed record MlflowRegisteredModel(string Name, long? CreationTimestamp, long? LastUpdatedTimestamp, string? Description, List<MlflowKeyValue>? Tags, List<MlflowAlias>? Aliases);

internal sealed record MlflowModelVersion(string Name, string Version, long? CreationTimestamp, string? Source, string? RunId, string? Status, string? Description, List<MlflowKeyValue>? Tags);

internal sealed record MlflowError(string? ErrorCode, string? Message);

internal sealed record ExperimentResponse(MlflowExperiment Experiment);

internal sealed record CreateExperimentRequest(string Name);

internal sealed record CreateExperimentResponse(string ExperimentId);

internal sealed record CreateRunRequest(string ExperimentId, string UserId, string RunName, long StartTime, List<MlflowKeyValue> Tags);

internal sealed record RunResponse(MlflowRun Run);

internal sealed record UpdateRunRequest(string RunId, string Status, long? EndTime);

internal sealed record LogBatchRequest(string RunId, List<MlflowMetric> Metrics, List<MlflowKeyValue> Params, List<MlflowKeyValue> Tags);

internal sealed record LogInputsRequest(string RunId, List<MlflowDatasetInput> Datasets);

internal sealed record SearchRunsRequest(List<string> ExperimentIds, int MaxResults, string? PageToken, string RunViewType, string? Filter = null);

internal sealed record SearchRunsResponse(List<MlflowRun>? Runs, string? NextPageToken);

internal sealed record MetricHistoryResponse(List<MlflowMetric>? Metrics, string? NextPageToken);

internal sealed record ListArtifactsResponse(string? RootUri, List<MlflowFileInfo>? Files, string? NextPageToken);

internal sealed record RegisteredModelRequest(string Name);

internal sealed record RegisteredModelResponse(MlflowRegisteredModel RegisteredModel);

internal sealed record CreateModelVersionRequest(string Name, string Source, string RunId, string? Description);

internal sealed record ModelVersionResponse(MlflowModelVersion ModelVersion);

internal sealed record SearchModelVersionsResponse(List<MlflowModelVersion>? ModelVersions, string? NextPageToken);

internal sealed record SetAliasRequest(string Name, string Alias, string Version);

internal sealed record RunIdRequest(string RunId);

internal sealed record ExperimentTagRequest(string ExperimentId, string Key, string Value);

internal sealed record RegisteredModelTagRequest(string Name, string Key, string Value);

internal sealed record UpdateRegisteredModelRequest(string Name, string? Description);

internal sealed record ModelVersionTagRequest(string Name, string Version, string Key, string Value);

internal sealed record Empty;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(MlflowError))]
[JsonSerializable(typeof(ExperimentResponse))]
[JsonSerializable(typeof(CreateExperimentRequest))]
[JsonSerializable(typeof(CreateExperimentResponse))]
[JsonSerializable(typeof(CreateRunRequest))]
[JsonSerializable(typeof(RunResponse))]
[JsonSerializable(typeof(UpdateRunRequest))]
[JsonSerializable(typeof(LogBatchRequest))]
[JsonSerializable(typeof(LogInputsRequest))]
[JsonSerializable(typeof(SearchRunsRequest))]
[JsonSerializable(typeof(SearchRunsResponse))]
[JsonSerializable(typeof(MetricHistoryResponse))]
[JsonSerializable(typeof(ListArtifactsResponse))]
[JsonSerializable(typeof(RegisteredModelRequest))]
[JsonSerializable(typeof(RegisteredModelResponse))]
[JsonSerializable(typeof(CreateModelVersionRequest))]
[JsonSerializable(typeof(ModelVersionResponse))]
[JsonSerializable(typeof(SearchModelVersionsResponse))]
[JsonSerializable(typeof(SetAliasRequest))]
[JsonSerializable(typeof(RunIdRequest))]
[JsonSerializable(typeof(ExperimentTagRequest))]
[JsonSerializable(typeof(RegisteredModelTagRequest))]
[JsonSerializable(typeof(UpdateRegisteredModelRequest))]
[JsonSerializable(typeof(ModelVersionTagRequest))]
[JsonSerializable(typeof(Empty))]
internal sealed partial class MlflowJson : JsonSerializerContext;
