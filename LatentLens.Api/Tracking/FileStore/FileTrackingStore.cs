using System.Globalization;
using System.Text;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Tracking.Artifacts;

namespace LatentLens.Api.Tracking.FileStore;

/// <summary>
/// Writes an MLflow 2.12.1 file store (<c>mlruns/</c>) exactly as MLflow reads it: experiments,
/// runs with params, metrics and tags, dataset inputs, artifacts, and the model registry. Every file
/// is validated before it is written and written atomically (<see cref="AtomicFile"/>).
/// </summary>
internal sealed class FileTrackingStore : ITrackingStore
{
    public FileTrackingStore(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
    }

    /// <summary>The store's folder.</summary>
    public string Root { get; }

    public string Location => Root;

    /// <summary>The id and name of the experiment MLflow creates with every new store.</summary>
    public const string DefaultExperimentId = "0";

    public const string DefaultExperimentName = "Default";

    /// <summary>
    /// Creates the folders MLflow's UI needs to start on a read-only mount and, in a store that does
    /// not exist yet, the experiment <c>0</c> (<c>Default</c>) that MLflow creates with every new store
    /// (clients that default to experiment 0 fail without it).
    /// </summary>
    public void EnsureLayout()
    {
        var isNew = !Directory.Exists(Root);
        Directory.CreateDirectory(Path.Combine(Root, ".trash"));
        Directory.CreateDirectory(Path.Combine(Root, "models"));
        if (isNew)
        {
            WriteExperimentMeta(DefaultExperimentId, DefaultExperimentName);
        }

        AtomicFile.CleanStaleTemporaries(Root, TimeSpan.FromHours(1));
    }

    /// <summary>
    /// The location of a path under the store as stored in <c>artifact_uri</c>, <c>artifact_location</c>
    /// and a model version's <c>source</c>: relative, starting with the store's own folder name
    /// (<c>mlruns/...</c> for the repository's store). It resolves for an MLflow process started in
    /// the folder that holds the store: the repository root on the host, <c>/</c> in the UI container
    /// (<c>/mlruns</c>) and <c>/app</c> in the API container (<c>/app/mlruns</c>).
    /// </summary>
    public string RelativeUri(params string[] parts) => string.Join('/', [Path.GetFileName(Root.TrimEnd(Path.DirectorySeparatorChar)), .. parts]);

    /// <summary>The id of the active experiment named <paramref name="name"/>, creating it when missing.</summary>
    public string GetOrCreateExperiment(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        EnsureLayout();
        using var @lock = StoreLock.Acquire(Root, TimeSpan.FromSeconds(30));
        var existing = ReadExperiments(includeDeleted: true).FirstOrDefault(e => e.Name == name);
        if (existing is not null)
        {
            if (existing.LifecycleStage != "active")
            {
                throw new InvalidOperationException($"The experiment '{name}' ({existing.Id}) is deleted; restore it in MLflow or choose another name.");
            }

            return existing.Id;
        }

        var id = MlflowNames.NewExperimentId();
        WriteExperimentMeta(id, name);
        return id;
    }

    private void WriteExperimentMeta(string id, string name)
    {
        var now = MlflowNames.Now();
        WriteYaml(Path.Combine(Root, id, "meta.yaml"), new Dictionary<string, object?>
        {
            ["artifact_location"] = RelativeUri(id),
            ["creation_time"] = now,
            ["experiment_id"] = id,
            ["last_update_time"] = now,
            ["lifecycle_stage"] = "active",
            ["name"] = name,
        });
    }

    /// <summary>Starts a run: its <c>meta.yaml</c> says RUNNING until <see cref="RunWriter.End"/>.</summary>
    public RunWriter StartRun(string experimentId, string runName, string userId)
    {
        if (!MlflowNames.IsExperimentId(experimentId) || !File.Exists(Path.Combine(Root, experimentId, "meta.yaml")))
        {
            throw new ArgumentException($"No experiment '{experimentId}' in {Root}.", nameof(experimentId));
        }

        var run = new RunWriter(this, experimentId, MlflowNames.NewRunId(), runName, userId, MlflowNames.Now());
        run.WriteMeta(RunStatus.Running, endTime: null);
        run.SetTag("mlflow.runName", runName);
        run.SetTag("mlflow.user", userId);
        return run;
    }

