using Microsoft.Extensions.Configuration;

namespace LatentLens.AppHost;

/// <summary>Which system the app host declares: the setting <c>LatentLens:Topology</c>.</summary>
internal enum Topology
{
    /// <summary>The original system: the API and the MLflow UI over one <c>mlruns/</c> folder (the default).</summary>
    File,

    /// <summary>Past one machine: PostgreSQL, an MLflow tracking server with its artifact proxy, two API replicas.</summary>
    Server,
}

internal static class TopologyExtensions
{
    public const string Key = "LatentLens:Topology";

    extension(Topology)
    {
        /// <summary>The topology the configuration asks for; an unknown value stops the app host naming the setting.</summary>
        public static Topology FromConfiguration(IConfiguration configuration)
        {
            ArgumentNullException.ThrowIfNull(configuration);
            return configuration[Key]?.Trim().ToLowerInvariant() switch
            {
                null or "" or "file" => Topology.File,
                "server" => Topology.Server,
                var other => throw new InvalidOperationException($"{Key} is '{other}'; use 'file' (the default) or 'server'."),
            };
        }
    }
}
