namespace LatentLens.Api.Tracking.FileStore;

/// <summary>
/// Every file of the store is written whole or not at all: to a temporary file at the top of the
/// store (MLflow ignores top-level files, and the same file system makes the rename atomic), then
/// renamed over the target. A process killed at any moment leaves the old file or the new one,
/// never half of one, and never a stray file inside a run's folders where MLflow would read it.
/// (A killed process may leave its temporary at the top of the store: a file MLflow ignores, or a
/// folder it skips with a warning; <see cref="CleanStaleTemporaries"/> removes them later.)
/// </summary>
internal static class AtomicFile
{
    public const string TempPrefix = ".latentlens-tmp-";

    /// <summary>
    /// Test seam: called with the target path after the temporary file is complete and before the
    /// rename. A test throws from it to simulate the process dying at that moment. Async-local, so
    /// it touches only the test's own flow.
    /// </summary>
    internal static Action<string>? BeforeRename
    {
        get => BeforeRenameHook.Value;
        set => BeforeRenameHook.Value = value;
    }

    private static readonly AsyncLocal<Action<string>?> BeforeRenameHook = new();

    public static void Write(string storeRoot, string path, ReadOnlySpan<byte> content)
    {
        var folder = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(folder) && Path.GetFileName(path) == "meta.yaml")
        {
            WriteWithNewFolder(storeRoot, path, content);
            return;
        }

        Directory.CreateDirectory(folder);
        var temp = Path.Combine(storeRoot, TempPrefix + Guid.NewGuid().ToString("N"));
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            BeforeRename?.Invoke(path);
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// A folder that MLflow reads through its <c>meta.yaml</c> (experiment, run, dataset, input,
    /// model version) must never exist without it: the folder is built under a temporary name at
    /// the top of the store and renamed into place with the file inside.
    /// </summary>
    private static void WriteWithNewFolder(string storeRoot, string path, ReadOnlySpan<byte> content)
    {
        var folder = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(Path.GetDirectoryName(folder)!);
        var tempFolder = Path.Combine(storeRoot, TempPrefix + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(tempFolder);
        try
        {
            using (var stream = new FileStream(Path.Combine(tempFolder, Path.GetFileName(path)), FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            BeforeRename?.Invoke(path);
            Directory.Move(tempFolder, folder);
        }
        catch (IOException) when (Directory.Exists(folder))
        {
            // Another writer made the folder first: write the file into it the ordinary way.
            TryDeleteFolder(tempFolder);
            Write(storeRoot, path, content);
        }
        catch
        {
            TryDeleteFolder(tempFolder);
            throw;
        }
    }

    private static void TryDeleteFolder(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // Left for CleanStaleTemporaries.
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Left for CleanStaleTemporaries: a top-level file that MLflow ignores.
        }
    }

    public static void WriteText(string storeRoot, string path, string content) =>
        Write(storeRoot, path, MlflowYaml.Utf8NoBom.GetBytes(content));

    /// <summary>Removes temporary files a killed process left at the top of the store.</summary>
    public static void CleanStaleTemporaries(string storeRoot, TimeSpan olderThan)
    {
        if (!Directory.Exists(storeRoot))
        {
            return;
        }

        foreach (var entry in Directory.EnumerateFileSystemEntries(storeRoot, TempPrefix + "*"))
        {
            try
            {
                if (DateTime.UtcNow - File.GetLastWriteTimeUtc(entry) <= olderThan)
                {
                    continue;
                }

                if (Directory.Exists(entry))
                {
                    Directory.Delete(entry, recursive: true);
                }
                else
                {
                    File.Delete(entry);
                }
            }
            catch (IOException)
            {
                // Another process may be finishing it.
            }
        }
    }
}
