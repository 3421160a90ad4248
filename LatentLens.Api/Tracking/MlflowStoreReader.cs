using System.Globalization;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LatentLens.Api.Tracking;

/// <summary>
/// Reads an MLflow 2.12.1 file store. What MLflow skips with a warning is skipped here too; what
/// would make MLflow's reader throw is reported in <see cref="Problems"/>, naming the file, and the
/// item is left out. Nothing here throws on bad data. Artifacts are found under the store's own
/// root (<c>&lt;exp&gt;/&lt;run&gt;/artifacts</c>), never through the stored <c>artifact_uri</c>.
/// </summary>
public sealed class MlflowStoreReader(string root)
{
    private readonly List<StoreProblem> _problems = [];

    public string Root { get; } = Path.GetFullPath(root);

    public IReadOnlyList<StoreProblem> Problems => _problems;

    public IReadOnlyList<ExperimentInfo> ReadExperiments(bool includeDeleted = false)
    {
        var experiments = new List<ExperimentInfo>();
        if (!Directory.Exists(Root))
        {
            return experiments;
        }

        var folders = Directory.EnumerateDirectories(Root)
            .Where(d => Path.GetFileName(d) is not (".trash" or "models"))
            .ToList();
        if (includeDeleted && Directory.Exists(Path.Combine(Root, ".trash")))
        {
            folders.AddRange(Directory.EnumerateDirectories(Path.Combine(Root, ".trash")));
        }

        foreach (var folder in folders.Order(StringComparer.Ordinal))
        {
            if (ReadExperiment(folder) is { } experiment && (includeDeleted || experiment.LifecycleStage == "active"))
            {
                experiments.Add(experiment);
            }
        }

        return experiments;
    }

    public ExperimentInfo? FindExperiment(string name) => ReadExperiments().FirstOrDefault(e => e.Name == name);

    private ExperimentInfo? ReadExperiment(string folder)
    {
        var id = Path.GetFileName(folder);
        var metaPath = Path.Combine(folder, "meta.yaml");
        if (!File.Exists(metaPath))
        {
            return Hide<ExperimentInfo>(metaPath, "the experiment folder has no meta.yaml");
        }

        var meta = LoadYaml(metaPath);
        if (meta is null)
        {
            return null;
        }

        var idNode = meta.Scalar("experiment_id");
        if (idNode is null || idNode.IsNonString() || idNode.Value != id)
        {
            return Hide<ExperimentInfo>(metaPath, idNode is { } n && n.IsNonString()
                ? $"experiment_id {n.Value} is not quoted: MLflow reads it as a number, not the folder name '{id}'"
                : $"experiment_id '{idNode?.Value}' does not match the folder name '{id}'");
        }

        var name = meta.Scalar("name");
        if (name is null || name.IsNonString() || string.IsNullOrEmpty(name.Value))
        {
            return Break<ExperimentInfo>(metaPath, $"the experiment name is missing, empty or not a string ({name?.Value ?? "absent"})");
        }

        var stage = meta.Scalar("lifecycle_stage")?.Value;
        if (stage is not ("active" or "deleted"))
        {
            return Break<ExperimentInfo>(metaPath, $"lifecycle_stage '{stage}' is neither active nor deleted");
        }

        long? created = meta.Scalar("creation_time").TryGetLong(out var c) ? c : null;
        return new ExperimentInfo(id, name.Value!, stage, meta.Scalar("artifact_location")?.Value ?? string.Empty, created, ReadKeyValues(Path.Combine(folder, "tags")) ?? []);
    }

    public IReadOnlyList<RunInfo> ReadRuns(string experimentId, bool includeDeleted = false)
    {
        var runs = new List<RunInfo>();
        var folder = Path.Combine(Root, experimentId);
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

        var folder = Path.Combine(Root, experimentId, runId);
        return Directory.Exists(folder) ? ReadRun(experimentId, folder, ReadDatasets(Path.Combine(Root, experimentId, "datasets"))) : null;
    }

