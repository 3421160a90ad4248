using System.Diagnostics;

namespace LatentLens.Api.Tracking.Server;

/// <summary>
/// One run being written to a tracking server. Params, tags and metrics are sent in batches
/// (<c>runs/log-batch</c>, within MLflow's limits: 1,000 items, 100 params and 100 tags per call): when a
/// batch is full, every couple of seconds (so the UI shows learning curves while a model trains), before
/// an artifact and at the end. Artifacts go through the artifact proxy. RUNNING until <see cref="End"/>.
/// </summary>
internal sealed class ServerRunWriter : IRunWriter
{
    private const int MaxItems = 1000;
    private const int MaxParams = 100;
    private const int MaxTags = 100;
    private static readonly TimeSpan FlushEvery = TimeSpan.FromSeconds(2);
    private readonly ServerTrackingStore _store;
    private readonly List<MlflowKeyValue> _params = [];
    private readonly List<MlflowKeyValue> _tags = [];
    private readonly List<MlflowMetric> _metrics = [];
    private readonly Stopwatch _sinceFlush = Stopwatch.StartNew();

    internal ServerRunWriter(ServerTrackingStore store, string experimentId, string runId, string artifactUri)
    {
        _store = store;
        ExperimentId = experimentId;
        RunId = runId;
        ArtifactUri = artifactUri;
    }

    public string ExperimentId { get; }

    public string RunId { get; }

    /// <summary>The run's artifact root as the server stores it (<c>mlflow-artifacts:/&lt;exp&gt;/&lt;run&gt;/artifacts</c>).</summary>
    public string ArtifactUri { get; }

    public RunStatus? EndedWith { get; private set; }

    public void LogParam(string key, string value)
    {
        MlflowNames.RequireKey(key);
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length > MlflowNames.MaxParamValueLength)
        {
            throw new ArgumentException($"The value of param '{key}' has {value.Length} characters; MLflow allows {MlflowNames.MaxParamValueLength}.", nameof(value));
        }

        _params.RemoveAll(p => p.Key == key);
        _params.Add(new(key, value));
        Pending();
    }

    public void SetTag(string key, string value)
    {
        MlflowNames.RequireKey(key);
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length > MlflowNames.MaxTagValueLength)
        {
            value = value[..(MlflowNames.MaxTagValueLength - 1)] + "…";
        }

        // One value per key in a batch: the last one set wins, as with the file store.
        _tags.RemoveAll(t => t.Key == key);
        _tags.Add(new(key, value));
        Pending();
    }

    public void LogMetric(string key, double value, long step = 0, long? timestamp = null)
    {
        MlflowNames.RequireKey(key);
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        _metrics.Add(new(key, value, timestamp ?? MlflowNames.Now(), step));
        Pending();
    }

    public void LogInput(string datasetId, string context) => LogInput(_store.Dataset(datasetId), context);

    internal void LogInput(MlflowDataset dataset, string context) =>
        _store.Client.Post("runs/log-inputs", new LogInputsRequest(RunId, [new([new("mlflow.data.context", context)], dataset)]), MlflowJson.Default.LogInputsRequest, MlflowJson.Default.Empty);

    public void WriteArtifact(string relativePath, ReadOnlySpan<byte> content)
    {
        if (relativePath.Contains("..", StringComparison.Ordinal) || Path.IsPathRooted(relativePath) || relativePath.StartsWith('/'))
        {
            throw new ArgumentException($"'{relativePath}' is not a relative artifact path.", nameof(relativePath));
        }

        Flush();
        _store.UploadArtifact(ArtifactUri, relativePath, content.ToArray());
    }

    public void WriteArtifact(string relativePath, string text) => WriteArtifact(relativePath, MlflowYaml.Utf8NoBom.GetBytes(text));

    public void End(RunStatus status, string? failure = null) => End(status, failure, MlflowNames.Now());

    /// <summary>Ends the run with a given end time (what <c>migrate</c> copies); null leaves it unset.</summary>
    internal void End(RunStatus status, string? failure, long? endTime)
    {
        if (failure is not null)
        {
            SetTag("mlflow.note.content", $"**Failed:** {failure}");
        }

        Flush();
        _store.Client.Post("runs/update", new UpdateRunRequest(RunId, ServerTrackingStore.StatusName(status), endTime), MlflowJson.Default.UpdateRunRequest, MlflowJson.Default.Empty);
        EndedWith = status;
    }

    private void Pending()
    {
        if (_params.Count >= MaxParams || _tags.Count >= MaxTags || _params.Count + _tags.Count + _metrics.Count >= MaxItems || _sinceFlush.Elapsed >= FlushEvery)
        {
            Flush();
        }
    }

    /// <summary>Sends everything pending, in as many batches as MLflow's limits need.</summary>
    public void Flush()
    {
        while (_params.Count + _tags.Count + _metrics.Count > 0)
        {
            var parameters = Take(_params, MaxParams);
            var tags = Take(_tags, MaxTags);
            var metrics = Take(_metrics, MaxItems - parameters.Count - tags.Count);
            _store.Client.Post("runs/log-batch", new LogBatchRequest(RunId, metrics, parameters, tags), MlflowJson.Default.LogBatchRequest, MlflowJson.Default.Empty);
        }

        _sinceFlush.Restart();
    }

    private static List<T> Take<T>(List<T> pending, int count)
    {
        var taken = pending.Take(count).ToList();
        pending.RemoveRange(0, taken.Count);
        return taken;
    }
}
