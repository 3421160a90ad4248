using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace LatentLens.AppHost.Compose;

/// <summary>A compose file as the publish step writes it: the original file's keys, nothing Aspire adds.</summary>
/// <remarks>Keys are spelled out as aliases so that no naming convention can rewrite them (or the service names).</remarks>
internal sealed record ComposeFile
{
    // Quoted: the original file's spelling, and a plain 3.8 would be read as a number.
    [YamlMember(Alias = "version", Order = 0, ScalarStyle = ScalarStyle.SingleQuoted)]
    public string Version { get; init; } = "3.8";

    [YamlMember(Alias = "services", Order = 1)]
    public required OrderedDictionary<string, ComposeService> Services { get; init; }

    /// <summary>The named volumes the services mount; null (not written) when there are none, as in the original file.</summary>
    [YamlMember(Alias = "volumes", Order = 2)]
    public OrderedDictionary<string, ComposeNamedVolume>? Volumes { get; init; }
}

/// <summary>A named volume with compose's defaults: written as <c>{}</c>.</summary>
internal sealed record ComposeNamedVolume;

/// <summary>The <c>deploy:</c> section: how many containers run the service.</summary>
internal sealed record ComposeDeploy([property: YamlMember(Alias = "replicas")] int Replicas);

/// <summary>One service; members left null are not written. The order is the original file's.</summary>
internal sealed record ComposeService
{
    [YamlMember(Alias = "build", Order = 0)]
    public string? Build { get; init; }

    [YamlMember(Alias = "image", Order = 1)]
    public string? Image { get; init; }

    [YamlMember(Alias = "ports", Order = 2)]
    public IReadOnlyList<ComposePort>? Ports { get; init; }

    [YamlMember(Alias = "volumes", Order = 3)]
    public IReadOnlyList<ComposeBindMount>? Volumes { get; init; }

    [YamlMember(Alias = "hostname", Order = 4)]
    public string? Hostname { get; init; }

    [YamlMember(Alias = "command", Order = 5)]
    public string? Command { get; init; }

    [YamlMember(Alias = "environment", Order = 6)]
    public OrderedDictionary<string, string>? Environment { get; init; }

    [YamlMember(Alias = "depends_on", Order = 7)]
    public IReadOnlyList<string>? DependsOn { get; init; }

    [YamlMember(Alias = "deploy", Order = 8)]
    public ComposeDeploy? Deploy { get; init; }
}

/// <summary>
/// A published port, <c>host:container</c>; with several replicas a range of host ports, one each
/// (<c>8000-8001:8000</c>).
/// </summary>
internal sealed record ComposePort(int HostPort, int ContainerPort, int Replicas = 1)
{
    public override string ToString() => Replicas > 1
        ? string.Create(CultureInfo.InvariantCulture, $"{HostPort}-{HostPort + Replicas - 1}:{ContainerPort}")
        : string.Create(CultureInfo.InvariantCulture, $"{HostPort}:{ContainerPort}");
}

/// <summary>A mount: a bind mount (its source relative to the compose file's folder) or a named volume (its name).</summary>
internal sealed record ComposeBindMount(string Source, string Target, bool IsReadOnly)
{
    public override string ToString() => $"{Source}:{Target}{(IsReadOnly ? ":ro" : string.Empty)}";
}

/// <summary>Writes ports and bind mounts in compose's short syntax.</summary>
internal sealed class ComposeShortSyntaxConverter : IYamlTypeConverter
{
    public bool Accepts(Type type) => type == typeof(ComposePort) || type == typeof(ComposeBindMount);

    public object? ReadYaml(IParser parser, Type type, ObjectDeserializer rootDeserializer) =>
        throw new NotSupportedException("The compose model is only written.");

    public void WriteYaml(IEmitter emitter, object? value, Type type, ObjectSerializer serializer)
    {
        ArgumentNullException.ThrowIfNull(emitter);
        ArgumentNullException.ThrowIfNull(value);
        var text = value.ToString()!;
        // "8000:8000" is quoted because a YAML 1.1 reader takes a plain 50:50 for a base-60 number.
        emitter.Emit(value is ComposePort
            ? new Scalar(null, null, text, ScalarStyle.DoubleQuoted, isPlainImplicit: false, isQuotedImplicit: true)
            : new Scalar(null, null, text, ScalarStyle.Plain, isPlainImplicit: true, isQuotedImplicit: false));
    }
}
