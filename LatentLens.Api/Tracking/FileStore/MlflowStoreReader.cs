namespace LatentLens.Api.Tracking.FileStore;

/// <summary>
/// Reads an MLflow 2.12.1 file store: one entry point over the readers of each part (experiments,
/// runs, the registry). What MLflow skips with a warning is skipped here too; what would make
/// MLflow's reader throw is reported to the <see cref="ProblemSink"/>, naming the file, and the item
/// is left out. Nothing here throws on bad data. Artifacts are found under the store's own root
/// (<c>&lt;exp&gt;/&lt;run&gt;/artifacts</c>), never through the stored <c>artifact_uri</c>.
/// </summary>
internal sealed class MlflowStoreReader
{
    private readonly ExperimentReader _experiments;
    private readonly RunReader _runs;
    private readonly RegistryReader _registry;
    private readonly ProblemSink _sink;

    /// <param name="root">The store's folder.</param>
    /// <param name="problems">Where problems go; a new sink when omitted (then read them from <see cref="Problems"/>).</param>
    public MlflowStoreReader(string root, ProblemSink? problems = null)
    {
        Root = Path.GetFullPath(root);
        _sink = problems ?? new ProblemSink();
        _experiments = new ExperimentReader(Root, _sink);
        _runs = new RunReader(Root, _sink);
        _registry = new RegistryReader(Root, _sink);
    }

    public string Root { get; }

    public IReadOnlyList<StoreProblem> Problems => _sink.Problems;

    public IReadOnlyList<ExperimentInfo> ReadExperiments(bool includeDeleted = false) => _experiments.ReadExperiments(includeDeleted);

    public ExperimentInfo? FindExperiment(string name) => _experiments.FindExperiment(name);

    public IReadOnlyList<RunInfo> ReadRuns(string experimentId, bool includeDeleted = false) => _runs.ReadRuns(experimentId, includeDeleted);

    public RunInfo? FindRun(string experimentId, string runId) => _runs.FindRun(experimentId, runId);

    public RunInfo? FindRun(string runId) => _runs.FindRun(runId);

    public IReadOnlyList<RegisteredModelInfo> ReadRegisteredModels() => _registry.ReadRegisteredModels();

    public RegisteredModelInfo? FindRegisteredModel(string name) => _registry.FindRegisteredModel(name);
}
