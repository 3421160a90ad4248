using System.Globalization;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LatentLens.Api.Tracking.FileStore;

/// <summary>Metric histories: one file per key, lines of <c>timestamp value step</c>.</summary>
internal static class MetricFiles
{
    public static Dictionary<string, IReadOnlyList<MetricPoint>>? ReadFolder(ProblemSink problems, string folder)
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
                return problems.Break<Dictionary<string, IReadOnlyList<MetricPoint>>>(file, keyProblem);
            }

            var points = ReadFile(problems, file);
            if (points is null)
            {
                return null;
            }

            metrics[key] = points;
        }

        return metrics;
    }

    /// <summary>Lines of <c>timestamp value step</c> as MLflow parses them (Python int() and float()).</summary>
    private static List<MetricPoint>? ReadFile(ProblemSink problems, string file)
    {
        var bytes = File.ReadAllBytes(file);
        if (bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF)
        {
            return problems.Break<List<MetricPoint>>(file, "the metric file starts with a UTF-8 BOM");
        }

        var lines = Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0)
        {
            return problems.Break<List<MetricPoint>>(file, "the metric file is empty");
        }

        var points = new List<MetricPoint>(lines.Length);
        var stepless = false;
        for (var n = 0; n < lines.Length; n++)
        {
            var fields = lines[n].Trim().Split(' ');
            if (fields.Length is not (2 or 3))
            {
                return problems.Break<List<MetricPoint>>(file, $"line {n + 1} has {fields.Length} fields; expected 'timestamp value step'");
            }

            if (!long.TryParse(fields[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var timestamp))
            {
                return problems.Break<List<MetricPoint>>(file, $"line {n + 1}: the timestamp '{fields[0]}' is not an integer");
            }

            if (!TryParsePythonFloat(fields[1], out var value))
            {
                return problems.Break<List<MetricPoint>>(file, $"line {n + 1}: the value '{fields[1]}' is not a number Python reads");
            }

            if (fields.Length == 2 && !stepless)
            {
                stepless = true;
                problems.Misread(file, $"line {n + 1} has no step ('timestamp value')", "MLflow reads it as step 0 without a warning");
            }

            long step = 0;
            if (fields.Length == 3 && !long.TryParse(fields[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out step))
            {
                return problems.Break<List<MetricPoint>>(file, $"line {n + 1}: the step '{fields[2]}' is not an integer");
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
}