    /// <summary>Records a dataset in the experiment (once per digest) and returns its id.</summary>
    public string LogDataset(string experimentId, string name, string digest, string sourceUri, long rows)
    {
        var id = Md5Hex($"{name}\n{digest}");
        var path = Path.Combine(Root, experimentId, "datasets", id, "meta.yaml");
        if (!File.Exists(path))
        {
            WriteYaml(path, new Dictionary<string, object?>
            {
                ["digest"] = digest,
                ["name"] = name,
                ["profile"] = string.Create(CultureInfo.InvariantCulture, $"{{\"num_rows\": {rows}}}"),
                ["schema"] = null,
                ["source"] = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["uri"] = sourceUri }),
                ["source_type"] = "local",
            });
        }

        return id;
    }

    IRunWriter ITrackingStore.StartRun(string experimentId, string runName, string userId) => StartRun(experimentId, runName, userId);

    // The one way to read this store: the readers of each part behind these methods, for the store's own
    // writers, migrate and the tests alike. What MLflow skips with a warning is skipped here too; what would
    // make MLflow's reader throw goes to the ProblemSink, naming the file, and the item is left out.

    /// <summary>The experiments, the deleted ones too with <paramref name="includeDeleted"/>.</summary>
    public IReadOnlyList<ExperimentInfo> ReadExperiments(ProblemSink? problems = null, bool includeDeleted = false) =>
        new ExperimentReader(Root, problems ?? new ProblemSink()).ReadExperiments(includeDeleted);

    public ExperimentInfo? FindExperiment(string name, ProblemSink? problems = null) =>
        new ExperimentReader(Root, problems ?? new ProblemSink()).FindExperiment(name);

    public IReadOnlyList<RunInfo> ReadRuns(string experimentId, ProblemSink? problems = null) =>
        new RunReader(Root, problems ?? new ProblemSink()).ReadRuns(experimentId);

    /// <summary>The runs of an experiment, the deleted ones (lifecycle stage <c>deleted</c>) too.</summary>
    public IReadOnlyList<RunInfo> ReadRunsIncludingDeleted(string experimentId, ProblemSink? problems = null) =>
        new RunReader(Root, problems ?? new ProblemSink()).ReadRuns(experimentId, includeDeleted: true);

    public IReadOnlyList<RegisteredModelInfo> ReadRegisteredModels(ProblemSink? problems = null) =>
        new RegistryReader(Root, problems ?? new ProblemSink()).ReadRegisteredModels();

    public RunInfo? FindRun(string runId, ProblemSink? problems = null) =>
        new RunReader(Root, problems ?? new ProblemSink()).FindRun(runId);

    public IReadOnlyList<MetricPoint> ReadMetricHistory(string runId, string key) =>
        FindRun(runId)?.MetricHistories.GetValueOrDefault(key) ?? [];

    public RegisteredModelInfo? FindRegisteredModel(string name, ProblemSink? problems = null) =>
        new RegistryReader(Root, problems ?? new ProblemSink()).FindRegisteredModel(name);

    public int RegisterVersion(string modelName, string experimentId, string runId, string? description = null) =>
        new ModelRegistry(this).RegisterVersion(modelName, experimentId, runId, ModelArtifact.ArtifactPath, description);

    public void SetAlias(string modelName, string alias, int version) => new ModelRegistry(this).SetAlias(modelName, alias, version);

    public bool HasModel(RunInfo run) => File.Exists(Path.Combine(ModelFolder(run), "MLmodel"));

    public SavedModel LoadModel(RunInfo run) => ModelArtifact.Load(ModelFolder(run));

    /// <summary>The run's <c>model/</c> folder, under this store's root whatever its stored artifact URI says.</summary>
    public string ModelFolder(RunInfo run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return Path.Combine(Root, run.ExperimentId, run.RunId, "artifacts", ModelArtifact.ArtifactPath);
    }

    internal void WriteYaml(string path, IReadOnlyDictionary<string, object?> mapping) =>
        AtomicFile.WriteText(Root, path, MlflowYaml.Write(mapping));

    internal static string Md5Hex(string text) =>
#pragma warning disable CA5351 // MLflow's own ids are md5 digests; this is an identifier, not security.
        Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(Encoding.UTF8.GetBytes(text)));
#pragma warning restore CA5351
}
