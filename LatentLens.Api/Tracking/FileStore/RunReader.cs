using System.Globalization;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LatentLens.Api.Tracking.FileStore;

/// <summary>The runs of a file store: <c>&lt;experiment&gt;/&lt;run&gt;/</c> with meta.yaml, params, tags, metrics and inputs.</summary>
internal sealed class RunReader(string root, ProblemSink problems)
{
    private const string LogModelHistoryTag = "mlflow.log-model.history";

    private static bool IsJsonList(string text)
    {
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(text);
            return json.RootElement.ValueKind == System.Text.Json.JsonValueKind.Array;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    public IReadOnlyList<RunInfo> ReadRuns(string experimentId, bool includeDeleted = false)
    {
        var runs = new List<RunInfo>();
        var folder = Path.Combine(root, experimentId);
        if (!Directory.Exists(folder))
        {
            return runs;
        }

        var datasets = ReadDatasets(Path.Combine(folder, "datasets"));
        foreach (var runFolder in Directory.EnumerateDirectories(folder).Order(StringComparer.Ordinal))
        {
            if (Path.GetFileName(runFolder) is "tags" or "datasets")
            {
                continue;
            }

            if (ReadRun(experimentId, runFolder, datasets) is { } run && (includeDeleted || run.LifecycleStage == "active"))
            {
                runs.Add(run);
            }
        }

        return runs;
    }

    /// <summary>One run, read without listing the rest of its experiment; null (with a problem) when missing or unreadable.</summary>
    public RunInfo? FindRun(string experimentId, string runId)
    {
        if (!MlflowNames.IsExperimentId(experimentId) || !MlflowNames.IsRunId(runId))
        {
            return null;
        }

        var folder = Path.Combine(root, experimentId, runId);
        return Directory.Exists(folder) ? ReadRun(experimentId, folder, ReadDatasets(Path.Combine(root, experimentId, "datasets"))) : null;
    }

    /// <summary>One run by id alone: its folder is looked for in each experiment folder, without reading any other run.</summary>
    public RunInfo? FindRun(string runId)
    {
        if (!MlflowNames.IsRunId(runId) || !Directory.Exists(root))
        {
            return null;
        }

        foreach (var experiment in Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal))
        {
            var id = Path.GetFileName(experiment);
            if (MlflowNames.IsExperimentId(id) && Directory.Exists(Path.Combine(experiment, runId)))
            {
                return FindRun(id, runId);
            }
        }

        return null;
    }

