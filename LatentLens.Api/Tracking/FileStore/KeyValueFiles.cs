using System.Globalization;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LatentLens.Api.Tracking.FileStore;

/// <summary>Params and tags: one file per key (nested folders for keys with '/'); the whole file is the value.</summary>
internal static class KeyValueFiles
{
    /// <summary>Params or tags: one file per key (nested folders for keys with '/'), the whole file is the value.</summary>
    public static Dictionary<string, string>? Read(ProblemSink problems, string folder)
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
                return problems.Break<Dictionary<string, string>>(file, problem);
            }

            var bytes = File.ReadAllBytes(file);
            var bom = bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble);
            if (bom)
            {
                problems.Misread(file, "the value starts with a UTF-8 BOM", "MLflow reads the BOM as part of the value; LatentLens reads the value without it");
            }

            values[key] = MlflowYaml.Utf8NoBom.GetString(bytes.AsSpan(bom ? Encoding.UTF8.Preamble.Length : 0));
        }

        return values;
    }
}

/// <summary>Reads a store's YAML files, reporting what MLflow could not read instead of throwing.</summary>
internal static class FileStoreYaml
{
    public static YamlMappingNode? Load(ProblemSink problems, string path)
    {
        try
        {
            var text = File.ReadAllText(path, Encoding.UTF8);
            if (text.Trim().Length == 0)
            {
                return problems.Break<YamlMappingNode>(path, "meta.yaml is empty");
            }

            return MlflowYaml.ReadMapping(text);
        }
        catch (Exception ex) when (ex is YamlException or InvalidDataException or IOException)
        {
            return problems.Break<YamlMappingNode>(path, $"not readable YAML: {ex.Message}");
        }
    }
}
