using System.Globalization;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LatentLens.Api.Tracking.FileStore;

/// <summary>The experiments of a file store: <c>&lt;id&gt;/meta.yaml</c> (and <c>.trash/</c> for deleted ones).</summary>
internal sealed class ExperimentReader(string root, ProblemSink problems)
{
    public IReadOnlyList<ExperimentInfo> ReadExperiments(bool includeDeleted = false)
    {
        var experiments = new List<ExperimentInfo>();
        if (!Directory.Exists(root))
        {
            return experiments;
        }

        var folders = Directory.EnumerateDirectories(root)
            .Where(d => Path.GetFileName(d) is not (".trash" or "models"))
            .ToList();
        if (includeDeleted && Directory.Exists(Path.Combine(root, ".trash")))
        {
            folders.AddRange(Directory.EnumerateDirectories(Path.Combine(root, ".trash")));
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
            return problems.Hide<ExperimentInfo>(metaPath, "the experiment folder has no meta.yaml");
        }

        var meta = FileStoreYaml.Load(problems, metaPath);
        if (meta is null)
        {
            return null;
        }

        var idNode = meta.Scalar("experiment_id");
        if (idNode is null || idNode.IsNonString() || idNode.Value != id)
        {
            return problems.Hide<ExperimentInfo>(metaPath, idNode is { } n && n.IsNonString()
                ? $"experiment_id {n.Value} is not quoted: MLflow reads it as a number, not the folder name '{id}'"
                : $"experiment_id '{idNode?.Value}' does not match the folder name '{id}'");
        }

        var name = meta.Scalar("name");
        if (name is null || name.IsNonString() || string.IsNullOrEmpty(name.Value))
        {
            return problems.Break<ExperimentInfo>(metaPath, $"the experiment name is missing, empty or not a string ({name?.Value ?? "absent"})");
        }

        var stage = meta.Scalar("lifecycle_stage")?.Value;
        if (stage is not ("active" or "deleted"))
        {
            return problems.Break<ExperimentInfo>(metaPath, $"lifecycle_stage '{stage}' is neither active nor deleted");
        }

        long? created = meta.Scalar("creation_time").TryGetLong(out var c) ? c : null;
        return new ExperimentInfo(id, name.Value!, stage, meta.Scalar("artifact_location")?.Value ?? string.Empty, created, KeyValueFiles.Read(problems, Path.Combine(folder, "tags")) ?? []);
    }
}
