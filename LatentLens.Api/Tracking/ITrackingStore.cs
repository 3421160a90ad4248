using LatentLens.Api.Recommender.Models;

namespace LatentLens.Api.Tracking;

/// <summary>
/// What the training pipeline, the command line and the API need from MLflow: experiments, runs
/// (params, metrics, tags, inputs, artifacts), the model registry and the model artifact of a run.
/// Two implementations: the MLflow file store (<see cref="FileStore.FileTrackingStore"/>) and a tracking
/// server's REST API (<see cref="Server.ServerTrackingStore"/>); <c>Stores.TrackingStoreFactory.Open</c> picks one
/// from a tracking URI. Reads never throw on bad data: what they could not read goes to the
/// <see cref="ProblemSink"/> given (one per read) and is left out. A server that cannot be reached or
/// answers an error throws <see cref="InvalidOperationException"/> (<c>TrackingServerException</c>)
/// naming the server and the call. Synchronous: every caller runs off the request path.
/// </summary>
internal interface ITrackingStore
{
    /// <summary>Where the store is, for messages (a folder or a URI).</summary>
    string Location { get; }

    /// <summary>The id of the active experiment named <paramref name="name"/>, creating it when missing.</summary>
    string GetOrCreateExperiment(string name);

    ExperimentInfo? FindExperiment(string name, ProblemSink? problems = null);

    /// <summary>
    /// The active runs of an experiment. <see cref="RunInfo.MetricHistories"/> holds every value from the
    /// file store, but only each metric's latest value from a server (as <c>runs/search</c> answers):
    /// <see cref="ReadMetricHistory"/> reads a whole history from either.
    /// </summary>
    IReadOnlyList<RunInfo> ReadRuns(string experimentId, ProblemSink? problems = null);

    /// <summary>One run by id, read directly (not by listing every run).</summary>
    RunInfo? FindRun(string runId, ProblemSink? problems = null);

    /// <summary>Every value of one metric of a run, in the order logged; empty when there is none.</summary>
    IReadOnlyList<MetricPoint> ReadMetricHistory(string runId, string key);

    /// <summary>Starts a run: RUNNING until <see cref="IRunWriter.End"/>.</summary>
    IRunWriter StartRun(string experimentId, string runName, string userId);

    /// <summary>Records a dataset in the experiment (once per digest) and returns its id for <see cref="IRunWriter.LogInput"/>.</summary>
    string LogDataset(string experimentId, string name, string digest, string sourceUri, long rows);

    RegisteredModelInfo? FindRegisteredModel(string name, ProblemSink? problems = null);

    /// <summary>Registers the <c>model/</c> artifact of a finished run as the next version of <paramref name="modelName"/>; idempotent: a run that has a version gets that version back.</summary>
    int RegisterVersion(string modelName, string experimentId, string runId, string? description = null);

    /// <summary>Points <paramref name="alias"/> of <paramref name="modelName"/> at <paramref name="version"/>.</summary>
    void SetAlias(string modelName, string alias, int version);

    /// <summary>Whether the run holds a model artifact (its <c>MLmodel</c> file).</summary>
    bool HasModel(RunInfo run);

    /// <summary>Loads the run's model artifact; throws <see cref="InvalidDataException"/> naming what is missing or broken.</summary>
    SavedModel LoadModel(RunInfo run);
}

/// <summary>One run being written.</summary>
internal interface IRunWriter
{
    string ExperimentId { get; }

    string RunId { get; }

    /// <summary>The status the run was ended with; null while it runs.</summary>
    RunStatus? EndedWith { get; }

    void LogParam(string key, string value);

    void SetTag(string key, string value);

    /// <summary>Appends one value to a metric's history (step ≥ 0).</summary>
    void LogMetric(string key, double value, long step = 0, long? timestamp = null);

    /// <summary>Links a dataset of the experiment to this run as an input (context: training, evaluation, ...).</summary>
    void LogInput(string datasetId, string context);

    /// <summary>Writes one artifact file; <paramref name="relativePath"/> uses '/'.</summary>
    void WriteArtifact(string relativePath, ReadOnlySpan<byte> content);

    void WriteArtifact(string relativePath, string text);

    /// <summary>Ends the run: FINISHED once everything is written; FAILED or KILLED with the reason in the note.</summary>
    void End(RunStatus status, string? failure = null);
}
