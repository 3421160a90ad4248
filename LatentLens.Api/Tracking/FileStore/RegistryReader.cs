using System.Globalization;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LatentLens.Api.Tracking.FileStore;

/// <summary>The model registry of a file store: <c>models/&lt;name&gt;/</c> with versions and aliases.</summary>
internal sealed class RegistryReader(string root, ProblemSink problems)
{
    public IReadOnlyList<RegisteredModelInfo> ReadRegisteredModels()
    {
        var models = new List<RegisteredModelInfo>();
        var folder = Path.Combine(root, "models");
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
        Directory.Exists(Path.Combine(root, "models", name)) ? ReadRegisteredModel(Path.Combine(root, "models", name)) : null;

    private RegisteredModelInfo? ReadRegisteredModel(string folder)
    {
        var metaPath = Path.Combine(folder, "meta.yaml");
        if (!File.Exists(metaPath))
        {
            return problems.Hide<RegisteredModelInfo>(metaPath, "the registered model folder has no meta.yaml");
        }

        var meta = FileStoreYaml.Load(problems, metaPath);
        if (meta is null)
        {
            return null;
        }

        var name = meta.Scalar("name")?.Value ?? Path.GetFileName(folder);
        var versions = new List<ModelVersionInfo>();
        foreach (var versionFolder in Directory.EnumerateDirectories(folder, "version-*"))
        {
            var vMetaPath = Path.Combine(versionFolder, "meta.yaml");
            var vMeta = File.Exists(vMetaPath) ? FileStoreYaml.Load(problems, vMetaPath) : problems.Hide<YamlMappingNode>(vMetaPath, "the model version folder has no meta.yaml");
            if (vMeta is null)
            {
                continue;
            }

            if (!vMeta.Scalar("version").TryGetLong(out var number))
            {
                problems.Report(vMetaPath, $"version '{vMeta.Scalar("version")?.Value}' is not an integer");
                continue;
            }

            vMeta.Scalar("creation_timestamp").TryGetLong(out var vCreated);
            versions.Add(new ModelVersionInfo(name, (int)number, vMeta.Scalar("run_id")?.Value ?? string.Empty,
                vMeta.Scalar("source")?.Value ?? string.Empty, vMeta.Scalar("status")?.Value ?? string.Empty, vCreated,
                KeyValueFiles.Read(problems, Path.Combine(versionFolder, "tags")) ?? []));
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
                    problems.Report(file, "the alias does not hold a version number");
                }
            }
        }

        meta.Scalar("creation_timestamp").TryGetLong(out var created);
        meta.Scalar("last_updated_timestamp").TryGetLong(out var updated);
        var description = meta.Scalar("description");
        return new RegisteredModelInfo(name, description is null || description.IsNull() ? null : description.Value, created, updated,
            aliases, KeyValueFiles.Read(problems, Path.Combine(folder, "tags")) ?? [], [.. versions.OrderBy(v => v.Version)]);
    }
}
