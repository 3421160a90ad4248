using System.Globalization;
using LatentLens.Api.Tracking.FileStore;
using LatentLens.Api.Tracking.Server;

namespace LatentLens.Api.Tracking.Stores;

/// <summary>What a migration did.</summary>
internal sealed record MigrationSummary(
    int Experiments,
    int RunsCopied,
    int RunsAlreadyThere,
    int RunsRedone,
    int Artifacts,
    int VersionsCreated,
    int VersionsAlreadyThere,
    IReadOnlyList<string> Aliases,
    IReadOnlyList<string> Skipped);

/// <summary>
/// Copies a file store into a tracking server: every active experiment with its tags, every active run
/// (params, whole metric histories with their steps and timestamps, tags, dataset inputs, artifacts,
/// status, start and end times) and every registered model (description, tags, versions in order with
/// their descriptions and tags, aliases). Deleted experiments and runs are not copied. Idempotent: each copied run carries
/// <see cref="SourceRunTag"/> and, once complete, <see cref="CompleteTag"/>; a second migration skips
/// complete runs, and deletes and copies again a run an interrupted migration left incomplete. Run ids
/// inside tags (<c>mlflow.parentRunId</c>, <c>best_run_id</c>, <c>mlflow.log-model.history</c>) are
/// rewritten to the server's ids; artifacts are copied byte for byte.
/// </summary>
internal static class StoreMigration
{
    public const string SourceRunTag = "latentlens.source_run_id";
    public const string CompleteTag = "latentlens.migration";

    public static MigrationSummary Migrate(FileTrackingStore source, ServerTrackingStore target, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        if (!Directory.Exists(source.Root))
        {
            throw new InvalidOperationException($"There is no file store at {source.Root}.");
        }

        var problems = new ProblemSink();
        var experiments = source.ReadExperiments(problems);
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        var toCopy = new List<(RunInfo Source, ServerRunWriter Target)>();
        int already = 0, redone = 0, artifacts = 0;
        foreach (var experiment in experiments)
        {
            var runs = source.ReadRuns(experiment.Id, problems);
            var targetExperiment = target.GetOrCreateExperiment(experiment.Name);
            foreach (var (key, value) in experiment.Tags)
            {
                target.Client.Post("experiments/set-experiment-tag", new ExperimentTagRequest(targetExperiment, key, value), MlflowJson.Default.ExperimentTagRequest, MlflowJson.Default.Empty);
            }
            var existing = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var run in target.SearchRuns(targetExperiment, "ACTIVE_ONLY"))
            {
                var tags = run.Data?.Tags ?? [];
                if (tags.FirstOrDefault(t => t.Key == SourceRunTag)?.Value is not { } sourceId)
                {
                    continue;
                }

                if (tags.Any(t => t.Key == CompleteTag && t.Value == "complete"))
                {
                    existing[sourceId] = run.Info.RunId;
                }
                else
                {
                    // An interrupted migration's run: copied again from the start.
                    target.Client.Post("runs/delete", new RunIdRequest(run.Info.RunId), MlflowJson.Default.RunIdRequest, MlflowJson.Default.Empty);
                    redone++;
                }
            }

            foreach (var run in runs)
            {
                if (existing.TryGetValue(run.RunId, out var copied))
                {
                    ids[run.RunId] = copied;
                    already++;
                    continue;
                }

                // Every run is created first, so a child's copy can name its parent's new id whatever the order.
                var writer = target.StartRun(targetExperiment, run.RunName, run.UserId, run.StartTime, [new(SourceRunTag, run.RunId)]);
                ids[run.RunId] = writer.RunId;
                toCopy.Add((run, writer));
            }
        }

