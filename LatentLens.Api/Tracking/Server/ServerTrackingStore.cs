using System.Collections.Concurrent;
using System.Globalization;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Tracking.Artifacts;

namespace LatentLens.Api.Tracking.Server;

/// <summary>
/// <see cref="ITrackingStore"/> over an MLflow tracking server's REST API 2.0 and its artifact proxy
/// (<c>mlflow server --serve-artifacts</c>, the default since MLflow 2.0): the same experiments, runs,
/// datasets, artifacts and registry as the file store, so several machines train and serve through one
/// server. Run listings carry each metric's latest value only (as <c>runs/search</c> answers);
/// <see cref="ReadMetricHistory"/> reads a whole history. A model is downloaded once into a local cache
/// folder, completely, before it is loaded.
/// </summary>
internal sealed partial class ServerTrackingStore : ITrackingStore, IDisposable
{
    private const int SearchPageSize = 1000;

    /// <summary>The tag each run created through the server carries: a client-generated id that makes the create idempotent.</summary>
    internal const string RequestIdTag = "latentlens.request_id";
    private readonly ConcurrentDictionary<string, MlflowDataset> _datasets = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _hasModel = new(StringComparer.Ordinal);

    public ServerTrackingStore(MlflowServerSettings settings, string modelCache, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelCache);
        Client = new MlflowRestClient(settings, handler);
        Cache = new ModelDownloadCache(Path.GetFullPath(modelCache));
    }

    internal MlflowRestClient Client { get; }

    /// <summary>Where downloaded models are kept: <c>&lt;run id&gt;/model/</c>, each complete or absent.</summary>
    public string ModelCache => Cache.Root;

    /// <summary>The downloaded models, bounded to the one in use and the one before it.</summary>
    internal ModelDownloadCache Cache { get; }

    public string Location => Client.Server;

    public void Dispose() => Client.Dispose();

    public string GetOrCreateExperiment(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        for (var attempt = 0; ; attempt++)
        {
            if (GetExperimentByName(name) is { } existing)
            {
                return existing.LifecycleStage is null or "active"
                    ? existing.ExperimentId
                    : throw new InvalidOperationException($"The experiment '{name}' ({existing.ExperimentId}) is deleted on {Location}; restore it in MLflow or choose another name.");
            }

            try
            {
                return Client.Post("experiments/create", new CreateExperimentRequest(name), MlflowJson.Default.CreateExperimentRequest, MlflowJson.Default.CreateExperimentResponse).ExperimentId;
            }
            catch (TrackingServerException ex) when (ex.IsAlreadyExists && attempt == 0)
            {
                // Another trainer created it in between: read its id.
            }
        }
    }

    private MlflowExperiment? GetExperimentByName(string name) =>
        Client.GetOrNull("experiments/get-by-name", [("experiment_name", name)], MlflowJson.Default.ExperimentResponse)?.Experiment;

    public ExperimentInfo? FindExperiment(string name, ProblemSink? problems = null) =>
        GetExperimentByName(name) is { LifecycleStage: null or "active" } e
            ? new ExperimentInfo(e.ExperimentId, e.Name, e.LifecycleStage ?? "active", e.ArtifactLocation ?? string.Empty, e.CreationTime, ToDictionary(e.Tags))
            : null;

    public IReadOnlyList<RunInfo> ReadRuns(string experimentId, ProblemSink? problems = null) =>
        [.. SearchRuns(experimentId, "ACTIVE_ONLY").Select(ToRunInfo)];

    /// <summary>Every run of an experiment, deleted ones included with <c>ALL</c>, page by page.</summary>
    internal IEnumerable<MlflowRun> SearchRuns(string experimentId, string viewType)
    {
        string? token = null;
        do
        {
            var page = Client.Post("runs/search", new SearchRunsRequest([experimentId], SearchPageSize, token, viewType), MlflowJson.Default.SearchRunsRequest, MlflowJson.Default.SearchRunsResponse);
            foreach (var run in page.Runs ?? [])
            {
                yield return run;
            }

            token = page.NextPageToken;
        }
        while (!string.IsNullOrEmpty(token));
    }

    public RunInfo? FindRun(string runId, ProblemSink? problems = null) =>
        MlflowNames.IsRunId(runId) && GetRun(runId) is { } run ? ToRunInfo(run) : null;

    internal MlflowRun? GetRun(string runId) => Client.GetOrNull("runs/get", [("run_id", runId)], MlflowJson.Default.RunResponse)?.Run;

    /// <summary>A metric's whole history, as <c>metrics/get-history</c> answers it.</summary>
    public IReadOnlyList<MetricPoint> ReadMetricHistory(string runId, string key)
    {
        var points = new List<MetricPoint>();
        string? token = null;
        do
        {
            var query = new List<(string, string)> { ("run_id", runId), ("metric_key", key), ("max_results", "25000") };
            if (token is not null)
            {
                query.Add(("page_token", token));
            }

            var page = Client.Get("metrics/get-history", query, MlflowJson.Default.MetricHistoryResponse);
            points.AddRange((page.Metrics ?? []).Select(m => new MetricPoint(m.Timestamp, m.Value, m.Step)));
            token = page.NextPageToken;
        }
        while (!string.IsNullOrEmpty(token));

        return points;
    }

    public IRunWriter StartRun(string experimentId, string runName, string userId) =>
        StartRun(experimentId, runName, userId, MlflowNames.Now(), [new("mlflow.user", userId)]);

    /// <summary>Starts a run with its start time and first tags given (what <c>migrate</c> copies).</summary>
    internal ServerRunWriter StartRun(string experimentId, string runName, string userId, long startTime, List<MlflowKeyValue> tags)
    {
        // The request id lets a retry find the run a lost reply created instead of creating a second one.
        var requestId = Guid.NewGuid().ToString("N");
        tags = [.. tags.Where(t => t.Key != RequestIdTag), new(RequestIdTag, requestId)];
        var run = Client.CreateOnce(
            "runs/create", new CreateRunRequest(experimentId, userId, runName, startTime, tags), MlflowJson.Default.CreateRunRequest, MlflowJson.Default.RunResponse,
            findExisting: () => Client.Post(
                "runs/search", new SearchRunsRequest([experimentId], 1, null, "ALL", $"tags.`{RequestIdTag}` = '{requestId}'"), MlflowJson.Default.SearchRunsRequest, MlflowJson.Default.SearchRunsResponse)
                .Runs?.FirstOrDefault() is { } found ? new RunResponse(found) : null).Run;
        return new ServerRunWriter(this, run.Info.ExperimentId, run.Info.RunId, run.Info.ArtifactUri ?? string.Empty);
    }

    public string LogDataset(string experimentId, string name, string digest, string sourceUri, long rows)
    {
        var id = DatasetId(name, digest);
        _datasets[id] = new MlflowDataset(name, digest, "local",
            System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["uri"] = sourceUri }),
            Schema: null, Profile: string.Create(CultureInfo.InvariantCulture, $"{{\"num_rows\": {rows}}}"));
        return id;
    }

    /// <summary>The id a dataset has in both stores: the file store names its folder so.</summary>
    internal static string DatasetId(string name, string digest) => FileStore.FileTrackingStore.Md5Hex($"{name}\n{digest}");

    internal MlflowDataset Dataset(string datasetId) => _datasets.TryGetValue(datasetId, out var dataset)
        ? dataset
        : throw new ArgumentException($"No dataset {datasetId} was logged through this store.", nameof(datasetId));

    public RegisteredModelInfo? FindRegisteredModel(string name, ProblemSink? problems = null)
    {
        if (Client.GetOrNull("registered-models/get", [("name", name)], MlflowJson.Default.RegisteredModelResponse)?.RegisteredModel is not { } model)
        {
            return null;
        }

        var versions = SearchVersions($"name='{Quote(name)}'")
            .Select(v => new ModelVersionInfo(v.Name, ParseVersion(v.Version), v.RunId ?? string.Empty, v.Source ?? string.Empty, v.Status ?? "READY", v.CreationTimestamp ?? 0, ToDictionary(v.Tags)))
            .OrderBy(v => v.Version)
            .ToList();
        var aliases = (model.Aliases ?? []).ToDictionary(a => a.Alias, a => ParseVersion(a.Version), StringComparer.Ordinal);
        return new RegisteredModelInfo(model.Name, model.Description, model.CreationTimestamp ?? 0, model.LastUpdatedTimestamp ?? 0, aliases, ToDictionary(model.Tags), versions);
    }

    private List<MlflowModelVersion> SearchVersions(string filter)
    {
        var versions = new List<MlflowModelVersion>();
        string? token = null;
        do
        {
            var query = new List<(string, string)> { ("filter", filter), ("max_results", SearchPageSize.ToString(CultureInfo.InvariantCulture)) };
            if (token is not null)
            {
                query.Add(("page_token", token));
            }

            var page = Client.Get("model-versions/search", query, MlflowJson.Default.SearchModelVersionsResponse);
            versions.AddRange(page.ModelVersions ?? []);
            token = page.NextPageToken;
        }
        while (!string.IsNullOrEmpty(token));

        return versions;
    }

    public int RegisterVersion(string modelName, string experimentId, string runId, string? description = null)
    {
        if (MlflowNames.ModelNameProblem(modelName) is { } problem)
        {
            throw new ArgumentException(problem, nameof(modelName));
        }

        var run = GetRun(runId) ?? throw new InvalidOperationException($"No run {runId} on {Location}.");
        if (!HasModel(ToRunInfo(run)))
        {
            throw new InvalidOperationException($"Run {runId} has no model at artifacts/{ModelArtifact.ArtifactPath} to register.");
        }

        try
        {
            Client.Post("registered-models/create", new RegisteredModelRequest(modelName), MlflowJson.Default.RegisteredModelRequest, MlflowJson.Default.RegisteredModelResponse);
        }
        catch (TrackingServerException ex) when (ex.IsAlreadyExists)
        {
            // Registered before: versions are added to it.
        }

        // Idempotent per run, as in the file store. The server numbers versions itself (atomically), so two
        // trainers never share a number; two registering the same run at the same instant may both add one.
        if (SearchVersions($"name='{Quote(modelName)}' and run_id='{Quote(runId)}'").Select(v => ParseVersion(v.Version)).DefaultIfEmpty(0).Max() is > 0 and var existing)
        {
            return existing;
        }

        var source = $"{run.Info.ArtifactUri}/{ModelArtifact.ArtifactPath}";
        var created = Client.CreateOnce(
            "model-versions/create", new CreateModelVersionRequest(modelName, source, runId, description), MlflowJson.Default.CreateModelVersionRequest, MlflowJson.Default.ModelVersionResponse,
            findExisting: () => SearchVersions($"name='{Quote(modelName)}' and run_id='{Quote(runId)}'").MaxBy(v => ParseVersion(v.Version)) is { } found ? new ModelVersionResponse(found) : null);
        return ParseVersion(created.ModelVersion.Version);
    }

    public void SetAlias(string modelName, string alias, int version)
    {
        if (MlflowNames.AliasProblem(alias) is { } problem)
        {
            throw new ArgumentException(problem, nameof(alias));
        }

        Client.Post("registered-models/alias", new SetAliasRequest(modelName, alias, version.ToString(CultureInfo.InvariantCulture)), MlflowJson.Default.SetAliasRequest, MlflowJson.Default.Empty);
    }

    internal RunInfo ToRunInfo(MlflowRun run)
    {
        var info = run.Info;
        var histories = (run.Data?.Metrics ?? [])
            .GroupBy(m => m.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<MetricPoint>)[.. g.Select(m => new MetricPoint(m.Timestamp, m.Value, m.Step))], StringComparer.Ordinal);
        var inputs = (run.Inputs?.DatasetInputs ?? [])
            .Select(i => new RunInput(DatasetId(i.Dataset.Name, i.Dataset.Digest), i.Dataset.Name, i.Dataset.Digest, ToDictionary(i.Tags)))
            .ToList();
        return new RunInfo(
            info.ExperimentId,
            info.RunId,
            info.RunName ?? info.RunId,
            ParseStatus(info.Status),
            info.StartTime ?? 0,
            info.EndTime,
            info.LifecycleStage ?? "active",
            info.UserId ?? string.Empty,
            info.ArtifactUri ?? string.Empty,
            info.ArtifactUri ?? string.Empty,
            ToDictionary(run.Data?.Params),
            ToDictionary(run.Data?.Tags),
            histories,
            inputs);
    }

    private static RunStatus ParseStatus(string? status) => status switch
    {
        "RUNNING" => RunStatus.Running,
        "SCHEDULED" => RunStatus.Scheduled,
        "FINISHED" => RunStatus.Finished,
        "FAILED" => RunStatus.Failed,
        _ => RunStatus.Killed,
    };

    internal static string StatusName(RunStatus status) => status switch
    {
        RunStatus.Running => "RUNNING",
        RunStatus.Scheduled => "SCHEDULED",
        RunStatus.Finished => "FINISHED",
        RunStatus.Failed => "FAILED",
        _ => "KILLED",
    };

    private int ParseVersion(string version) => int.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var v)
        ? v
        : throw new TrackingServerException($"MLflow server {Location} answered the model version '{version}', which is not a number.");

    private static string Quote(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal);

    private static Dictionary<string, string> ToDictionary(List<MlflowKeyValue>? pairs)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs ?? [])
        {
            map[pair.Key] = pair.Value ?? string.Empty;
        }

        return map;
    }
}
