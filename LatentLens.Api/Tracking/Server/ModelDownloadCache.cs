namespace LatentLens.Api.Tracking.Server;

/// <summary>
/// The local folder of models downloaded from a tracking server: <c>&lt;run id&gt;/&lt;artifact path&gt;/</c>, each
/// complete or absent. A model is downloaded into a temporary folder that is renamed into place, so a download cut
/// short leaves only a temporary folder (removed an hour later), never a half model. The cache is bounded: after each
/// download only the <see cref="Keep"/> most recently used models stay (by default 2: the one being served and the
/// one before it, for a quick roll-back); a model in memory does not need its folder, so pruning never affects serving.
/// </summary>
internal sealed class ModelDownloadCache
{
    public const int DefaultKeep = 2;

    public ModelDownloadCache(string root, int keep = DefaultKeep)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        Root = root;
        Keep = keep;
    }

    public string Root { get; }

    public int Keep { get; }

    /// <summary>
    /// The run ids with a model in the cache. Only folders named as a tracking server names runs (32 hexadecimal
    /// digits) are the cache's: nothing else in the folder is ever pruned, should it be shared with other data.
    /// </summary>
    public IReadOnlyList<string> CachedRuns => Directory.Exists(Root)
        ? [.. Directory.EnumerateDirectories(Root).Select(Path.GetFileName).OfType<string>().Where(name => name.Length == 32 && name.All(char.IsAsciiHexDigitLower))]
        : [];

    /// <summary>
    /// Loads the run's model with <paramref name="load"/> from the cache, fetching it first when absent. A cached copy
    /// that no longer loads (pruned under this process by another replica sharing the cache, a delete cut short) is
    /// evicted and fetched anew, once: a broken copy in the cache must not get a good model rejected.
    /// </summary>
    public T Load<T>(string runId, string artifactPath, Action<string> fetch, Func<string, T> load)
    {
        ArgumentNullException.ThrowIfNull(load);
        var cached = Directory.Exists(Path.Combine(Root, runId, artifactPath));
        var folder = GetOrAdd(runId, artifactPath, fetch);
        try
        {
            return load(folder);
        }
        catch (Exception ex) when (cached && ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            Evict(runId);
            return load(GetOrAdd(runId, artifactPath, fetch));
        }
    }

    /// <summary>
    /// The folder <c>&lt;run id&gt;/<paramref name="artifactPath"/></c>, filled by <paramref name="fetch"/> (given a
    /// temporary folder to write the run's artifacts into) when it is not cached. Threads and replicas racing for one
    /// model each fetch it; the first rename wins.
    /// </summary>
    public string GetOrAdd(string runId, string artifactPath, Action<string> fetch)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        ArgumentNullException.ThrowIfNull(fetch);
        var target = Path.Combine(Root, runId);
        var model = Path.Combine(target, artifactPath);
        if (Directory.Exists(model))
        {
            MarkUsed(target);
            return model;
        }

        Directory.CreateDirectory(Root);
        CleanStalePartials();
        var partial = Path.Combine(Root, $".partial-{runId}-{Guid.NewGuid():N}");
        try
        {
            fetch(partial);
            try
            {
                Directory.Move(partial, target);
            }
            catch (IOException) when (Directory.Exists(model))
            {
                // Another thread or process put the same model in place first.
            }

            MarkUsed(target);
            Prune(runId);
            return model;
        }
        finally
        {
            if (Directory.Exists(partial))
            {
                Directory.Delete(partial, recursive: true);
            }
        }
    }

    /// <summary>The folder's time is its last use: pruning keeps the most recent.</summary>
    private static void MarkUsed(string folder)
    {
        try
        {
            Directory.SetLastWriteTimeUtc(folder, DateTime.UtcNow);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Pruned by another replica just now: the caller finds out when it reads the files.
        }
    }

    /// <summary>Removes a run's folder: renamed out of the way first (one atomic step), so no reader ever finds half of it.</summary>
    private void Evict(string runId)
    {
        var trash = Path.Combine(Root, $".trash-{runId}-{Guid.NewGuid():N}");
        try
        {
            Directory.Move(Path.Combine(Root, runId), trash);
            Directory.Delete(trash, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Gone already (another replica), or a file held open: the stale-folder sweep removes what is left.
        }
    }

    private void Prune(string justAdded)
    {
        var others = CachedRuns
            .Where(run => run != justAdded)
            .Select(run => (Run: run, Used: Directory.GetLastWriteTimeUtc(Path.Combine(Root, run))))
            .OrderByDescending(r => r.Used)
            .Skip(Keep - 1);
        foreach (var (run, _) in others)
        {
            Evict(run);
        }
    }

    private void CleanStalePartials()
    {
        foreach (var stale in Directory.EnumerateDirectories(Root, ".partial-*").Concat(Directory.EnumerateDirectories(Root, ".trash-*")))
        {
            try
            {
                // A partial download may still be written by another process; a trashed folder is nobody's.
                if (Path.GetFileName(stale).StartsWith(".trash-", StringComparison.Ordinal) || Directory.GetLastWriteTimeUtc(stale) < DateTime.UtcNow.AddHours(-1))
                {
                    Directory.Delete(stale, recursive: true);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Another process is cleaning it: leave it.
            }
        }
    }
}