        foreach (var (run, writer) in toCopy)
        {
            progress?.Invoke($"  {run.RunName} ({run.RunId}) -> {writer.RunId}");
            foreach (var (key, value) in run.Params)
            {
                writer.LogParam(key, value);
            }

            foreach (var (key, value) in run.Tags)
            {
                writer.SetTag(key, RewriteRunIds(value, ids));
            }

            foreach (var (key, points) in run.MetricHistories)
            {
                foreach (var point in points)
                {
                    writer.LogMetric(key, point.Value, point.Step, point.Timestamp);
                }
            }

            foreach (var input in run.Inputs)
            {
                writer.LogInput(Dataset(source.Root, run.ExperimentId, input), input.Tags.GetValueOrDefault("mlflow.data.context") ?? "training");
            }

            if (Directory.Exists(run.ArtifactsFolder))
            {
                foreach (var file in Directory.EnumerateFiles(run.ArtifactsFolder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                {
                    writer.WriteArtifact(Path.GetRelativePath(run.ArtifactsFolder, file).Replace(Path.DirectorySeparatorChar, '/'), File.ReadAllBytes(file));
                    artifacts++;
                }
            }

            writer.SetTag(CompleteTag, "complete");
            writer.End(run.Status, failure: null, run.Status == RunStatus.Running ? null : run.EndTime);
        }

        var (created, existed, aliases, skipped) = MigrateRegistry(source, target, ids, problems);
        return new MigrationSummary(experiments.Count, toCopy.Count, already, redone, artifacts, created, existed, aliases,
            [.. skipped, .. problems.Problems.Select(p => $"not copied, unreadable: {p}")]);
    }

    private static (int Created, int Existed, List<string> Aliases, List<string> Skipped) MigrateRegistry(FileTrackingStore source, ServerTrackingStore target, Dictionary<string, string> ids, ProblemSink problems)
    {
        int created = 0, existed = 0;
        var aliases = new List<string>();
        var skipped = new List<string>();
        var root = source.Root;
        var models = Path.Combine(root, "models");
        if (!Directory.Exists(models))
        {
            return (0, 0, aliases, skipped);
        }

        foreach (var folder in Directory.EnumerateDirectories(models).Order(StringComparer.Ordinal))
        {
            if (source.FindRegisteredModel(Path.GetFileName(folder), problems) is not { } model)
            {
                continue;
            }

            var before = target.FindRegisteredModel(model.Name)?.Versions ?? [];
            if (model.Versions.Any(v => ids.ContainsKey(v.RunId)))
            {
                CopyModelMetadata(target, model);
            }

            var versions = new Dictionary<int, int>();
            foreach (var version in model.Versions.OrderBy(v => v.Version))
            {
                if (!ids.TryGetValue(version.RunId, out var runId))
                {
                    skipped.Add($"{model.Name} version {version.Version}: its run {version.RunId} is not in the store");
                    continue;
                }

                if (before.FirstOrDefault(v => v.RunId == runId) is { } there)
                {
                    versions[version.Version] = there.Version;
                    existed++;
                    continue;
                }

                var number = target.RegisterVersion(model.Name, string.Empty, runId, DescriptionOf(root, model.Name, version.Version));
                versions[version.Version] = number;
                foreach (var (key, value) in version.Tags)
                {
                    target.Client.Post("model-versions/set-tag", new ModelVersionTagRequest(model.Name, number.ToString(CultureInfo.InvariantCulture), key, value), MlflowJson.Default.ModelVersionTagRequest, MlflowJson.Default.Empty);
                }

                created++;
            }

            foreach (var (alias, version) in model.Aliases.OrderBy(a => a.Key, StringComparer.Ordinal))
            {
                if (versions.TryGetValue(version, out var mapped))
                {
                    target.SetAlias(model.Name, alias, mapped);
                    aliases.Add(string.Create(CultureInfo.InvariantCulture, $"{model.Name}@{alias} -> version {mapped}"));
                }
                else
                {
                    skipped.Add(string.Create(CultureInfo.InvariantCulture, $"{model.Name}@{alias}: version {version} was not copied"));
                }
            }
        }

        return (created, existed, aliases, skipped);
    }

    /// <summary>The registered model itself: created with the description and tags it has in the file store (set again on every migration: idempotent).</summary>
    private static void CopyModelMetadata(ServerTrackingStore target, RegisteredModelInfo model)
    {
        try
        {
            target.Client.Post("registered-models/create", new RegisteredModelRequest(model.Name), MlflowJson.Default.RegisteredModelRequest, MlflowJson.Default.RegisteredModelResponse);
        }
        catch (TrackingServerException ex) when (ex.IsAlreadyExists)
        {
            // Registered before, by an earlier migration or a trainer.
        }

        if (!string.IsNullOrEmpty(model.Description))
        {
            target.Client.Send(HttpMethod.Patch, "registered-models/update", new UpdateRegisteredModelRequest(model.Name, model.Description), MlflowJson.Default.UpdateRegisteredModelRequest, MlflowJson.Default.RegisteredModelResponse);
        }

        foreach (var (key, value) in model.Tags)
        {
            target.Client.Post("registered-models/set-tag", new RegisteredModelTagRequest(model.Name, key, value), MlflowJson.Default.RegisteredModelTagRequest, MlflowJson.Default.Empty);
        }
    }

    /// <summary>A version's description, read from its meta.yaml (the reader keeps only what serving needs).</summary>
    private static string? DescriptionOf(string root, string model, int version)
    {
        var meta = Path.Combine(root, "models", model, $"version-{version}", "meta.yaml");
        return File.Exists(meta) && MlflowYaml.ReadMapping(File.ReadAllText(meta)).Scalar("description") is { } d && !d.IsNull() ? d.Value : null;
    }

    /// <summary>A dataset as the server takes it, from the experiment's <c>datasets/&lt;id&gt;/meta.yaml</c>.</summary>
    private static MlflowDataset Dataset(string root, string experimentId, RunInput input)
    {
        var meta = Path.Combine(root, experimentId, "datasets", input.DatasetId, "meta.yaml");
        var mapping = File.Exists(meta) ? MlflowYaml.ReadMapping(File.ReadAllText(meta)) : null;
        string? Read(string key) => mapping?.Scalar(key) is { } node && !node.IsNull() ? node.Value : null;
        return new MlflowDataset(
            input.DatasetName ?? Read("name") ?? input.DatasetId,
            input.DatasetDigest ?? Read("digest") ?? string.Empty,
            Read("source_type") ?? "local",
            Read("source") ?? "{}",
            Read("schema"),
            Read("profile"));
    }

    /// <summary>A tag value with every copied run's id replaced by its id on the server.</summary>
    private static string RewriteRunIds(string value, Dictionary<string, string> ids)
    {
        foreach (var (from, to) in ids)
        {
            if (value.Contains(from, StringComparison.Ordinal))
            {
                value = value.Replace(from, to, StringComparison.Ordinal);
            }
        }

        return value;
    }
}
