namespace LatentLens.Api.Tracking.FileStore;

/// <summary>
/// A lock file at the top of the store for the few store-wide changes that must not interleave
/// between processes (creating an experiment by name, numbering a model version). The OS drops the
/// lock with the process, so a killed trainer never leaves it held.
/// </summary>
internal sealed class StoreLock : IDisposable
{
    private readonly FileStream _stream;

    private StoreLock(FileStream stream) => _stream = stream;

    public static StoreLock Acquire(string storeRoot, TimeSpan timeout)
    {
        Directory.CreateDirectory(storeRoot);
        var path = Path.Combine(storeRoot, ".latentlens.lock");
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new StoreLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(Random.Shared.Next(5, 25));
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