    private RunInfo? ReadRun(string experimentId, string folder, IReadOnlyDictionary<string, (string Name, string Digest)> datasets)
    {
        var runId = Path.GetFileName(folder);
        var metaPath = Path.Combine(folder, "meta.yaml");
        if (!File.Exists(metaPath))
        {
            return Hide<RunInfo>(metaPath, "a folder inside the experiment without meta.yaml (not a run)");
        }

        var meta = LoadYaml(metaPath);
        if (meta is null)
        {
            return null;
        }

        foreach (var required in new[] { "run_uuid", "end_time", "user_id", "start_time", "status", "experiment_id", "lifecycle_stage" })
        {
            if (!meta.Has(required))
            {
                return Break<RunInfo>(metaPath, $"the required key {required} is missing");
            }
        }

        if (meta.Scalar("run_uuid")?.Value != runId)
        {
            return Hide<RunInfo>(metaPath, $"run_uuid '{meta.Scalar("run_uuid")?.Value}' does not match the folder name '{runId}'");
        }

        var expNode = meta.Scalar("experiment_id");
        if (expNode is null || expNode.IsNonString() || expNode.Value != experimentId)
        {
            return Hide<RunInfo>(metaPath, $"experiment_id '{expNode?.Value}' is not the quoted id of the experiment folder '{experimentId}'");
        }

        if (!meta.Scalar("status").TryGetLong(out var statusCode) || statusCode is < 1 or > 5)
        {
            return Break<RunInfo>(metaPath, $"status '{meta.Scalar("status")?.Value}' is not one of the integers 1–5");
        }

        if (!meta.Scalar("start_time").TryGetLong(out var start))
        {
            return Break<RunInfo>(metaPath, $"start_time '{meta.Scalar("start_time")?.Value}' is not an integer number of milliseconds");
        }

        long? end = null;
        var endNode = meta.Scalar("end_time");
        if (endNode is not null && !endNode.IsNull())
        {
            if (!endNode.TryGetLong(out var e))
            {
                return Break<RunInfo>(metaPath, $"end_time '{endNode.Value}' is not an integer number of milliseconds or null");
            }

            end = e;
        }

        var paramsDict = ReadKeyValues(Path.Combine(folder, "params"));
        var tags = ReadKeyValues(Path.Combine(folder, "tags"));
        var metrics = ReadMetrics(Path.Combine(folder, "metrics"));
        if (paramsDict is null || tags is null || metrics is null)
        {
            return null;
        }

        var inputs = new List<RunInput>();
        var inputsFolder = Path.Combine(folder, "inputs");
        if (Directory.Exists(inputsFolder))
        {
            foreach (var inputFolder in Directory.EnumerateDirectories(inputsFolder))
            {
                var inputMeta = LoadYaml(Path.Combine(inputFolder, "meta.yaml"));
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
                    return Break<RunInfo>(Path.Combine(inputFolder, "meta.yaml"), $"the input names dataset {sourceId}, which the experiment does not have");
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
            meta.Scalar("lifecycle_stage")?.Value ?? "active",
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

            var meta = LoadYaml(Path.Combine(dataset, "meta.yaml"));
            if (meta is not null)
            {
                datasets[Path.GetFileName(dataset)] = (meta.Scalar("name")?.Value ?? string.Empty, meta.Scalar("digest")?.Value ?? string.Empty);
            }
        }

        return datasets;
    }

    /// <summary>Params or tags: one file per key (nested folders for keys with '/'), the whole file is the value.</summary>
    private Dictionary<string, string>? ReadKeyValues(string folder)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!Directory.Exists(folder))
        {
            return values;
        }

        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            var key = Path.GetRelativePath(folder, file).Replace(Path.DirectorySeparatorChar, '/');
            if (MlflowNames.KeyProblem(key) is { } problem)
            {
                return Break<Dictionary<string, string>>(file, problem);
            }

