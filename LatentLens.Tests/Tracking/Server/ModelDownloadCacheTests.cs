using LatentLens.Api.Tracking.Server;

namespace LatentLens.Tests.Tracking.Server;

/// <summary>The download cache on its own: what it keeps, what it never touches, and a cached copy that stopped loading.</summary>
public sealed class ModelDownloadCacheTests : IDisposable
{
    private readonly string _root = TestPaths.NewTempFolder();

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static string Run(int n) => n.ToString("x32", System.Globalization.CultureInfo.InvariantCulture);

    private static void WriteModel(string partial) =>
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(partial, "model")).FullName, "MLmodel"), "flavors: {}");

    private static string Read(string folder) =>
        File.Exists(Path.Combine(folder, "MLmodel")) ? File.ReadAllText(Path.Combine(folder, "MLmodel")) : throw new InvalidDataException($"{folder}: MLmodel missing");

    [Fact]
    public void ACachedCopyThatNoLongerLoadsIsFetchedAgainOnce()
    {
        var cache = new ModelDownloadCache(_root);
        var fetches = 0;
        void Fetch(string partial)
        {
            fetches++;
            WriteModel(partial);
        }

        Assert.Equal("flavors: {}", cache.Load(Run(1), "model", Fetch, Read));
        // Another replica pruned part of it (or a delete was cut short): the folder is there, a file is not.
        File.Delete(Path.Combine(_root, Run(1), "model", "MLmodel"));

        Assert.Equal("flavors: {}", cache.Load(Run(1), "model", Fetch, Read));
        Assert.Equal(2, fetches);
        Assert.Equal("flavors: {}", cache.Load(Run(1), "model", Fetch, Read));
        Assert.Equal(2, fetches);
    }

    [Fact]
    public void AModelThatFailsOnAFreshDownloadIsNotFetchedAgain()
    {
        var cache = new ModelDownloadCache(_root);
        var fetches = 0;

        Assert.Throws<InvalidDataException>(() => cache.Load(Run(2), "model", partial => { fetches++; Directory.CreateDirectory(Path.Combine(partial, "model")); }, Read));
        Assert.Equal(1, fetches);
    }

    [Fact]
    public void PruningKeepsTheTwoMostRecentModelsAndNeverTouchesAnythingElse()
    {
        var cache = new ModelDownloadCache(_root);
        var mine = Directory.CreateDirectory(Path.Combine(_root, "notes")).FullName;
        for (var n = 1; n <= 5; n++)
        {
            cache.GetOrAdd(Run(n), "model", WriteModel);
        }

        Assert.Equal([Run(4), Run(5)], cache.CachedRuns.Order());
        Assert.True(Directory.Exists(mine));
        Assert.Empty(Directory.EnumerateDirectories(_root, ".*"));
    }
}
