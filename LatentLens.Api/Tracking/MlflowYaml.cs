using System.Globalization;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlScalar = YamlDotNet.Core.Events.Scalar;
using YamlDotNet.RepresentationModel;

namespace LatentLens.Api.Tracking;

/// <summary>
/// The YAML of MLflow's <c>meta.yaml</c> and <c>MLmodel</c> files, through YamlDotNet's emitter and
/// parser. Writing: keys sorted (as MLflow writes them), every string single-quoted (an unquoted
/// <c>0123</c> is an octal number to MLflow's reader, an unquoted <c>yes</c> a bool), integers and
/// null plain, no BOM, no document markers.
/// </summary>
internal static class MlflowYaml
{
    /// <summary>Marks a value that must be written as a plain integer or float.</summary>
    public readonly record struct Number(string Text)
    {
        public static Number Of(long value) => new(value.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Writes a mapping. Values: <see langword="null"/>, <see cref="string"/>, <see cref="Number"/>,
    /// <see cref="int"/>/<see cref="long"/>, <see cref="bool"/>, a nested
    /// <see cref="IReadOnlyDictionary{TKey,TValue}"/> (string to object) or an empty list (<c>[]</c>).
    /// </summary>
    public static string Write(IReadOnlyDictionary<string, object?> mapping)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        var emitter = new Emitter(writer, new EmitterSettings(bestIndent: 2, bestWidth: int.MaxValue, isCanonical: false, maxSimpleKeyLength: 1024));
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart(null, null, isImplicit: true));
        EmitMapping(emitter, mapping);
        emitter.Emit(new DocumentEnd(isImplicit: true));
        emitter.Emit(new StreamEnd());
        return writer.ToString();
    }

    private static void EmitMapping(IEmitter emitter, IReadOnlyDictionary<string, object?> mapping)
    {
        emitter.Emit(new MappingStart(null, null, isImplicit: true, mapping.Count == 0 ? MappingStyle.Flow : MappingStyle.Block));
        foreach (var (key, value) in mapping.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            emitter.Emit(new YamlScalar(null, null, key, ScalarStyle.Plain, isPlainImplicit: true, isQuotedImplicit: false));
            switch (value)
            {
                case null:
                    emitter.Emit(new YamlScalar(null, null, "null", ScalarStyle.Plain, true, false));
                    break;
                case string text:
                    emitter.Emit(new YamlScalar(null, null, text, ScalarStyle.SingleQuoted, false, true));
                    break;
                case Number number:
                    emitter.Emit(new YamlScalar(null, null, number.Text, ScalarStyle.Plain, true, false));
                    break;
                case int or long:
                    emitter.Emit(new YamlScalar(null, null, Convert.ToString(value, CultureInfo.InvariantCulture)!, ScalarStyle.Plain, true, false));
                    break;
                case bool flag:
                    emitter.Emit(new YamlScalar(null, null, flag ? "true" : "false", ScalarStyle.Plain, true, false));
                    break;
                case IReadOnlyDictionary<string, object?> nested:
                    EmitMapping(emitter, nested);
                    break;
                case System.Collections.IEnumerable list when !list.GetEnumerator().MoveNext():
                    emitter.Emit(new SequenceStart(null, null, true, SequenceStyle.Flow));
                    emitter.Emit(new SequenceEnd());
                    break;
                default:
                    throw new ArgumentException($"Cannot write a {value.GetType().Name} to meta.yaml (key '{key}').", nameof(mapping));
            }
        }

        emitter.Emit(new MappingEnd());
    }

    /// <summary>Reads a YAML mapping; throws <see cref="YamlException"/> or <see cref="InvalidDataException"/> on anything else.</summary>
    public static YamlMappingNode ReadMapping(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode mapping)
        {
            throw new InvalidDataException("the file is empty or not a YAML mapping");
        }

        return mapping;
    }

    /// <summary>The scalar under <paramref name="key"/>, or null when absent.</summary>
    public static YamlScalarNode? Scalar(this YamlMappingNode mapping, string key) =>
        mapping.Children.TryGetValue(new YamlScalarNode(key), out var node) ? node as YamlScalarNode : null;

    public static bool Has(this YamlMappingNode mapping, string key) => mapping.Children.ContainsKey(new YamlScalarNode(key));

    /// <summary>True for a plain scalar that a YAML 1.1 reader (PyYAML) takes for null.</summary>
    public static bool IsNull(this YamlScalarNode node) =>
        node.Style == ScalarStyle.Plain && node.Value is null or "" or "~" or "null" or "Null" or "NULL";

    /// <summary>True for a plain scalar that PyYAML would read as something other than a string (int, float, bool, null).</summary>
    public static bool IsNonString(this YamlScalarNode node) =>
        node.Style == ScalarStyle.Plain && (node.IsNull() || long.TryParse(node.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
            || double.TryParse(node.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            || node.Value is "yes" or "no" or "true" or "false" or "on" or "off" or "Yes" or "No" or "True" or "False" or "On" or "Off" or "YES" or "NO" or "TRUE" or "FALSE" or "ON" or "OFF");

    /// <summary>Reads a plain integer scalar.</summary>
    public static bool TryGetLong(this YamlScalarNode? node, out long value)
    {
        value = 0;
        return node is { Style: ScalarStyle.Plain } && long.TryParse(node.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out value);
    }

    internal static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);
}