            values[key] = File.ReadAllText(file, MlflowYaml.Utf8NoBom);
        }

        return values;
    }

    private Dictionary<string, IReadOnlyList<MetricPoint>>? ReadMetrics(string folder)
    {
        var metrics = new Dictionary<string, IReadOnlyList<MetricPoint>>(StringComparer.Ordinal);
        if (!Directory.Exists(folder))
        {
            return metrics;
        }

        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            var key = Path.GetRelativePath(folder, file).Replace(Path.DirectorySeparatorChar, '/');
            if (MlflowNames.KeyProblem(key) is { } keyProblem)
            {
                return Break<Dictionary<string, IReadOnlyList<MetricPoint>>>(file, keyProblem);
            }

            var points = ReadMetricFile(file);
            if (points is null)
            {
                return null;
            }

            metrics[key] = points;
        }

        return metrics;
    }

    /// <summary>Lines of <c>timestamp value step</c> as MLflow parses them (Python int() and float()).</summary>
    private List<MetricPoint>? ReadMetricFile(string file)
    {
        var bytes = File.ReadAllBytes(file);
        if (bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF)
        {
            return Break<List<MetricPoint>>(file, "the metric file starts with a UTF-8 BOM");
        }

        var lines = Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0)
        {
            return Break<List<MetricPoint>>(file, "the metric file is empty");
        }

        var points = new List<MetricPoint>(lines.Length);
        for (var n = 0; n < lines.Length; n++)
        {
            var fields = lines[n].Trim().Split(' ');
            if (fields.Length is not (2 or 3))
            {
                return Break<List<MetricPoint>>(file, $"line {n + 1} has {fields.Length} fields; expected 'timestamp value step'");
            }

            if (!long.TryParse(fields[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var timestamp))
            {
                return Break<List<MetricPoint>>(file, $"line {n + 1}: the timestamp '{fields[0]}' is not an integer");
            }

            if (!TryParsePythonFloat(fields[1], out var value))
            {
                return Break<List<MetricPoint>>(file, $"line {n + 1}: the value '{fields[1]}' is not a number Python reads");
            }

            long step = 0;
            if (fields.Length == 3 && !long.TryParse(fields[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out step))
            {
                return Break<List<MetricPoint>>(file, $"line {n + 1}: the step '{fields[2]}' is not an integer");
            }

            points.Add(new MetricPoint(timestamp, value, step));
        }

        return points;
    }

    private static bool TryParsePythonFloat(string text, out double value)
    {
        switch (text.ToLowerInvariant())
        {
            case "nan" or "+nan" or "-nan":
                value = double.NaN;
                return true;
            case "inf" or "+inf" or "infinity" or "+infinity":
                value = double.PositiveInfinity;
                return true;
            case "-inf" or "-infinity":
                value = double.NegativeInfinity;
                return true;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && !text.Contains(',', StringComparison.Ordinal);
    }

    public IReadOnlyList<RegisteredModelInfo> ReadRegisteredModels()
    {
        var models = new List<RegisteredModelInfo>();
        var folder = Path.Combine(Root, "models");
        if (!Directory.Exists(folder))
        {
            return models;
        }

        foreach (var modelFolder in Directory.EnumerateDirectories(folder).Order(StringComparer.Ordinal))
        {
            if (ReadRegisteredModel(modelFolder) is { } model)
            {
                models.Add(model);
            }
        }

        return models;
    }

    public RegisteredModelInfo? FindRegisteredModel(string name) =>
        Directory.Exists(Path.Combine(Root, "models", name)) ? ReadRegisteredModel(Path.Combine(Root, "models", name)) : null;

    private RegisteredModelInfo? ReadRegisteredModel(string folder)
    {
        var metaPath = Path.Combine(folder, "meta.yaml");
        if (!File.Exists(metaPath))
        {
            return Hide<RegisteredModelInfo>(metaPath, "the registered model folder has no meta.yaml");
        }

        var meta = LoadYaml(metaPath);
        if (meta is null)
        {
            return null;
        }

        var name = meta.Scalar("name")?.Value ?? Path.GetFileName(folder);
        var versions = new List<ModelVersionInfo>();
        foreach (var versionFolder in Directory.EnumerateDirectories(folder, "version-*"))
        {
            var vMetaPath = Path.Combine(versionFolder, "meta.yaml");
            var vMeta = File.Exists(vMetaPath) ? LoadYaml(vMetaPath) : Hide<YamlMappingNode>(vMetaPath, "the model version folder has no meta.yaml");
            if (vMeta is null)
            {
                continue;
            }

            if (!vMeta.Scalar("version").TryGetLong(out var number))
            {
                Break<object>(vMetaPath, $"version '{vMeta.Scalar("version")?.Value}' is not an integer");
                continue;
            }

            vMeta.Scalar("creation_timestamp").TryGetLong(out var vCreated);
            versions.Add(new ModelVersionInfo(name, (int)number, vMeta.Scalar("run_id")?.Value ?? string.Empty,
                vMeta.Scalar("source")?.Value ?? string.Empty, vMeta.Scalar("status")?.Value ?? string.Empty, vCreated,
                ReadKeyValues(Path.Combine(versionFolder, "tags")) ?? []));
        }

        var aliases = new Dictionary<string, int>(StringComparer.Ordinal);
        var aliasFolder = Path.Combine(folder, "aliases");
        if (Directory.Exists(aliasFolder))
        {
            foreach (var file in Directory.EnumerateFiles(aliasFolder))
            {
                if (int.TryParse(File.ReadAllText(file).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var version))
                {
                    aliases[Path.GetFileName(file)] = version;
                }
                else
                {
                    Break<object>(file, "the alias does not hold a version number");
                }
            }
        }

        meta.Scalar("creation_timestamp").TryGetLong(out var created);
        meta.Scalar("last_updated_timestamp").TryGetLong(out var updated);
        var description = meta.Scalar("description");
        return new RegisteredModelInfo(name, description is null || description.IsNull() ? null : description.Value, created, updated,
            aliases, ReadKeyValues(Path.Combine(folder, "tags")) ?? [], [.. versions.OrderBy(v => v.Version)]);
    }

    private YamlMappingNode? LoadYaml(string path)
    {
        try
        {
            var text = File.ReadAllText(path, Encoding.UTF8);
            if (text.Trim().Length == 0)
            {
                return Break<YamlMappingNode>(path, "meta.yaml is empty");
            }

            return MlflowYaml.ReadMapping(text);
        }
        catch (Exception ex) when (ex is YamlException or InvalidDataException or IOException)
        {
            return Break<YamlMappingNode>(path, $"not readable YAML: {ex.Message}");
        }
    }

    private T? Hide<T>(string path, string message)
        where T : class
    {
        _problems.Add(new StoreProblem(path, message, BreaksMlflow: false));
        return null;
    }

    private T? Break<T>(string path, string message)
        where T : class
    {
        _problems.Add(new StoreProblem(path, message, BreaksMlflow: true));
        return null;
    }
}
