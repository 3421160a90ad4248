using System.Globalization;
using System.Text;

namespace LatentLens.Api.Tracking.FileStore;

/// <summary>One run being written. Its <c>meta.yaml</c> says RUNNING until <see cref="End"/>.</summary>
internal sealed class RunWriter : IRunWriter
{
    private readonly FileTrackingStore _store;
    private readonly string _runName;
    private readonly string _userId;
    private readonly long _startTime;
    private readonly Dictionary<string, StringBuilder> _metricLines = new(StringComparer.Ordinal);

    internal RunWriter(FileTrackingStore store, string experimentId, string runId, string runName, string userId, long startTime)
    {
        _store = store;
        ExperimentId = experimentId;
        RunId = runId;
        _runName = runName;
        _userId = userId;
        _startTime = startTime;
        Folder = Path.Combine(store.Root, experimentId, runId);
    }

    public string ExperimentId { get; }

    public string RunId { get; }

    public string Folder { get; }

    public string ArtifactsFolder => Path.Combine(Folder, "artifacts");

    /// <summary>The artifact location as stored: relative, so it resolves on the host and in both containers.</summary>
    public string ArtifactUri => _store.RelativeUri(ExperimentId, RunId, "artifacts");

    public RunStatus? EndedWith { get; private set; }

    internal void WriteMeta(RunStatus status, long? endTime) =>
        _store.WriteYaml(Path.Combine(Folder, "meta.yaml"), new Dictionary<string, object?>
        {
            ["artifact_uri"] = ArtifactUri,
            ["end_time"] = endTime,
            ["entry_point_name"] = string.Empty,
            ["experiment_id"] = ExperimentId,
            ["lifecycle_stage"] = "active",
            ["run_id"] = RunId,
            ["run_name"] = _runName,
            ["run_uuid"] = RunId,
            ["source_name"] = string.Empty,
            ["source_type"] = 4,
            ["source_version"] = string.Empty,
            ["start_time"] = _startTime,
            ["status"] = (int)status,
            ["tags"] = Array.Empty<string>(),
            ["user_id"] = _userId,
        });

    public void LogParam(string key, string value)
    {
        MlflowNames.RequireKey(key);
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length > MlflowNames.MaxParamValueLength)
        {
            throw new ArgumentException($"The value of param '{key}' has {value.Length} characters; MLflow allows {MlflowNames.MaxParamValueLength}.", nameof(value));
        }

        AtomicFile.WriteText(_store.Root, Path.Combine(Folder, "params", key), value);
    }

    public void SetTag(string key, string value)
    {
        MlflowNames.RequireKey(key);
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length > MlflowNames.MaxTagValueLength)
        {
            value = value[..(MlflowNames.MaxTagValueLength - 1)] + "…";
        }

        AtomicFile.WriteText(_store.Root, Path.Combine(Folder, "tags", key), value);
    }

    /// <summary>Appends one value to a metric's history (step ≥ 0; timestamp in ms, now when omitted).</summary>
    public void LogMetric(string key, double value, long step = 0, long? timestamp = null)
    {
        MlflowNames.RequireKey(key);
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (!_metricLines.TryGetValue(key, out var lines))
        {
            lines = new StringBuilder();
            var path = Path.Combine(Folder, "metrics", key);
            if (File.Exists(path))
            {
                lines.Append(File.ReadAllText(path));
            }

            _metricLines[key] = lines;
        }

        lines.Append(CultureInfo.InvariantCulture, $"{timestamp ?? MlflowNames.Now()} {MlflowNames.FormatDouble(value)} {step}\n");
        AtomicFile.WriteText(_store.Root, Path.Combine(Folder, "metrics", key), lines.ToString());
    }

    /// <summary>Links a dataset of the experiment to this run as an input (context: training, evaluation, ...).</summary>
    public void LogInput(string datasetId, string context)
    {
        var inputId = FileTrackingStore.Md5Hex($"{datasetId}\n{RunId}");
        _store.WriteYaml(Path.Combine(Folder, "inputs", inputId, "meta.yaml"), new Dictionary<string, object?>
        {
            ["destination_id"] = RunId,
            ["destination_type"] = "RUN",
            ["source_id"] = datasetId,
            ["source_type"] = "DATASET",
            ["tags"] = new Dictionary<string, object?> { ["mlflow.data.context"] = context },
        });
    }

    /// <summary>Writes one artifact file atomically; <paramref name="relativePath"/> uses '/'.</summary>
    public void WriteArtifact(string relativePath, ReadOnlySpan<byte> content)
    {
        if (relativePath.Contains("..", StringComparison.Ordinal) || Path.IsPathRooted(relativePath))
        {
            throw new ArgumentException($"'{relativePath}' is not a relative artifact path.", nameof(relativePath));
        }

        AtomicFile.Write(_store.Root, Path.Combine(ArtifactsFolder, relativePath), content);
    }

    public void WriteArtifact(string relativePath, string text) => WriteArtifact(relativePath, MlflowYaml.Utf8NoBom.GetBytes(text));

    /// <summary>Ends the run: FINISHED only once every artifact is written; FAILED with the error in the note.</summary>
    public void End(RunStatus status, string? failure = null)
    {
        if (failure is not null)
        {
            SetTag("mlflow.note.content", $"**Failed:** {failure}");
        }

        WriteMeta(status, MlflowNames.Now());
        EndedWith = status;
    }
}