    private RunInfo? ReadRun(string experimentId, string folder, IReadOnlyDictionary<string, (string Name, string Digest)> datasets)
    {
        var runId = Path.GetFileName(folder);
        var metaPath = Path.Combine(folder, "meta.yaml");
        if (!File.Exists(metaPath))
        {
            return problems.Hide<RunInfo>(metaPath, "a folder inside the experiment without meta.yaml (not a run)");
        }

        var meta = FileStoreYaml.Load(problems, metaPath);
        if (meta is null)
        {
            return null;
        }

        foreach (var required in new[] { "run_uuid", "end_time", "user_id", "start_time", "status", "experiment_id", "lifecycle_stage" })
        {
            if (!meta.Has(required))
            {
                return problems.Break<RunInfo>(metaPath, $"the required key {required} is missing");
            }
        }

        if (meta.Scalar("run_uuid")?.Value != runId)
        {
            return problems.Hide<RunInfo>(metaPath, $"run_uuid '{meta.Scalar("run_uuid")?.Value}' does not match the folder name '{runId}'");
        }

        var expNode = meta.Scalar("experiment_id");
        if (expNode is null || expNode.IsNonString() || expNode.Value != experimentId)
        {
            return problems.Hide<RunInfo>(metaPath, $"experiment_id '{expNode?.Value}' is not the quoted id of the experiment folder '{experimentId}'");
        }

        if (!meta.Scalar("status").TryGetLong(out var statusCode) || statusCode is < 1 or > 5)
        {
            return problems.Break<RunInfo>(metaPath, $"status '{meta.Scalar("status")?.Value}' is not one of the integers 1–5");
        }

        if (!meta.Scalar("start_time").TryGetLong(out var start))
        {
            return problems.Break<RunInfo>(metaPath, $"start_time '{meta.Scalar("start_time")?.Value}' is not an integer number of milliseconds");
        }

        long? end = null;
        var endNode = meta.Scalar("end_time");
        if (endNode is not null && !endNode.IsNull())
        {
            if (!endNode.TryGetLong(out var e))
            {
                return problems.Break<RunInfo>(metaPath, $"end_time '{endNode.Value}' is not an integer number of milliseconds or null");
            }

            end = e;
        }

        // MLflow compares the stage case-sensitively and raises on any other value: the experiment's runs/search fails.
        var stage = meta.Scalar("lifecycle_stage")?.Value;
        if (stage is not ("active" or "deleted"))
        {
            return problems.Break<RunInfo>(metaPath, $"lifecycle_stage '{stage}' is neither active nor deleted");
        }

        var paramsDict = KeyValueFiles.Read(problems, Path.Combine(folder, "params"));
        var tags = KeyValueFiles.Read(problems, Path.Combine(folder, "tags"));
        var metrics = MetricFiles.ReadFolder(problems, Path.Combine(folder, "metrics"));
        if (paramsDict is null || tags is null || metrics is null)
        {
            return null;
        }

        if (tags.TryGetValue(LogModelHistoryTag, out var history) && !IsJsonList(history))
        {
            // MLflow's log_model parses the tag to append to it, and the UI parses it to list the run's models.
            problems.Report(Path.Combine(folder, "tags", LogModelHistoryTag), $"the {LogModelHistoryTag} tag is not a JSON list");
        }

        var inputs = new List<RunInput>();
        var inputsFolder = Path.Combine(folder, "inputs");
        if (Directory.Exists(inputsFolder))
        {
            foreach (var inputFolder in Directory.EnumerateDirectories(inputsFolder))
            {
                var inputMeta = FileStoreYaml.Load(problems, Path.Combine(inputFolder, "meta.yaml"));
                var sourceId = inputMeta?.Scalar("source_id")?.Value;
                if (inputMeta is null || sourceId is null)
                {
                    continue;
                }

                var inputTags = new Dictionary<string, string>(StringComparer.Ordinal);
                if (inputMeta.Children.TryGetValue(new YamlScalarNode("tags"), out var tagNode) && tagNode is YamlMappingNode tagMap)
                {
                    foreach (var (k, v) in tagMap.Children)
                    {
                        inputTags[((YamlScalarNode)k).Value!] = (v as YamlScalarNode)?.Value ?? string.Empty;
                    }
                }

                if (!datasets.TryGetValue(sourceId, out var ds))
                {
                    return problems.Break<RunInfo>(Path.Combine(inputFolder, "meta.yaml"), $"the input names dataset {sourceId}, which the experiment does not have");
                }

                inputs.Add(new RunInput(sourceId, ds.Name, ds.Digest, inputTags));
            }
        }

        return new RunInfo(
            experimentId,
            runId,
            meta.Scalar("run_name")?.Value ?? tags.GetValueOrDefault("mlflow.runName") ?? runId,
            (RunStatus)statusCode,
            start,
            end,
            stage,
            meta.Scalar("user_id")?.Value ?? string.Empty,
            meta.Scalar("artifact_uri")?.Value ?? string.Empty,
            Path.Combine(folder, "artifacts"),
            paramsDict,
            tags,
            metrics,
            inputs);
    }

    private Dictionary<string, (string Name, string Digest)> ReadDatasets(string folder)
    {
        var datasets = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        if (!Directory.Exists(folder))
        {
            return datasets;
        }

        foreach (var dataset in Directory.EnumerateDirectories(folder))
        {
            // MLflow reads a dataset only when a run's input names it (checked there).
            if (!File.Exists(Path.Combine(dataset, "meta.yaml")))
            {
                continue;
            }

            var meta = FileStoreYaml.Load(problems, Path.Combine(dataset, "meta.yaml"));
            if (meta is not null)
            {
                datasets[Path.GetFileName(dataset)] = (meta.Scalar("name")?.Value ?? string.Empty, meta.Scalar("digest")?.Value ?? string.Empty);
            }
        }

        return datasets;
    }
}
