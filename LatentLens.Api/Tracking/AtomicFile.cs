namespace LatentLens.Api.Tracking;

/// <summary>
/// Every file of the store is written whole or not at all: to a temporary file at the top of the
/// store (MLflow ignores top-level files, and the same file system makes the rename atomic), then
/// renamed over the target. A process killed at any moment leaves the old file or the new one,
/// never half of one, and never a stray file inside a run's folders where MLflow would read it.
/// </summary>
internal static class AtomicFile
{
    public const string TempPrefix = ".latentlens-tmp-";

    public static void Write(string storeRoot, string path, ReadOnlySpan<byte> content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = Path.Combine(storeRoot, TempPrefix + Guid.NewGuid().ToString("N"));
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
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

        foreach (var file in Directory.EnumerateFiles(storeRoot, TempPrefix + "*"))
        {
            try
            {
                if (DateTime.UtcNow - File.GetLastWriteTimeUtc(file) > olderThan)
                {
                    File.Delete(file);
                }
            }
            catch (IOException)
            {
                // Another process may be finishing it.
            }
        }
    }
}
