using System.Text.RegularExpressions;
using LatentLens.Api.Tracking.FileStore;
using LatentLens.Api.Tracking.Server;

namespace LatentLens.Api.Tracking.Stores;

/// <summary>
/// Opens the tracking store a tracking URI names, as MLflow's own clients read one: <c>http://</c> or
/// <c>https://</c> is a tracking server (<see cref="ServerTrackingStore"/>); a path or a <c>file:</c> URI
/// is a file store folder (<see cref="FileTrackingStore"/>). One factory for the command line and the API.
/// </summary>
internal static partial class TrackingStoreFactory
{
    /// <summary>
    /// The one precedence rule of the API, the command line and <c>migrate</c>: the store named explicitly
    /// (a setting or an option); else <c>$MLFLOW_TRACKING_URI</c> (looked up through <paramref name="environment"/>:
    /// the API's configuration or the process environment); else the file store <paramref name="folder"/>
    /// (null where there is none to fall back to). An empty value counts as not given.
    /// </summary>
    public static string? ChooseUri(string? explicitUri, Func<string, string?> environment, string? folder)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return explicitUri is { Length: > 0 } ? explicitUri
            : environment(LatentLensConventions.TrackingUriVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
            : folder;
    }

    public static bool IsServer(string uriOrPath) =>
        uriOrPath.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || uriOrPath.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The store at <paramref name="uriOrPath"/>. <paramref name="modelCache"/> is where a server's models are
    /// downloaded (default: <c>models/&lt;server&gt;</c> in LatentLens' cache, <c>$LATENTLENS_CACHE</c> or
    /// <c>~/.cache/latentlens</c>). Throws <see cref="ArgumentException"/> naming what is wrong with the URI.
    /// </summary>
    public static ITrackingStore Open(string uriOrPath, string? modelCache = null, Func<string, string?>? environment = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(uriOrPath);
        if (IsServer(uriOrPath))
        {
            var server = ServerUri(uriOrPath);
            return new ServerTrackingStore(MlflowServerSettings.FromEnvironment(server, environment), modelCache ?? DefaultModelCache(server));
        }

        return new FileTrackingStore(FileStorePath(uriOrPath));
    }

    /// <summary>The server's base URI; a malformed one is refused with a message that names it.</summary>
    public static Uri ServerUri(string uri) =>
        Uri.TryCreate(uri, UriKind.Absolute, out var server) && server.Scheme is "http" or "https" && !string.IsNullOrEmpty(server.Host)
            ? server
            : throw new ArgumentException($"The tracking URI '{uri}' is not a valid http(s) URL.");

    /// <summary>The folder a path or a <c>file:</c> URI names (<c>file:mlruns</c>, <c>file:///abs/mlruns</c>).</summary>
    public static string FileStorePath(string uriOrPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(uriOrPath);
        if (uriOrPath.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            var rest = uriOrPath["file:".Length..];
            return rest.StartsWith("//", StringComparison.Ordinal) && Uri.TryCreate(uriOrPath, UriKind.Absolute, out var file)
                ? file.LocalPath
                : Uri.UnescapeDataString(rest);
        }

        if (Scheme().Match(uriOrPath) is { Success: true } scheme)
        {
            throw new ArgumentException(
                $"The tracking URI '{uriOrPath}' has the scheme '{scheme.Groups[1].Value}': LatentLens reads a file store (a folder or file: URI) or a tracking server (http:// or https://). "
                + "A database is a backend of `mlflow server --backend-store-uri ...`: point LatentLens at that server.");
        }

        return uriOrPath;
    }

    /// <summary>Where a server's models are cached: one folder per server, so two servers never share a run id's folder.</summary>
    public static string DefaultModelCache(Uri server)
    {
        ArgumentNullException.ThrowIfNull(server);
        var name = Regex.Replace($"{server.Host}_{server.Port}{server.AbsolutePath.TrimEnd('/')}", "[^A-Za-z0-9._-]", "_");
        return Path.Combine(Recommender.Data.MovieLens100kDownloader.DefaultCacheRoot(), "models", name);
    }

    // Two letters or more, so a Windows drive (C:) stays a path.
    [GeneratedRegex("^([A-Za-z][A-Za-z0-9+.-]+):")]
    private static partial Regex Scheme();
}
