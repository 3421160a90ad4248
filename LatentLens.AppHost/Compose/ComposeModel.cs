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
}

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
}

/// <summary>A published port, <c>host:container</c>, or the container port alone when the host port is left to compose.</summary>
internal sealed record ComposePort(int? HostPort, int ContainerPort)
{
    public override string ToString() => HostPort is { } host
        ? string.Create(CultureInfo.InvariantCulture, $"{host}:{ContainerPort}")
        : ContainerPort.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A bind mount, its source relative to the compose file's folder.</summary>
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
