using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Tracking.Artifacts;

namespace LatentLens.Api.Tracking.Server;

/// <summary>
/// The artifact half of <see cref="ServerTrackingStore"/>: listing, uploading and downloading a run's files
/// through the server's artifact proxy, and the model download cache behind <see cref="LoadModel"/>.
/// </summary>
internal sealed partial class ServerTrackingStore
{
    public bool HasModel(RunInfo run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (_hasModel.TryGetValue(run.RunId, out var known))
        {
            return known;
        }

        var has = ListArtifacts(run.RunId, ModelArtifact.ArtifactPath, recursive: false).Any(f => !f.IsDir && f.Path == $"{ModelArtifact.ArtifactPath}/MLmodel");
        if (run.Status == RunStatus.Finished)
        {
            // A finished run's artifacts do not change: ask once.
            _hasModel[run.RunId] = has;
        }

        return has;
    }

    /// <summary>The files (and, unless recursive, folders) under <paramref name="path"/> of a run's artifacts, paths relative to the run's artifact root.</summary>
    public IReadOnlyList<MlflowFileInfo> ListArtifacts(string runId, string? path, bool recursive)
    {
        var found = new List<MlflowFileInfo>();
        string? token = null;
        do
        {
            var query = new List<(string, string)> { ("run_id", runId) };
            if (!string.IsNullOrEmpty(path))
            {
                query.Add(("path", path));
            }

            if (token is not null)
            {
                query.Add(("page_token", token));
            }

            var page = Client.Get("artifacts/list", query, MlflowJson.Default.ListArtifactsResponse);
            foreach (var file in page.Files ?? [])
            {
                if (file.IsDir && recursive)
                {
                    found.AddRange(ListArtifacts(runId, file.Path, recursive: true));
                }
                else
                {
                    found.Add(file);
                }
            }

            token = page.NextPageToken;
        }
        while (!string.IsNullOrEmpty(token));

        return found;
    }

    /// <summary>
    /// Downloads the run's <c>model/</c> into the cache (once) and loads it. A cached copy that does not load (pruned
    /// under this replica by another sharing the cache) is downloaded again, once (<see cref="ModelDownloadCache.Load"/>).
    /// </summary>
    public SavedModel LoadModel(RunInfo run)
    {
        CheckRunId(run);
        return Translate(run, () => Cache.Load(run.RunId, ModelArtifact.ArtifactPath, partial => Fetch(run, partial), ModelArtifact.Load));
    }

    /// <summary>The run's <c>model/</c> folder in the local cache (<see cref="ModelDownloadCache"/>), downloaded first if it is not there.</summary>
    public string DownloadModel(RunInfo run)
    {
        CheckRunId(run);
        return Translate(run, () => Cache.GetOrAdd(run.RunId, ModelArtifact.ArtifactPath, partial => Fetch(run, partial)));
    }

    private static void CheckRunId(RunInfo run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (!MlflowNames.IsRunId(run.RunId))
        {
            throw new InvalidDataException($"'{run.RunId}' is not a run id.");
        }
    }

    /// <summary>Every file of the run's <c>model/</c> into <paramref name="partial"/>.</summary>
    private void Fetch(RunInfo run, string partial)
    {
        var files = ListArtifacts(run.RunId, ModelArtifact.ArtifactPath, recursive: true);
        if (!files.Any(f => f.Path == $"{ModelArtifact.ArtifactPath}/MLmodel"))
        {
            throw new InvalidDataException($"run {run.RunId} has no {ModelArtifact.ArtifactPath}/MLmodel on {Location}");
        }

        foreach (var file in files)
        {
            if (file.Path.Split('/').Any(part => part is "" or "." or ".."))
            {
                throw new InvalidDataException($"the artifact path '{file.Path}' of run {run.RunId} is not a plain relative path");
            }

            var destination = Path.Combine(partial, file.Path.Replace('/', Path.DirectorySeparatorChar));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.WriteAllBytes(destination, DownloadArtifact(run.RunId, run.ArtifactUri, file.Path));
        }
    }

    private static T Translate<T>(RunInfo run, Func<T> download)
    {
        try
        {
            return download();
        }
        catch (TrackingServerException ex) when (ex.Status is 404 || ex.ErrorCode == "RESOURCE_DOES_NOT_EXIST")
        {
            // The server answered that the model's files do not exist: the model is rejected as a broken one
            // is in a folder. Anything else (401/403 from an expired token or a proxy, unreachable, 5xx) stays
            // an error: the model being served keeps serving and the next poll tries again.
            throw new InvalidDataException($"the model of run {run.RunId} cannot be downloaded: {ex.Message}", ex);
        }
    }

    /// <summary>One artifact of a run: through the proxy when the run's artifacts are proxied, else <c>/get-artifact</c>.</summary>
    public byte[] DownloadArtifact(string runId, string artifactUri, string path) =>
        ProxyPath(artifactUri) is { } root ? Client.Download($"{root}/{path}") : Client.DownloadRunArtifact(runId, path);

    /// <summary>Uploads one artifact of a run through the artifact proxy.</summary>
    internal void UploadArtifact(string artifactUri, string path, byte[] content)
    {
        var root = ProxyPath(artifactUri)
            ?? throw new InvalidOperationException($"MLflow server {Location} stores this run's artifacts at '{artifactUri}', which it does not proxy; start it with --serve-artifacts (the default) so clients can upload artifacts.");
        Client.Upload($"{root}/{path}", content);
    }

    /// <summary>
    /// Where a proxied artifact URI lives under the proxy (<c>/api/2.0/mlflow-artifacts/artifacts/...</c>):
    /// <c>mlflow-artifacts:/1/abc/artifacts</c> (or with a host) maps to <c>1/abc/artifacts</c>, as the server maps it; null for any other URI.
    /// </summary>
    internal static string? ProxyPath(string artifactUri)
    {
        if (!Uri.TryCreate(artifactUri, UriKind.Absolute, out var uri))
        {
            return null;
        }

        var path = Uri.UnescapeDataString(uri.AbsolutePath).Trim('/');
        if (uri.Scheme == "mlflow-artifacts")
        {
            return path;
        }

        const string ProxyRoute = "api/2.0/mlflow-artifacts/artifacts";
        return uri.Scheme is "http" or "https" && path.StartsWith(ProxyRoute, StringComparison.Ordinal) ? path[ProxyRoute.Length..].Trim('/') : null;
    }
}
